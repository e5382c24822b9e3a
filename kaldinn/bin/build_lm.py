"""Build a word n-gram LM in ARPA form from a text file (interpolated modified Kneser-Ney).

One sentence per line; with ``--has-keys true`` the first field (an utterance id, as in a
Kaldi ``text`` file) is dropped. Smoothing details: kaldinn/decode/ngram_build.py.

Example::

    python -m kaldinn.bin.build_lm --order 3 --has-keys true data/train/text data/lang/lm.arpa
"""

from __future__ import annotations

import argparse
import sys

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.decode.ngram_build import build_kneser_ney, write_arpa
from kaldinn.errors import KaldinnError


def build_parser() -> argparse.ArgumentParser:
    p = KaldiArgumentParser(prog="build_lm.py", description="ARPA n-gram LM (modified Kneser-Ney).")
    p.add_argument("--order", type=int, default=3, help="n-gram order, 1-3 (default 3)")
    p.add_argument("--has-keys", type=str2bool, default=False,
                   help="drop the first field of each line (Kaldi text with utterance ids)")  # fmt: skip
    p.add_argument("text", help="training text, one sentence per line")
    p.add_argument("arpa", help="output ARPA file")
    return p


def read_sentences(path: str, has_keys: bool) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.split() for line in f]
    except FileNotFoundError:
        raise KaldinnError(f"{path}: no such file") from None
    return [fields[1:] if has_keys else fields for fields in lines if fields]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.order <= 3:
        build_parser().error(f"--order must be 1, 2 or 3, got {args.order}")
    model = build_kneser_ney(read_sentences(args.text, args.has_keys), args.order)
    write_arpa(args.arpa, model)
    sizes = ", ".join(f"{n}-grams: {len(m)}" for n, m in enumerate(model, start=1))
    print(f"build_lm.py: wrote {args.arpa} ({sizes})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
