"""Compare speaker-verification systems on one trial list: a markdown table for RESULTS.md.

Each system is ``<label>=<scores-file>`` (scores in Kaldi's ``<enroll> <test> <score>`` form);
the label should name the extractor, back-end and score normalisation. Metrics are those of
``utils/compute_sv_metrics.py`` (ROC-convex-hull EER, normalised minDCF, Cllr).

Example::

    python -m kaldinn.bin.sv_results_table --trials data/sv_test/trials --results-md RESULTS.md \\
        "x-vector softmax, cosine=exp/xv/scores_cosine" "x-vector softmax, PLDA=exp/xv/scores_plda"
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kaldinn.bin.compute_sv_metrics import _prior_list, align_values, read_trials
from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import UsageError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.metrics.sv import SVMetrics, check_trials, compute_sv_metrics


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog="sv_results_table.py", description=__doc__.split("\n")[0])
    parser.add_argument("--trials", required=True, help="trial list '<enroll> <test> target|nontarget'")
    parser.add_argument("--p-target", type=_prior_list, default=[0.01, 0.05], help="priors of minDCF")
    parser.add_argument("--title", default="Speaker verification", help="section title")
    parser.add_argument("--note", default="", help="a line printed under the title (protocol details)")
    parser.add_argument("--results-md", default=None, help="append the section to this file")
    parser.add_argument("systems", nargs="+", help="<label>=<scores-file>")
    return parser


def parse_system(text: str) -> tuple[str, str]:
    label, sep, path = text.rpartition("=")
    if not sep or not label or not path:
        raise UsageError(f"system {text!r} is not of the form <label>=<scores-file>")
    return label, path


def format_table(rows: list[tuple[str, SVMetrics]], priors: list[float]) -> str:
    dcf_heads = " | ".join(f"minDCF {p:g}" for p in priors)
    lines = [
        f"| system | EER % | {dcf_heads} | Cllr | minCllr |",
        "|---|---:|" + "---:|" * len(priors) + "---:|---:|",
    ]
    for label, m in rows:
        dcfs = " | ".join(f"{m.min_dcf[p]:.3f}" for p in priors)
        lines.append(f"| {label} | {100 * m.eer:.2f} | {dcfs} | {m.cllr:.3f} | {m.min_cllr:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    trials, is_target = read_trials(args.trials)
    rows = []
    for label, path in map(parse_system, args.systems):
        scores, labels, _ = check_trials(align_values(trials, path, "score"), is_target, None)
        rows.append((label, compute_sv_metrics(scores, labels, args.p_target)))
    m = rows[0][1]
    header = (
        f"trials {args.trials}: {m.n_target} target, {m.n_nontarget} non-target; "
        f"minDCF with C_miss = C_fa = 1 at P_tar {', '.join(f'{p:g}' for p in args.p_target)}; "
        "EER from the ROC convex hull; Cllr of the raw scores"
    )
    table = format_table(rows, args.p_target)
    print(table)
    if args.results_md:
        path = Path(args.results_md)
        old = path.read_text() if path.exists() else ""
        note = f"{args.note}\n\n" if args.note else ""
        section = f"\n## {args.title} ({time.strftime('%Y-%m-%d')})\n\n{header}.\n{note}\n{table}\n"
        write_text_atomic(path, old + section)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
