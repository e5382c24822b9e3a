"""steps/prepare_units.py: choose the CTC output units of a training set; write <lang-dir>/tokens.txt.

Units (``--unit``): ``char`` (letters, ``<space>`` between words, or ``▁`` before each word
with ``--space ▁``), ``phone`` (phone sequences of <train-data-dir>/ali.scp collapsed over
frames, symbols from phones.txt, silence dropped unless ``--drop-silence false``; or from
``--lexicon`` when given), ``bpe`` (sentencepiece BPE with about ``--bpe-size`` pieces,
trained on the normalised training text and saved as <lang-dir>/bpe.model). Text
normalisation: ``--case keep|lower|upper``, ``--remove-punct true|false``.

Outputs: <lang-dir>/tokens.txt (``<symbol> <id>``, ``<blk>`` 0, ``<unk>`` 1) and, with
``--text-out FILE``, the training transcripts re-expressed in units (Kaldi ``text`` form) for
training CTC against this table (``data.labels: text`` then builds the same ids).
Unknown words (lexicon) are reported with their counts on stderr.

Example::

    steps/prepare_units.py --unit char --case lower \\
        --text-out data/digits_train_char/text data/digits_train data/lang_char
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from kaldinn.cli import KaldiArgumentParser, str2bool
from kaldinn.errors import DataDirError, UsageError
from kaldinn.io.text_table import read_table, write_table

PROG = "prepare_units.py"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Build the CTC token table (tokens.txt, + bpe.model) of a training data dir.",
        usage=f"{PROG} --unit char|phone|bpe [options] <train-data-dir> <lang-dir>",
    )
    parser.add_argument("--unit", choices=("char", "phone", "bpe"), required=True)
    parser.add_argument("--bpe-size", type=int, default=500, help="BPE vocabulary size (upper bound)")
    parser.add_argument("--space", choices=("<space>", "▁"), default="<space>", help="char word boundary")
    parser.add_argument("--case", choices=("keep", "lower", "upper"), default="keep")
    parser.add_argument("--remove-punct", type=str2bool, default=False, help="drop punctuation (true/false)")
    parser.add_argument("--lexicon", help="phone units from '<word> <phones...>' lines instead of ali.scp")
    parser.add_argument("--phones", help="phones.txt for ali.scp (default: found next to the data)")
    parser.add_argument("--drop-silence", type=str2bool, default=True, help="phone units: drop silence")
    parser.add_argument("--silence-phones", default="SIL,sil,SPN", help="comma-separated silence phones")
    parser.add_argument("--text-out", help="write the training text in units here (Kaldi text form)")
    parser.add_argument("train_dir")
    parser.add_argument("lang_dir")
    return parser


def read_words(train_dir: Path, normalize) -> dict[str, list[str]]:
    """Normalised words of <train-dir>/text by utterance."""
    path = train_dir / "text"
    if not path.is_file():
        raise DataDirError(f"{path} does not exist; text units need the training transcripts")
    return {utt: normalize(line) for utt, line in read_table(path).items()}


def alignment_units(args, train_dir: Path, lang_dir: Path) -> tuple[dict[str, list[str]], list[str]]:
    """Phone sequences from ali.scp, and every phone of phones.txt that can be a unit."""
    from kaldinn.data.labels import LabelMap, find_phones
    from kaldinn.data.units import alignment_phones

    ali = train_dir / "ali.scp"
    if not ali.is_file():
        raise DataDirError(f"{ali} does not exist; phone units need alignments or --lexicon FILE")
    phones_path = Path(args.phones) if args.phones else find_phones(train_dir)
    if phones_path is None and (lang_dir / "phones.txt").is_file():
        phones_path = lang_dir / "phones.txt"
    if phones_path is None or not phones_path.is_file():
        raise DataDirError(f"no phones.txt for {ali}; pass --phones data/lang/phones.txt")
    phones = LabelMap.load(phones_path)
    drop = frozenset(args.silence_phones.split(",")) if args.drop_silence else frozenset()
    inventory = [p for p in phones.labels if p != "<eps>" and p not in drop and not p.startswith("#")]
    return alignment_phones(ali, phones, drop), inventory


def make_units(args, train_dir: Path, lang_dir: Path) -> tuple[dict[str, list[str]], list[str], Counter]:
    """(units by utterance, the table's units, unknown words) for the chosen unit kind."""
    from kaldinn.data.units import BPE_MODEL_FILE, CharUnits, LexiconUnits, TextNormalizer, train_bpe

    normalize = TextNormalizer(case=args.case, remove_punct=args.remove_punct)
    if args.unit == "phone" and not args.lexicon:
        by_utt, inventory = alignment_units(args, train_dir, lang_dir)
        return by_utt, inventory, Counter()
    words = read_words(train_dir, normalize)
    if args.unit == "char":
        splitter = CharUnits(args.space)
        by_utt = {utt: splitter.split(w) for utt, w in words.items()}
        return by_utt, [u for units in by_utt.values() for u in units], Counter()
    if args.unit == "bpe":
        bpe = train_bpe([" ".join(w) for w in words.values() if w], args.bpe_size, lang_dir / BPE_MODEL_FILE)
        return {utt: bpe.split(w) for utt, w in words.items()}, bpe.pieces(), Counter()
    lexicon = LexiconUnits.read(args.lexicon)
    by_utt = {utt: lexicon.split(w) for utt, w in words.items()}
    inventory = [p for prons in lexicon.lexicon.values() for p in prons]
    return by_utt, inventory, lexicon.unknown_words


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.data.units import TOKENS_FILE, TokenTable, unknown_report

    args = build_parser().parse_args(argv)
    if args.bpe_size < 2:
        raise UsageError(f"--bpe-size must be >= 2, got {args.bpe_size}")
    train_dir, lang_dir = Path(args.train_dir), Path(args.lang_dir)
    if not train_dir.is_dir():
        raise DataDirError(f"data directory {train_dir} does not exist")
    lang_dir.mkdir(parents=True, exist_ok=True)
    by_utt, inventory, unknown_words = make_units(args, train_dir, lang_dir)
    table = TokenTable.from_units(inventory)
    if len(table) <= 2:
        raise DataDirError(f"{train_dir} gives no {args.unit} units; is its text or ali.scp empty?")
    if unknown_words:
        print(f"{PROG}: WARNING: {unknown_report(unknown_words, 'words')}", file=sys.stderr)
    if args.text_out:
        unknown: Counter = Counter()
        for units in by_utt.values():
            table.encode(units, unknown)
        Path(args.text_out).parent.mkdir(parents=True, exist_ok=True)
        write_table(args.text_out, {utt: " ".join(units) for utt, units in by_utt.items()})
        if unknown:
            print(f"{PROG}: WARNING: {args.text_out}: {unknown_report(unknown, 'units')}", file=sys.stderr)
    table.save(lang_dir / TOKENS_FILE)
    print(f"{PROG}: wrote {len(table)} {args.unit} tokens to {lang_dir / TOKENS_FILE}", file=sys.stderr)
    return 0
