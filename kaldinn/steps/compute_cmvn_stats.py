"""steps/compute_cmvn_stats.py: Kaldi's per-speaker CMVN stats for a data directory.

Writes ``<cmvn-dir>/cmvn_<name>.ark/scp`` (2 x (D+1) double stats per speaker, or per
utterance with --per-utt) and then ``<data-dir>/cmvn.scp``. One job, as in Kaldi.

Example::

    steps/compute_cmvn_stats.py data/train exp/make_fbank/train fbank
"""

from __future__ import annotations

import sys
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, str2bool
from kaldinn.io.text_table import read_table, write_table
from kaldinn.steps.make_feats import absolute_output_dir, check_data_dir, merge_tables

PROG = "compute_cmvn_stats.py"


def build_parser() -> KaldiArgumentParser:
    """Options block of compute_cmvn_stats.py."""
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Compute CMVN stats per speaker (or per utterance) into cmvn.scp.",
        usage=f"{PROG} [options] <data-dir> [<log-dir> [<cmvn-dir>]]",
    )
    parser.add_argument(
        "--per-utt", type=str2bool, nargs="?", const=True, default=False, help="stats per utt"
    )
    parser.add_argument("--cmd", default="utils/run.py", help="job runner, as in cmd.sh")
    parser.add_argument("data_dir")
    parser.add_argument("log_dir", nargs="?", help="default <data-dir>/log")
    parser.add_argument("cmvn_dir", nargs="?", help="default <data-dir>/data")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.dispatch.submit import run_jobs

    args = build_parser().parse_args(argv)
    data_dir = Path(args.data_dir)
    check_data_dir(data_dir, ["feats.scp"] if args.per_utt else ["feats.scp", "spk2utt"])
    log_dir = absolute_output_dir(args.log_dir or str(data_dir / "log"))
    cmvn_dir = absolute_output_dir(args.cmvn_dir or str(data_dir / "data"))
    base = cmvn_dir / f"cmvn_{data_dir.name}"
    argv = [sys.executable, "-m", "kaldinn.bin.compute_cmvn_stats"]
    if not args.per_utt:
        argv.append(f"--spk2utt=ark:{data_dir.absolute() / 'spk2utt'}")
    argv += [f"scp:{data_dir.absolute() / 'feats.scp'}", f"ark,scp:{base}.ark,{base}.scp"]
    run_jobs(args.cmd, str(log_dir / f"cmvn_{data_dir.name}.log"), argv)
    stats = merge_tables([Path(f"{base}.scp")], "CMVN")
    keys = read_table(data_dir / ("feats.scp" if args.per_utt else "spk2utt"))
    missing = sorted(set(keys) - set(stats))
    if missing:
        print(f"{PROG}: WARNING: no CMVN stats for {len(missing)} keys, e.g. {missing[0]}", file=sys.stderr)
    write_table(data_dir / "cmvn.scp", stats)
    print(f"{PROG}: succeeded creating CMVN stats for {data_dir.name}", file=sys.stderr)
    return 0
