"""split_data.py: split a data directory into N parts (Kaldi's split_data.sh).

Writes <dir>/split<N>/1..N (whole speakers per part) or, with --per-utt,
<dir>/split<N>utt/1..N; reuses an existing split that is newer than its inputs.

Example::

    utils/split_data.py data/train 4
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import UsageError
from kaldinn.io.datadir_split import split_data

PROG = "split_data.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog=PROG, description="Split a data directory into N parts.")
    parser.add_argument("--per-utt", action="store_true", help="split by utterance, not by speaker")
    parser.add_argument("data_dir", help="the data directory, e.g. data/train")
    parser.add_argument("num_splits", type=int, help="number of parts (usually --nj)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.num_splits < 1:
        raise UsageError(f"number of splits must be at least 1, got {args.num_splits}")
    split_data(args.data_dir, args.num_splits, per_utt=args.per_utt)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
