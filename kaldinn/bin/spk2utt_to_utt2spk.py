"""spk2utt_to_utt2spk.py: expand spk2utt into utt2spk (Kaldi's spk2utt_to_utt2spk.pl).

Reads the files given (or stdin), writes ``<utt> <spk>`` lines to stdout in input order
(pipe through ``LC_ALL=C sort`` if the speakers are not prefixes of the utterances).

Example::

    utils/spk2utt_to_utt2spk.py data/train/spk2utt > data/train/utt2spk
"""

from __future__ import annotations

import fileinput
import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import TableError

PROG = "spk2utt_to_utt2spk.py"


def main(argv: list[str] | None = None) -> int:
    parser = KaldiArgumentParser(prog=PROG, description="Convert spk2utt to utt2spk.")
    parser.add_argument("files", nargs="*", help="spk2utt file(s); stdin if none")
    args = parser.parse_args(argv)
    out = []
    with fileinput.input(args.files, encoding="utf-8") as lines:
        for line in lines:
            fields = line.split()
            if len(fields) == 1:
                where = f"{fileinput.filename()}:{fileinput.filelineno()}"
                raise TableError(f"{where}: speaker {fields[0]!r} has no utterances")
            out.extend(f"{utt} {fields[0]}\n" for utt in fields[1:])
    sys.stdout.writelines(out)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
