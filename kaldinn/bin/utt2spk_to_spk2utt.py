"""utt2spk_to_spk2utt.py: invert utt2spk (Kaldi's utt2spk_to_spk2utt.pl).

Reads the files given (or stdin), writes ``<spk> <utt1> <utt2> ...`` to stdout with
speakers in order of first appearance, as the Perl original does.

Example::

    utils/utt2spk_to_spk2utt.py data/train/utt2spk > data/train/spk2utt
"""

from __future__ import annotations

import fileinput
import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import TableError

PROG = "utt2spk_to_spk2utt.py"


def invert(lines, source: str = "stdin") -> dict[str, list[str]]:
    """``utt spk`` lines -> spk -> [utts], speakers in first-appearance order."""
    spk2utt: dict[str, list[str]] = {}
    for lineno, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise TableError(f"{source}:{lineno}: expected <utt> <spk>, got {line.rstrip()!r}")
        spk2utt.setdefault(fields[1], []).append(fields[0])
    return spk2utt


def main(argv: list[str] | None = None) -> int:
    parser = KaldiArgumentParser(prog=PROG, description="Convert utt2spk to spk2utt.")
    parser.add_argument("files", nargs="*", help="utt2spk file(s); stdin if none")
    args = parser.parse_args(argv)
    with fileinput.input(args.files, encoding="utf-8") as lines:
        spk2utt = invert(lines, " ".join(args.files) or "stdin")
    sys.stdout.writelines(f"{spk} {' '.join(utts)}\n" for spk, utts in spk2utt.items())
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
