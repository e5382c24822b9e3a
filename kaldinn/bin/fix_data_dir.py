"""fix_data_dir.py: make a data directory consistent (Kaldi's fix_data_dir.sh).

Keeps the utterances present in every per-utterance file, sorts all files, rebuilds
spk2utt, filters speaker- and recording-keyed files; originals go to <dir>/.backup/.

Example::

    utils/fix_data_dir.py data/train
    utils/fix_data_dir.py --utt-extra-files "utt2pitch utt2emotion" data/train
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.io.datadir_ops import fix_data_dir

PROG = "fix_data_dir.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog=PROG, description="Fix a Kaldi data directory in place.")
    parser.add_argument(
        "--utt-extra-files", default="", help="more per-utterance files to filter (space-separated)"
    )
    parser.add_argument(
        "--spk-extra-files", default="", help="more per-speaker files to filter (space-separated)"
    )
    parser.add_argument("data_dir", help="the data directory, e.g. data/train")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kept, total = fix_data_dir(args.data_dir, args.utt_extra_files.split(), args.spk_extra_files.split())
    print(f"{PROG}: kept {kept} utterances out of {total}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
