"""The experiment directory and the resumable training state.

Layout written by the trainer::

    <exp>/config.yaml            resolved config (checked against on resume)
    <exp>/command.txt            every command line that ran in this dir, one per line
    <exp>/checkpoints/epoch-N.pt end-of-epoch checkpoints (the last keep_checkpoints kept)
    <exp>/checkpoints/last.pt    the newest resume point (end of epoch or mid-epoch)
    <exp>/metrics.jsonl|csv      per-epoch metrics; <exp>/curves.png training curves
    <exp>/final.pt               average of the last average_last epoch checkpoints

Example::

    prepare_exp_dir(Path("exp/lid"), cfg, ["steps/train.py", "data/train", "data/dev", "exp/lid"])
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shlex
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kaldinn.errors import ConfigError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.train.config import TrainConfig, dump_config, to_dict

# Keys a rerun may change without invalidating the checkpoints it resumes from.
RESUME_MUTABLE = {
    "train.epochs",
    "train.log_every_seconds",
    "train.save_every_steps",
    "train.save_every_minutes",
}


@dataclass
class TrainState:
    """Where training stands; saved in every checkpoint as ``trainer_state``."""

    epoch: int = 1  # the epoch being (or about to be) trained
    batches_done: int = 0  # batches of ``epoch`` already trained
    step: int = 0  # optimizer steps over the whole run
    sums: dict[str, float] = field(default_factory=dict)  # metric sums of the partial epoch
    weight: float = 0.0
    seconds: float = 0.0  # training time spent in the partial epoch
    skipped: int = 0  # batches skipped for a non-finite gradient
    stopped: bool = False  # early stopping fired
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def start_epoch(self) -> None:
        self.batches_done, self.sums, self.weight, self.seconds = 0, {}, 0.0, 0.0


def checkpoint_dir(exp_dir: Path) -> Path:
    return exp_dir / "checkpoints"


def epoch_checkpoint(exp_dir: Path, epoch: int) -> Path:
    return checkpoint_dir(exp_dir) / f"epoch-{epoch}.pt"


def prepare_exp_dir(exp_dir: Path, cfg: TrainConfig, command_line: list[str] | None) -> None:
    """Save the resolved config and command line; refuse to resume under a changed config."""
    config_path = exp_dir / "config.yaml"
    if config_path.exists() and (checkpoint_dir(exp_dir) / "last.pt").exists():
        with open(config_path, encoding="utf-8") as f:
            old = yaml.safe_load(f) or {}
        changed = sorted(set(_flatten(old).items()) ^ set(_flatten(to_dict(cfg)).items()))
        keys = sorted({key for key, _ in changed} - RESUME_MUTABLE)
        if keys:
            raise ConfigError(
                f"{exp_dir} holds checkpoints of a run with a different config (changed: {', '.join(keys)}); "
                f"use another exp dir, or delete {checkpoint_dir(exp_dir)} to start over"
            )
    exp_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(config_path, dump_config(cfg))
    if command_line:
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        with open(exp_dir / "command.txt", "a", encoding="utf-8") as f:
            f.write(f"# {stamp}\n{shlex.join(command_line)}\n")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = repr(value)
    return flat


def link_atomic(src: Path, dest: Path) -> None:
    """Make ``dest`` a copy of ``src`` atomically (hard link when possible)."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def prune_checkpoints(exp_dir: Path, epoch: int, keep: int) -> None:
    """Delete epoch checkpoints older than the newest ``keep`` (keep 0: delete none)."""
    if keep <= 0:
        return
    for path in checkpoint_dir(exp_dir).glob("epoch-*.pt"):
        number = path.stem.split("-", 1)[1]
        if number.isdigit() and int(number) <= epoch - keep:
            path.unlink()
