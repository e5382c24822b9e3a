"""steps/decode_attention.py: decode a data directory with an attention model (las) and score it.

Splits <data-dir> by speaker into --nj parts and runs ``kaldinn.bin.decode_attention`` on
each through --cmd (``$cmd JOB=1:nj``): greedy with ``--beam 1``, else beam search, with
optional joint CTC prefix scores (``--ctc-weight``) and word-LM shallow fusion (``--lm``,
``--lm-weight``, ``--word-bonus``); see that tool for every search option. Outputs in
<decode-dir>, merged atomically after every job succeeded: ``hyp`` (Kaldi text form,
C-sorted, every utterance of feats.scp), ``hyp_units`` (the same as unit symbols),
``attention.scp`` + ``attention.N.ark`` (each best hypothesis' weights, (tokens + 1) x
encoder frames, the last row ``<eos>``), ``attention_monotonicity`` (share of output steps
whose attention peak does not move backwards; ``kaldinn.metrics.attention``) and
``attention/<utt>.png`` heat maps of --num-plots utterances spread over the set; and, when
<data-dir> has a ``text``, ``wer`` and ``cer`` (compute-wer's lines),
``scoring_kaldi/wer_details/wer_bootci`` (compute-wer-bootci's line, as steps/decode_ctc.py) and
``per_utt`` (Kaldi's wer_per_utt_details form: ref / hyp / op / #csid lines per utterance).

Example::

    steps/decode_attention.py --nj 2 --cmd "$decode_cmd" --beam 10 --ctc-weight 0.3 \\
        data/digits_test exp/att_char_blstm exp/att_char_blstm/decode_digits_test_beam10_ctc
"""

from __future__ import annotations

import sys
from pathlib import Path

from kaldinn.bin.decode_attention import add_search_options
from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.lock import DirLock
from kaldinn.io.text_table import read_table, write_table
from kaldinn.steps.decode_ctc import score
from kaldinn.steps.make_feats import absolute_output_dir, check_data_dir, merge_tables

PROG = "decode_attention.py"
OUTPUTS = (
    "hyp",
    "hyp_units",
    "wer",
    "cer",
    "scoring_kaldi/wer_details/wer_bootci",
    "wer_bootci",  # where it was written before scoring_kaldi/
    "per_utt",
    "attention.scp",
    "attention_monotonicity",
)
# Options passed on to every job unchanged (the tool's search options).
FORWARDED = (
    "beam", "ctc_weight", "lm_weight", "word_bonus", "length_bonus", "length_norm", "max_len_ratio",
    "min_len_ratio", "pre_beam", "batch_size", "device",
)  # fmt: skip


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Decode a data directory with an attention model; write hyp, wer, cer, attention plots.",
        usage=f"{PROG} [options] <data-dir> <exp-dir> <decode-dir>",
    )
    parser.add_argument("--nj", type=int, default=4, help="number of parallel jobs")
    parser.add_argument("--cmd", default="utils/run.py", help="job runner, as in cmd.sh")
    parser.add_argument("--model", default="final.pt", help="checkpoint inside <exp-dir>")
    parser.add_argument("--num-plots", type=int, default=4, help="attention heat maps to draw")
    add_search_options(parser)
    parser.add_argument("data_dir")
    parser.add_argument("exp_dir")
    parser.add_argument("decode_dir")
    return parser


def check_inputs(args) -> Path:
    """Validate options and inputs before any job runs; returns the model path."""
    if args.nj < 1 or args.beam < 1 or args.num_plots < 0:
        raise UsageError(
            f"--nj and --beam must be >= 1 and --num-plots >= 0, got {args.nj}, {args.beam}, {args.num_plots}"
        )
    check_data_dir(Path(args.data_dir), ["feats.scp", "utt2spk"])
    model = Path(args.exp_dir) / args.model
    if not model.is_file():
        raise KaldinnError(f"{model} does not exist; train the model with steps/train.py first")
    for name in ("lm", "lexicon", "tokens"):
        path = getattr(args, name)
        if path and not Path(path).is_file():
            raise KaldinnError(f"--{name} {path} does not exist")
    check_model(args, model)
    return model


def check_model(args, model: Path) -> None:
    """The checkpoint must hold an attention model, with a CTC branch for --ctc-weight > 0."""
    from kaldinn.train.checkpoint import load_checkpoint

    spec = load_checkpoint(model)["model_config"]
    if spec["name"] != "las":
        raise KaldinnError(
            f"{model} is a '{spec['name']}' model, not las; decode it with steps/decode_ctc.py"
        )
    if args.ctc_weight > 0 and not spec["args"].get("ctc_branch", False):
        raise UsageError(
            f"--ctc-weight {args.ctc_weight}: {model} has no CTC branch (trained without "
            "model_args.ctc_branch); decode with --ctc-weight 0"
        )


def job_argv(args, model: Path, split_dir: Path, out_dir: Path) -> list[str]:
    """The per-job decode_attention command (JOB is substituted by the runner)."""
    argv = [sys.executable, "-m", "kaldinn.bin.decode_attention"]
    for name in FORWARDED:
        value = getattr(args, name)
        argv += [f"--{name.replace('_', '-')}", str(value).lower() if isinstance(value, bool) else str(value)]
    if args.eos_threshold is not None:
        argv += ["--eos-threshold", str(args.eos_threshold)]
    for name in ("lm", "lexicon", "tokens"):
        if getattr(args, name):
            argv += [f"--{name}", str(Path(getattr(args, name)).absolute())]
    argv += ["--write-units", f"{out_dir}/hyp_units.JOB"]
    argv += ["--write-attention", f"ark,scp:{out_dir}/attention.JOB.ark,{out_dir}/attention.JOB.scp"]
    return [*argv, str(model.absolute()), f"{split_dir}/JOB", f"{out_dir}/hyp.JOB"]


def merge_outputs(args, out_dir: Path) -> dict[str, list[str]]:
    """Merge per-job hyp, hyp_units and attention.scp (written last); every utterance must be decoded."""
    jobs = range(1, args.nj + 1)
    hyps: dict[str, list[str]] = {}
    units: dict[str, list[str]] = {}
    for job in jobs:
        for name, table in ((f"hyp.{job}", hyps), (f"hyp_units.{job}", units)):
            part = out_dir / name
            if not part.is_file():
                raise KaldinnError(f"{part} was not written; decode job {job} failed (see {out_dir}/log)")
            table.update(read_table(part, split=True, require_value=False))
    missing = [utt for utt in read_table(Path(args.data_dir) / "feats.scp") if utt not in hyps]
    if missing:
        raise KaldinnError(
            f"{len(missing)} utterances have no hypothesis (e.g. {missing[0]}); see {out_dir}/log"
        )
    write_table(out_dir / "hyp_units", units)
    write_table(out_dir / "hyp", hyps)
    write_table(
        out_dir / "attention.scp", merge_tables([out_dir / f"attention.{j}.scp" for j in jobs], "decode")
    )
    for job in jobs:
        for name in (f"hyp.{job}", f"hyp_units.{job}", f"attention.{job}.scp"):
            (out_dir / name).unlink(missing_ok=True)
    return units


def write_per_utt(result, path: Path) -> None:
    """Kaldi's per_utt: ``<utt> ref|hyp|op ...`` aligned columns and ``<utt> #csid C S I D``."""
    from kaldinn.io.atomic import atomic_write

    with atomic_write(path) as f:
        for utt in result.utts:
            cols = [
                (r if r != "<eps>" else "***", h if h != "<eps>" else "***", op) for r, h, op in utt.pairs
            ]
            width = [max(len(a), len(b), len(c)) for a, b, c in cols]
            for label, k in (("ref", 0), ("hyp", 1), ("op", 2)):
                f.write(
                    f"{utt.utt_id} {label} "
                    + " ".join(c[k].ljust(w) for c, w in zip(cols, width, strict=True)).rstrip()
                    + "\n"
                )
            f.write(f"{utt.utt_id} #csid {utt.corr} {utt.subs} {utt.ins} {utt.dels}\n")


def attention_outputs(out_dir: Path, units: dict[str, list[str]], num_plots: int) -> str:
    """attention_monotonicity and the heat maps; returns the monotonicity summary."""
    from kaldinn.io.atomic import write_text_atomic
    from kaldinn.io.tables import SequentialReader
    from kaldinn.metrics.attention import monotonicity, write_attention_plot

    alignments = dict(SequentialReader(f"scp:{out_dir}/attention.scp"))
    summary = monotonicity(alignments)
    write_text_atomic(out_dir / "attention_monotonicity", summary.format())
    keys = sorted(alignments)
    picks = sorted(
        {keys[round(i * (len(keys) - 1) / max(num_plots - 1, 1))] for i in range(min(num_plots, len(keys)))}
    )
    (out_dir / "attention").mkdir(exist_ok=True)
    for utt in picks:
        labels = [*units.get(utt, []), "<eos>"]
        write_attention_plot(alignments[utt], labels, out_dir / "attention" / f"{utt}.png", title=utt)
    return f"attention monotonic steps {summary.share:.3f}"


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.dispatch.submit import run_jobs
    from kaldinn.io.datadir_split import split_data
    from kaldinn.metrics.wer import compute_wer

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
        units = merge_outputs(args, out_dir)
        summary = f"{len(units)} hypotheses in {out_dir}/hyp; " + attention_outputs(
            out_dir, units, args.num_plots
        )
        if (data_dir / "text").is_file():
            summary += "; " + score(
                data_dir, read_table(out_dir / "hyp", split=True, require_value=False), out_dir
            )
            refs = read_table(data_dir / "text", split=True, require_value=False)
            write_per_utt(
                compute_wer(refs, read_table(out_dir / "hyp", split=True, require_value=False), "all"),
                out_dir / "per_utt",
            )
        print(f"{PROG}: succeeded: {summary}", file=sys.stderr)
    return 0
