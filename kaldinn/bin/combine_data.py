"""combine_data.py: merge data directories (Kaldi's combine_data.sh), then fix the result.

A file is combined only when every source has it (the others are named on stderr);
an utterance id in two sources is an error.

Example::

    utils/combine_data.py data/train_all data/train_a data/train_b
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.io.datadir_subset import combine_data

PROG = "combine_data.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog=PROG, description="Combine data directories.")
    parser.add_argument("dest", help="the combined data directory to write")
    parser.add_argument("srcs", nargs="+", help="source data directories")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    notes, kept = combine_data(args.dest, args.srcs)
    for note in notes:
        print(f"{PROG}: {note}", file=sys.stderr)
    summary = f"combined {len(args.srcs)} directories into {args.dest} ({kept} utterances)"
    print(f"{PROG}: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
