"""The experiment directory and the resumable training state.

Layout written by the trainer::

    <exp>/config.yaml            resolved config (checked against on resume)
    <exp>/command.txt            every command line that ran in this dir, one per line
    <exp>/checkpoints/epoch-N.pt end-of-epoch checkpoints (the last keep_checkpoints kept)
    <exp>/checkpoints/step-N.pt  the newest mid-epoch checkpoint (after N optimizer steps)
    <exp>/checkpoints/last.pt    hard link to the newest of those (the preferred resume point)
    <exp>/checkpoints.old.N/     checkpoints a ``--restart`` moved aside (with their final.pt)
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

from kaldinn.errors import ConfigError, WriteError
from kaldinn.io.atomic import WRITE_ERRNOS, write_text_atomic
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


def step_checkpoint(exp_dir: Path, step: int) -> Path:
    return checkpoint_dir(exp_dir) / f"step-{step}.pt"


def resume_candidates(exp_dir: Path) -> list[Path]:
    """Resume points, preferred first: last.pt, then step-N.pt and epoch-N.pt, newest first."""
    ckpt_dir = checkpoint_dir(exp_dir)
    last = ckpt_dir / "last.pt"
    numbered = []
    for path in ckpt_dir.glob("*-*.pt"):
        kind, _, number = path.stem.partition("-")
        if kind in ("step", "epoch") and number.isdigit():
            with contextlib.suppress(FileNotFoundError):
                # newest first; at equal times a step checkpoint (mid-epoch) before an epoch one
                numbered.append(((path.stat().st_mtime_ns, kind == "step", int(number)), path))
    ordered = [path for _, path in sorted(numbered, reverse=True)]
    return ([last] if last.exists() else []) + ordered


def next_old_dir(exp_dir: Path) -> Path:
    """The first free ``<exp>/checkpoints.old.N`` (N from 1)."""
    number = 1
    while (exp_dir / f"checkpoints.old.{number}").exists():
        number += 1
    return exp_dir / f"checkpoints.old.{number}"


def move_checkpoints_aside(exp_dir: Path) -> Path | None:
    """``--restart``: move checkpoints/ (and final.pt) to checkpoints.old.N, keeping a copy of
    config.yaml and labels.txt beside them; None when there was nothing to move."""
    ckpt_dir, final = checkpoint_dir(exp_dir), exp_dir / "final.pt"
    if not ckpt_dir.exists() and not final.exists():
        return None
    old = next_old_dir(exp_dir)
    old.parent.mkdir(parents=True, exist_ok=True)
    if ckpt_dir.exists():
        os.rename(ckpt_dir, old)
    else:
        old.mkdir()
    if final.exists():
        os.rename(final, old / "final.pt")
    for name in ("config.yaml", "labels.txt"):
        if (exp_dir / name).is_file():
            shutil.copy2(exp_dir / name, old / name)
    return old


def prepare_exp_dir(exp_dir: Path, cfg: TrainConfig, command_line: list[str] | None) -> None:
    """Save the resolved config and command line; refuse to resume under a changed config."""
    config_path = exp_dir / "config.yaml"
    if config_path.exists() and resume_candidates(exp_dir):
        with open(config_path, encoding="utf-8") as f:
            old = yaml.safe_load(f) or {}
        changed = sorted(set(_flatten(old).items()) ^ set(_flatten(to_dict(cfg)).items()))
        keys = sorted({key for key, _ in changed} - RESUME_MUTABLE)
        if keys:
            raise ConfigError(
                f"{exp_dir} holds checkpoints of a run with a different config (changed: {', '.join(keys)}); "
                "use another exp dir, or rerun steps/train.py with --restart to move the old "
                f"checkpoints to {next_old_dir(exp_dir)} and start over"
            )
    exp_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(config_path, dump_config(cfg))
    if command_line:
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        try:
            with open(exp_dir / "command.txt", "a", encoding="utf-8") as f:
                f.write(f"# {stamp}\n{shlex.join(command_line)}\n")
        except OSError as err:
            if err.errno in WRITE_ERRNOS:
                raise WriteError(exp_dir / "command.txt", err) from err
            raise


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
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except OSError as err:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if err.errno in WRITE_ERRNOS:
            raise WriteError(dest, err) from err
        raise


def prune_step_checkpoints(exp_dir: Path, keep: Path | None = None) -> None:
    """Delete the mid-epoch checkpoints other than ``keep`` (all of them at the end of an epoch)."""
    for path in checkpoint_dir(exp_dir).glob("step-*.pt"):
        if path != keep:
            path.unlink(missing_ok=True)


def prune_checkpoints(exp_dir: Path, epoch: int, keep: int) -> None:
    """Delete epoch checkpoints older than the newest ``keep`` (keep 0: delete none)."""
    if keep <= 0:
        return
    for path in checkpoint_dir(exp_dir).glob("epoch-*.pt"):
        number = path.stem.split("-", 1)[1]
        if number.isdigit() and int(number) <= epoch - keep:
            path.unlink()
