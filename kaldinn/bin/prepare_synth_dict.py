"""A Kaldi dict dir for the synthetic corpus: the words of text files, phonemised by eSpeak NG.

Usage: local/prepare_dict.py [--voice en] [--oov-word "<SIL>"] <text> [<text>...] <dict-dir>

Pronunciations come from the corpus' own phonemiser (kaldinn/corpora/synth/lexicon.py): the
word spoken alone with the corpus voice, stress marks stripped, pauses dropped. The OOV word
is pronounced SIL. Writes lexicon.txt, silence_phones.txt, optional_silence.txt,
nonsilence_phones.txt, extra_questions.txt (empty).

Example::

    local/prepare_dict.py data/digits_train/text data/local/dict
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main

PROG = "prepare_dict.py"


def build_parser() -> KaldiArgumentParser:
    usage = f"{PROG} [--voice en] [--oov-word '<SIL>'] <text>... <dict-dir>"
    p = KaldiArgumentParser(
        prog=PROG, description="Kaldi dict dir from eSpeak NG pronunciations.", usage=usage
    )
    p.add_argument("--voice", default="en", help="eSpeak NG voice of the words (default en)")
    p.add_argument("--oov-word", default="<SIL>", help="word for out-of-vocabulary tokens, pronounced SIL")
    p.add_argument("texts", nargs="+", help="Kaldi text files whose words make the vocabulary")
    p.add_argument("dict_dir")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from kaldinn.corpora.synth.lexicon import phonemise, words_of_text, write_dict_dir

    words = sorted({w for text in args.texts for w in words_of_text(text)})
    lexicon = phonemise(words, args.voice)
    write_dict_dir(args.dict_dir, lexicon, args.oov_word)
    phones = len({p for pron in lexicon.values() for p in pron})
    print(f"{PROG}: wrote {args.dict_dir} ({len(words)} words, {phones} phones + SIL)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
