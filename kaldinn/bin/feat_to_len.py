"""Number of frames of feature matrices (Kaldi's feat-to-len).

Usage::

    python -m kaldinn.bin.feat_to_len <in-rspecifier> <out-wspecifier>   # per-utterance lengths
    python -m kaldinn.bin.feat_to_len <in-rspecifier>                   # total frames, on stdout
    python -m kaldinn.bin.feat_to_len <in-rxfilename>                   # frames of one matrix

Example::

    python -m kaldinn.bin.feat_to_len scp:data/train/feats.scp ark,t:data/train/utt2num_frames
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import TableError
from kaldinn.io.specifier import is_rspecifier
from kaldinn.io.tables import SequentialReader, Writer, read_object


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog="feat_to_len", description="Print or write numbers of frames.")
    parser.add_argument("input", help="rspecifier or rxfilename")
    parser.add_argument("output", nargs="?", help="wspecifier for per-utterance lengths (e.g. ark,t:lens)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.output is not None:
        count = 0
        with SequentialReader(args.input) as reader, Writer(args.output) as writer:
            for key, mat in reader:
                writer.write(key, int(mat.shape[0]))
                count += 1
        if count == 0:
            raise TableError(f"no feature matrices read from {args.input}")
        return 0
    if not is_rspecifier(args.input):
        print(read_object(args.input).shape[0])
        return 0
    with SequentialReader(args.input) as reader:
        print(sum(mat.shape[0] for _, mat in reader))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
