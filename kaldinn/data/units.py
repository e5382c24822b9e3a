"""Output units for CTC: token tables, text normalisation, characters, phones and BPE pieces.

A token table is a Kaldi-style symbol file of ``<symbol> <id>`` lines (``tokens.txt``):
``<blk>`` (the CTC blank) is 0, ``<unk>`` is 1, then the units in C-sorted order, the same
layout as the ``labels.txt`` that training builds from a ``text`` file of units, so a text
re-expressed in units (``--text-out`` of steps/prepare_units.py) trains against exactly
this table. Unit kinds:

- ``char``: the letters of each word, words separated by ``<space>`` (or, with
  ``space="▁"``, each word preceded by ``▁``);
- ``phone``: phone sequences from frame alignments (runs collapsed, ``<eps>`` and optionally
  silence dropped) or from a lexicon (``<word> <phone> ...`` lines);
- ``bpe``: sentencepiece BPE pieces (``▁`` starts a word), trained on the training text.

Symbols the table lacks map to ``<unk>`` and are counted, so callers can report them.

Example::

    norm = TextNormalizer(case="lower", remove_punct=True)
    units = CharUnits().split(norm("Six, one!"))     # ['s', 'i', 'x', '<space>', 'o', 'n', 'e']
    table = TokenTable.from_units(units)
    ids = table.encode(units, unknown=collections.Counter())
    table.save("data/lang_char/tokens.txt")
"""

from __future__ import annotations

import os
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from kaldinn.data.labels import BLANK, UNK, LabelMap
from kaldinn.errors import DataDirError
from kaldinn.io.text_table import c_sorted, iter_table_lines

SPACE = "<space>"
WORD_START = "▁"
UNIT_KINDS = ("char", "phone", "bpe")
TOKENS_FILE = "tokens.txt"
BPE_MODEL_FILE = "bpe.model"


class TokenTable(LabelMap):
    """A ``LabelMap`` whose id 0 is ``<blk>`` and which holds ``<unk>``."""

    def __init__(self, symbols: list[str]):
        super().__init__(symbols)
        if not self.labels or self.labels[0] != BLANK or UNK not in self.labels:
            raise DataDirError(f"a token table needs {BLANK} with id 0 and a {UNK} entry")

    @classmethod
    def from_units(cls, units: Iterable[str]) -> TokenTable:
        """``<blk>`` 0, ``<unk>`` 1, then every distinct unit in C-sorted order."""
        return cls([BLANK, UNK, *c_sorted(set(units) - {BLANK, UNK})])

    @classmethod
    def load(cls, path: str | os.PathLike) -> TokenTable:
        table = LabelMap.load(path)
        try:
            return cls(table.labels)
        except DataDirError as err:
            raise DataDirError(f"{path}: {err}; recreate it with steps/prepare_units.py") from None

    def encode(self, units: Sequence[str], unknown: Counter) -> np.ndarray:
        """int64 ids of ``units``; symbols not in the table become ``<unk>`` and are counted."""
        unk = self.index(UNK)
        ids = []
        for unit in units:
            index = self.get(unit)
            if index is None:
                unknown[unit] += 1
                index = unk
            ids.append(index)
        return np.array(ids, dtype=np.int64)


def unknown_report(unknown: Counter, what: str = "symbols", limit: int = 10) -> str:
    """One line naming the most frequent unknown symbols with their counts ('' when none)."""
    if not unknown:
        return ""
    top = ", ".join(f"{sym!r} ({n})" for sym, n in unknown.most_common(limit))
    more = f" and {len(unknown) - limit} more" if len(unknown) > limit else ""
    return (
        f"{sum(unknown.values())} occurrences of {len(unknown)} unknown {what} mapped to {UNK}: {top}{more}"
    )


@dataclass(frozen=True)
class TextNormalizer:
    """Case folding and punctuation removal applied to each transcript before unit splitting.

    Punctuation is every Unicode ``P*`` character except an apostrophe inside a word.
    """

    case: Literal["keep", "lower", "upper"] = "keep"
    remove_punct: bool = False

    def __call__(self, text: str) -> list[str]:
        if self.case == "lower":
            text = text.lower()
        elif self.case == "upper":
            text = text.upper()
        if self.remove_punct:
            text = "".join(_strip_punct(text))
        return text.split()


def _strip_punct(text: str) -> Iterable[str]:
    for i, ch in enumerate(text):
        if not unicodedata.category(ch).startswith("P"):
            yield ch
        elif ch == "'" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum():
            yield ch
        else:
            yield " "


@dataclass(frozen=True)
class CharUnits:
    """Characters of each word with a word-boundary unit: ``<space>`` between words, or ``▁`` before each."""

    space: Literal["<space>", "▁"] = SPACE

    def split(self, words: Sequence[str]) -> list[str]:
        units: list[str] = []
        for i, word in enumerate(words):
            if self.space == WORD_START:
                units.append(WORD_START)
            elif i > 0:
                units.append(SPACE)
            units.extend(word)
        return units


class LexiconUnits:
    """Phones of each word from a lexicon; words it lacks become ``<unk>`` and are counted."""

    def __init__(self, lexicon: Mapping[str, list[str]]):
        self.lexicon = dict(lexicon)
        self.unknown_words: Counter = Counter()

    @classmethod
    def read(cls, path: str | os.PathLike) -> LexiconUnits:
        """``<word> <phone1> <phone2> ...`` lines; the first pronunciation of a word is used."""
        lexicon: dict[str, list[str]] = {}
        for lineno, word, rest in iter_table_lines(path):
            if not rest.split():
                raise DataDirError(f"{path}:{lineno}: word {word!r} has no phones")
            lexicon.setdefault(word, rest.split())
        return cls(lexicon)

    def split(self, words: Sequence[str]) -> list[str]:
        units: list[str] = []
        for word in words:
            if word in self.lexicon:
                units.extend(self.lexicon[word])
            else:
                self.unknown_words[word] += 1
                units.append(UNK)
        return units


def collapse_alignment(frame_ids: np.ndarray, phones: LabelMap, drop: frozenset[str]) -> list[str]:
    """Phone symbols of a frame alignment: runs merged, ``<eps>`` and phones in ``drop`` removed."""
    ids = np.asarray(frame_ids)
    if ids.size == 0:
        return []
    starts = np.concatenate([[True], ids[1:] != ids[:-1]])
    out = []
    for index in ids[starts].tolist():
        if not 0 <= index < len(phones):
            raise DataDirError(f"phone id {index} is outside phones.txt (ids 0..{len(phones) - 1})")
        symbol = phones.label(index)
        if symbol != "<eps>" and symbol not in drop:
            out.append(symbol)
    return out


def alignment_phones(
    ali_scp: str | os.PathLike, phones: LabelMap, drop: frozenset[str]
) -> dict[str, list[str]]:
    """Per-utterance phone sequences of an ``ali.scp`` (see :func:`collapse_alignment`)."""
    from kaldinn.io.tables import SequentialReader

    with SequentialReader(f"scp:{ali_scp}") as reader:
        return {utt: collapse_alignment(ali, phones, drop) for utt, ali in reader}


class BpeUnits:
    """sentencepiece pieces of a transcript (a piece starting with ``▁`` begins a word)."""

    def __init__(self, model_path: str | os.PathLike):
        import sentencepiece

        if not Path(model_path).is_file():
            raise DataDirError(
                f"BPE model {model_path} does not exist; run steps/prepare_units.py --unit bpe"
            )
        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(model_path))

    def split(self, words: Sequence[str]) -> list[str]:
        return self.processor.encode(" ".join(words), out_type=str)

    def pieces(self) -> list[str]:
        """Every piece of the model except its control and unknown symbols."""
        sp = self.processor
        return [
            sp.id_to_piece(i)
            for i in range(sp.get_piece_size())
            if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i))
        ]


def train_bpe(sentences: Sequence[str], vocab_size: int, model_path: str | os.PathLike) -> BpeUnits:
    """Train a BPE model on normalised ``sentences``; write it atomically to ``model_path``."""
    import io

    import sentencepiece

    from kaldinn.io.atomic import atomic_write

    if not sentences:
        raise DataDirError("cannot train a BPE model on an empty text")
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="bpe",
        character_coverage=1.0,
        hard_vocab_limit=False,  # small corpora: fewer pieces than asked is fine
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        num_threads=1,
        minloglevel=2,
    )
    with atomic_write(model_path, "wb") as f:
        f.write(model.getvalue())
    return BpeUnits(model_path)
