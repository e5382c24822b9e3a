"""Kaldi feature options: dataclasses with Kaldi's names and defaults, option files, CLI flags.

A Kaldi option file holds one ``--name=value`` per line (``#`` starts a comment), exactly what
``compute-fbank-feats --config=conf/fbank.conf`` reads; the same names work on the command
line. Unknown names are errors naming the option and the file line.

Example::

    opts = load_options(FbankOptions, "conf/fbank.conf", ["--dither=0"])
    opts.mel.num_mel_bins   # 80
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kaldinn.errors import ConfigError

T = TypeVar("T")
WINDOW_TYPES = ("povey", "hamming", "hanning", "sine", "rectangular", "blackman")


@dataclass(frozen=True)
class FrameOptions:
    """Kaldi's FrameExtractionOptions (times in milliseconds)."""

    sample_frequency: float = 16000.0
    frame_shift: float = 10.0
    frame_length: float = 25.0
    dither: float = 1.0
    preemphasis_coefficient: float = 0.97
    remove_dc_offset: bool = True
    window_type: str = "povey"
    round_to_power_of_two: bool = True
    blackman_coeff: float = 0.42
    snip_edges: bool = True
    allow_downsample: bool = False
    allow_upsample: bool = False
    max_feature_vectors: int = -1

    @property
    def window_shift(self) -> int:
        """Frame shift in samples (Kaldi truncates)."""
        return int(self.sample_frequency * 0.001 * self.frame_shift)

    @property
    def window_size(self) -> int:
        """Frame length in samples (Kaldi truncates)."""
        return int(self.sample_frequency * 0.001 * self.frame_length)

    @property
    def padded_window_size(self) -> int:
        """FFT length: the window size, rounded up to a power of two if requested."""
        size = self.window_size
        return 1 << (size - 1).bit_length() if self.round_to_power_of_two else size


@dataclass(frozen=True)
class MelOptions:
    """Kaldi's MelBanksOptions as used by fbank and MFCC (23 bins by default)."""

    num_mel_bins: int = 23
    low_freq: float = 20.0
    high_freq: float = 0.0
    vtln_low: float = 100.0
    vtln_high: float = -500.0
    debug_mel: bool = False


@dataclass(frozen=True)
class FbankOptions:
    """compute-fbank-feats feature options."""

    frame: FrameOptions = field(default_factory=FrameOptions)
    mel: MelOptions = field(default_factory=MelOptions)
    use_energy: bool = False
    energy_floor: float = 0.0
    raw_energy: bool = True
    htk_compat: bool = False
    use_log_fbank: bool = True
    use_power: bool = True


@dataclass(frozen=True)
class MfccOptions:
    """compute-mfcc-feats feature options."""

    frame: FrameOptions = field(default_factory=FrameOptions)
    mel: MelOptions = field(default_factory=MelOptions)
    num_ceps: int = 13
    use_energy: bool = True
    energy_floor: float = 0.0
    raw_energy: bool = True
    cepstral_lifter: float = 22.0
    htk_compat: bool = False


@dataclass(frozen=True)
class ComputeOptions:
    """Per-tool options of compute-{fbank,mfcc}-feats beyond the feature definition."""

    channel: int = -1
    vtln_warp: float = 1.0
    subtract_mean: bool = False
    min_duration: float = 0.0


@dataclass(frozen=True)
class VadOptions:
    """compute-vad's energy VAD options."""

    vad_energy_threshold: float = 5.0
    vad_energy_mean_scale: float = 0.5
    vad_frames_context: int = 0
    vad_proportion_threshold: float = 0.6


def option_fields(cls: type) -> dict[str, tuple[tuple[str, ...], type]]:
    """Map each Kaldi option name (``num-mel-bins``) to its attribute path and type."""
    out: dict[str, tuple[tuple[str, ...], type]] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            for name, (path, sub) in option_fields(kind).items():
                out[name] = ((f.name, *path), sub)
        else:
            out[f.name.replace("_", "-")] = ((f.name,), kind)
    return out


def parse_value(text: str, kind: type, name: str, where: str) -> Any:
    """Convert an option value as Kaldi does (booleans: true/false/t/f/1/0)."""
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in ("true", "t", "1"):
                return True
            if lowered in ("false", "f", "0"):
                return False
            raise ValueError(text)
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{where}: bad value {text!r} for --{name} (expected {kind.__name__})") from None
    if name == "window-type" and value not in WINDOW_TYPES:
        raise ConfigError(f"{where}: --window-type={value} is not one of {', '.join(WINDOW_TYPES)}")
    return value


def read_option_file(path: str | os.PathLike) -> list[tuple[str, str, str]]:
    """Read a Kaldi option file into ``(name, value, "file:line")`` triples.

    ``--name=value`` per line; ``--name`` alone means ``true``; ``#`` starts a comment.
    """
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as err:
        raise ConfigError(f"cannot read option file {path}: {err.strerror}") from None
    out = []
    for lineno, line in enumerate(lines, start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{path}:{lineno}"
        if not line.startswith("--") or len(line) == 2:
            raise ConfigError(f"{where}: expected a line of the form --name=value, got {line!r}")
        name, sep, value = line[2:].partition("=")
        out.append((name.strip().replace("_", "-"), value.strip() if sep else "true", where))
    return out


def build_options(cls: type[T], settings: list[tuple[str, str, str]]) -> T:
    """Build ``cls`` from its defaults and ``(name, value, where)`` settings applied in order."""
    fields = option_fields(cls)
    values: dict[tuple[str, ...], Any] = {}
    for name, text, where in settings:
        if name not in fields:
            raise ConfigError(
                f"{where}: unknown option --{name} (valid: {', '.join('--' + n for n in sorted(fields))})"
            )
        path, kind = fields[name]
        values[path] = parse_value(text, kind, name, where)
    return _construct(cls, values, ())


def _construct(cls: type[T], values: dict[tuple[str, ...], Any], prefix: tuple[str, ...]) -> T:
    kwargs: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            kwargs[f.name] = _construct(hints[f.name], values, (*prefix, f.name))
        elif (*prefix, f.name) in values:
            kwargs[f.name] = values[(*prefix, f.name)]
    return cls(**kwargs)


def add_option_arguments(parser: argparse.ArgumentParser, *classes: type) -> None:
    """Add every Kaldi option of ``classes`` to ``parser`` (``--name=value``, default unset)."""
    for cls in classes:
        for name, (_path, kind) in option_fields(cls).items():
            extra: dict[str, Any] = {"nargs": "?", "const": "true"} if kind is bool else {}
            parser.add_argument(
                f"--{name}", dest="kaldi_" + name, default=None, metavar=kind.__name__, **extra
            )


def options_from_args(cls: type[T], args: argparse.Namespace, config: str | None = None) -> T:
    """Options for ``cls``: defaults, then the ``--config`` file, then command-line flags."""
    settings = read_option_file(config) if config else []
    for name in option_fields(cls):
        value = getattr(args, "kaldi_" + name, None)
        if value is not None:
            settings.append((name, value, "command line"))
    return build_options(cls, settings)


def load_options(cls: type[T], config: str | os.PathLike | None = None, flags: list[str] = ()) -> T:
    """Options for ``cls`` from an option file and ``--name=value`` strings (for library callers)."""
    settings = read_option_file(config) if config else []
    for flag in flags:
        name, sep, value = flag.removeprefix("--").partition("=")
        settings.append((name.replace("_", "-"), value if sep else "true", "argument " + flag))
    return build_options(cls, settings)
