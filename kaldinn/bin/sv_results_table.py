"""Compare speaker-verification systems on one trial list: a markdown table for RESULTS.md.

Each system is ``<label>=<scores-file>`` (scores in Kaldi's ``<enroll> <test> <score>`` form);
the label should name the extractor, back-end and score normalisation. Metrics are those of
``utils/compute_sv_metrics.py`` (ROC-convex-hull EER, normalised minDCF, Cllr).

With ``--utt2spk`` (repeatable: the enrolment and the test set's files; a trial key that is a
speaker id maps to itself) the EER and minDCF cells carry 95% percentile intervals from
``--replications`` speaker-bootstrap replicates (:mod:`kaldinn.metrics.bootstrap`: speakers
drawn with replacement, a trial kept when both its speakers are drawn and weighted by the
product of their multiplicities), the same replicates for every system. ``--compare "A=B"``
(repeatable, labels of two systems) adds a paired comparison: the difference B - A of each
metric with its interval and the probability that B improves on A (share of replicates where
B is strictly lower, Kaldi's definition). ``--det-plot FILE`` draws every system's DET
curve in one png (the EER of each in the legend) and links it under the table.

Example::

    python -m kaldinn.bin.sv_results_table --trials data/sv_test/trials --results-md RESULTS.md \\
        --utt2spk data/sv_enroll/utt2spk --utt2spk data/sv_test/utt2spk \\
        --compare "x-vector softmax, cosine=x-vector softmax, PLDA" \\
        "x-vector softmax, cosine=exp/xv/scores_cosine" "x-vector softmax, PLDA=exp/xv/scores_plda"
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kaldinn.bin.compute_sv_metrics import _prior_list
from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import UsageError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.io.text_table import read_table
from kaldinn.io.trial_files import align_values, read_trials
from kaldinn.metrics import bootstrap
from kaldinn.metrics.sv import SVMetrics, check_trials, compute_sv_metrics


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog="sv_results_table.py", description=__doc__.split("\n")[0])
    parser.add_argument("--trials", required=True, help="trial list '<enroll> <test> target|nontarget'")
    parser.add_argument("--p-target", type=_prior_list, default=[0.01, 0.05], help="priors of minDCF")
    parser.add_argument("--title", default="Speaker verification", help="section title")
    parser.add_argument("--note", default="", help="a line printed under the title (protocol details)")
    parser.add_argument("--results-md", default=None, help="append the section to this file")
    parser.add_argument(
        "--utt2spk",
        action="append",
        default=[],
        help="utt2spk of the trial sides (repeatable); adds speaker-bootstrap intervals",
    )
    parser.add_argument(
        "--replications",
        type=int,
        default=bootstrap.SV_REPLICATIONS,
        help="speaker-bootstrap replicates (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="A=B",
        help="paired comparison of system B against system A (labels; needs --utt2spk)",
    )
    parser.add_argument("--det-plot", default=None, help="write one DET plot (png) with every system")
    parser.add_argument("systems", nargs="+", help="<label>=<scores-file>")
    return parser


def parse_system(text: str) -> tuple[str, str]:
    label, sep, path = text.rpartition("=")
    if not sep or not label or not path:
        raise UsageError(f"system {text!r} is not of the form <label>=<scores-file>")
    return label, path


def format_table(
    rows: list[tuple[str, SVMetrics]], priors: list[float], intervals: list[dict] | None = None
) -> str:
    """Markdown table; with ``intervals`` (per row, from sv_bootstrap) EER/minDCF cells get [lo, hi]."""
    dcf_heads = " | ".join(f"minDCF {p:g}" for p in priors)
    lines = [
        f"| system | EER % | {dcf_heads} | Cllr | minCllr |",
        "|---|---:|" + "---:|" * len(priors) + "---:|---:|",
    ]
    for n, (label, m) in enumerate(rows):
        ci = intervals[n] if intervals else {}
        eer = f"{100 * m.eer:.2f}" + _bounds(ci.get("eer"), 100, 2)
        dcfs = " | ".join(f"{m.min_dcf[p]:.3f}" + _bounds(ci.get(f"min_dcf@{p:g}"), 1, 3) for p in priors)
        lines.append(f"| {label} | {eer} | {dcfs} | {m.cllr:.3f} | {m.min_cllr:.3f} |")
    return "\n".join(lines)


def _bounds(interval: bootstrap.Interval | None, scale: float, digits: int) -> str:
    if interval is None:
        return ""
    return f" [{scale * interval.low:.{digits}f}, {scale * interval.high:.{digits}f}]"


def parse_comparison(text: str, labels: list[str]) -> tuple[str, str]:
    """``A=B`` split at the '=' whose both sides are system labels."""
    splits = [(text[:i], text[i + 1 :]) for i, ch in enumerate(text) if ch == "="]
    found = [(a, b) for a, b in splits if a in labels and b in labels]
    if len(found) != 1:
        raise UsageError(
            f"--compare {text!r} must be '<label A>=<label B>' naming two systems "
            f"({'ambiguous' if found else 'labels: ' + '; '.join(labels)})"
        )
    return found[0]


def format_comparisons(pairs: list[tuple[str, str, dict]], priors: list[float]) -> str:
    """One row per pair: B - A with its interval and P(B improves A) for EER and each minDCF."""
    heads = ["EER %"] + [f"minDCF {p:g}" for p in priors]
    lines = [
        "| A | B | " + " | ".join(f"{h}: B - A [95% CI] | P(B better)" for h in heads) + " |",
        "|---|---|" + "---:|---:|" * len(heads),
    ]
    for a, b, comp in pairs:
        cells = []
        for key, scale, digits in [("eer", 100, 2)] + [(f"min_dcf@{p:g}", 1, 3) for p in priors]:
            c = comp[key]
            diff = f"{scale * c.difference.point:+.{digits}f}" + _bounds(c.difference, scale, digits)
            cells.append(f"{diff} | {100 * c.prob_improvement:.1f}%")
        lines.append(f"| {a} | {b} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speaker_trials(trials, paths: list[str]) -> bootstrap.SpeakerTrials:
    """Each trial side's speaker from the union of the utt2spk files."""
    utt2spk: dict[str, str] = {}
    for path in paths:
        utt2spk.update(read_table(path))
    return bootstrap.map_trial_speakers(trials["enroll"].tolist(), trials["test"].tolist(), utt2spk)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.compare and not args.utt2spk:
        build_parser().error("--compare needs --utt2spk (the comparison resamples speakers)")
    if args.replications < 1:
        build_parser().error("--replications must be >= 1")
    trials, is_target = read_trials(args.trials)
    rows, scores = [], {}
    for label, path in map(parse_system, args.systems):
        s, labels, _ = check_trials(align_values(trials, path, "score"), is_target, None)
        rows.append((label, compute_sv_metrics(s, labels, args.p_target)))
        scores[label] = s
    boot = {"p_targets": args.p_target, "replications": args.replications, "seed": args.seed}
    intervals, comparisons = None, []
    if args.utt2spk:
        spk = speaker_trials(trials, args.utt2spk)
        intervals = [bootstrap.sv_bootstrap(scores[label], is_target, spk, **boot) for label, _ in rows]
        for a, b in (parse_comparison(c, list(scores)) for c in args.compare):
            comparisons.append(
                (a, b, bootstrap.sv_paired_bootstrap(scores[a], scores[b], is_target, spk, **boot))
            )
    m = rows[0][1]
    header = (
        f"trials {args.trials}: {m.n_target} target, {m.n_nontarget} non-target; "
        f"minDCF with C_miss = C_fa = 1 at P_tar {', '.join(f'{p:g}' for p in args.p_target)}; "
        "EER from the ROC convex hull; Cllr of the raw scores"
    )
    if args.utt2spk:
        header += (
            f"; [95% percentile intervals] from {args.replications} bootstrap replicates resampling the "
            f"{len(spk.speakers)} speakers (a trial kept when both its speakers are drawn, weighted by the "
            f"product of their multiplicities; seed {args.seed}), the same replicates for every system"
        )
    table = format_table(rows, args.p_target, intervals)
    if comparisons:
        table += (
            "\n\nPaired comparisons on the same replicates (P(B better): share of replicates where B is "
            "strictly lower):\n\n" + format_comparisons(comparisons, args.p_target)
        )
    if args.det_plot:
        from kaldinn.metrics.det_plot import write_det_plots
        from kaldinn.metrics.sv import roc_curve

        curves = [(label, roc_curve(scores[label], is_target)) for label, _ in rows]
        write_det_plots(curves, args.det_plot, title=args.title)
        table += f"\n\nDET curves of every system: `{args.det_plot}`"
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
