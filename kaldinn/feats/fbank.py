"""Kaldi-exact log mel filterbank features (compute-fbank-feats), vectorised in numpy.

One batched real FFT over all frames of an utterance, a precomputed mel matrix and float32
arithmetic; values agree with Kaldi / kaldi-native-fbank to ~1e-4. VTLN-warped banks come
from kaldi_native_fbank (see kaldinn.feats.mel).

Example::

    feats = compute_fbank(samples, FbankOptions(mel=MelOptions(num_mel_bins=80)))  # (T, 80)
"""

from __future__ import annotations

import numpy as np

from kaldinn.feats.frames import FLT_EPSILON, process_frames
from kaldinn.feats.mel import mel_matrix
from kaldinn.feats.options import FbankOptions, FrameOptions


def power_spectrum(frames: np.ndarray, opts: FrameOptions) -> np.ndarray:
    """``|FFT|^2`` of windowed frames zero-padded to the FFT size: ``(T, padded // 2 + 1)``."""
    spec = np.fft.rfft(frames, n=opts.padded_window_size, axis=1)
    power = np.square(spec.real)
    power += np.square(spec.imag)
    return power.astype(np.float32, copy=False)


def log_energy(frames: np.ndarray, raw_log_energy: np.ndarray, raw: bool, floor: float) -> np.ndarray:
    """Kaldi's energy feature: raw (pre-window) or windowed log energy, floored at log(floor)."""
    if raw:
        energy = raw_log_energy
    else:
        sums = np.einsum("ij,ij->i", frames, frames, dtype=np.float64)
        energy = np.log(np.maximum(sums, FLT_EPSILON)).astype(np.float32)
    if floor > 0.0:
        energy = np.maximum(energy, np.float32(np.log(floor)))
    return energy


def compute_fbank(
    samples: np.ndarray,
    opts: FbankOptions,
    vtln_warp: float = 1.0,
    rng: np.random.Generator | None = None,
    dither_noise: np.ndarray | None = None,
) -> np.ndarray:
    """Filterbank features ``(T, num_mel_bins [+1 with --use-energy])`` float32 for one utterance.

    ``samples`` are in int16 scale (Kaldi's convention). With ``use_energy`` the log energy is
    column 0, or the last column with ``htk_compat``. ``dither_noise`` (standard normal,
    ``(T, window_size)``) replaces the dither noise drawn from ``rng``.
    """
    frames, raw_log_energy = process_frames(samples, opts.frame, rng, dither_noise)
    spectrum = power_spectrum(frames, opts.frame)
    if not opts.use_power:
        np.sqrt(spectrum, out=spectrum)
    mel = spectrum @ mel_matrix(opts.mel, opts.frame, vtln_warp)
    if opts.use_log_fbank:
        np.log(np.maximum(mel, np.float32(FLT_EPSILON), out=mel), out=mel)
    if not opts.use_energy:
        return mel
    energy = log_energy(frames, raw_log_energy, opts.raw_energy, opts.energy_floor)[:, None]
    parts = (mel, energy) if opts.htk_compat else (energy, mel)
    return np.concatenate(parts, axis=1)


def fbank_dim(opts: FbankOptions) -> int:
    """Feature dimension produced by :func:`compute_fbank`."""
    return opts.mel.num_mel_bins + int(opts.use_energy)
