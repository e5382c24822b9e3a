"""Kaldi's triangular mel filterbank as a dense ``(num_fft_bins, num_mel_bins)`` matrix.

Bins are spaced evenly on Kaldi's mel scale ``1127 ln(1 + f/700)`` between ``--low-freq``
and ``--high-freq`` (a value <= 0 is an offset from Nyquist). The Nyquist FFT bin gets no
weight, as in Kaldi. VTLN-warped banks (``--vtln-warp`` other than 1) are taken from
kaldi_native_fbank's MelBanks, which implements Kaldi's piecewise-linear warping.

Example::

    weights = mel_matrix(MelOptions(num_mel_bins=80), FrameOptions())   # (257, 80)
    mel_energies = power_spectrum @ weights
"""

from __future__ import annotations

import functools

import numpy as np

from kaldinn.errors import ConfigError
from kaldinn.feats.options import FrameOptions, MelOptions


def mel_scale(freq: np.ndarray | float) -> np.ndarray | float:
    """Kaldi's mel scale."""
    return 1127.0 * np.log(1.0 + np.asarray(freq) / 700.0)


def mel_band_edges(mel: MelOptions, sample_frequency: float) -> tuple[float, float]:
    """Return ``(low_freq, high_freq)`` in Hz after Kaldi's checks."""
    nyquist = 0.5 * sample_frequency
    high = mel.high_freq if mel.high_freq > 0.0 else nyquist + mel.high_freq
    if mel.low_freq < 0.0 or mel.low_freq >= nyquist or high <= 0.0 or high > nyquist or high <= mel.low_freq:
        raise ConfigError(
            f"bad mel band: --low-freq={mel.low_freq} --high-freq={mel.high_freq} with Nyquist "
            f"{nyquist} Hz (need 0 <= low < high <= Nyquist; a negative high-freq is an offset from Nyquist)"
        )
    return mel.low_freq, high


@functools.lru_cache(maxsize=16)
def mel_matrix(mel: MelOptions, frame: FrameOptions, vtln_warp: float = 1.0) -> np.ndarray:
    """Float32 ``(padded_window_size // 2 + 1, num_mel_bins)`` weights (Nyquist row zero)."""
    if mel.num_mel_bins < 3:
        raise ConfigError(f"--num-mel-bins={mel.num_mel_bins} is too small (need at least 3)")
    if vtln_warp != 1.0:
        weights = _knf_mel_matrix(mel, frame, vtln_warp)
    else:
        weights = _plain_mel_matrix(mel, frame)
    weights.flags.writeable = False
    return weights


def _plain_mel_matrix(mel: MelOptions, frame: FrameOptions) -> np.ndarray:
    padded = frame.padded_window_size
    num_fft_bins = padded // 2
    low, high = mel_band_edges(mel, frame.sample_frequency)
    mel_low, mel_high = mel_scale(low), mel_scale(high)
    delta = (mel_high - mel_low) / (mel.num_mel_bins + 1)
    bins = np.arange(mel.num_mel_bins)[None, :]
    left = mel_low + bins * delta
    center = left + delta
    right = center + delta
    fft_mel = mel_scale(np.arange(num_fft_bins) * (frame.sample_frequency / padded))[:, None]
    up = (fft_mel - left) / (center - left)
    down = (right - fft_mel) / (right - center)
    weights = np.where(fft_mel <= center, up, down)
    weights = np.where((fft_mel > left) & (fft_mel < right), weights, 0.0)
    out = np.zeros((num_fft_bins + 1, mel.num_mel_bins), dtype=np.float32)
    out[:num_fft_bins] = weights
    return out


def _knf_mel_matrix(mel: MelOptions, frame: FrameOptions, vtln_warp: float) -> np.ndarray:
    import kaldi_native_fbank as knf

    mel_band_edges(mel, frame.sample_frequency)
    mel_opts = knf.MelBanksOptions()
    mel_opts.num_bins = mel.num_mel_bins
    mel_opts.low_freq = mel.low_freq
    mel_opts.high_freq = mel.high_freq
    mel_opts.vtln_low = mel.vtln_low
    mel_opts.vtln_high = mel.vtln_high
    frame_opts = knf.FrameExtractionOptions()
    frame_opts.samp_freq = frame.sample_frequency
    frame_opts.frame_length_ms = frame.frame_length
    frame_opts.frame_shift_ms = frame.frame_shift
    frame_opts.round_to_power_of_two = frame.round_to_power_of_two
    banks = np.array(knf.MelBanks(mel_opts, frame_opts, vtln_warp).get_matrix(), dtype=np.float32)
    return np.ascontiguousarray(banks.T)
