"""Copy feature matrices between tables or files, optionally compressing (Kaldi's copy-feats).

Usage::

    python -m kaldinn.bin.copy_feats [options] <in-rspecifier> <out-wspecifier>
    python -m kaldinn.bin.copy_feats [options] <in-rxfilename> <out-wxfilename>

Example::

    python -m kaldinn.bin.copy_feats --compress true --compression-method 2 \\
        scp:data/train/feats.scp ark,scp:feats_cm.ark,feats_cm.scp
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.errors import TableError, UsageError
from kaldinn.io.specifier import is_rspecifier
from kaldinn.io.table_writer import write_object
from kaldinn.io.tables import SequentialReader, Writer, read_object


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog="copy_feats", description="Copy features [and possibly change format or compress]."
    )
    parser.add_argument("--compress", type=str2bool, default=False, help="compress the output (true|false)")
    parser.add_argument(
        "--compression-method", type=int, default=1, choices=range(1, 8), metavar="N",
        help="Kaldi compression method 1-7 (1 automatic, 2 speech feature, ...); default 1",
    )  # fmt: skip
    parser.add_argument("--binary", type=str2bool, default=True, help="binary output for a wxfilename")
    parser.add_argument("--write-num-frames", default="", help="wspecifier for per-utterance frame counts")
    parser.add_argument("input", help="rspecifier or rxfilename")
    parser.add_argument("output", help="wspecifier or wxfilename")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    method = args.compression_method if args.compress else None
    in_table, out_table = is_rspecifier(args.input), is_rspecifier(args.output)
    if in_table != out_table:
        raise UsageError("copy_feats: both arguments must be tables (rspecifier + wspecifier) or both files")
    if not in_table:
        write_object(args.output, read_object(args.input), binary=args.binary, compression_method=method)
        return 0
    count = 0
    num_frames = Writer(args.write_num_frames) if args.write_num_frames else None
    with SequentialReader(args.input) as reader, Writer(args.output, compression_method=method) as writer:
        for key, mat in reader:
            if mat.ndim != 2:
                raise TableError(f"{args.input}: key {key!r} holds a {mat.ndim}-D array, not a matrix")
            writer.write(key, mat)
            if num_frames is not None:
                num_frames.write(key, mat.shape[0])
            count += 1
    if num_frames is not None:
        num_frames.close()
    print(f"copy_feats: copied {count} feature matrices.", file=sys.stderr)
    if count == 0:
        raise TableError(f"no feature matrices read from {args.input}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
