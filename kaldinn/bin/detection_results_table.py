"""Compare clip detectors on one test set: a markdown table (AUC, EER, saliency localisation).

Each system is ``<label>=<scores>`` (a ``<utt> <score>`` table, higher = event: ``utt2score``
of ``steps/forward.py --event-label 1`` or ``steps/train_stats_baseline.py --event-label 1``),
scored against ``<data-dir>/utt2label`` (``--positive-label``). AUC counts ties as 1/2 and
carries a 95% percentile interval from ``--replications`` bootstrap replicates resampling the
units of ``<data-dir>/utt2spk`` (the same replicates for every system); EER is the ROC convex
hull's. ``--saliency <label>=<saliency-dir>`` (repeatable, a label of the table) adds that
system's localisation figures from ``steps/saliency.py``'s ``localisation_per_clip.txt``: per
method, the pointing-game hit rate and the mean top-1% mass share over the positive clips,
with unit-bootstrap intervals; the input-energy reference and chance (from localisation.txt)
follow the table. ``--roc-plot FILE`` draws every system's ROC curve in one png.

Example::

    python -m kaldinn.bin.detection_results_table --data-dir data/events_test --results-md RESULTS.md \\
        --saliency densenet=exp/events_densenet/saliency_events_test --roc-plot exp/roc_events_test.png \\
        "stats+LR=exp/events_stats_lr/forward_events_test/utt2score" \\
        "densenet=exp/events_densenet/forward_events_test/utt2score"
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.io.text_table import read_table
from kaldinn.metrics import bootstrap
from kaldinn.metrics import detection as det
from kaldinn.metrics.sv import compute_eer

ENERGY = "input-energy"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog="detection_results_table.py", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="test data dir (utt2label, utt2spk)")
    parser.add_argument("--positive-label", default="1", help="utt2label value of clips with the event")
    parser.add_argument("--title", default="Event detection", help="section title")
    parser.add_argument("--note", default="", help="a line printed under the title (protocol details)")
    parser.add_argument("--results-md", help="append the section to this file")
    parser.add_argument("--saliency", action="append", default=[], help="<label>=<saliency-dir> (repeatable)")
    parser.add_argument("--roc-plot", help="write one ROC plot (png) with every system")
    parser.add_argument(
        "--replications", type=int, default=bootstrap.SV_REPLICATIONS, help="bootstrap replicates"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap")
    parser.add_argument("systems", nargs="+", help="<label>=<scores-table>")
    return parser


def split_pair(text: str, what: str) -> tuple[str, str]:
    label, sep, path = text.partition("=")
    if not sep or not label or not path:
        raise UsageError(f"{what} {text!r}: expected <label>=<path>")
    return label, path


def read_scores(path: str, utts: list[str]) -> np.ndarray:
    table = read_table(path)
    missing = [u for u in utts if u not in table]
    if missing:
        raise KaldinnError(f"{path} has no score for {len(missing)} test clips (e.g. {missing[0]})")
    return np.array([float(table[u]) for u in utts])


def auc_cell(scores, labels, units, args) -> str:
    if args.replications <= 0:
        return f"{det.roc_auc(scores, labels):.4f}"
    ci = det.auc_bootstrap(scores, labels, units, args.replications, args.seed)
    return f"{ci.point:.4f} [{ci.low:.4f}, {ci.high:.4f}]"


def localisation_cells(sal_dir: Path, utt2spk: dict[str, str], args) -> dict[str, tuple[str, str]]:
    """method -> (pointing-game cell, top-mass cell) from localisation_per_clip.txt."""
    path = sal_dir / "localisation_per_clip.txt"
    if not path.is_file():
        raise KaldinnError(f"{path} does not exist; run steps/saliency.py on a data dir with an events file")
    rows: dict[str, list[tuple[str, float, float]]] = {}
    for number, line in enumerate(path.read_text().splitlines()[1:], 2):
        fields = line.split()
        if len(fields) != 4:
            raise KaldinnError(f"{path}:{number}: expected '<utt> <method> <share> <hit>'")
        rows.setdefault(fields[1], []).append((fields[0], float(fields[2]), float(fields[3])))
    cells = {}
    for method, values in rows.items():
        utts = [u for u, _, _ in values]
        cells[method] = (
            mean_cell(utts, [h for _, _, h in values], utt2spk, args),
            mean_cell(utts, [s for _, s, _ in values], utt2spk, args),
        )
    return cells


def mean_cell(utts: list[str], values: list[float], utt2spk: dict[str, str], args) -> str:
    """Mean over clips in percent, with a unit-bootstrap interval of the mean."""
    v = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(v)
    kept = [u for u, ok in zip(utts, keep, strict=True) if ok]
    if not kept:
        return "n/a"
    mean = 100 * float(v[keep].mean())
    if args.replications <= 0:
        return f"{mean:.1f}%"
    sums, counts = bootstrap.group_counts(kept, v[keep], np.ones(len(kept)), utt2spk)
    if len(sums) < 2:
        return f"{mean:.1f}%"
    ci = bootstrap.accuracy_bootstrap(sums, counts, args.replications, args.seed)
    return f"{mean:.1f}% [{100 * ci.low:.1f}, {100 * ci.high:.1f}]"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data = Path(args.data_dir)
    refs, utt2spk = read_table(data / "utt2label"), read_table(data / "utt2spk")
    utts = list(refs)
    labels = np.array([refs[u] == args.positive_label for u in utts])
    units = [utt2spk.get(u, u) for u in utts]
    systems = [split_pair(s, "system") for s in args.systems]
    saliency = dict(split_pair(s, "--saliency") for s in args.saliency)
    unknown = set(saliency) - {label for label, _ in systems}
    if unknown:
        raise UsageError(f"--saliency names {sorted(unknown)}, which are not systems of the table")
    methods: list[str] = []
    loc = {label: localisation_cells(Path(d), utt2spk, args) for label, d in saliency.items()}
    for cells in loc.values():
        methods += [m for m in cells if m != ENERGY and m not in methods]
    header = ["system", "AUC [95% CI]", "EER"] + [f"{m}: pointing game / top-1% mass in box" for m in methods]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    curves = []
    for label, path in systems:
        scores = read_scores(path, utts)
        fpr, tpr, _ = det.roc_curve(scores, labels)
        curves.append((f"{label} (AUC {det.roc_auc(scores, labels):.4f})", fpr, tpr))
        row = [label, auc_cell(scores, labels, units, args), f"{100 * compute_eer(scores, labels):.2f}%"]
        cells = loc.get(label, {})
        row += [" / ".join(cells[m]) if m in cells else "" for m in methods]
        lines.append("| " + " | ".join(row) + " |")
    section = [f"## {args.title} ({time.strftime('%Y-%m-%d %H:%M')})", ""]
    section += [args.note, ""] if args.note else []
    n_units = len(set(units))
    section += [f"{len(utts)} clips ({int(labels.sum())} with a call), {n_units} bootstrap units.", ""]
    section += lines
    for label, sal_dir in saliency.items():
        if ENERGY in loc[label]:
            section.append(f"\nReference maps ({label}'s clips): the input itself (input-energy) "
                           f"{' / '.join(loc[label][ENERGY])}; "
                           + chance_line(Path(sal_dir)))  # fmt: skip
            break
    if args.roc_plot:
        det.write_roc_png(curves, args.roc_plot, args.title)
        section += ["", f"ROC curves: `{args.roc_plot}`"]
    text = "\n".join(section) + "\n"
    sys.stdout.write(text)
    if args.results_md:
        path = Path(args.results_md)
        old = path.read_text() if path.is_file() else ""
        write_text_atomic(path, old + ("\n" if old and not old.endswith("\n\n") else "") + text)
    return 0


def chance_line(sal_dir: Path) -> str:
    """The ``chance:`` line of localisation.txt (box share and a random point's hit rate)."""
    path = sal_dir / "localisation.txt"
    found = (
        [line for line in path.read_text().splitlines() if line.startswith("chance:")]
        if path.is_file()
        else []
    )
    return found[0] if found else "chance: n/a"


if __name__ == "__main__":
    sys.exit(run_main(main))
