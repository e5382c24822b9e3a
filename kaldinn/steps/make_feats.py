"""steps/make_feats.py: fbank or MFCC features for a data directory, in parallel jobs.

Kaldi's make_fbank.sh argument order. Splits the data dir into --nj parts, runs
``kaldinn.bin.compute_<type>_feats`` per part through --cmd, and only after every job
succeeded writes <data-dir>/utt2num_frames and then <data-dir>/feats.scp (atomically).

Example::

    steps/make_feats.py --type fbank --config conf/fbank.conf --nj 4 --cmd utils/run.py \\
        data/train exp/make_fbank/train fbank
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, str2bool
from kaldinn.errors import DataDirError, UsageError
from kaldinn.io.datadir_split import split_data
from kaldinn.io.lock import DirLock
from kaldinn.io.text_table import c_sorted, read_table, write_table

PROG = "make_feats.py"


def build_parser() -> KaldiArgumentParser:
    """Options block of make_feats.py (defaults as Kaldi's make_fbank.sh)."""
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Compute fbank/MFCC features for a data directory.",
        usage=f"{PROG} [options] <data-dir> [<log-dir> [<feat-dir>]]",
    )
    parser.add_argument("--type", choices=("fbank", "mfcc"), default="fbank", help="feature type")
    parser.add_argument("--config", help="Kaldi option file (default conf/<type>.conf)")
    parser.add_argument("--nj", type=int, default=4, help="number of parallel jobs")
    parser.add_argument("--cmd", default="utils/run.py", help="job runner, as in cmd.sh")
    parser.add_argument("--compress", type=str2bool, default=True, help="compress (method 2) the matrices")
    parser.add_argument("data_dir")
    parser.add_argument("log_dir", nargs="?", help="default <data-dir>/log")
    parser.add_argument("feat_dir", nargs="?", help="default <data-dir>/data")
    return parser


def check_data_dir(data_dir: Path, needed: list[str]) -> None:
    """DataDirError unless ``data_dir`` exists and holds every file of ``needed``."""
    if not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} does not exist")
    for name in needed:
        if not os.access(data_dir / name, os.R_OK):
            raise DataDirError(f"{data_dir / name} is missing or unreadable")


def absolute_output_dir(path: str) -> Path:
    """Create ``path`` and return it absolute (scp files then point anywhere they are read from)."""
    out = Path(path).absolute()
    if "," in str(out):
        raise UsageError(f"output directory {out} contains a comma, which breaks ark,scp specifiers")
    out.mkdir(parents=True, exist_ok=True)
    return out


def back_up(data_dir: Path, names: list[str]) -> None:
    """Move stale outputs into <data-dir>/.backup so a failed run cannot leave them inconsistent."""
    for name in names:
        if (data_dir / name).exists():
            (data_dir / ".backup").mkdir(exist_ok=True)
            shutil.move(data_dir / name, data_dir / ".backup" / name)


def merge_tables(parts: list[Path], what: str) -> dict[str, str]:
    """Union of per-job text tables; a missing part means its job failed silently."""
    merged: dict[str, str] = {}
    for part in parts:
        if not part.exists():
            raise DataDirError(f"{part} was not written; the {what} job failed (see its log)")
        merged.update(read_table(part))
    return merged


def check_coverage(found: dict, expected: list[str], what: str, data_dir: Path) -> None:
    """Kaldi's rule: warn when some utterances failed, fail when more than 5% did."""
    missing = len(expected) - len(found.keys() & set(expected))
    if missing == 0:
        return
    message = f"{missing} of {len(expected)} utterances of {data_dir} have no {what}"
    if missing > len(expected) // 20:
        raise DataDirError(f"{message}; too many failures, see the job logs")
    print(f"{PROG}: WARNING: {message}; run utils/fix_data_dir.py {data_dir}", file=sys.stderr)


def job_argv(args, data_dir: Path, split_dir: Path, feat_dir: Path, log_dir: Path) -> list[str]:
    """The per-job compute_<type>_feats command (JOB is substituted by the runner)."""
    name = data_dir.name
    argv = [sys.executable, "-m", f"kaldinn.bin.compute_{args.type}_feats", "--config", args.config]
    if (data_dir / "segments").exists():
        argv += ["--segments", f"{split_dir}/JOB/segments"]
    base = feat_dir / f"raw_{args.type}_{name}.JOB"
    argv += [
        "--compress",
        str(args.compress).lower(),
        f"--write-num-frames=ark,t:{log_dir}/utt2num_frames_{name}.JOB",
        f"scp,p:{split_dir}/JOB/wav.scp",
        f"ark,scp:{base}.ark,{base}.scp",
    ]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.dispatch.submit import run_jobs
    from kaldinn.feats.extract import KINDS
    from kaldinn.feats.options import load_options

    args = build_parser().parse_args(argv)
    data_dir = Path(args.data_dir)
    args.config = args.config or f"conf/{args.type}.conf"
    check_data_dir(data_dir, ["wav.scp", "utt2spk"])
    load_options(KINDS[args.type][0], args.config)  # a bad config fails here, before any job
    if args.nj < 1:
        raise UsageError(f"--nj must be >= 1, got {args.nj}")
    log_dir = absolute_output_dir(args.log_dir or str(data_dir / "log"))
    feat_dir = absolute_output_dir(args.feat_dir or str(data_dir / "data"))
    with DirLock(data_dir, PROG):  # one job at a time writes the data dir (and its arks)
        back_up(data_dir, ["feats.scp", "utt2num_frames", "cmvn.scp", "vad.scp"])
        parts = split_data(data_dir, args.nj)
        log = log_dir / f"make_{args.type}_{data_dir.name}.JOB.log"
        run_jobs(args.cmd, str(log), job_argv(args, data_dir, parts[0].parent, feat_dir, log_dir), args.nj)
        jobs = range(1, args.nj + 1)
        feats = merge_tables([feat_dir / f"raw_{args.type}_{data_dir.name}.{j}.scp" for j in jobs], "feature")
        frames = merge_tables([log_dir / f"utt2num_frames_{data_dir.name}.{j}" for j in jobs], "feature")
        check_coverage(feats, list(read_table(data_dir / "utt2spk")), "features", data_dir)
        write_table(data_dir / "utt2num_frames", frames)
        write_table(data_dir / "feats.scp", {k: feats[k] for k in c_sorted(feats)})  # last: commits
    print(f"{PROG}: succeeded creating {args.type} features for {data_dir.name}", file=sys.stderr)
    return 0
