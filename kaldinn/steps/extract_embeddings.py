"""steps/extract_embeddings.py: speaker embeddings (x-vectors) of a data directory, in parallel jobs.

Splits <data-dir> by speaker into --nj parts and runs ``kaldinn.bin.extract_embeddings``
on each through --cmd (``$cmd JOB=1:nj``). Outputs in <out-dir>, Kaldi's layout:
``xvector.N.ark``/``xvector.N.scp`` per job; ``spk_xvector.ark``/``spk_xvector.scp`` (per
speaker: the mean of its length-normalised embeddings, the enrolment model of cosine
scoring); ``num_utts.ark`` (text, ``<spk> <count>``: PLDA's multi-session scoring needs
it); ``utt2spk`` of the embedded utterances (multi-session enrolment in
steps/score_trials.py); and ``xvector.scp`` (all utterances), written last, after every job succeeded.

Example::

    steps/extract_embeddings.py --nj 4 --cmd "$train_cmd" \\
        data/sv_test exp/xvector_i exp/xvector_i/xvectors_sv_test
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.lock import DirLock
from kaldinn.io.text_table import c_sorted, read_table, write_table
from kaldinn.steps.forward import check_complete
from kaldinn.steps.make_feats import absolute_output_dir, check_data_dir, merge_tables

PROG = "extract_embeddings.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Extract speaker embeddings of a data directory with a trained extractor.",
        usage=f"{PROG} [options] <data-dir> <exp-dir> <out-dir>",
    )
    parser.add_argument("--nj", type=int, default=4, help="number of parallel jobs")
    parser.add_argument("--cmd", default="utils/run.py", help="job runner, as in cmd.sh")
    parser.add_argument("--model", default="final.pt", help="checkpoint inside <exp-dir>")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("data_dir")
    parser.add_argument("exp_dir")
    parser.add_argument("out_dir")
    return parser


def job_argv(args, model: Path, split_dir: Path, out_dir: Path) -> list[str]:
    """The per-job extractor command (JOB is substituted by the runner)."""
    return [
        sys.executable,
        "-m",
        "kaldinn.bin.extract_embeddings",
        "--device",
        args.device,
        str(model.absolute()),
        f"{split_dir}/JOB",
        f"ark,scp:{out_dir}/xvector.JOB.ark,{out_dir}/xvector.JOB.scp",
    ]


def speaker_means(
    scp: dict[str, str], utt2spk: dict[str, str]
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Per speaker: mean of the length-normalised embeddings of its utterances, and their number."""
    from kaldinn.backend.cosine import enroll_mean
    from kaldinn.io.tables import read_object

    spk2utts: dict[str, list[str]] = {}
    for utt in c_sorted(scp):
        spk2utts.setdefault(utt2spk[utt], []).append(utt)
    means, counts = {}, {}
    for spk in c_sorted(spk2utts):
        sessions = np.stack([read_object(scp[u]) for u in spk2utts[spk]])
        means[spk] = enroll_mean([sessions])[0].astype(np.float32)
        counts[spk] = len(sessions)
    return means, counts


def write_outputs(scp: dict[str, str], data_dir: Path, out_dir: Path) -> None:
    """Speaker means and counts first; the utterance index ``xvector.scp`` last (the commit)."""
    from kaldinn.io.tables import Writer

    utt2spk = read_table(data_dir / "utt2spk")
    unknown = [u for u in scp if u not in utt2spk]
    if unknown:
        raise KaldinnError(
            f"{data_dir}/utt2spk has no speaker for {unknown[0]}; run utils/fix_data_dir.py {data_dir}"
        )
    means, counts = speaker_means(scp, utt2spk)
    with Writer(f"ark,scp:{out_dir}/spk_xvector.ark,{out_dir}/spk_xvector.scp") as writer:
        for spk, mean in means.items():
            writer.write(spk, mean)
    write_table(out_dir / "num_utts.ark", {spk: str(n) for spk, n in counts.items()})
    write_table(out_dir / "utt2spk", {utt: utt2spk[utt] for utt in scp})
    write_table(out_dir / "xvector.scp", scp)


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.dispatch.submit import run_jobs
    from kaldinn.io.datadir_split import split_data

    args = build_parser().parse_args(argv)
    data_dir, exp_dir = Path(args.data_dir), Path(args.exp_dir)
    if args.nj < 1:
        raise UsageError(f"--nj must be >= 1, got {args.nj}")
    check_data_dir(data_dir, ["feats.scp", "utt2spk"])
    model = exp_dir / args.model
    if not model.is_file():
        raise KaldinnError(f"{model} does not exist; train the extractor first (steps/train.py)")
    parts = split_data(data_dir, args.nj)  # fails on nj > #speakers before anything is written
    out_dir = absolute_output_dir(args.out_dir)
    with DirLock(out_dir, PROG):  # one job at a time writes out_dir
        for stale in ("xvector.scp", "spk_xvector.scp", "num_utts.ark", "utt2spk"):
            (out_dir / stale).unlink(missing_ok=True)  # a failed re-run must not leave old results
        run_jobs(
            args.cmd,
            str(out_dir / "log" / "extract.JOB.log"),
            job_argv(args, model, parts[0].parent, out_dir),
            args.nj,
        )
        scp = merge_tables([out_dir / f"xvector.{j}.scp" for j in range(1, args.nj + 1)], "extraction")
        check_complete(scp, data_dir)
        write_outputs(scp, data_dir, out_dir)
        print(f"{PROG}: succeeded writing {len(scp)} embeddings to {out_dir}/xvector.scp", file=sys.stderr)
    return 0
