"""Re-express a Kaldi ``text`` file in existing CTC units (characters or a trained BPE model).

steps/prepare_units.py chooses the units of a *training* set (and, for BPE, trains the model);
the dev and test sets must be cut into the same units, which is what this tool does: with
``--bpe-model`` the pieces of that model, else characters with ``--space``. Use the same
``--case`` / ``--remove-punct`` as for the training set. With ``--tokens``, units missing from
that table are counted and reported (they become ``<unk>`` in training).

Example::

    python -m kaldinn.bin.text_to_units --bpe-model data/lang_bpe/bpe.model --case upper \\
        --tokens data/lang_bpe/tokens.txt data/dev_clean_2/text data/dev_clean_2_bpe/text
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.errors import DataDirError
from kaldinn.io.text_table import read_table, write_table

PROG = "text_to_units"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Write a Kaldi text file in CTC units (characters, or the pieces of a BPE model).",
        usage=f"{PROG} [--bpe-model FILE | --space <space>|▁] [options] <text-in> <text-out>",
    )
    parser.add_argument("--bpe-model", help="sentencepiece model of steps/prepare_units.py --unit bpe")
    parser.add_argument("--space", choices=("<space>", "▁"), default="<space>", help="char word boundary")
    parser.add_argument("--case", choices=("keep", "lower", "upper"), default="keep")
    parser.add_argument("--remove-punct", type=str2bool, default=False, help="drop punctuation (true/false)")
    parser.add_argument("--tokens", help="report units missing from this token table")
    parser.add_argument("text_in")
    parser.add_argument("text_out")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    from kaldinn.data.units import BpeUnits, CharUnits, TextNormalizer, TokenTable, unknown_report

    args = build_parser().parse_args(argv)
    text_in = Path(args.text_in)
    if not text_in.is_file():
        raise DataDirError(f"{text_in} does not exist")
    normalize = TextNormalizer(case=args.case, remove_punct=args.remove_punct)
    splitter = BpeUnits(args.bpe_model) if args.bpe_model else CharUnits(args.space)
    by_utt = {utt: splitter.split(normalize(line)) for utt, line in read_table(text_in).items()}
    if args.tokens:
        table, unknown = TokenTable.load(args.tokens), Counter()
        for units in by_utt.values():
            table.encode(units, unknown)
        if unknown:
            print(f"{PROG}: WARNING: {args.text_out}: {unknown_report(unknown, 'units')}", file=sys.stderr)
    Path(args.text_out).parent.mkdir(parents=True, exist_ok=True)
    write_table(args.text_out, {utt: " ".join(units) for utt, units in by_utt.items()})
    print(f"{PROG}: wrote {len(by_utt)} transcripts in units to {args.text_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
