"""Dimension (number of columns) of features (Kaldi's feat-to-dim): read from the first matrix.

Usage::

    python -m kaldinn.bin.feat_to_dim <in-rspecifier|in-rxfilename> [<out-wxfilename>]

Example::

    python -m kaldinn.bin.feat_to_dim scp:data/train/feats.scp -
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import TableError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.io.specifier import is_rspecifier
from kaldinn.io.tables import SequentialReader, read_object
from kaldinn.io.xfilename import open_output


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(prog="feat_to_dim", description="Print the dimension of features.")
    parser.add_argument("input", help="rspecifier or rxfilename")
    parser.add_argument("output", nargs="?", default="-", help="wxfilename (default: stdout)")
    return parser


def first_dim(rspec_or_rx: str) -> int:
    """Columns of the first matrix of a table, or of the matrix in an rxfilename."""
    if not is_rspecifier(rspec_or_rx):
        mat = read_object(rspec_or_rx)
    else:
        with SequentialReader(rspec_or_rx) as reader:
            mat = next((value for _, value in reader), None)
        if mat is None:
            raise TableError(f"no features read from {rspec_or_rx}")
    if mat.ndim != 2:
        raise TableError(f"{rspec_or_rx}: expected a feature matrix, found shape {mat.shape}")
    return int(mat.shape[1])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dim = first_dim(args.input)
    if args.output == "-":
        print(dim)
    elif args.output.strip().startswith("|"):
        sink = open_output(args.output)
        sink.write(f"{dim}\n".encode())
        sink.close()
    else:
        write_text_atomic(args.output, f"{dim}\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
