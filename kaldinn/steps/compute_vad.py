"""steps/compute_vad.py: Kaldi's energy VAD decisions for a data directory (vad.scp).

Needs feats.scp whose column 0 is log energy (MFCC with --use-energy=true). Splits the
data dir, runs ``kaldinn.bin.compute_vad`` per part and writes <data-dir>/vad.scp last.

Example::

    steps/compute_vad.py --nj 4 --vad-config conf/vad.conf data/train exp/make_vad/train vad
"""

from __future__ import annotations

import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import UsageError
from kaldinn.io.datadir_split import split_data
from kaldinn.io.text_table import read_table, write_table
from kaldinn.steps.make_feats import absolute_output_dir, check_coverage, check_data_dir, merge_tables

PROG = "compute_vad.py"


def build_parser() -> KaldiArgumentParser:
    """Options block of compute_vad.py (Kaldi's compute_vad_decision.sh)."""
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Energy-based VAD for a data directory.",
        usage=f"{PROG} [options] <data-dir> [<log-dir> [<vad-dir>]]",
    )
    parser.add_argument("--nj", type=int, default=4, help="number of parallel jobs")
    parser.add_argument("--cmd", default="utils/run.py", help="job runner, as in cmd.sh")
    parser.add_argument("--vad-config", default="conf/vad.conf", help="Kaldi option file for compute-vad")
    parser.add_argument("data_dir")
    parser.add_argument("log_dir", nargs="?", help="default <data-dir>/log")
    parser.add_argument("vad_dir", nargs="?", help="default <data-dir>/data")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.dispatch.submit import run_jobs
    from kaldinn.feats.options import VadOptions, load_options

    args = build_parser().parse_args(argv)
    data_dir = Path(args.data_dir)
    check_data_dir(data_dir, ["feats.scp", "utt2spk"])
    load_options(VadOptions, args.vad_config)  # a bad config fails before any job
    if args.nj < 1:
        raise UsageError(f"--nj must be >= 1, got {args.nj}")
    log_dir = absolute_output_dir(args.log_dir or str(data_dir / "log"))
    vad_dir = absolute_output_dir(args.vad_dir or str(data_dir / "data"))
    parts = split_data(data_dir, args.nj)
    base = vad_dir / f"vad_{data_dir.name}.JOB"
    argv = [
        sys.executable,
        "-m",
        "kaldinn.bin.compute_vad",
        "--config",
        str(Path(args.vad_config).absolute()),
        f"scp:{parts[0].parent}/JOB/feats.scp",
        f"ark,scp:{base}.ark,{base}.scp",
    ]
    run_jobs(args.cmd, str(log_dir / f"vad_{data_dir.name}.JOB.log"), argv, args.nj)
    jobs = range(1, args.nj + 1)
    vad = merge_tables([vad_dir / f"vad_{data_dir.name}.{j}.scp" for j in jobs], "VAD")
    check_coverage(vad, list(read_table(data_dir / "utt2spk")), "VAD decisions", data_dir)
    write_table(data_dir / "vad.scp", vad)
    print(f"{PROG}: succeeded creating VAD decisions for {data_dir.name}", file=sys.stderr)
    return 0
