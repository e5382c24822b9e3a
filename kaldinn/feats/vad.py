"""Kaldi's energy-based voice activity detection (compute-vad).

Column 0 of the features must be log energy (MFCC with ``--use-energy=true``, Kaldi's
default). A frame is voiced when at least ``--vad-proportion-threshold`` of the frames in a
``+-vad-frames-context`` window have log energy above
``vad_energy_threshold + vad_energy_mean_scale * mean(log energy)``.

Example::

    voiced = compute_vad(mfcc, VadOptions())   # float32 vector of 0/1 per frame
"""

from __future__ import annotations

import numpy as np

from kaldinn.errors import ConfigError
from kaldinn.feats.options import VadOptions


def check_vad_options(opts: VadOptions) -> None:
    """Raise ConfigError for option values Kaldi's compute-vad rejects."""
    if opts.vad_energy_mean_scale < 0.0:
        raise ConfigError(f"--vad-energy-mean-scale={opts.vad_energy_mean_scale} must be >= 0")
    if opts.vad_frames_context < 0:
        raise ConfigError(f"--vad-frames-context={opts.vad_frames_context} must be >= 0")
    if not 0.0 < opts.vad_proportion_threshold < 1.0:
        raise ConfigError(f"--vad-proportion-threshold={opts.vad_proportion_threshold} must be in (0, 1)")


def compute_vad(feats: np.ndarray, opts: VadOptions) -> np.ndarray:
    """Voiced (1.0) / unvoiced (0.0) decision per frame, float32 of length ``T``."""
    check_vad_options(opts)
    num_frames = feats.shape[0]
    if num_frames == 0:
        return np.zeros(0, dtype=np.float32)
    log_energy = feats[:, 0].astype(np.float32)
    threshold = np.float32(opts.vad_energy_threshold)
    if opts.vad_energy_mean_scale != 0.0:
        threshold += np.float32(opts.vad_energy_mean_scale) * log_energy.sum(dtype=np.float32) / num_frames
    above = np.concatenate([[0], np.cumsum(log_energy > threshold)])
    context = opts.vad_frames_context
    t = np.arange(num_frames)
    lo, hi = np.maximum(t - context, 0), np.minimum(t + context + 1, num_frames)
    num_count = above[hi] - above[lo]
    den_count = hi - lo
    return (num_count >= den_count * opts.vad_proportion_threshold).astype(np.float32)
