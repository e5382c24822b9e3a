"""Lexicon constraint for CTC beam search: words restricted to a lexicon via a unit-prefix trie.

A lexicon file has Kaldi's ``lexicon.txt`` form: ``<word> <unit1> <unit2> ...`` per line
(units as in ``units.txt``; for sentencepiece units the first usually starts with ``▁``).
During search a partial word must be a prefix of some entry's unit sequence and a word
may only end where an entry ends. With several words spelt the same, the first wins.

Example::

    lex = Lexicon.read("data/lang/lexicon.txt", units)
    scorer = WordLMScorer(units, lexicon=lex)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from kaldinn.errors import KaldinnError


class Lexicon:
    """Unit-sequence trie: ``is_prefix(units)`` and ``word(units)`` (None if not a word)."""

    def __init__(self, entries: Iterable[tuple[str, Sequence[int]]]):
        self.words: dict[tuple[int, ...], str] = {}
        self.prefixes: set[tuple[int, ...]] = set()
        for word, ids in entries:
            seq = tuple(ids)
            if not seq:
                raise KaldinnError(f"lexicon word {word!r} has no units")
            self.words.setdefault(seq, word)
            self.prefixes.update(seq[:i] for i in range(1, len(seq) + 1))

    @classmethod
    def read(cls, path: str | os.PathLike, units: Sequence[str]) -> Lexicon:
        """Read ``<word> <unit>...`` lines; every unit must be one of ``units``."""
        unit_id = {u: i for i, u in enumerate(units)}
        entries = []
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) < 2:
                    raise KaldinnError(f"{path}:{lineno}: expected '<word> <unit> ...', got {line.strip()!r}")
                missing = [u for u in fields[1:] if u not in unit_id]
                if missing:
                    raise KaldinnError(
                        f"{path}:{lineno}: unit {missing[0]!r} of word {fields[0]!r} is not in the "
                        f"model's units; rebuild the lexicon with the model's units.txt"
                    )
                entries.append((fields[0], [unit_id[u] for u in fields[1:]]))
        if not entries:
            raise KaldinnError(f"{path}: lexicon is empty")
        return cls(entries)

    @classmethod
    def from_spelling(cls, words: Iterable[str], units: Sequence[str]) -> Lexicon:
        """Character lexicon: each word spelt by its characters (all must be units)."""
        unit_id = {u: i for i, u in enumerate(units)}
        entries = []
        for word in words:
            missing = [ch for ch in word if ch not in unit_id]
            if missing:
                raise KaldinnError(f"word {word!r}: character {missing[0]!r} is not a unit")
            entries.append((word, [unit_id[ch] for ch in word]))
        return cls(entries)

    def is_prefix(self, ids: tuple[int, ...]) -> bool:
        return ids in self.prefixes

    def word(self, ids: tuple[int, ...]) -> str | None:
        return self.words.get(ids)

    def __len__(self) -> int:
        return len(self.words)
