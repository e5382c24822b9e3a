"""Signal processing for the synthetic corpus (numpy only): resampling, channel, noise, reverb.

Example::

    x16 = resample(x22, 22050, 16000)                  # windowed-sinc polyphase filter
    y = apply_channel(x16, taps=(1.0, 0.3, -0.1), gain_db=-3.0)
    y = add_noise(y, pink_noise(len(y), rng), snr_db=15.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_HALF_TAPS = 24  # zero crossings of the sinc on each side of the centre
_KAISER_BETA = 8.0  # ~80 dB stop-band attenuation


def polyphase_bank(up: int, down: int, half_taps: int = _HALF_TAPS) -> np.ndarray:
    """Kaiser-windowed sinc low-pass filter split into ``up`` phases: shape (up, 2 * half_taps).

    The cut-off is 0.95 of the lower Nyquist frequency; each phase sums to ~1 (unit DC gain).
    """
    cutoff = 0.95 * min(1.0, up / down)  # relative to the input Nyquist frequency
    offsets = np.arange(-half_taps + 1, half_taps + 1)  # input taps around floor(t)
    frac = np.arange(up) / up  # fractional position of each phase
    t = offsets[None, :] - frac[:, None]  # distance from output instant, in input samples
    window = np.kaiser(2 * half_taps + 1, _KAISER_BETA)
    win = np.interp(t, np.arange(-half_taps, half_taps + 1), window)
    bank = cutoff * np.sinc(cutoff * t) * win
    return bank / bank.sum(axis=1, keepdims=True)


def resample(x: np.ndarray, rate_in: int, rate_out: int, half_taps: int = _HALF_TAPS) -> np.ndarray:
    """Resample a 1-D signal by the rational factor ``rate_out / rate_in`` (zero-phase).

    Output sample ``n`` sits at input time ``n * rate_in / rate_out``; there are
    ``ceil(len(x) * rate_out / rate_in)`` of them.
    """
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    if up == down:
        return np.asarray(x, dtype=np.float64).copy()
    bank = polyphase_bank(up, down, half_taps)
    count = -(-len(x) * up // down)
    positions = np.arange(count, dtype=np.int64) * down
    base, phase = positions // up, positions % up
    padded = np.concatenate([np.zeros(half_taps), np.asarray(x, np.float64), np.zeros(half_taps + 1)])
    out = np.empty(count)
    step = 8192  # bound the (step, 2 * half_taps) gather
    taps = np.arange(-half_taps + 1, half_taps + 1) + half_taps
    for start in range(0, count, step):
        idx = base[start : start + step, None] + taps[None, :]
        out[start : start + step] = np.einsum("ij,ij->i", padded[idx], bank[phase[start : start + step]])
    return out


def apply_channel(x: np.ndarray, taps: Sequence[float], gain_db: float) -> np.ndarray:
    """A fixed microphone: causal FIR ``taps`` then a gain; same length as ``x``."""
    y = np.convolve(x, np.asarray(taps, dtype=np.float64))[: len(x)]
    return y * 10.0 ** (gain_db / 20.0)


def reverb_ir(rt60: float, rng: np.random.Generator, rate: int = 16000) -> np.ndarray:
    """Room impulse response: direct path then exponentially decaying noise (-60 dB at rt60)."""
    length = max(2, int(rt60 * rate))
    t = np.arange(length) / rate
    ir = rng.standard_normal(length) * np.exp(-6.9078 * t / rt60)  # ln(1000) = 6.9078
    ir[: int(0.002 * rate)] = 0.0  # first reflection arrives a few ms after the direct sound
    ir *= 0.5 / max(np.sqrt(np.sum(ir**2)), 1e-12)  # reverberant energy below the direct path
    ir[0] = 1.0
    return ir


def convolve_same(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """FFT convolution truncated to ``len(x)`` (the reverberant tail past the end is dropped)."""
    n = len(x) + len(ir) - 1
    size = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(ir, size), size)
    return y[: len(x)]


def white_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(n)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise by shaping white noise's spectrum by 1/sqrt(f)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(freqs), n)


def babble_noise(
    n: int, clips: Sequence[np.ndarray], rng: np.random.Generator, talkers: int = 4
) -> np.ndarray:
    """Sum of ``talkers`` speech clips at random offsets, each looped to ``n`` samples."""
    out = np.zeros(n)
    for k in rng.choice(len(clips), size=min(talkers, len(clips)), replace=False):
        clip = clips[int(k)]
        looped = np.resize(clip, n + len(clip))
        offset = int(rng.integers(0, len(clip)))
        out += looped[offset : offset + n] / max(np.sqrt(np.mean(clip**2)), 1e-12)
    return out


def add_noise(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Mix ``noise`` into ``speech`` at ``snr_db`` (powers over the whole signal)."""
    p_speech = np.mean(speech**2)
    p_noise = max(np.mean(noise**2), 1e-20)
    return speech + noise * np.sqrt(p_speech / (p_noise * 10.0 ** (snr_db / 10.0)))


def to_int16(x: np.ndarray, level_db: float) -> np.ndarray:
    """Scale to an RMS of ``level_db`` dBFS (peaks limited to -1 dBFS) and quantise to int16."""
    rms = max(np.sqrt(np.mean(x**2)), 1e-12)
    scale = 32768.0 * 10.0 ** (level_db / 20.0) / rms
    peak = np.max(np.abs(x)) * scale
    if peak > 29204.0:  # -1 dBFS
        scale *= 29204.0 / peak
    return np.clip(np.round(x * scale), -32768, 32767).astype(np.int16)
