"""Which augmentation a training example gets: clean, reverb, noise, music or babble.

With probability ``prob`` an example is augmented by one kind drawn by the ``kinds``
weights (Kaldi's VoxCeleb v2 recipe makes one copy of each kind; WeSpeaker draws per
example, as here): ``reverb`` convolves with an impulse response of a RIR set drawn
uniformly (Kaldi: small and medium rooms, 0.5 each), ``noise`` / ``music`` add one MUSAN file
at an SNR drawn uniformly from ``noise_snr`` / ``music_snr``, ``babble`` sums 3-7 MUSAN speech
files (each at unit power) and adds the sum at ``babble_snr``. Every draw comes from the
generator passed in, in a fixed order, so the output is a function of (input, generator state).

Example::

    augmenter = Augmenter.from_config(cfg.data.augment, rate=16000)
    y, kind = augmenter(x, np.random.default_rng([seed, epoch, index, 1]))
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from kaldinn.augment.bank import AudioCache, SoundBank
from kaldinn.augment.config import MUSAN_KINDS, AugmentConfig
from kaldinn.augment.corpora import index_musan, index_rirs
from kaldinn.augment.ops import add_at_snr, reverberate, unit_power

CLEAN = "clean"


class Augmenter:
    """Draws and applies one augmentation per call (see the module docstring)."""

    def __init__(
        self,
        config: AugmentConfig,
        musan: dict[str, SoundBank] | None = None,
        rirs: dict[str, SoundBank] | None = None,
    ) -> None:
        self.config, self.musan, self.rirs = config, musan or {}, rirs or {}
        weights = config.kind_weights() if config.prob > 0 else {}
        self.kinds, self.weights = list(weights), np.array(list(weights.values()))
        for kind in self.kinds:
            needed = self.rirs if kind == "reverb" else self.musan.get(MUSAN_KINDS[kind])
            if not needed:
                raise ValueError(f"augmentation kind {kind} has no audio source")

    @classmethod
    def from_config(
        cls, config: AugmentConfig, rate: int = 16000, base_dir: str | os.PathLike = "."
    ) -> Augmenter:
        """Index the corpora the used kinds need (paths relative to ``base_dir``), lazily loaded."""
        config.validate()
        cache = AudioCache(config.cache_mb << 20)
        used = config.used_kinds()
        musan, rirs = {}, {}
        folders = tuple(sorted({MUSAN_KINDS[kind] for kind in used if kind in MUSAN_KINDS}))
        if folders:
            root = Path(base_dir) / config.musan
            for folder, files in index_musan(root, folders).items():
                musan[folder] = SoundBank(f"MUSAN {folder}", files, rate, cache)
        if "reverb" in used:
            root = Path(base_dir) / config.rirs
            for name, files in index_rirs(root, config.rir_sets).items():
                rirs[name] = SoundBank(f"RIRs {name}", files, rate, cache)
        return cls(config, musan, rirs)

    @property
    def active(self) -> bool:
        return bool(self.kinds)

    def describe(self) -> str:
        """One line for the training log: shares of the kinds and the files behind them."""
        if not self.kinds:
            return "no augmentation (data.augment.prob=0)"
        shares = ", ".join(
            f"{k} {w * self.config.prob:.0%}" for k, w in zip(self.kinds, self.weights, strict=True)
        )
        sources = [f"{bank.name} {len(bank)}" for bank in (*self.musan.values(), *self.rirs.values())]
        return f"augmented: {shares}, clean {1 - self.config.prob:.0%}; files: {', '.join(sources)}"

    def choose(self, rng: np.random.Generator) -> str:
        """``clean`` or the kind of augmentation (two draws, whatever the outcome)."""
        augmented = rng.random() < self.config.prob
        pick = rng.random()
        if not augmented or not self.kinds:
            return CLEAN
        index = int(np.searchsorted(np.cumsum(self.weights), pick * self.weights.sum(), side="right"))
        return self.kinds[min(index, len(self.kinds) - 1)]

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """``(augmented x, kind)``: float32 of ``x``'s length."""
        kind = self.choose(rng)
        if kind == CLEAN or len(x) == 0:
            return np.asarray(x, dtype=np.float32), kind
        if kind == "reverb":
            return reverberate(x, self._rir(rng)), kind
        cfg = self.config
        if kind == "babble":
            noise = self._babble(len(x), rng)
            snr = cfg.babble_snr
        else:
            bank = self.musan[MUSAN_KINDS[kind]]
            noise = bank.excerpt(int(rng.integers(len(bank))), len(x), rng)
            snr = cfg.noise_snr if kind == "noise" else cfg.music_snr
        return add_at_snr(x, noise, float(rng.uniform(*snr))), kind

    def _rir(self, rng: np.random.Generator) -> np.ndarray:
        sets = list(self.rirs.values())
        bank = sets[int(rng.integers(len(sets)))]
        return bank.load(int(rng.integers(len(bank))))

    def _babble(self, length: int, rng: np.random.Generator) -> np.ndarray:
        """The sum of 3-7 (``babble_speakers``) different speech files, each at unit power."""
        bank = self.musan["speech"]
        low, high = self.config.babble_speakers
        count = min(int(rng.integers(low, high + 1)), len(bank))
        out = np.zeros(length, dtype=np.float64)
        for index in rng.choice(len(bank), size=count, replace=False):
            out += unit_power(bank.excerpt(int(index), length, rng))
        return out.astype(np.float32)
