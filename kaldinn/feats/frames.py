"""Kaldi's frame extraction, vectorised over a whole utterance.

Frames are cut as Kaldi's ``ExtractWindow`` does (``--snip-edges`` both ways, reflection at
the edges), then dithered, DC-removed, pre-emphasised and windowed, all frames at once in
float32. Returns the windowed frames and Kaldi's raw (pre-window) log energy per frame.

Example::

    frames, raw_log_energy = process_frames(samples, FrameOptions(dither=0.0))
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kaldinn.errors import ConfigError
from kaldinn.feats.options import WINDOW_TYPES, FrameOptions

FLT_EPSILON = float(np.finfo(np.float32).eps)


def num_frames(num_samples: int, opts: FrameOptions) -> int:
    """Number of frames Kaldi produces for ``num_samples`` samples (flush=true)."""
    shift, length = opts.window_shift, opts.window_size
    if opts.snip_edges:
        return 0 if num_samples < length else 1 + (num_samples - length) // shift
    return (num_samples + shift // 2) // shift


def first_sample_of_frame(frame: int, opts: FrameOptions) -> int:
    """Index of the first sample of ``frame`` (negative before the start without snip-edges)."""
    shift = opts.window_shift
    if opts.snip_edges:
        return frame * shift
    return frame * shift + shift // 2 - opts.window_size // 2


@functools.lru_cache(maxsize=32)
def window_function(window_type: str, length: int, blackman_coeff: float = 0.42) -> np.ndarray:
    """Kaldi's FeatureWindowFunction (float32), computed in double precision like Kaldi."""
    if window_type not in WINDOW_TYPES:
        raise ConfigError(f"unknown --window-type={window_type} (valid: {', '.join(WINDOW_TYPES)})")
    i = np.arange(length, dtype=np.float64)
    a = 2.0 * np.pi / (length - 1) if length > 1 else 0.0
    if window_type == "hanning":
        w = 0.5 - 0.5 * np.cos(a * i)
    elif window_type == "sine":
        w = np.sin(0.5 * a * i)
    elif window_type == "hamming":
        w = 0.54 - 0.46 * np.cos(a * i)
    elif window_type == "povey":
        w = (0.5 - 0.5 * np.cos(a * i)) ** 0.85
    elif window_type == "rectangular":
        w = np.ones(length)
    else:
        w = blackman_coeff - 0.5 * np.cos(a * i) + (0.5 - blackman_coeff) * np.cos(2 * a * i)
    w = w.astype(np.float32)
    w.flags.writeable = False
    return w


def extract_frames(samples: np.ndarray, opts: FrameOptions) -> np.ndarray:
    """Raw frames ``(num_frames, window_size)`` float32, reflecting past the edges like Kaldi."""
    shift, length = opts.window_shift, opts.window_size
    if shift <= 0 or length <= 0:
        raise ConfigError(
            f"--frame-shift={opts.frame_shift} / --frame-length={opts.frame_length} ms give "
            f"an empty frame at --sample-frequency={opts.sample_frequency}"
        )
    count = num_frames(len(samples), opts)
    wave = np.asarray(samples, dtype=np.float32)
    if count == 0:
        return np.zeros((0, length), dtype=np.float32)
    start = first_sample_of_frame(0, opts)
    end = first_sample_of_frame(count - 1, opts) + length
    if start < 0 or end > len(wave):
        # Kaldi reflects: -1 -> 0, -2 -> 1, N -> N-1 (numpy's "symmetric" extension).
        left, right = max(0, -start), max(0, end - len(wave))
        wave = np.pad(wave, (left, right), mode="symmetric")
        start += left
    windows = sliding_window_view(wave[start:], length)[::shift][:count]
    return np.array(windows, dtype=np.float32)


def gaussian_noise(size: int, rng: np.random.Generator) -> np.ndarray:
    """Standard normal float32 noise by Box-Muller, as Kaldi's RandGauss (3x numpy's ziggurat)."""
    half = (size + 1) // 2
    uniform = rng.random(2 * half, dtype=np.float32)
    return _box_muller(lambda a, b: uniform[a:b], half, 0, size)


def gaussian_noise_range(size: int, rng: np.random.Generator, start: int, stop: int) -> np.ndarray:
    """Elements ``[start, stop)`` of ``gaussian_noise(size, rng)``, computing only those.

    The dither of a few frames of a long utterance (the features of a training chunk) costs
    what theirs costs: a PCG64 generator (``default_rng``) jumps to the uniform draws it needs
    (numpy makes each float32 from one half of a 64-bit output). Another generator draws all.
    """
    half = (size + 1) // 2
    state = rng.bit_generator.state
    if state["bit_generator"] != "PCG64" or state["has_uint32"]:
        uniform = rng.random(2 * half, dtype=np.float32)
        return _box_muller(lambda a, b: uniform[a:b], half, start, stop)
    return _box_muller(lambda a, b: _pcg64_uniform(state, a, b), half, start, stop)


def _pcg64_uniform(state: dict, start: int, stop: int) -> np.ndarray:
    """``Generator(PCG64 in state).random(stop, float32)[start:stop]`` without the first ``start``."""
    bit_generator = np.random.PCG64()
    bit_generator.state = state
    bit_generator.advance(start // 2)
    generator = np.random.Generator(bit_generator)
    if start % 2:
        generator.random(1, dtype=np.float32)  # the low half of the output the slice starts in
    return generator.random(stop - start, dtype=np.float32)


def _box_muller(uniform, half: int, start: int, stop: int) -> np.ndarray:
    """Outputs ``[start, stop)`` from uniform draws ``uniform(a, b) = u[a:b]``: element k < half
    is cos(2 pi u[half + k]) r_k, element half + k is sin(2 pi u[half + k]) r_k, with
    r_k = sqrt(-2 log(1 - u[k]))."""
    parts = []
    for lo, hi, wave in ((start, min(stop, half), np.cos), (max(start, half) - half, stop - half, np.sin)):
        if hi <= lo:
            continue
        radius = np.subtract(np.float32(1.0), uniform(lo, hi))  # in (0, 1]: log is finite
        np.log(radius, out=radius)
        radius *= np.float32(-2.0)
        np.sqrt(radius, out=radius)
        out = wave(uniform(half + lo, half + hi) * np.float32(2.0 * np.pi))
        out *= radius
        parts.append(out)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def process_frames(
    samples: np.ndarray,
    opts: FrameOptions,
    rng: np.random.Generator | None = None,
    dither_noise: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Kaldi's ExtractWindow + ProcessWindow for all frames.

    Returns ``(frames, raw_log_energy)``: frames ``(T, window_size)`` after dither, DC
    removal, pre-emphasis and windowing; raw_log_energy ``(T,)`` measured after DC removal
    and before pre-emphasis, floored at FLT_EPSILON. ``dither_noise`` (standard normal,
    ``(T, window_size)``) replaces the noise drawn from ``rng``.
    """
    frames = extract_frames(samples, opts)
    if opts.dither != 0.0:
        if dither_noise is None:
            rng = rng if rng is not None else np.random.default_rng()
            dither_noise = gaussian_noise(frames.size, rng).reshape(frames.shape)
        if dither_noise.shape != frames.shape:
            raise ValueError(f"dither noise of shape {dither_noise.shape} for frames {frames.shape}")
        frames += np.float32(opts.dither) * dither_noise
    if opts.remove_dc_offset:
        frames -= frames.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    energy = np.einsum("ij,ij->i", frames, frames, dtype=np.float64)
    raw_log_energy = np.log(np.maximum(energy, FLT_EPSILON)).astype(np.float32)
    coeff = np.float32(opts.preemphasis_coefficient)
    if coeff != 0.0:
        frames[:, 1:] -= coeff * frames[:, :-1]
        frames[:, 0] -= coeff * frames[:, 0]
    frames *= window_function(opts.window_type, opts.window_size, opts.blackman_coeff)
    return frames, raw_log_energy
