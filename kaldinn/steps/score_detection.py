"""steps/score_detection.py: ROC AUC (with a 95% bootstrap interval), EER and ROC curve of clip scores.

<data-dir> gives the reference (``utt2label``; ``--positive-label``, default ``1``, marks
the positive clips, every other label is negative) and the bootstrap units (``utt2spk``);
<scores> is a ``<utt> <score>`` table where higher means "event present" (``utt2score``
from ``steps/forward.py --event-label 1``: the event log-odds). Every clip of the reference
needs a score. Written to <out-dir>: ``results.txt`` (clip counts, ``auc``, ``auc_ci95``,
``eer``) and ``roc.png``. AUC counts a tied positive/negative pair as 1/2 (Mann-Whitney
with mid-ranks, ``kaldinn/metrics/detection.py``); its interval resamples the units of
utt2spk with replacement, each with all its clips (``--replications``, default 1000, 0 for
none; percentile interval; ``--seed`` fixed). ``--results-md FILE --tag NAME`` appends a
section to RESULTS.md, as steps/score_classification.py does.

Example::

    steps/score_detection.py --results-md RESULTS.md --tag "Events: densenet on events_test" \\
        data/events_test exp/events_densenet/forward_events_test/utt2score \\
        exp/events_densenet/score_events_test
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import KaldinnError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.io.text_table import read_table
from kaldinn.metrics import bootstrap
from kaldinn.metrics import detection as det
from kaldinn.metrics.sv import compute_eer
from kaldinn.steps.score_classification import append_results_md

PROG = "score_detection.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="ROC AUC with a bootstrap interval, EER and ROC curve of per-clip detection scores.",
        usage=f"{PROG} [options] <data-dir> <scores> <out-dir>",
    )
    parser.add_argument("--positive-label", default="1", help="utt2label value of clips with the event")
    parser.add_argument("--results-md", help="append a section to this RESULTS.md")
    parser.add_argument("--tag", default="", help="section title in RESULTS.md (default: <scores>)")
    parser.add_argument(
        "--exp-dir", help="experiment whose config.yaml is recorded (default: <scores>/../..)"
    )
    parser.add_argument("--replications", type=int, default=bootstrap.SV_REPLICATIONS,
                        help="bootstrap replicates of the AUC interval (0: no interval)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap")
    parser.add_argument("data_dir")
    parser.add_argument("scores")
    parser.add_argument("out_dir")
    return parser


def read_scores(path: str, utts: list[str]) -> np.ndarray:
    """Scores of ``utts`` (in that order) from a ``<utt> <score>`` table."""
    table = read_table(path)
    missing = [u for u in utts if u not in table]
    if missing:
        raise KaldinnError(
            f"{len(missing)} of {len(utts)} reference clips have no score in {path} (e.g. {missing[0]}); "
            "rerun steps/forward.py --event-label on the whole data dir"
        )
    values = []
    for utt in utts:
        try:
            values.append(float(table[utt]))
        except ValueError:
            raise KaldinnError(f"{path}: the score of {utt} is not a number: {table[utt]!r}") from None
    return np.array(values)


def score(args) -> tuple[list[str], tuple[np.ndarray, np.ndarray]]:
    """The lines of results.txt and the ROC curve (fpr, tpr)."""
    data_dir = Path(args.data_dir)
    for name in ("utt2label", "utt2spk"):
        if not (data_dir / name).is_file():
            raise KaldinnError(f"{data_dir / name} does not exist; a detection data dir needs it")
    refs = read_table(data_dir / "utt2label")
    utts = list(refs)
    labels = np.array([refs[u] == args.positive_label for u in utts])
    if labels.all() or not labels.any():
        raise KaldinnError(
            f"{data_dir}/utt2label has {int(labels.sum())} clips labelled {args.positive_label!r} of "
            f"{len(utts)}; AUC needs both classes (is --positive-label right?)"
        )
    scores = read_scores(args.scores, utts)
    fpr, tpr, _ = det.roc_curve(scores, labels)
    lines = [
        f"clips {len(utts)} ({int(labels.sum())} positive, {int((~labels).sum())} negative)",
        f"auc {det.roc_auc(scores, labels):.4f}",
    ]
    lines += interval_lines(args, data_dir, utts, scores, labels)
    lines.append(f"eer {100 * compute_eer(scores, labels):.2f}%")
    return lines, (fpr, tpr)


def interval_lines(args, data_dir: Path, utts: list[str], scores, labels) -> list[str]:
    """``auc_ci95 [lo, hi] (...)``, or nothing without replications."""
    if args.replications <= 0:
        return []
    utt2spk = read_table(data_dir / "utt2spk")
    missing = [u for u in utts if u not in utt2spk]
    if missing:
        raise KaldinnError(f"{data_dir}/utt2spk lacks {len(missing)} clips of utt2label (e.g. {missing[0]})")
    units = [utt2spk[u] for u in utts]
    n_units = len(set(units))
    if n_units < 2:
        return [f"auc_ci95 n/a (one unit in {data_dir}/utt2spk; the bootstrap needs several)"]
    ci = det.auc_bootstrap(scores, labels, units, args.replications, args.seed)
    return [
        f"auc_ci95 [{ci.low:.4f}, {ci.high:.4f}] (95% percentile interval, {ci.replications} bootstrap "
        f"replicates resampling the {n_units} units of {data_dir}/utt2spk with their clips, seed {args.seed})"
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    out_dir = Path(args.out_dir)
    lines, (fpr, tpr) = score(args)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "results.txt", "\n".join(lines) + "\n")
    auc = lines[1].split()[1]
    det.write_roc_png(
        [(f"AUC {auc}", fpr, tpr)], out_dir / "roc.png", args.tag or Path(args.scores).parent.name
    )
    if args.results_md:
        exp_dir = Path(args.exp_dir) if args.exp_dir else Path(args.scores).absolute().parent.parent
        command = shlex.join([f"steps/{PROG}", *argv])
        section = [*lines, f"roc: {out_dir / 'roc.png'}"]
        append_results_md(Path(args.results_md), args.tag or args.scores, command, exp_dir, section)
    print(f"{PROG}: {lines[1]}; details in {out_dir}/results.txt", file=sys.stderr)
    return 0
