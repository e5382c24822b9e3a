"""Benchmark: kaldinn fbank vs kaldi-native-fbank through Python, single thread.

The two take turns in each of ``--repeats`` repetitions; prints the median and spread of
each as times real time per core (80 bins, 16 kHz, default dither 1.0 for timing), the ratio
of medians, and the largest difference of the values with dither off.
Target: ours >= 1300x real time (Kaldi's own binary) and within 1e-3 of kaldi-native-fbank.

Example::

    .venv/bin/python bench/bench_fbank.py --seconds 30 --repeats 7
"""

import argparse

import _timing
import kaldi_native_fbank as knf
import numpy as np

from kaldinn.feats.fbank import compute_fbank
from kaldinn.feats.options import FbankOptions, FrameOptions, MelOptions


def knf_fbank(samples: np.ndarray, dither: float) -> np.ndarray:
    opts = knf.FbankOptions()
    opts.frame_opts.dither = dither
    opts.mel_opts.num_bins = 80
    comp = knf.OnlineFbank(opts)
    comp.accept_waveform(16000, samples)
    comp.input_finished()
    return np.array([comp.get_frame(i) for i in range(comp.num_frames_ready)], dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="audio length per run")
    _timing.add_arguments(parser, repeats=7)
    args = parser.parse_args()
    _timing.fix_threads(args.threads)
    _timing.print_header("bench_fbank", audio_s=args.seconds, bins=80)
    rng = np.random.default_rng(0)
    n = int(16000 * args.seconds)
    samples = (rng.standard_normal(n) * 300 + 4000 * np.sin(np.arange(n) * 0.05)).astype(np.float32)
    as_list = samples.tolist()
    ours_opts = FbankOptions(mel=MelOptions(num_mel_bins=80))
    times = _timing.measure(
        {
            "kaldinn fbank": lambda: compute_fbank(samples, ours_opts),
            "kaldi-native-fbank (py)": lambda: knf_fbank(as_list, 1.0),
        },
        args.repeats,
        args.warmup,
    )
    print(f"seconds per {args.seconds:g} s of audio; rate in times real time per core:")
    _timing.report(times, work=args.seconds, unit="audio-s")
    _timing.print_ratio(times, "kaldinn fbank", "kaldi-native-fbank (py)")
    ours = _timing.spread(times["kaldinn fbank"])[0]
    met = "met" if args.seconds / ours >= 1300 else "MISSED"
    print(
        f"  target >= 1300x real time (Kaldi's compute-fbank-feats), median {args.seconds / ours:.0f}x: {met}"
    )
    clean = FbankOptions(frame=FrameOptions(dither=0.0), mel=MelOptions(num_mel_bins=80))
    diff = np.abs(compute_fbank(samples, clean) - knf_fbank(as_list, 0.0)).max()
    print(f"  max |kaldinn - knf| (dither 0): {diff:.2e} ({'within' if diff <= 1e-3 else 'OUTSIDE'} 1e-3)")


if __name__ == "__main__":
    main()
