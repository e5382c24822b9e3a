"""copy_data_dir.py: copy a data directory, optionally renaming ids (Kaldi's copy_data_dir.sh).

Example::

    utils/copy_data_dir.py --utt-prefix rev1- --spk-prefix rev1- data/train data/train_rev1
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.io.datadir_ops import copy_data_dir

PROG = "copy_data_dir.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog=PROG, description="Copy a data directory.")
    parser.add_argument("--utt-prefix", default="", help="prefix added to utterance ids")
    parser.add_argument("--spk-prefix", default="", help="prefix added to speaker ids")
    parser.add_argument("--utt-suffix", default="", help="suffix added to utterance ids")
    parser.add_argument("--spk-suffix", default="", help="suffix added to speaker ids")
    parser.add_argument("src", help="source data directory")
    parser.add_argument("dest", help="destination data directory")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kept = copy_data_dir(
        args.src,
        args.dest,
        utt_prefix=args.utt_prefix,
        spk_prefix=args.spk_prefix,
        utt_suffix=args.utt_suffix,
        spk_suffix=args.spk_suffix,
    )
    summary = f"copied data from {args.src} to {args.dest} ({kept} utterances)"
    print(f"{PROG}: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
