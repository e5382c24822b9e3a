"""Benchmark: kaldinn fbank vs kaldi-native-fbank through Python, single thread.

Prints times real time per core for both (80 bins, 16 kHz, default dither 1.0 for timing),
their ratio, and the largest difference of the values with dither off.
Target: ours >= 1300x real time (Kaldi's own binary) and within 1e-3 of kaldi-native-fbank.

Example::

    .venv/bin/python bench/bench_fbank.py --seconds 60
"""

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import kaldi_native_fbank as knf  # noqa: E402
import numpy as np  # noqa: E402

from kaldinn.feats.fbank import compute_fbank  # noqa: E402
from kaldinn.feats.options import FbankOptions, FrameOptions, MelOptions  # noqa: E402


def knf_fbank(samples: np.ndarray, dither: float) -> np.ndarray:
    opts = knf.FbankOptions()
    opts.frame_opts.dither = dither
    opts.mel_opts.num_bins = 80
    comp = knf.OnlineFbank(opts)
    comp.accept_waveform(16000, samples)
    comp.input_finished()
    return np.array([comp.get_frame(i) for i in range(comp.num_frames_ready)], dtype=np.float32)


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="audio length per run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = int(16000 * args.seconds)
    samples = (rng.standard_normal(n) * 300 + 4000 * np.sin(np.arange(n) * 0.05)).astype(np.float32)
    as_list = samples.tolist()
    ours_opts = FbankOptions(mel=MelOptions(num_mel_bins=80))
    ours = best_time(lambda: compute_fbank(samples, ours_opts), args.repeats)
    ref = best_time(lambda: knf_fbank(as_list, 1.0), args.repeats)
    clean = FbankOptions(frame=FrameOptions(dither=0.0), mel=MelOptions(num_mel_bins=80))
    diff = np.abs(compute_fbank(samples, clean) - knf_fbank(as_list, 0.0)).max()
    print(f"kaldinn fbank:              {args.seconds / ours:8.0f}x real time per core")
    print(f"kaldi-native-fbank (py):    {args.seconds / ref:8.0f}x real time per core")
    print(f"ratio kaldinn / knf:        {ref / ours:8.2f}")
    met = "met" if args.seconds / ours >= 1300 else "NOT met"
    print(f"target >= 1300x (Kaldi's compute-fbank-feats): {met}")
    print(f"max |kaldinn - knf| (dither 0): {diff:.2e} ({'within' if diff <= 1e-3 else 'OUTSIDE'} 1e-3)")


if __name__ == "__main__":
    main()
