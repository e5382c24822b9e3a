"""Word n-gram language models in ARPA form, and the word-level scorer used by beam search.

``ArpaLM`` reads an ARPA file (log10 probabilities and back-off weights) and scores a word
given its history with standard back-off. ``WordLMScorer`` applies it at word boundaries
during CTC prefix beam search: each completed word adds ``lm_weight * ln p(word | history)
+ word_bonus``; the end of the utterance completes the last word and adds ``</s>``. With
a :class:`~kaldinn.decode.lexicon.Lexicon`, partial words must follow the lexicon's
token trie and completed words must be in it.

Example::

    lm = ArpaLM.read("data/lang/lm.arpa")
    scorer = WordLMScorer(units, lm=lm, lm_weight=0.5, word_bonus=1.0)
    best = prefix_beam_search(log_probs, BeamConfig(beam=10), scorer)[0]
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from kaldinn.decode.greedy import is_separator, starts_word
from kaldinn.decode.lexicon import Lexicon
from kaldinn.errors import KaldinnError

LN10 = math.log(10.0)


class ArpaLM:
    """An ARPA back-off n-gram model: ``logprob10(word, history)``."""

    def __init__(self, order: int, probs: dict[tuple[str, ...], tuple[float, float]], unk_logp10: float):
        self.order = order
        self.probs = probs  # n-gram -> (log10 prob, log10 back-off)
        self.unk_logp10 = unk_logp10

    @classmethod
    def read(cls, path: str | os.PathLike, oov_logp10: float = -10.0) -> ArpaLM:
        """Parse ``path``; OOV words score like ``<unk>`` if the LM has it, else ``oov_logp10``."""
        probs: dict[tuple[str, ...], tuple[float, float]] = {}
        order, section, counts = 0, None, {}
        with open(path, encoding="utf-8") as f:
            for lineno, raw in enumerate(f, start=1):
                line = raw.strip()
                if not line:
                    continue
                if line.startswith("\\"):
                    section = _section(line, path, lineno)
                    order = max(order, section or 0)
                    continue
                if section == 0 and line.startswith("ngram "):
                    n, _, c = line[6:].partition("=")
                    counts[int(n)] = int(c)
                elif section:
                    _add_ngram(probs, line, section, path, lineno)
        if not probs:
            raise KaldinnError(f"{path}: no n-grams found; is it an ARPA file (\\data\\, \\1-grams:)?")
        for n, c in counts.items():
            got = sum(1 for k in probs if len(k) == n)
            if got != c:
                raise KaldinnError(f"{path}: header says ngram {n}={c} but the file lists {got}")
        unk = probs.get(("<unk>",))
        return cls(order, probs, unk[0] if unk else oov_logp10)

    def logprob10(self, word: str, history: Sequence[str]) -> float:
        """log10 p(word | history) with back-off; uses the last ``order - 1`` history words."""
        hist = tuple(history[-(self.order - 1) :]) if self.order > 1 else ()
        backoff = 0.0
        for start in range(len(hist) + 1):
            ctx = hist[start:]
            hit = self.probs.get((*ctx, word))
            if hit is not None:
                return backoff + hit[0]
            ctx_entry = self.probs.get(ctx) if ctx else None
            backoff += ctx_entry[1] if ctx_entry else 0.0
        return backoff + self.unk_logp10  # out of vocabulary: <unk> (or the floor)


def _section(line: str, path, lineno: int) -> int | None:
    if line == "\\data\\":
        return 0
    if line == "\\end\\":
        return None
    if line.endswith("-grams:"):
        return int(line[1:].split("-")[0])
    raise KaldinnError(f"{path}:{lineno}: unknown ARPA section {line!r}")


def _add_ngram(probs: dict, line: str, n: int, path, lineno: int) -> None:
    fields = line.split()
    if len(fields) not in (n + 1, n + 2):
        raise KaldinnError(f"{path}:{lineno}: expected a {n}-gram line 'logprob w1..w{n} [backoff]'")
    try:
        logp = float(fields[0])
        bow = float(fields[n + 1]) if len(fields) == n + 2 else 0.0
    except ValueError:
        raise KaldinnError(f"{path}:{lineno}: bad number in ARPA line {line!r}") from None
    probs[tuple(fields[1 : n + 1])] = (logp, bow)


class WordLMScorer:
    """Word-boundary scorer for :func:`kaldinn.decode.prefix_beam.prefix_beam_search`.

    State: (history words, partial word units). ``lm`` and ``lexicon`` are both optional.
    """

    def __init__(
        self,
        units: Sequence[str],
        lm: ArpaLM | None = None,
        lm_weight: float = 0.5,
        word_bonus: float = 0.0,
        lexicon: Lexicon | None = None,
    ):
        self.units, self.lm, self.lexicon = list(units), lm, lexicon
        self.lm_weight, self.word_bonus = lm_weight, word_bonus
        self.keep = max(lm.order - 1, 0) if lm else 0

    def initial_state(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        return ((), ())

    def _word_score(self, hist: tuple[str, ...], partial: tuple[int, ...]):
        """(new history, score) of completing the word ``partial``; None if not in the lexicon."""
        if self.lexicon is not None:
            word = self.lexicon.word(partial)
            if word is None:
                return None
        else:
            word = "".join(self.units[t].lstrip("▁") for t in partial)
        score = self.word_bonus
        if self.lm is not None:
            score += self.lm_weight * LN10 * self.lm.logprob10(word, ("<s>", *hist))
        new_hist = (*hist, word)[-self.keep :] if self.keep else ()
        return new_hist, score

    def extend(self, state, token: int):
        """New state and score increment for appending ``token``; None if the lexicon forbids it."""
        hist, partial = state
        unit = self.units[token]
        if is_separator(unit) or (starts_word(unit) and partial):
            if not partial:
                return state, 0.0
            done = self._word_score(hist, partial)
            if done is None:
                return None
            hist, score = done
            partial = ()
            if is_separator(unit):
                return (hist, partial), score
        else:
            score = 0.0
        partial = (*partial, token)
        if self.lexicon is not None and not self.lexicon.is_prefix(partial):
            return None
        return (hist, partial), score

    def final(self, state) -> float:
        """Score completing the utterance: the pending word (if any) and ``</s>``."""
        hist, partial = state
        score = 0.0
        if partial:
            done = self._word_score(hist, partial)
            if done is None:
                return -math.inf
            hist, score = done
        if self.lm is not None:
            score += self.lm_weight * LN10 * self.lm.logprob10("</s>", ("<s>", *hist))
        return score
