"""steps/train_stats_baseline.py: the order-free statistics baseline for utterance classes.

Per utterance, the mean, standard deviation, delta standard deviation and ``--percentile``-th
percentile of every feature dimension (``kaldinn.baselines.stats``; features after CMVN as
``--cmvn`` says and, with ``--vad true``, voiced frames only), standardised on <train-dir>,
feed a multinomial logistic regression (L2, full-batch LBFGS). The L2 strength is the one
of ``--l2-grid`` with the best accuracy on <dev-dir>; the test sets take no part. Labels come
from ``<data-dir>/<--labels>`` (utt2lang, utt2label, ...); every training and dev utterance
needs one.

Written to <exp-dir>: ``model.npz`` (standardiser, weights, bias), ``labels.txt``,
``config.yaml`` (resolved options and the picked L2), ``l2_search.txt`` (dev accuracy and
cross-entropy of every L2; ``*`` marks the pick), ``command.txt``; and for every <test-dir>
``forward_<name>/`` as steps/forward.py writes it for an utterance model: ``scores.1.ark`` +
``scores.1.scp``, ``scores.scp`` (log-posteriors in label-map order; written last),
``utt2pred``, ``scores.txt`` and ``labels.txt``, so steps/score_classification.py scores it;
with ``--event-label L`` also ``utt2score`` (the log-odds of L, as ``steps/forward.py
--event-label``), so steps/score_detection.py scores a detection task.

Example::

    steps/train_stats_baseline.py --labels utt2lang --vad true \\
        data/lid_train data/lid_dev data/lid_test exp/lid_stats_lr
    steps/score_classification.py --lid true data/lid_test/utt2lang \\
        exp/lid_stats_lr/forward_lid_test exp/lid_stats_lr/score_lid_test
"""

from __future__ import annotations

import dataclasses
import datetime
import shlex
import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser, str2bool
from kaldinn.errors import DataDirError, KaldinnError, UsageError
from kaldinn.io.text_table import read_table, write_table

PROG = "train_stats_baseline.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Utterance statistics + logistic regression baseline; writes forward dirs of test sets.",
        usage=f"{PROG} [options] <train-dir> <dev-dir> <test-dir> [<test-dir> ...] <exp-dir>",
    )
    parser.add_argument(
        "--labels", required=True, help="label file inside each data dir (utt2lang, utt2label)"
    )
    add_stats_options(parser, cmvn="speaker")
    parser.add_argument("--l2-grid", default="1e-4,1e-3,1e-2,1e-1,1", help="comma-separated L2 strengths")
    parser.add_argument("--max-iter", type=int, default=500, help="LBFGS iterations per fit")
    parser.add_argument(
        "--event-label", default="", help="also write utt2score, the log-odds of this label (detection)"
    )
    parser.add_argument("dirs", nargs="+", metavar="dir")
    return parser


def add_stats_options(parser: KaldiArgumentParser, cmvn: str) -> None:
    """The feature-preparation options both statistics steps share."""
    parser.add_argument("--cmvn", choices=("speaker", "utterance", "none"), default=cmvn)
    parser.add_argument("--norm-vars", type=str2bool, default=False, help="CMVN variance normalisation")
    parser.add_argument("--vad", type=str2bool, default=False, help="statistics of voiced frames only")
    parser.add_argument("--percentile", type=float, default=90.0, help="the high percentile (0-100)")


def stats_options(args):
    from kaldinn.baselines.stats import StatsOptions

    if not 0.0 <= args.percentile <= 100.0:
        raise UsageError(f"--percentile must be in [0, 100], got {args.percentile}")
    return StatsOptions(args.cmvn, args.norm_vars, args.vad, args.percentile)


def parse_grid(text: str) -> list[float]:
    try:
        grid = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"--l2-grid {text!r}: expected comma-separated numbers") from None
    if not grid or any(v < 0 for v in grid):
        raise UsageError(f"--l2-grid {text!r}: expected one or more L2 strengths >= 0")
    return grid


def dir_stats(data_dir: Path, options) -> tuple[list[str], np.ndarray]:
    """Statistics of a data dir with a progress report; warns about utterances left out."""
    from kaldinn.baselines.stats import open_features, utterance_stats
    from kaldinn.progress import progress

    dataset = open_features(data_dir, options)
    if dataset.skipped:
        print(f"{PROG}: WARNING: {dataset.skip_report()}", file=sys.stderr)
    if dataset.unvoiced:
        print(
            f"{PROG}: WARNING: {len(dataset.unvoiced)} utterances of {data_dir} have no voiced "
            "frame; their statistics use every frame",
            file=sys.stderr,
        )
    rows = [
        utterance_stats(dataset[i].feats, options.percentile)
        for i in progress(range(len(dataset)), desc=f"stats {data_dir.name}", total=len(dataset), unit="utt")
    ]
    return list(dataset.utt_ids), np.stack(rows)


def read_labels(data_dir: Path, name: str, utts: list[str]) -> list[str]:
    """The label of every utterance of ``utts`` from ``data_dir/name``; an error names the gaps."""
    path = data_dir / name
    if not path.is_file():
        raise DataDirError(f"{path} does not exist: --labels {name} needs it in {data_dir}")
    table = read_table(path)
    missing = [u for u in utts if u not in table]
    if missing:
        raise DataDirError(
            f"{path} has no label for {len(missing)} of the {len(utts)} utterances of {data_dir}/feats.scp "
            f"(e.g. {', '.join(missing[:3])}); add them, or drop those utterances with utils/fix_data_dir.py"
        )
    return [table[u] for u in utts]


def save_model(exp_dir: Path, args, argv: list[str], standardiser, search, label_map, dim: int) -> None:
    """labels.txt, config.yaml, l2_search.txt, command.txt, then model.npz (the commit)."""
    import yaml

    from kaldinn.io.atomic import atomic_write, write_text_atomic

    exp_dir.mkdir(parents=True, exist_ok=True)
    label_map.save(exp_dir / "labels.txt")
    config = {
        "baseline": "utterance_stats + logistic_regression",
        "labels": args.labels,
        "stats": dataclasses.asdict(stats_options(args)),
        "stats_layout": "mean, std, delta_std (Kaldi deltas, window 2), percentile; each feat_dim values",
        "feat_dim": dim,
        "num_classes": len(label_map),
        "l2_grid": parse_grid(args.l2_grid),
        "l2": search.model.l2,
        "max_iter": args.max_iter,
        "train_dir": args.dirs[0],
        "dev_dir": args.dirs[1],
    }
    write_text_atomic(exp_dir / "config.yaml", yaml.safe_dump(config, sort_keys=False))
    lines = ["l2 dev_accuracy dev_cross_entropy"]
    for t in search.trials:
        mark = " *" if t.l2 == search.model.l2 else ""
        lines.append(f"{t.l2:g} {100 * t.dev_accuracy:.2f}% {t.dev_cross_entropy:.4f}{mark}")
    write_text_atomic(exp_dir / "l2_search.txt", "\n".join(lines) + "\n")
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    with open(exp_dir / "command.txt", "a", encoding="utf-8") as f:
        f.write(f"# {stamp}\n{shlex.join([f'steps/{PROG}', *argv])}\n")
    model = search.model
    with atomic_write(exp_dir / "model.npz", "wb") as f:
        np.savez(
            f,
            mean=standardiser.mean,
            scale=standardiser.scale,
            weight=model.weight,
            bias=model.bias,
            l2=np.array(model.l2),
        )


def write_forward(
    out_dir: Path, data_dir: Path, utts: list[str], logpost: np.ndarray, label_map, event_label: str = ""
) -> None:
    """steps/forward.py's utterance-model outputs (as one job; ``utt2score`` of ``event_label``
    when given); ``scores.scp`` last."""
    from kaldinn.io.tables import Writer
    from kaldinn.steps.forward import check_complete, write_event_scores, write_score_table
    from kaldinn.steps.make_feats import absolute_output_dir

    out_dir = absolute_output_dir(str(out_dir))
    for stale in ("scores.scp", "utt2pred", "scores.txt", "utt2score"):
        (out_dir / stale).unlink(missing_ok=True)  # a failed re-run must not leave old results
    with Writer(f"ark,scp:{out_dir}/scores.1.ark,{out_dir}/scores.1.scp") as writer:
        for utt, row in zip(utts, logpost, strict=True):
            writer.write(utt, row.astype(np.float32))
    scp = read_table(out_dir / "scores.1.scp")
    check_complete(scp, data_dir)
    label_map.save(out_dir / "labels.txt")
    preds = logpost.argmax(axis=1)
    write_table(out_dir / "utt2pred", {u: label_map.label(int(i)) for u, i in zip(utts, preds, strict=True)})
    write_score_table(scp, label_map.labels, out_dir / "scores.txt")
    if event_label:
        write_event_scores(scp, label_map.index(event_label), out_dir / "utt2score")
    write_table(out_dir / "scores.scp", scp)


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.baselines.logreg import select_l2
    from kaldinn.baselines.stats import Standardiser
    from kaldinn.data.labels import LabelMap
    from kaldinn.io.text_table import c_sorted
    from kaldinn.steps.make_feats import check_data_dir

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if len(args.dirs) < 4:
        raise UsageError(f"expected <train-dir> <dev-dir> <test-dir>... <exp-dir>, got {len(args.dirs)} dirs")
    if args.max_iter < 1:
        raise UsageError(f"--max-iter must be >= 1, got {args.max_iter}")
    train_dir, dev_dir, *test_dirs = (Path(d) for d in args.dirs[:-1])
    exp_dir, grid, options = Path(args.dirs[-1]), parse_grid(args.l2_grid), stats_options(args)
    for data_dir in (train_dir, dev_dir, *test_dirs):
        check_data_dir(data_dir, ["feats.scp", "utt2spk"])
    for data_dir in (train_dir, dev_dir):
        check_data_dir(data_dir, [args.labels])
    train_utts, x_train = dir_stats(train_dir, options)
    train_labels = read_labels(train_dir, args.labels, train_utts)
    dev_utts, x_dev = dir_stats(dev_dir, options)
    dev_labels = read_labels(dev_dir, args.labels, dev_utts)
    label_map = LabelMap(c_sorted(set(train_labels)))
    if len(label_map) < 2:
        raise KaldinnError(f"{train_dir}/{args.labels} holds a single class; nothing to classify")
    if args.event_label and label_map.get(args.event_label) is None:
        raise KaldinnError(
            f"--event-label {args.event_label} is not a label of {train_dir}/{args.labels} "
            f"(labels: {' '.join(label_map.labels)})"
        )
    unseen = sorted(set(dev_labels) - set(label_map.labels))
    if unseen:
        print(
            f"{PROG}: WARNING: dev labels absent from training count as errors: {' '.join(unseen)}",
            file=sys.stderr,
        )
    standardiser = Standardiser.fit(x_train)
    y_train = np.array([label_map.index(label) for label in train_labels])
    y_dev = np.array([-1 if label_map.get(label) is None else label_map.get(label) for label in dev_labels])
    search = select_l2(
        standardiser.apply(x_train),
        y_train,
        standardiser.apply(x_dev),
        y_dev,
        len(label_map),
        grid,
        args.max_iter,
    )
    save_model(exp_dir, args, argv, standardiser, search, label_map, x_train.shape[1] // 4)
    best = search.best
    print(
        f"{PROG}: L2 {best.l2:g} picked on {dev_dir} (dev accuracy {100 * best.dev_accuracy:.2f}%); "
        f"model in {exp_dir}/model.npz",
        file=sys.stderr,
    )
    for test_dir in test_dirs:
        utts, x = dir_stats(test_dir, options)
        out_dir = exp_dir / f"forward_{test_dir.name}"
        logpost = search.model.log_posteriors(standardiser.apply(x))
        write_forward(out_dir, test_dir, utts, logpost, label_map, args.event_label)
        print(f"{PROG}: succeeded writing {out_dir}/scores.scp for {test_dir}", file=sys.stderr)
    return 0
