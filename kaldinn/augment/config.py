"""The ``data.augment`` section of a training config: features from audio, augmented on the fly.

With ``data.augment`` set, training examples are computed from the data dir's audio
(wav.scp, segments) with the Kaldi feature config ``feat_conf`` (the one feats.scp was made
with), after augmentation; validation data stay on feats.scp. Defaults follow Kaldi's
VoxCeleb v2 recipe: simulated small and medium rooms, noise at 0-15 dB, music at 5-15 dB,
babble of 3-7 MUSAN speech files at 13-20 dB; WeSpeaker's share of augmented examples (0.6).
Paths are relative to the recipe directory (the working directory of steps/train.py).

Example (YAML)::

    data:
      augment:
        feat_conf: conf/fbank.conf
        musan: corpus/musan
        rirs: corpus/RIRS_NOISES
        prob: 0.6
        kinds: {reverb: 1, noise: 1, music: 1, babble: 1}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kaldinn.errors import ConfigError

KINDS = ("reverb", "noise", "music", "babble")
RIR_SETS = ("smallroom", "mediumroom", "largeroom", "real")
MUSAN_KINDS = {"noise": "noise", "music": "music", "babble": "speech"}  # augmentation -> MUSAN folder


def _equal_kinds() -> dict[str, float]:
    return {kind: 1.0 for kind in KINDS}


@dataclass
class AugmentConfig:
    """How training examples are made from audio and augmented (``data.augment``)."""

    feat_conf: str = ""  # Kaldi option file feats.scp was made with, e.g. conf/fbank.conf
    feat_type: Literal["fbank", "mfcc"] = "fbank"
    musan: str = ""  # MUSAN root (noise/, music/, speech/): needed by noise, music, babble
    rirs: str = ""  # RIRS_NOISES root (simulated_rirs/, real_rirs_isotropic_noises/): reverb
    prob: float = 0.6  # share of training examples augmented; the others stay clean
    kinds: dict[str, float] = field(default_factory=_equal_kinds)  # relative weights of KINDS
    rir_sets: list[str] = field(default_factory=lambda: ["smallroom", "mediumroom"])  # drawn equally
    noise_snr: tuple[float, float] = (0.0, 15.0)  # dB, uniform
    music_snr: tuple[float, float] = (5.0, 15.0)
    babble_snr: tuple[float, float] = (13.0, 20.0)
    babble_speakers: tuple[int, int] = (3, 7)  # MUSAN speech files summed, inclusive range
    cache_mb: int = 512  # decoded noise / RIR audio kept in memory per loader process

    def kind_weights(self) -> dict[str, float]:
        """The kinds with a positive weight, weights summing to 1 (empty when none is used)."""
        used = {kind: float(w) for kind, w in self.kinds.items() if float(w) > 0}
        total = sum(used.values())
        return {kind: w / total for kind, w in used.items()}

    def used_kinds(self) -> list[str]:
        """The kinds some example may get (none when ``prob`` is 0)."""
        return list(self.kind_weights()) if self.prob > 0 else []

    def validate(self) -> None:
        """ConfigError naming the ``data.augment.*`` key at fault."""
        where = "data.augment"
        if not self.feat_conf:
            raise ConfigError(
                f"{where}.feat_conf is required: the Kaldi option file feats.scp was made with "
                "(e.g. conf/fbank.conf), so features made from audio match the validation features"
            )
        if not 0.0 <= self.prob <= 1.0:
            raise ConfigError(f"{where}.prob must be in [0, 1], got {self.prob}")
        for kind, weight in self.kinds.items():
            if kind not in KINDS:
                raise ConfigError(f"{where}.kinds: unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                raise ConfigError(f"{where}.kinds.{kind} must be a number >= 0, got {weight!r}")
        if self.prob > 0 and not self.kind_weights():
            raise ConfigError(
                f"{where}.kinds: every weight is 0 but prob={self.prob}; give one kind a weight"
            )
        for name in ("noise_snr", "music_snr", "babble_snr", "babble_speakers"):
            low, high = getattr(self, name)
            if low > high:
                raise ConfigError(f"{where}.{name}: [{low}, {high}] is not a range (low > high)")
        if self.babble_speakers[0] < 1:
            raise ConfigError(f"{where}.babble_speakers must start at >= 1, got {list(self.babble_speakers)}")
        if self.cache_mb < 0:
            raise ConfigError(f"{where}.cache_mb must be >= 0, got {self.cache_mb}")
        self._check_corpora(where)

    def _check_corpora(self, where: str) -> None:
        kinds = self.used_kinds()
        if "reverb" in kinds:
            if not self.rirs:
                raise ConfigError(f"{where}.rirs (the RIRS_NOISES root) is required with kinds.reverb > 0")
            unknown = [name for name in self.rir_sets if name not in RIR_SETS]
            if unknown or not self.rir_sets:
                raise ConfigError(
                    f"{where}.rir_sets={self.rir_sets}: choose one or more of {', '.join(RIR_SETS)}"
                )
        needs_musan = [kind for kind in kinds if kind in MUSAN_KINDS]
        if needs_musan and not self.musan:
            raise ConfigError(
                f"{where}.musan (the MUSAN root) is required with kinds {', '.join(needs_musan)} > 0"
            )
