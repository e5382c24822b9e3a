"""steps/decode_ctc.py: decode a data directory with a trained CTC model and score it.

Splits <data-dir> by speaker into --nj parts and runs ``kaldinn.bin.decode_ctc`` on each
through --cmd (``$cmd JOB=1:nj``): greedy with ``--beam 1``, else prefix beam search, with an
optional ARPA word LM (``--lm``, ``--lm-weight``, ``--word-bonus``). Outputs in <decode-dir>,
merged atomically after every job succeeded: ``hyp`` (Kaldi text form, C-sorted, every
utterance of feats.scp), ``ctm`` (word times from the CTC alignment), with
``--write-logpost true`` ``logpost.N.ark`` + ``logpost.scp``; and, when <data-dir> has a
``text``, ``wer`` and ``cer`` (compute-wer's ``%WER``/``%SER`` lines) scored against it, and
``scoring_kaldi/wer_details/wer_bootci`` (compute-wer-bootci's ``Set1: %WER ... 95% Conf
Interval [ lo, hi ]`` line: 10000 replicates resampling the utterances, seed 0; see
kaldinn/metrics/bootstrap.py). It lies where Kaldi's score_kaldi_wer.sh puts it, out of the
``wer_*`` glob, so that ``grep WER <decode-dir>/wer_* | utils/best_wer.sh`` sees compute-wer
lines only.

Example::

    steps/decode_ctc.py --nj 4 --cmd "$decode_cmd" --beam 10 --lm data/lang/lm.arpa --lm-weight 0.5 \\
        data/digits_test exp/ctc_char_bilstm exp/ctc_char_bilstm/decode_test
"""

from __future__ import annotations

import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, str2bool
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.lock import DirLock
from kaldinn.io.text_table import read_table, write_table
from kaldinn.steps.make_feats import absolute_output_dir, check_data_dir, merge_tables

PROG = "decode_ctc.py"
# removed before a run; the top-level wer_bootci is where it was written before scoring_kaldi/
OUTPUTS = ("hyp", "ctm", "wer", "cer", "scoring_kaldi/wer_details/wer_bootci", "wer_bootci", "logpost.scp")


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Decode a data directory with a CTC model; write hyp, ctm, wer, cer.",
        usage=f"{PROG} [options] <data-dir> <exp-dir> <decode-dir>",
    )
    parser.add_argument("--nj", type=int, default=4, help="number of parallel jobs")
    parser.add_argument("--cmd", default="utils/run.py", help="job runner, as in cmd.sh")
    parser.add_argument("--beam", type=int, default=1, help="prefix beam width (1 without --lm: greedy)")
    parser.add_argument("--lm", help="ARPA word language model")
    parser.add_argument("--lm-weight", type=float, default=0.5)
    parser.add_argument("--word-bonus", type=float, default=0.0)
    parser.add_argument("--lexicon", help="restrict words to a lexicon ('<word> <unit> ...')")
    parser.add_argument("--tokens", help="unit table (default: <exp-dir>/labels.txt)")
    parser.add_argument("--model", default="final.pt", help="checkpoint inside <exp-dir>")
    parser.add_argument("--write-logpost", type=str2bool, default=False, help="keep log-posteriors (ark,scp)")
    parser.add_argument("--frame-shift", type=float, default=0.01, help="feature frame shift in seconds")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("data_dir")
    parser.add_argument("exp_dir")
    parser.add_argument("decode_dir")
    return parser


def check_inputs(args) -> Path:
    """Validate options and inputs before any job runs; returns the model path."""
    if args.nj < 1 or args.beam < 1:
        raise UsageError(f"--nj and --beam must be >= 1, got {args.nj} and {args.beam}")
    check_data_dir(Path(args.data_dir), ["feats.scp", "utt2spk"])
    model = Path(args.exp_dir) / args.model
    if not model.is_file():
        raise KaldinnError(f"{model} does not exist; train the model with steps/train.py first")
    for name in ("lm", "lexicon", "tokens"):
        path = getattr(args, name)
        if path and not Path(path).is_file():
            raise KaldinnError(f"--{name} {path} does not exist")
    return model


def job_argv(args, model: Path, split_dir: Path, out_dir: Path) -> list[str]:
    """The per-job decode_ctc command (JOB is substituted by the runner)."""
    argv = [sys.executable, "-m", "kaldinn.bin.decode_ctc", "--beam", str(args.beam)]
    argv += ["--lm-weight", str(args.lm_weight), "--word-bonus", str(args.word_bonus)]
    argv += [
        "--frame-shift",
        str(args.frame_shift),
        "--batch-size",
        str(args.batch_size),
        "--device",
        args.device,
    ]
    for name in ("lm", "lexicon", "tokens"):
        if getattr(args, name):
            argv += [f"--{name}", str(Path(getattr(args, name)).absolute())]
    argv += ["--ctm", f"{out_dir}/ctm.JOB"]
    if args.write_logpost:
        argv += ["--write-logpost", f"ark,scp:{out_dir}/logpost.JOB.ark,{out_dir}/logpost.JOB.scp"]
    return [*argv, str(model.absolute()), f"{split_dir}/JOB", f"{out_dir}/hyp.JOB"]


def merge_outputs(args, out_dir: Path) -> dict[str, list[str]]:
    """Merge per-job hyp/ctm (+ logpost.scp, written last); every utterance must be decoded."""
    from kaldinn.io.atomic import atomic_write

    jobs = range(1, args.nj + 1)
    hyps: dict[str, list[str]] = {}
    for job in jobs:
        part = out_dir / f"hyp.{job}"
        if not part.is_file():
            raise KaldinnError(f"{part} was not written; decode job {job} failed (see {out_dir}/log)")
        hyps.update(read_table(part, split=True, require_value=False))
    missing = [utt for utt in read_table(Path(args.data_dir) / "feats.scp") if utt not in hyps]
    if missing:
        raise KaldinnError(
            f"{len(missing)} utterances have no hypothesis (e.g. {missing[0]}); see {out_dir}/log"
        )
    lines = [
        line for job in jobs for line in (out_dir / f"ctm.{job}").read_text(encoding="utf-8").splitlines()
    ]
    lines.sort(key=lambda line: (line.split()[0].encode(), float(line.split()[2])))
    with atomic_write(out_dir / "ctm") as f:
        f.writelines(line + "\n" for line in lines)
    write_table(out_dir / "hyp", hyps)
    if args.write_logpost:
        write_table(
            out_dir / "logpost.scp", merge_tables([out_dir / f"logpost.{j}.scp" for j in jobs], "decode")
        )
    for job in jobs:
        for name in (f"hyp.{job}", f"ctm.{job}", f"logpost.{job}.scp"):
            (out_dir / name).unlink(missing_ok=True)
    return hyps


def score(data_dir: Path, hyps: dict[str, list[str]], out_dir: Path) -> str:
    """Write <decode-dir>/wer, cer and scoring_kaldi/wer_details/wer_bootci against
    <data-dir>/text; returns the %WER line."""
    return write_scores(read_table(data_dir / "text", split=True, require_value=False), hyps, out_dir)


def write_scores(refs: dict[str, list[str]], hyps: dict[str, list[str]], out_dir: Path) -> str:
    """Write ``wer``, ``cer`` (characters of the words) and ``scoring_kaldi/wer_details/wer_bootci``
    of ``hyps`` against ``refs`` into ``out_dir`` (compute-wer ``--mode all``: a reference without a
    hypothesis counts as an empty hypothesis); returns the %WER line. Shared with kaldinn.bin.score_hybrid."""
    from kaldinn.io.atomic import write_text_atomic
    from kaldinn.metrics.bootstrap import edit_counts, format_bootci, wer_bootci
    from kaldinn.metrics.wer import compute_cer, compute_wer

    # feats.scp is fully decoded; a transcript without features counts as an empty hypothesis.
    wer = compute_wer(refs, hyps, mode="all")
    write_text_atomic(out_dir / "wer", wer.format("WER"))
    write_text_atomic(out_dir / "cer", compute_cer(refs, hyps, mode="all").format("CER"))
    if wer.num_words:  # compute-wer-bootci's interval (undefined without reference words), out of wer_*
        bootci = format_bootci(wer_bootci(*edit_counts(wer))[0])
        write_text_atomic(out_dir / "scoring_kaldi" / "wer_details" / "wer_bootci", bootci + "\n")
    return wer.format("WER", sentences=False).strip()


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.dispatch.submit import run_jobs
    from kaldinn.io.datadir_split import split_data

    args = build_parser().parse_args(argv)
    model = check_inputs(args)
    data_dir = Path(args.data_dir)
    out_dir = absolute_output_dir(args.decode_dir)
    with DirLock(out_dir, PROG):  # one job at a time writes out_dir
        for stale in OUTPUTS:
            (out_dir / stale).unlink(missing_ok=True)  # a failed re-run must not leave old results
        parts = split_data(data_dir, args.nj)
        run_jobs(
            args.cmd,
            str(out_dir / "log" / "decode.JOB.log"),
            job_argv(args, model, parts[0].parent, out_dir),
            args.nj,
        )
        hyps = merge_outputs(args, out_dir)
        summary = f"{len(hyps)} hypotheses in {out_dir}/hyp"
        if (data_dir / "text").is_file():
            summary += "; " + score(data_dir, hyps, out_dir)
        print(f"{PROG}: succeeded: {summary}", file=sys.stderr)
    return 0
