"""filter_scp.py: keep (or, with --exclude, drop) lines whose key is in a list (Kaldi's filter_scp.pl).

The list's first field on each line is the id; field -f N (1-based, default 1) of each
input line is matched against it. Lines are printed unchanged, in input order.

Example::

    utils/filter_scp.py data/dev/utt2spk exp/xvec/xvector.scp > exp/xvec/xvector_dev.scp
    utils/filter_scp.py --exclude -f 2 bad_speakers data/train/utt2spk
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import TableError, UsageError
from kaldinn.io.text_table import iter_table_lines

PROG = "filter_scp.py"


def filter_lines(
    lines: Iterable[str], ids: set[str], field: int = 1, exclude: bool = False, source: str = "stdin"
) -> Iterator[str]:
    """Lines whose ``field``-th field is (not, with ``exclude``) in ``ids``."""
    for lineno, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < field:
            raise TableError(f"{source}:{lineno}: has fewer than {field} fields: {line.rstrip()!r}")
        if (fields[field - 1] in ids) != exclude:
            yield line if line.endswith("\n") else line + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = KaldiArgumentParser(prog=PROG, description="Filter lines by a list of ids.")
    parser.add_argument("--exclude", action="store_true", help="drop the listed ids instead of keeping them")
    parser.add_argument("-f", dest="field", type=int, default=1, help="field to match (1-based)")
    parser.add_argument("id_list", help="file whose first field on each line is an id")
    parser.add_argument("in_scp", nargs="?", default="-", help="input (default: stdin)")
    args = parser.parse_args(argv)
    if args.field < 1:
        raise UsageError(f"-f must be a positive field number, got {args.field}")
    ids = {key for _, key, _ in iter_table_lines(args.id_list)}
    if args.in_scp == "-":
        sys.stdout.writelines(filter_lines(sys.stdin, ids, args.field, args.exclude))
        return 0
    try:
        f = open(args.in_scp, encoding="utf-8", errors="surrogateescape")
    except OSError as err:
        raise TableError(f"cannot open {args.in_scp}: {err.strerror}") from None
    with f:
        sys.stdout.writelines(filter_lines(f, ids, args.field, args.exclude, args.in_scp))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
