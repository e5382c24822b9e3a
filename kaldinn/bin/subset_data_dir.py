"""subset_data_dir.py: write part of a data directory (Kaldi's subset_data_dir.sh).

Forms (as in Kaldi)::

    utils/subset_data_dir.py data/train 1000 data/train_1k        # 1000 utts, evenly spaced
    utils/subset_data_dir.py --first data/train 100 data/sub       # also --last, --shortest
    utils/subset_data_dir.py --per-spk data/train 2 data/sub       # 2 utterances per speaker
    utils/subset_data_dir.py --speakers data/train 10 data/sub     # 10 whole speakers
    utils/subset_data_dir.py --utt-list list data/train data/sub   # or --spk-list list

Selections are deterministic. Unlike Kaldi, --speakers counts speakers, not utterances.
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import UsageError
from kaldinn.io.datadir_subset import (
    read_id_list,
    select_utterances,
    subset_data_dir,
    utterances_of_speakers,
)

FLAGS = ("first", "last", "shortest", "per_spk", "speakers")

PROG = "subset_data_dir.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Write a subset of a data directory: <src> <N> <dest>, or <src> <dest> with a list.",
    )
    parser.add_argument("--first", action="store_true", help="the first N utterances")
    parser.add_argument("--last", action="store_true", help="the last N utterances")
    parser.add_argument("--shortest", action="store_true", help="the N shortest (utt2num_frames or utt2dur)")
    parser.add_argument("--per-spk", action="store_true", help="N utterances of each speaker")
    parser.add_argument("--speakers", action="store_true", help="N whole speakers")
    parser.add_argument("--utt-list", metavar="FILE", help="utterances listed in FILE (first field)")
    parser.add_argument("--spk-list", metavar="FILE", help="all utterances of the speakers in FILE")
    parser.add_argument("args", nargs="+", metavar="<src> [<N>] <dest>")
    return parser


def _choose(args) -> tuple[str, list[str], str]:
    """(source, chosen utterances, destination) from the parsed arguments."""
    flags = [f for f in FLAGS if getattr(args, f)]
    lists = [opt for opt in (args.utt_list, args.spk_list) if opt]
    if len(flags) + len(lists) > 1:
        raise UsageError(
            "give at most one of --first --last --shortest --per-spk --speakers --utt-list --spk-list"
        )
    if lists:
        if len(args.args) != 2:
            raise UsageError("with --utt-list/--spk-list give <src> <dest>")
        src, dest = args.args
        ids = read_id_list(lists[0])
        return src, ids if args.utt_list else utterances_of_speakers(src, ids), dest
    if len(args.args) != 3:
        raise UsageError("expected <src> <N> <dest>")
    src, num, dest = args.args
    if not num.isdigit() or int(num) < 1:
        raise UsageError(f"<N> must be a positive integer, got {num!r}")
    how = flags[0] if flags else "evenly"
    return src, select_utterances(src, how, int(num)), dest


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    src, utts, dest = _choose(args)
    kept = subset_data_dir(src, dest, utts)
    print(f"{PROG}: created subset of {src} with {kept} utterances in {dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
