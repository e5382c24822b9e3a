"""steps/score_classification.py: score a forward step's decisions against reference labels.

Utterance level: <ref> is a ``<utt> <label>`` table (``data/x/utt2lang``, ``utt2label``);
<forward-dir> holds ``utt2pred`` (and ``scores.scp`` + ``labels.txt`` from
``steps/forward.py``). Every reference utterance needs a prediction. Written to <out-dir>:
``results.txt`` (accuracy, per-class precision/recall/F1; with scores and ``--lid true``
also Cavg at ``--p-target`` and the EER of every language pair), ``confusion.txt`` and
``confusion.png`` (rows: reference, columns: decision). Definitions:
``kaldinn/metrics/classification.py``.
Frame level: <ref> is an rspecifier of int32 label vectors (``scp:data/x/ali.scp``) and
<forward-dir> holds ``logpost.scp`` or ``loglik.scp``; the decision is each row's argmax;
``results.txt`` then reports frame accuracy. ``--results-md FILE --tag NAME`` appends a
section (date, exact command, the experiment's config path, the results) to RESULTS.md.
Accuracy and frame accuracy get a 95% bootstrap interval (``accuracy_ci95`` /
``frame_accuracy_ci95`` lines): ``--replications`` (default 1000, 0 for none) replicates
resample the speakers with replacement, each carrying its correct and total counts
(utterances or frames), percentile interval, ``--seed`` fixed. Speakers come from
``--utt2spk`` (default: the ``utt2spk`` beside <ref>, e.g. ``data/x/utt2spk`` for
``data/x/utt2lang`` or ``scp:data/x/ali.scp``).

Example::

    steps/score_classification.py --lid true --results-md RESULTS.md --tag lid_hgru \\
        data/lid_test/utt2lang exp/lid_hgru/forward_test exp/lid_hgru/forward_test/score
"""

from __future__ import annotations

import datetime
import shlex
import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser, str2bool
from kaldinn.errors import KaldinnError
from kaldinn.io.atomic import atomic_write, write_text_atomic
from kaldinn.io.specifier import is_rspecifier, parse_rspecifier
from kaldinn.io.text_table import c_sorted, read_table
from kaldinn.metrics import bootstrap
from kaldinn.metrics import classification as cm

PROG = "score_classification.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Accuracy, per-class P/R, confusion matrix (and Cavg / pair EERs) of a forward dir.",
        usage=f"{PROG} [options] <ref-table|ali-rspecifier> <forward-dir> <out-dir>",
    )
    parser.add_argument("--lid", type=str2bool, default=False, help="also Cavg and per-pair EER")
    parser.add_argument("--p-target", type=float, default=0.5, help="target prior of Cavg")
    parser.add_argument("--results-md", help="append a section to this RESULTS.md")
    parser.add_argument("--tag", default="", help="section title in RESULTS.md (default: <forward-dir>)")
    parser.add_argument("--exp-dir", help="experiment dir whose config.yaml is recorded (default: parent)")
    parser.add_argument("--utt2spk", help="speakers the bootstrap resamples (default: utt2spk beside <ref>)")
    parser.add_argument("--replications", type=int, default=bootstrap.SV_REPLICATIONS,
                        help="bootstrap replicates of the accuracy interval (0: no interval)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap")
    parser.add_argument("ref")
    parser.add_argument("forward_dir")
    parser.add_argument("out_dir")
    return parser


def class_list(forward_dir: Path, refs: dict[str, str], preds: dict[str, str]) -> list[str]:
    """The model's labels (labels.txt order), then labels seen only in ref / utt2pred."""
    from kaldinn.data.labels import LabelMap

    known = LabelMap.load(forward_dir / "labels.txt").labels if (forward_dir / "labels.txt").is_file() else []
    extra = c_sorted((set(refs.values()) | set(preds.values())) - set(known))
    return known + extra


def score_utterances(args, forward_dir: Path, out_dir: Path) -> list[str]:
    """Utterance-level scoring; returns the lines of results.txt."""
    refs = read_table(args.ref)
    preds = read_table(forward_dir / "utt2pred")
    missing = [u for u in refs if u not in preds]
    if missing:
        raise KaldinnError(
            f"{len(missing)} of {len(refs)} utterances of {args.ref} have no prediction in "
            f"{forward_dir}/utt2pred (e.g. {', '.join(missing[:3])}); rerun steps/forward.py on that data, "
            f"or score a reference restricted to them (utils/filter_scp.py {forward_dir}/utt2pred {args.ref})"
        )
    classes = class_list(forward_dir, refs, preds)
    index = {c: i for i, c in enumerate(classes)}
    utts = list(refs)
    ref_ids = [index[refs[u]] for u in utts]
    confusion = cm.confusion_matrix(ref_ids, [index[preds[u]] for u in utts], len(classes))
    write_text_atomic(out_dir / "confusion.txt", cm.format_confusion(confusion, classes))
    cm.write_confusion_png(confusion, classes, out_dir / "confusion.png")
    acc = np.trace(confusion) / confusion.sum()
    lines = [f"utterances {len(utts)}", f"accuracy {100 * acc:.2f}%", f"error_rate {100 * (1 - acc):.2f}%"]
    correct = [refs[u] == preds[u] for u in utts]
    lines[2:2] = interval_lines(args, "accuracy", utts, correct, np.ones(len(utts)), "utterances")
    lines += ["", "class precision recall f1 support"]
    for label, st in zip(classes, cm.per_class_stats(confusion), strict=True):
        lines.append(
            f"{label} {100 * st.precision:.2f}% {100 * st.recall:.2f}% {100 * st.f1:.2f}% {st.support}"
        )
    if args.lid:
        lines += lid_lines(args, forward_dir, refs, classes)
    return lines


def lid_lines(args, forward_dir: Path, refs: dict[str, str], classes: list[str]) -> list[str]:
    """Cavg and pairwise EERs from scores.scp (trials whose language the model lacks are left out)."""
    from kaldinn.io.tables import RandomAccessReader

    scp = forward_dir / "scores.scp"
    if not scp.is_file():
        raise KaldinnError(f"--lid true needs {scp} (per-class scores from steps/forward.py)")
    reader = RandomAccessReader(f"scp:{scp}")
    num_model = len(reader[next(iter(refs))])
    utts = [u for u, label in refs.items() if classes.index(label) < num_model]
    scores = np.stack([reader[u] for u in utts])
    ref_ids = [classes.index(refs[u]) for u in utts]
    lines = [
        "",
        f"cavg {cm.cavg(scores, ref_ids, args.p_target):.4f} (p_target {args.p_target:g}, "
        f"{len(utts)} trials; {len(refs) - len(utts)} with languages the model lacks left out)",
    ]
    lines.append("pair eer")
    for (a, b), eer in cm.pairwise_eer(scores, ref_ids).items():
        lines.append(f"{classes[a]}-{classes[b]} {100 * eer:.2f}%")
    return lines


def score_frames(args, forward_dir: Path, out_dir: Path) -> list[str]:
    """Frame-level scoring against int32 label vectors; returns the lines of results.txt."""
    from kaldinn.io.tables import RandomAccessReader, SequentialReader

    scp = next((forward_dir / n for n in ("logpost.scp", "loglik.scp") if (forward_dir / n).is_file()), None)
    if scp is None:
        raise KaldinnError(f"{forward_dir} has no logpost.scp or loglik.scp; run steps/forward.py first")
    outputs = RandomAccessReader(f"scp:{scp}")
    utts, pairs, missing = [], [], []
    with SequentialReader(args.ref) as reader:
        for utt, ali in reader:
            if utt not in outputs:
                missing.append(utt)
                continue
            utts.append(utt)
            pairs.append((np.asarray(ali), np.argmax(outputs[utt], axis=1)))
    if missing:
        raise KaldinnError(
            f"{len(missing)} utterances of {args.ref} have no output in {scp} (e.g. {missing[0]})"
        )
    acc, frames = cm.frame_accuracy(pairs)
    correct = [int(np.sum(r == h)) for r, h in pairs]
    ci = interval_lines(args, "frame_accuracy", utts, correct, [len(r) for r, _ in pairs], "frames")
    num = max(int(max(r.max(initial=0), h.max(initial=0))) for r, h in pairs) + 1
    confusion = cm.confusion_matrix(
        np.concatenate([r for r, _ in pairs]), np.concatenate([h for _, h in pairs]), num
    )
    labels = [str(i) for i in range(num)]
    write_text_atomic(out_dir / "confusion.txt", cm.format_confusion(confusion, labels))
    cm.write_confusion_png(confusion, labels, out_dir / "confusion.png")
    return [f"utterances {len(pairs)}", f"frames {frames}", f"frame_accuracy {100 * acc:.2f}%", *ci]


def find_utt2spk(args) -> Path:
    """--utt2spk, else the utt2spk beside the reference table or alignment scp."""
    if args.utt2spk:
        return Path(args.utt2spk)
    path = parse_rspecifier(args.ref).path if is_rspecifier(args.ref) else args.ref
    candidate = Path(path.strip()).parent / "utt2spk"
    if path.strip() == "-" or path.strip().endswith("|") or not candidate.is_file():
        raise KaldinnError(
            f"no utt2spk beside {args.ref} (looked for {candidate}); the accuracy interval resamples "
            "speakers: pass --utt2spk data/<set>/utt2spk, or --replications 0 for no interval"
        )
    return candidate


def interval_lines(args, name: str, utts: list[str], correct, total, unit: str) -> list[str]:
    """``<name>_ci95 [lo%, hi%] (...)``: speaker-bootstrap percentile interval, or nothing."""
    if args.replications <= 0:
        return []
    utt2spk_path = find_utt2spk(args)
    per_spk = bootstrap.group_counts(utts, correct, total, read_table(utt2spk_path))
    if len(per_spk[0]) < 2:  # every replicate would be the sample itself
        return [f"{name}_ci95 n/a (one speaker in {utt2spk_path}; a speaker bootstrap needs several)"]
    ci = bootstrap.accuracy_bootstrap(*per_spk, replications=args.replications, seed=args.seed)
    return [
        f"{name}_ci95 [{100 * ci.low:.2f}%, {100 * ci.high:.2f}%] (95% percentile interval, "
        f"{ci.replications} bootstrap replicates resampling the {len(per_spk[0])} speakers of "
        f"{utt2spk_path} with their {unit}, seed {args.seed})"
    ]


def provenance(exp_dir: Path) -> list[str]:
    """RESULTS.md lines naming the experiment's config and the command that trained it."""
    config = exp_dir / "config.yaml"
    lines = [f"- config: `{config}`" + ("" if config.is_file() else " (not found)")]
    commands = exp_dir / "command.txt"
    if commands.is_file() and commands.read_text().strip():
        lines.append(f"- trained with: `{commands.read_text().strip().splitlines()[-1]}`")
    return lines


def append_results_md(path: Path, tag: str, command: str, exp_dir: Path, results: list[str]) -> None:
    """Append a RESULTS.md section (atomic rewrite of the whole file)."""
    old = path.read_text() if path.is_file() else ""
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = [f"## {tag} ({stamp})", "", f"- command: `{command}`", *provenance(exp_dir), "", "```"]
    section += results + ["```", ""]
    with atomic_write(path) as f:
        f.write(old + ("\n" if old and not old.endswith("\n\n") else "") + "\n".join(section))


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    forward_dir, out_dir = Path(args.forward_dir), Path(args.out_dir)
    if not forward_dir.is_dir():
        raise KaldinnError(f"forward directory {forward_dir} does not exist")
    out_dir.mkdir(parents=True, exist_ok=True)
    frame_level = args.ref.startswith(("scp:", "ark:", "scp,", "ark,"))
    if frame_level:
        lines = score_frames(args, forward_dir, out_dir)
    else:
        lines = score_utterances(args, forward_dir, out_dir)
    write_text_atomic(out_dir / "results.txt", "\n".join(lines) + "\n")
    if args.results_md:
        exp_dir = Path(args.exp_dir) if args.exp_dir else forward_dir.parent
        command = shlex.join([f"steps/{PROG}", *argv])
        append_results_md(Path(args.results_md), args.tag or str(forward_dir), command, exp_dir, lines)
    key = "frame_accuracy" if frame_level else "accuracy"
    values = dict(line.split(" ", 1) for line in lines if line.startswith(key))
    ci = f" (95% CI {values[key + '_ci95'].split(' (')[0]})" if key + "_ci95" in values else ""
    print(f"{PROG}: {key} {values[key]}{ci}; details in {out_dir}/results.txt", file=sys.stderr)
    return 0
