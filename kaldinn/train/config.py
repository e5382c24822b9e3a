"""Training configuration: YAML (safe_load) + ``--set a.b=v`` overrides, fully checked.

Layout (see ``kaldinn.train`` for the meaning of each section): ``model``/``model_args``,
``loss``/``loss_args``, ``optim``/``optim_args``, ``scheduler``/``scheduler_args`` name a
registered component and its arguments; ``train`` and ``data`` are fixed sections
(dataclasses below). Unknown keys and wrong types raise ConfigError listing the valid
choices; component arguments are checked against the component's signature.

Example::

    cfg = load_config("conf/lid_hgru.yaml", ["train.epochs=3", "optim_args.lr=5e-4"])
    print(dump_config(cfg))
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import yaml

from kaldinn.augment.config import AugmentConfig
from kaldinn.errors import ConfigError
from kaldinn.train.registry import coerce


@dataclass
class TrainSection:
    epochs: int = 10
    seed: int = 777
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: Literal["none", "bf16", "fp16"] = "none"
    grad_clip: float = 5.0  # max gradient norm; 0 disables clipping
    grad_checkpointing: bool = False
    monitor: str = "loss"  # validation metric driving halving, early stopping
    monitor_mode: Literal["min", "max"] = "min"
    early_stop_patience: int = 0  # epochs without improvement before stopping; 0 = never
    average_last: int = 1  # final.pt averages the last N epoch checkpoints
    keep_checkpoints: int = 5  # epoch checkpoints kept; 0 keeps all
    save_every_steps: int = 0  # mid-epoch checkpoints (for resume); 0 = off
    save_every_minutes: float = 10.0  # mid-epoch checkpoints by time; 0 = off
    log_every_seconds: float = 30.0  # log-line interval when stderr is not a terminal
    metrics_format: Literal["jsonl", "csv"] = "jsonl"


@dataclass
class DataSection:
    """How kaldinn.data reads a data dir: labels, CMVN, VAD, chunks, SpecAugment, batching."""

    batch_size: int = 32  # utterances per batch (speaker sampler: speakers x utts_per_speaker)
    max_frames: int = 0  # random crop of training utterances to this many frames; 0 = whole
    shuffle: bool = True
    num_workers: int = 0  # DataLoader worker processes; 0 reads in the training process
    # auto: text for ctc, ali for frame_cross_entropy; utterance losses must name their table
    labels: Literal["auto", "utt2lang", "utt2spk", "utt2label", "text", "ali"] = "auto"
    cmvn: Literal["speaker", "utterance", "none"] = "utterance"  # speaker: stats from cmvn.scp
    norm_vars: bool = False  # CMVN also normalises variances
    vad: bool = False  # keep only the frames vad.scp marks voiced
    min_frames: int = 1  # shorter utterances (after VAD) are skipped and counted
    batch_frames: int = 0  # padded frames per batch at most (length bucketing); 0 = no budget
    # bucket: length buckets; speaker: S speakers x utts_per_speaker; sv_a / sv_b: the
    # verification strategies A / B of SV.md (in-memory features, random max_frames chunks)
    sampler: Literal["bucket", "speaker", "sv_a", "sv_b"] = "bucket"
    utts_per_speaker: int = 2  # speaker/sv samplers: batch_size // utts_per_speaker speakers a batch
    max_utts_per_speaker: int = 0  # sv_a: cap on segments per speaker (0: all of them)
    in_memory: bool = False  # read all features once instead of by offset per batch
    spec_augment: bool = False  # frequency and time masks on training features
    freq_masks: int = 2
    freq_mask_width: int = 8
    time_masks: int = 2
    time_mask_width: int = 20
    # Training examples from the audio, augmented on the fly (MUSAN noise/music/babble, RIRs);
    # kaldinn.augment.config.AugmentConfig lists the keys. null: train on feats.scp.
    augment: AugmentConfig | None = None


@dataclass
class TrainConfig:
    model: str
    model_args: dict[str, Any] = field(default_factory=dict)
    loss: str = "cross_entropy"
    loss_args: dict[str, Any] = field(default_factory=dict)
    optim: str = "adam"
    optim_args: dict[str, Any] = field(default_factory=dict)
    scheduler: str = "halving"
    scheduler_args: dict[str, Any] = field(default_factory=dict)
    train: TrainSection = field(default_factory=TrainSection)
    data: DataSection = field(default_factory=DataSection)


SECTIONS = {"train": TrainSection, "data": DataSection}


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read YAML ``path`` (or start empty), apply ``a.b=v`` overrides, check everything."""
    raw: dict[str, Any] = {}
    if path is not None:
        raw = read_yaml(path)
    for text in overrides or []:
        apply_override(raw, text)
    cfg = from_dict(raw, where=str(path or "config"))
    validate(cfg)
    return cfg


def read_yaml(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f)
    except OSError as err:
        raise ConfigError(f"cannot read config {path}: {err.strerror}") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: invalid YAML: {err}") from err
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a training config must be a YAML mapping, got {type(raw).__name__}")
    return raw


def apply_override(raw: dict[str, Any], text: str) -> None:
    """Apply one ``a.b=value`` override (value parsed as YAML) to the raw config dict."""
    key, sep, value_text = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: expected key.path=value, e.g. train.epochs=5")
    parts = key.split(".")
    top_keys = [f.name for f in dataclasses.fields(TrainConfig)]
    if parts[0] not in top_keys:
        raise ConfigError(f"--set {key}: unknown key '{parts[0]}'; valid keys: {', '.join(top_keys)}")
    if parts[0] in SECTIONS and len(parts) == 2:
        fields = [f.name for f in dataclasses.fields(SECTIONS[parts[0]])]
        if parts[1] not in fields:
            raise ConfigError(f"--set {key}: unknown key '{parts[1]}'; valid keys: {', '.join(fields)}")
    node = raw
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {key}: '{part}' holds {child!r}, not a mapping")
        node = child
    try:
        node[parts[-1]] = yaml.safe_load(value_text) if value_text.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"--set {text!r}: value is not valid YAML: {err}") from err


def from_dict(raw: dict[str, Any], where: str = "config") -> TrainConfig:
    """Build a TrainConfig from a raw mapping, rejecting unknown keys and wrong types."""
    if "model" not in raw:
        raise ConfigError(f"{where}: missing required key 'model' (the model name)")
    return _build_dataclass(TrainConfig, raw, where)


def _build_dataclass(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {raw!r}")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    values = {}
    for key, value in raw.items():
        if key not in names:
            raise ConfigError(f"{where}: unknown key '{key}'; valid keys: {', '.join(names)}")
        if key in SECTIONS and cls is TrainConfig:
            values[key] = _build_dataclass(SECTIONS[key], value or {}, f"{where}: {key}")
        elif (nested := _nested_section(hints[key])) is not None and value is not None:
            values[key] = _build_dataclass(nested, value, f"{where}: {key}")
        elif key.endswith("_args") and value is None:
            values[key] = {}
        else:
            values[key] = coerce(value, hints[key], f"{where}: '{key}'")
    return cls(**values)


def _nested_section(annotation: Any) -> type | None:
    """The dataclass a field holds (``X`` or ``X | None``), else None."""
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    found = [o for o in options if dataclasses.is_dataclass(o)]
    return found[0] if found else None


def validate(cfg: TrainConfig) -> None:
    """Check component names and arguments against the registries; coerce them in place."""
    from kaldinn.losses import LOSSES
    from kaldinn.models import check_model_args
    from kaldinn.train.optim import OPTIMIZERS
    from kaldinn.train.schedule import SCHEDULERS

    cfg.model_args = check_model_args(cfg.model, cfg.model_args)
    cfg.loss_args = LOSSES.check_args(cfg.loss, cfg.loss_args)
    cfg.optim_args = OPTIMIZERS.check_args(cfg.optim, cfg.optim_args, derived=("params",))
    cfg.scheduler_args = SCHEDULERS.check_args(
        cfg.scheduler, cfg.scheduler_args, derived=("optimizer", "epochs", "mode")
    )
    train = cfg.train
    for name in ("epochs", "average_last"):
        if getattr(train, name) < 1:
            raise ConfigError(f"train.{name} must be >= 1, got {getattr(train, name)}")
    validate_data(cfg.data)
    if 0 < train.keep_checkpoints < train.average_last:
        raise ConfigError(
            f"train.keep_checkpoints ({train.keep_checkpoints}) must be 0 or >= train.average_last "
            f"({train.average_last}): averaging needs the last {train.average_last} epoch checkpoints"
        )


def validate_data(data: DataSection) -> None:
    """Range checks of the data section (types are checked when the config is read)."""
    minimum = {"batch_size": 1, "min_frames": 1, "utts_per_speaker": 1}
    for name in ("max_frames", "num_workers", "batch_frames", *minimum, "freq_masks", "time_masks"):
        if getattr(data, name) < minimum.get(name, 0):
            raise ConfigError(f"data.{name} must be >= {minimum.get(name, 0)}, got {getattr(data, name)}")
    if data.augment is not None:
        data.augment.validate()
    if data.sampler == "speaker" and data.batch_size < data.utts_per_speaker:
        raise ConfigError(
            f"data.batch_size ({data.batch_size}) must be >= data.utts_per_speaker "
            f"({data.utts_per_speaker}) with data.sampler=speaker"
        )


def to_dict(cfg: TrainConfig) -> dict[str, Any]:
    """The resolved config as plain YAML-able data (tuples become lists)."""
    return _plain(dataclasses.asdict(cfg))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def dump_config(cfg: TrainConfig) -> str:
    """YAML text of the resolved config (what ``--print-config`` shows and config.yaml holds)."""
    return yaml.safe_dump(to_dict(cfg), sort_keys=False, default_flow_style=False)
