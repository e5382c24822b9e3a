"""Kaldi-exact MFCCs (compute-mfcc-feats), vectorised in numpy.

Log mel energies (power spectrum, floored at FLT_EPSILON) times Kaldi's orthonormal DCT-II,
cepstral liftering ``1 + Q/2 sin(pi i / Q)``, and C0 replaced by the log energy unless
``--use-energy=false``; ``--htk-compat`` moves C0/energy to the end as HTK does.

Example::

    feats = compute_mfcc(samples, MfccOptions())   # (T, 13)
"""

from __future__ import annotations

import functools

import numpy as np

from kaldinn.errors import ConfigError
from kaldinn.feats.fbank import log_energy, power_spectrum
from kaldinn.feats.frames import FLT_EPSILON, process_frames
from kaldinn.feats.mel import mel_matrix
from kaldinn.feats.options import MfccOptions


@functools.lru_cache(maxsize=8)
def dct_matrix(num_ceps: int, num_bins: int) -> np.ndarray:
    """Kaldi's ComputeDctMatrix rows 0..num_ceps-1, transposed: ``(num_bins, num_ceps)`` float32."""
    n = np.arange(num_bins, dtype=np.float64)[:, None]
    k = np.arange(num_ceps, dtype=np.float64)[None, :]
    dct = np.sqrt(2.0 / num_bins) * np.cos(np.pi / num_bins * (n + 0.5) * k)
    dct[:, 0] = np.sqrt(1.0 / num_bins)
    return dct.astype(np.float32)


@functools.lru_cache(maxsize=8)
def lifter_coefficients(num_ceps: int, lifter: float) -> np.ndarray:
    """Kaldi's cepstral lifter weights ``1 + 0.5 Q sin(pi i / Q)`` (float32)."""
    i = np.arange(num_ceps, dtype=np.float64)
    return (1.0 + 0.5 * lifter * np.sin(np.pi * i / lifter)).astype(np.float32)


def compute_mfcc(
    samples: np.ndarray,
    opts: MfccOptions,
    vtln_warp: float = 1.0,
    rng: np.random.Generator | None = None,
    dither_noise: np.ndarray | None = None,
) -> np.ndarray:
    """MFCC features ``(T, num_ceps)`` float32 for one utterance (samples in int16 scale).

    ``dither_noise`` (standard normal, ``(T, window_size)``) replaces the noise drawn from ``rng``.
    """
    if not 0 < opts.num_ceps <= opts.mel.num_mel_bins:
        raise ConfigError(f"--num-ceps={opts.num_ceps} must be in 1..--num-mel-bins={opts.mel.num_mel_bins}")
    frames, raw_log_energy = process_frames(samples, opts.frame, rng, dither_noise)
    mel = power_spectrum(frames, opts.frame) @ mel_matrix(opts.mel, opts.frame, vtln_warp)
    np.log(np.maximum(mel, np.float32(FLT_EPSILON), out=mel), out=mel)
    ceps = mel @ dct_matrix(opts.num_ceps, opts.mel.num_mel_bins)
    if opts.cepstral_lifter != 0.0:
        ceps *= lifter_coefficients(opts.num_ceps, opts.cepstral_lifter)
    if opts.use_energy:
        ceps[:, 0] = log_energy(frames, raw_log_energy, opts.raw_energy, opts.energy_floor)
    if opts.htk_compat:
        c0 = ceps[:, 0] if opts.use_energy else ceps[:, 0] * np.float32(np.sqrt(2.0))
        ceps = np.concatenate([ceps[:, 1:], c0[:, None]], axis=1)
    return ceps
