"""steps/forward.py: a trained model's outputs over a data directory, as Kaldi tables.

Splits <data-dir> by speaker into --nj parts and runs ``kaldinn.bin.nnet_forward`` on each
through --cmd (``$cmd JOB=1:nj``). Outputs in <out-dir> (the scp files are written last,
only after every job succeeded):

- frame models: ``logpost.N.ark`` + ``logpost.scp`` (``--output log-posterior``) or
  ``loglik.N.ark`` + ``loglik.scp`` (``--output log-likelihood``: log-posterior minus the log
  prior from ``--priors``, default ``<exp-dir>/priors.counts`` as ``steps/train.py --ali-dir``
  saves it; the input of Kaldi's ``latgen-faster-mapped``). One float32
  matrix per utterance with one row per input frame: the row count equals
  ``utt2num_frames``, or ceil(frames / subsample) for a model that subsamples time
  (``rnn_frame_classifier`` with ``subsample`` > 1; pass Kaldi's decoders the matching
  ``--frame-subsampling-factor``). VAD is never applied to frame outputs.
- utterance models: ``scores.N.ark`` + ``scores.scp`` (per-class vectors in label-map
  order), ``utt2pred`` (best class), ``scores.txt`` (header ``utt_id <label1> ...``, then one
  row of scores per utterance), ``labels.txt`` (the model's label map) and, with
  ``--write-attention true``, ``attention.N.ark`` + ``attention.scp``. With ``--event-label L``
  (detection: e.g. ``1`` of a 0/1 utt2label) also ``utt2score``: ``<utt> <log-odds>``, the
  log-odds of class L against the others, log P(L) - log(1 - P(L)) (P(L) = sigmoid of it).

Example::

    steps/forward.py --nj 4 --cmd "$decode_cmd" --output log-likelihood \\
        --priors exp/phone_lstm/priors.counts data/digits_test exp/phone_lstm exp/phone_lstm/forward_test
"""

from __future__ import annotations

import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, str2bool
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.lock import DirLock
from kaldinn.io.text_table import c_sorted, read_table, write_table
from kaldinn.steps.make_feats import absolute_output_dir, check_data_dir, merge_tables

PROG = "forward.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Forward a trained model over a data directory; write ark,scp outputs.",
        usage=f"{PROG} [options] <data-dir> <exp-dir> <out-dir>",
    )
    parser.add_argument("--nj", type=int, default=4, help="number of parallel jobs")
    parser.add_argument("--cmd", default="utils/run.py", help="job runner, as in cmd.sh")
    parser.add_argument("--output", choices=("log-posterior", "log-likelihood"), default="log-posterior")
    parser.add_argument(
        "--priors",
        help="label counts from steps/compute_priors.py (log-likelihood; default <exp-dir>/priors.counts)",
    )
    parser.add_argument("--model", default="final.pt", help="checkpoint inside <exp-dir>")
    parser.add_argument("--batch-size", type=int, default=16, help="utterances per forward pass")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--write-attention", type=str2bool, default=False, help="utterance models")
    parser.add_argument(
        "--event-label", default="", help="utterance models: write utt2score, the log-odds of this label"
    )
    parser.add_argument("data_dir")
    parser.add_argument("exp_dir")
    parser.add_argument("out_dir")
    return parser


def inspect_model(model_path: Path) -> tuple[bool, int]:
    """(is it a frame model, number of outputs) of a checkpoint, checked before any job runs."""
    from kaldinn.bin.nnet_forward import is_frame_model
    from kaldinn.train.checkpoint import load_checkpoint, load_model

    spec = load_checkpoint(model_path)["model_config"]
    return is_frame_model(load_model(model_path), spec["input_dim"]), int(spec["num_classes"])


def job_argv(args, model: Path, split_dir: Path, out_dir: Path, name: str, frame_model: bool) -> list[str]:
    """The per-job nnet_forward command (JOB is substituted by the runner)."""
    argv = [sys.executable, "-m", "kaldinn.bin.nnet_forward", "--output", args.output]
    argv += ["--batch-size", str(args.batch_size), "--device", args.device]
    if args.priors:
        argv += ["--priors", str(Path(args.priors).absolute())]
    if not frame_model:
        argv += ["--labels", str(Path(args.exp_dir, "labels.txt").absolute())]
        argv += ["--utt2pred", f"{out_dir}/utt2pred.JOB"]
        if args.write_attention:
            argv += ["--write-attention", f"ark,scp:{out_dir}/attention.JOB.ark,{out_dir}/attention.JOB.scp"]
    argv += [
        str(model.absolute()),
        f"{split_dir}/JOB",
        f"ark,scp:{out_dir}/{name}.JOB.ark,{out_dir}/{name}.JOB.scp",
    ]
    return argv


def check_complete(found: dict, data_dir: Path) -> None:
    """Kaldi's rule: warn when a few utterances have no output (e.g. no voiced frame), fail above 5%."""
    utts = list(read_table(data_dir / "feats.scp"))
    missing = [u for u in utts if u not in found]
    if not missing:
        return
    examples = ", ".join(missing[:3])
    message = f"{len(missing)} of {len(utts)} utterances of {data_dir} have no output (e.g. {examples})"
    if len(missing) > len(utts) // 20:
        raise KaldinnError(f"{message}; see the job logs")
    print(f"{PROG}: WARNING: {message}; the job logs say why", file=sys.stderr)


def write_score_table(scp: dict[str, str], labels: list[str], path: Path) -> None:
    """``scores.txt``: header ``utt_id <labels...>``, one row of scores per utterance."""
    from kaldinn.io.atomic import atomic_write
    from kaldinn.io.tables import read_object

    with atomic_write(path) as f:
        f.write(" ".join(["utt_id", *labels]) + "\n")
        for utt in c_sorted(scp):
            f.write(utt + " " + " ".join(f"{v:.6g}" for v in read_object(scp[utt])) + "\n")


def write_event_scores(scp: dict[str, str], event: int, path: Path) -> None:
    """``utt2score``: log-odds of class ``event`` from each utterance's log-posteriors."""
    import numpy as np

    from kaldinn.io.tables import read_object

    scores = {}
    for utt, spec in scp.items():
        logpost = np.asarray(read_object(spec), dtype=np.float64)
        others = np.delete(logpost, event)
        scores[utt] = f"{logpost[event] - np.logaddexp.reduce(others):.6g}"
    write_table(path, scores)


def merge_outputs(args, out_dir: Path, name: str, frame_model: bool) -> None:
    """Merge the per-job tables; the main scp is written last."""
    jobs = range(1, args.nj + 1)
    scp = merge_tables([out_dir / f"{name}.{j}.scp" for j in jobs], "forward")
    check_complete(scp, Path(args.data_dir))
    if not frame_model:
        from kaldinn.data.labels import load_label_map

        labels = load_label_map(args.exp_dir)
        labels.save(out_dir / "labels.txt")
        write_table(out_dir / "utt2pred", merge_tables([out_dir / f"utt2pred.{j}" for j in jobs], "forward"))
        write_score_table(scp, labels.labels, out_dir / "scores.txt")
        if args.event_label:
            write_event_scores(scp, labels.index(args.event_label), out_dir / "utt2score")
        if args.write_attention:
            attention = merge_tables([out_dir / f"attention.{j}.scp" for j in jobs], "forward")
            write_table(out_dir / "attention.scp", attention)
    write_table(out_dir / f"{name}.scp", scp)


def check_event_label(label: str, exp_dir: Path, frame_model: bool) -> None:
    """--event-label needs an utterance model whose label map holds it (and one other label)."""
    from kaldinn.data.labels import load_label_map

    if frame_model:
        raise UsageError("--event-label is for utterance (clip) models; this model outputs frames")
    labels = load_label_map(exp_dir).labels
    if label not in labels or len(labels) < 2:
        raise UsageError(
            f"--event-label {label}: {exp_dir}/labels.txt holds {', '.join(labels)}; "
            "name one of them (detection with a 0/1 utt2label: --event-label 1)"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.dispatch.submit import run_jobs
    from kaldinn.io.datadir_split import split_data
    from kaldinn.steps.compute_priors import read_counts

    args = build_parser().parse_args(argv)
    data_dir, exp_dir = Path(args.data_dir), Path(args.exp_dir)
    if args.nj < 1:
        raise UsageError(f"--nj must be >= 1, got {args.nj}")
    check_data_dir(data_dir, ["feats.scp", "utt2spk"])
    model = exp_dir / args.model
    frame_model, num_classes = inspect_model(model)
    if args.output == "log-likelihood":
        if not args.priors and (exp_dir / "priors.counts").is_file():
            args.priors = str(exp_dir / "priors.counts")  # saved by steps/train.py --ali-dir
        if not args.priors:
            raise UsageError(
                f"--output log-likelihood needs --priors FILE (see steps/compute_priors.py); "
                f"{exp_dir}/priors.counts does not exist"
            )
        if len(read_counts(args.priors)) != num_classes:
            raise KaldinnError(f"{args.priors} does not have {num_classes} counts, one per model output")
    if not frame_model and not (exp_dir / "labels.txt").is_file():
        raise KaldinnError(f"{exp_dir}/labels.txt is missing; the utterance model's label map is needed")
    if args.event_label:
        check_event_label(args.event_label, exp_dir, frame_model)
    parts = split_data(data_dir, args.nj)  # fails on nj > #speakers before anything is written
    out_dir = absolute_output_dir(args.out_dir)
    with DirLock(out_dir, PROG):  # one job at a time writes out_dir
        name = ("logpost" if args.output == "log-posterior" else "loglik") if frame_model else "scores"
        for stale in (f"{name}.scp", "attention.scp", "utt2pred", "scores.txt", "utt2score"):
            (out_dir / stale).unlink(missing_ok=True)  # a failed re-run must not leave old results
        log = out_dir / "log" / "forward.JOB.log"
        job = job_argv(args, model, parts[0].parent, out_dir, name, frame_model)
        run_jobs(args.cmd, str(log), job, args.nj)
        merge_outputs(args, out_dir, name, frame_model)
        print(f"{PROG}: succeeded writing {out_dir}/{name}.scp for {data_dir}", file=sys.stderr)
    return 0
