"""Waveform augmentation operations: reverberation by an impulse response, noise at an SNR.

Signals are 1-D float arrays of any scale; outputs are float32 of the input's length.
Reverberation keeps the time alignment of the input (the impulse response is read from its
direct-path peak, so frame labels and VAD decisions still apply) and its power (Kaldi's
wav-reverberate --normalize-output). SNRs are ratios of mean powers over the whole signal.

Example::

    y = reverberate(x, rir)                   # same length, same power, aligned with x
    y = add_at_snr(x, noise, snr_db=5.0)      # 10 log10(P(x) / P(y - x)) == 5
"""

from __future__ import annotations

import numpy as np

POWER_FLOOR = 1e-20


def fast_fft_size(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n (sizes numpy's FFT handles fastest)."""
    best = 1 << max(n - 1, 0).bit_length()
    five = 1
    while five < best:
        three = five
        while three < best:
            size = three
            while size < n:
                size *= 2
            best = min(best, size)
            three *= 3
        five *= 5
    return best


def fft_convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The full linear convolution of ``x`` and ``h`` (length ``len(x) + len(h) - 1``), float64."""
    n = len(x) + len(h) - 1
    size = fast_fft_size(n)
    spectrum = np.fft.rfft(x, size) * np.fft.rfft(h, size)
    return np.fft.irfft(spectrum, size)[:n]


def power(x: np.ndarray) -> float:
    """Mean power (mean square) of ``x``."""
    return float(np.mean(np.square(x, dtype=np.float64))) if len(x) else 0.0


def reverberate(x: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``x`` convolved with ``rir``, shifted back by the direct-path delay, at ``x``'s power.

    The delay is the position of the largest ``|rir|`` sample: a sound at sample t of ``x``
    has its direct path at sample t of the output. The tail past the end is dropped.
    """
    if len(x) == 0 or len(rir) == 0 or not np.any(rir):
        return np.asarray(x, dtype=np.float32).copy()
    delay = int(np.argmax(np.abs(rir)))
    wet = fft_convolve(np.asarray(x, np.float64), np.asarray(rir, np.float64))[delay : delay + len(x)]
    wet_power = power(wet)
    if wet_power > POWER_FLOOR:
        wet *= np.sqrt(power(x) / wet_power)
    return wet.astype(np.float32)


def scale_to_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``noise`` scaled so that ``10 log10(P(signal) / P(scaled noise)) == snr_db`` (zeros if silent)."""
    noise_power = power(noise)
    if noise_power <= POWER_FLOOR:
        return np.zeros(len(noise), dtype=np.float32)
    gain = np.sqrt(power(signal) / (noise_power * 10.0 ** (snr_db / 10.0)))
    return (np.asarray(noise, np.float64) * gain).astype(np.float32)


def add_at_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``signal + noise`` with the noise at ``snr_db`` below the signal (same lengths)."""
    if len(noise) != len(signal):
        raise ValueError(f"noise has {len(noise)} samples, the signal {len(signal)}")
    return (np.asarray(signal, np.float32) + scale_to_snr(signal, noise, snr_db)).astype(np.float32)


def unit_power(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to mean power 1 (unchanged if silent)."""
    p = power(x)
    return (np.asarray(x, np.float64) / np.sqrt(p)).astype(np.float32) if p > POWER_FLOOR else x
