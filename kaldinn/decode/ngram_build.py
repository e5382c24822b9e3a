"""Build a word n-gram LM (orders 1-3 or more) in ARPA form with interpolated modified Kneser-Ney.

Smoothing (Chen & Goodman's interpolated *modified* Kneser-Ney, as KenLM's lmplz does):
the highest order uses raw counts, lower orders use continuation counts (number of
distinct left neighbours; n-grams starting with ``<s>`` keep raw counts); each order has
three discounts D1, D2, D3+ from its count-of-counts. Where those are undefined (tiny
data: some n1..n4 is zero, or a discount falls outside its range) that order falls back
to *plain* Kneser-Ney with one discount D = n1 / (n1 + 2 n2) (0.5 if that is undefined).
Unigrams are interpolated with the uniform distribution over the vocabulary (words,
``</s>``, ``<unk>``). Interpolated probabilities are stored for seen n-grams and the
interpolation weight as the back-off, so ARPA back-off reproduces the model exactly.

Example::

    sentences = [line.split() for line in open("data/train/lm_text")]
    write_arpa("data/lang/lm.arpa", build_kneser_ney(sentences, order=3))
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from kaldinn.errors import KaldinnError
from kaldinn.io.atomic import atomic_write

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
Ngram = tuple[str, ...]


def count_ngrams(sentences: Iterable[Sequence[str]], order: int) -> list[Counter]:
    """Raw counts of 1..order-grams of ``<s> words </s>`` (index n-1 holds n-grams)."""
    counts = [Counter() for _ in range(order)]
    for words in sentences:
        toks = [BOS, *words, EOS]
        for n in range(1, order + 1):
            counts[n - 1].update(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))
    return counts


def adjust_counts(raw: list[Counter]) -> list[Counter]:
    """Kneser-Ney counts: raw at the top order and for ``<s>``-initial n-grams, else continuation."""
    adjusted = [Counter() for _ in raw]
    adjusted[-1] = Counter(raw[-1])
    for n in range(len(raw) - 1):
        left = Counter(g[1:] for g in raw[n + 1])
        for g, c in raw[n].items():
            adjusted[n][g] = c if g[0] == BOS else left[g]
    return adjusted


def discounts(counts: Counter) -> tuple[float, float, float]:
    """Modified KN discounts (D1, D2, D3+), or plain KN's single discount three times."""
    n = Counter(min(c, 4) for c in counts.values() if c > 0)
    n1, n2, n3, n4 = (n[k] for k in (1, 2, 3, 4))
    if n1 and n2 and n3 and n4:
        y = n1 / (n1 + 2 * n2)
        d = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
        if all(0 < dk <= k for k, dk in enumerate(d, start=1)):
            return d
    plain = n1 / (n1 + 2 * n2) if n1 and n2 else 0.5
    return plain, plain, plain


def build_kneser_ney(sentences: Iterable[Sequence[str]], order: int = 3) -> list[dict[Ngram, list[float]]]:
    """Interpolated modified KN model: per order, n-gram -> [log10 prob, log10 back-off]."""
    if order < 1:
        raise KaldinnError(f"--order must be >= 1, got {order}")
    raw = count_ngrams(sentences, order)
    if not raw[0] or len(raw[0]) <= 2:
        raise KaldinnError("the LM training text has no words; check the text file (and --has-keys)")
    counts = adjust_counts(raw)
    vocab = sorted({g[0] for g in raw[0]} - {BOS} | {UNK, EOS})
    model: list[dict[Ngram, list[float]]] = []
    lower: dict[Ngram, float] = {(w,): 1.0 / len(vocab) for w in vocab}
    for n in range(1, order + 1):
        probs, gammas = _interpolate(counts[n - 1], lower, n)
        model.append({g: [p, 0.0] for g, p in probs.items()})
        if n > 1:
            for h, gamma in gammas.items():
                model[n - 2].setdefault(h, [0.0, 0.0])[1] = gamma
        lower = probs
    for w in vocab:
        model[0].setdefault((w,), [0.0, 0.0])
    model[0][(BOS,)] = [0.0, model[0].get((BOS,), [0.0, 0.0])[1]]
    return [{g: [_log10(p), _log10(b) if b > 0 else 0.0] for g, (p, b) in m.items()} for m in model]


def _interpolate(counts: Counter, lower: dict[Ngram, float], n: int):
    """Probabilities of order ``n`` n-grams interpolated with ``lower``; and each history's weight."""
    d = discounts(counts)
    denom: dict[Ngram, float] = defaultdict(float)
    mass: dict[Ngram, float] = defaultdict(float)
    for g, c in counts.items():
        if n == 1 and g[0] == BOS:
            continue
        denom[g[:-1]] += c
        mass[g[:-1]] += d[min(c, 3) - 1] if c > 0 else 0.0
    gammas = {h: mass[h] / denom[h] for h in denom}
    probs: dict[Ngram, float] = {}
    if n == 1:
        for g in lower:
            c = counts.get(g, 0)
            seen = max(c - d[min(c, 3) - 1], 0.0) / denom[()] if c > 0 else 0.0
            probs[g] = seen + gammas[()] * lower[g]
        return probs, gammas
    for g, c in counts.items():
        probs[g] = max(c - d[min(c, 3) - 1], 0.0) / denom[g[:-1]] + gammas[g[:-1]] * lower[g[1:]]
    return probs, gammas


def _log10(p: float) -> float:
    return math.log10(p) if p > 0 else -99.0


def write_arpa(path: str | os.PathLike, model: list[dict[Ngram, list[float]]]) -> None:
    """Write the model in ARPA form (atomically); n-grams sorted within each order."""
    with atomic_write(path) as f:
        f.write("\n\\data\\\n")
        for n, grams in enumerate(model, start=1):
            f.write(f"ngram {n}={len(grams)}\n")
        for n, grams in enumerate(model, start=1):
            f.write(f"\n\\{n}-grams:\n")
            for g in sorted(grams):
                logp, bow = grams[g]
                line = f"{logp:.6f}\t{' '.join(g)}"
                f.write(line + (f"\t{bow:.6f}\n" if n < len(model) else "\n"))
        f.write("\n\\end\\\n")
