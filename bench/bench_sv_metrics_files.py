#!/usr/bin/env python3
"""Benchmark: SV metrics from a trials file and a scores file, end to end, against Kaldi's way.

Writes a trial list ``<enroll> <test> target|nontarget`` (1% targets) and its scores
``<enroll> <test> <score>`` (4 decimals, so ties occur) in the same order, as Kaldi's scoring
writes them, plus the scores shuffled. Then times whole commands, each a fresh process, the
setups taking turns within each repetition so that a shared machine's load hits them alike:

1. kaldinn: ``python -m kaldinn.bin.compute_sv_metrics trials scores`` (EER, minDCF and
   actDCF at two priors, Cllr, minCllr);
2. kaldinn, scores shuffled (the general path: a join on the pairs);
3. kaldinn before the byte-level fast path: the same CLI's pandas reader and join, forced;
4. Kaldi's pipeline ``paste trials scores | awk '{print $NF, $3}' | compute-eer -`` with no
   compute-eer binary here: compute-eer's work (read ``<score> <label>`` lines, sort, EER) is
   stood in for by pandas' C parser plus a numpy sort (faster than compute-eer's C++ stream
   reader, so this baseline flatters Kaldi);
5. ``paste | awk`` alone, writing to /dev/null: a lower bound of Kaldi's pipeline, whatever
   compute-eer costs.

Prints the median and spread of ``--repeats`` runs (after ``--warmup`` untimed ones) and
ratios of medians with their paired range. Child processes inherit ``--threads`` (1:
kaldinn's scoring is single-threaded numpy); paste and awk are two processes, as in Kaldi.

Example::

    .venv/bin/python bench/bench_sv_metrics_files.py --trials 2000000 --repeats 5 --warmup 1
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import _timing
import numpy as np

PREVIOUS = """
import sys
from kaldinn.io.trial_files import _LABELS, _join_values, _read_pairs
from kaldinn.metrics.sv import check_trials
from kaldinn.metrics.sv import compute_sv_metrics
trials = _read_pairs(sys.argv[1], "target|nontarget")
is_target = trials["value"].map(_LABELS).to_numpy(dtype=bool)
scores = _join_values(trials, sys.argv[2], "score")
s, t, _ = check_trials(scores, is_target, None)
print(compute_sv_metrics(s, t, [0.01, 0.05]).eer)
"""

EER_ONLY = """
import sys
import numpy as np
import pandas as pd
df = pd.read_csv(sys.stdin.buffer, sep=" ", header=None, names=["score", "label"], engine="c")
scores, is_target = df["score"].to_numpy(), (df["label"] == "target").to_numpy()
tar, non = np.sort(scores[is_target]), np.sort(scores[~is_target])[::-1]
# compute-eer's walk: the threshold where the miss rate meets the false-alarm rate
miss = np.arange(len(tar)) / len(tar)
fa = np.searchsorted(-non, -tar, side="left") / len(non)
i = np.argmax(miss >= fa)
print(f"EER {100 * (miss[i] + fa[i]) / 2:.3f}%")
"""


def write_files(root: Path, n: int, seed: int = 0) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    utts = np.array([f"id{k // 20:05d}-utt{k:06d}" for k in range(40_000)])
    pairs = np.unique(rng.integers(0, len(utts), size=(int(n * 1.01), 2)), axis=0)
    pairs = rng.permutation(pairs)[:n]  # unique pairs, random order
    is_target = rng.random(len(pairs)) < 0.01
    scores = np.round(rng.normal(size=len(pairs)) + 3.0 * is_target, 4)
    keys = [f"{utts[a]} {utts[b]}" for a, b in pairs]
    trials, scored = root / "trials", root / "scores"
    trials.write_text(
        "".join(f"{k} {'target' if t else 'nontarget'}\n" for k, t in zip(keys, is_target, strict=True))
    )
    lines = [f"{k} {s:.4f}\n" for k, s in zip(keys, scores, strict=True)]
    scored.write_text("".join(lines))
    shuffled = root / "scores.shuffled"
    shuffled.write_text("".join(lines[i] for i in rng.permutation(len(lines))))
    return trials, scored, shuffled


def run_command(argv: list[str] | str) -> None:
    subprocess.run(argv, shell=isinstance(argv, str), check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=500_000)
    _timing.add_arguments(parser)
    parser.set_defaults(warmup=0)  # fresh processes each time; writing the files warmed the page cache
    args = parser.parse_args()
    _timing.fix_threads(args.threads)  # children inherit OMP/MKL/OPENBLAS
    awk = "mawk" if "mawk" in os.path.realpath(subprocess.getoutput("command -v awk")) else "awk"
    _timing.print_header("bench_sv_metrics_files", trials=args.trials, awk=awk)
    py = sys.executable
    ours = "kaldinn, all metrics"
    with tempfile.TemporaryDirectory() as tmp:
        trials, scores, shuffled = write_files(Path(tmp), args.trials)
        t, s = (shlex.quote(str(p)) for p in (trials, scores))
        paste_awk = f"paste {t} {s} | awk '{{print $NF, $3}}'"
        setups = {
            ours: [py, "-m", "kaldinn.bin.compute_sv_metrics", str(trials), str(scores)],
            "kaldinn, scores shuffled": [
                py,
                "-m",
                "kaldinn.bin.compute_sv_metrics",
                str(trials),
                str(shuffled),
            ],
            "kaldinn before (pandas reader + join)": [py, "-c", PREVIOUS, str(trials), str(scores)],
            "paste | awk | EER-only stand-in": f"{paste_awk} | {shlex.quote(py)} -c {shlex.quote(EER_ONLY)}",
            "paste | awk > /dev/null (lower bound)": f"{paste_awk} > /dev/null",
        }
        times = _timing.measure(
            {name: lambda argv=argv: run_command(argv) for name, argv in setups.items()},
            args.repeats,
            args.warmup,
        )
    print(f"{args.trials} trials, each setup a fresh process (or pipeline) per repetition:")
    _timing.report(times, work=args.trials, unit="trials")
    for name in list(setups)[1:]:
        _timing.print_ratio(times, ours, name, label=f"{name} / {ours} time:")


if __name__ == "__main__":
    main()
