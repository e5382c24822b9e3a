"""Score a speaker-verification trial list: EER, minDCF/actDCF, Cllr/minCllr, DET curve.

Inputs are Kaldi's forms: trials ``<enroll> <test> target|nontarget`` and scores
``<enroll> <test> <score>`` (any order; extra score lines are ignored, a trial without a
score is an error naming the pair). ``--weights`` gives per-trial weights in the scores'
form. Metric definitions (ROCCH EER, ties, accept-all point): kaldinn/metrics/sv.py; file
reading (a byte-level fast path for files in one order): kaldinn/io/trial_files.py.

Example::

    python -m kaldinn.bin.compute_sv_metrics --p-target 0.01,0.05 --json \\
        data/test/trials exp/xvector/scores
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError
from kaldinn.io.trial_files import align_values, read_trials
from kaldinn.metrics.sv import SVMetrics, check_trials, compute_sv_metrics, roc_curve


def _prior_list(text: str) -> list[float]:
    try:
        priors = [float(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not all(0.0 < p < 1.0 for p in priors):
        raise argparse.ArgumentTypeError(f"every P_target must be in (0, 1), got {text!r}")
    return priors


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog="compute_sv_metrics.py",
        description="EER (ROC convex hull), minDCF, actDCF, Cllr, minCllr of a trial list.",
    )
    parser.add_argument("--p-target", type=_prior_list, default=[0.01, 0.05], help="priors, e.g. 0.01,0.05")
    parser.add_argument("--c-miss", type=float, default=1.0, help="cost of a miss")
    parser.add_argument("--c-fa", type=float, default=1.0, help="cost of a false alarm")
    parser.add_argument("--weights", default=None, help="per-trial weights '<enroll> <test> <weight>'")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--det-plot", default=None, help="write the DET curve to this png")
    parser.add_argument("trials", help="trial list '<enroll> <test> target|nontarget'")
    parser.add_argument("scores", help="scores '<enroll> <test> <score>'")
    return parser


def format_report(m: SVMetrics, trials: str, c_miss: float, c_fa: float) -> str:
    lines = [
        f"trials: {trials} ({m.n_target} target, {m.n_nontarget} nontarget)",
        f"EER: {100 * m.eer:.3f}% (ROC convex hull; interpolated {100 * m.eer_interp:.3f}%)",
    ]
    for p in m.min_dcf:
        lines.append(
            f"minDCF(p_target={p:g}, c_miss={c_miss:g}, c_fa={c_fa:g}): {m.min_dcf[p]:.4f}  "
            f"actDCF: {m.act_dcf[p]:.4f}"
        )
    lines.append(f"Cllr: {m.cllr:.4f}  minCllr: {m.min_cllr:.4f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.c_miss <= 0 or args.c_fa <= 0:
        build_parser().error("--c-miss and --c-fa must be positive")
    trials, is_target = read_trials(args.trials)
    scores = align_values(trials, args.scores, "score")
    weights = align_values(trials, args.weights, "weight") if args.weights else None
    try:
        scores, is_target, weights = check_trials(scores, is_target, weights)
    except KaldinnError as err:
        raise KaldinnError(f"{args.trials}: {err}") from None
    metrics = compute_sv_metrics(scores, is_target, args.p_target, args.c_miss, args.c_fa, weights)
    if args.det_plot:
        from kaldinn.metrics.det_plot import write_det_plot

        write_det_plot(
            roc_curve(scores, is_target, weights), args.det_plot, label=os.path.basename(args.scores)
        )
    if args.json:
        print(json.dumps(metrics.to_dict()))
    else:
        print(format_report(metrics, args.trials, args.c_miss, args.c_fa))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
