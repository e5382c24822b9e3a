"""The lexicon transducer L (phones -> words) with optional silence, as Kaldi builds it.

States follow Kaldi's ``utils/lang/make_lexicon_fst.py`` (what prepare_lang.sh runs): state 0
starts, state 1 is the loop state where words begin and end (the only final state, cost 0),
state 2 is reached after a word that is followed by silence; it goes back to the loop state
through the silence phone (through ``SIL`` then the silence disambiguation symbol in
L_disambig). Each pronunciation is a chain from the loop state whose first arc carries the
word and the pronunciation's cost, whose last arc goes to the loop state with cost
-log(1 - sil_prob) or to the silence state with -log(sil_prob). States are numbered in
lexicon order, so the result equals Kaldi's arc for arc before the olabel sort.

Disambiguation (Kaldi's ``utils/add_lex_disambig.pl``): a pronunciation that is a proper
prefix of another (the empty one is a prefix of all), or that several words share, gets
``#1``, ``#2``, ... appended (a new number each time the same pronunciation is met again).

Example::

    arcs, finals, _ = lexicon_arcs(lexicon, 0.5, "SIL", "#3")   # symbols, not ids
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

LexiconEntry = tuple[str, float, tuple[str, ...]]  # word, pronunciation probability, phones
START, LOOP, SILENCE_STATE = 0, 1, 2


def add_disambig(lexicon: Sequence[LexiconEntry]) -> tuple[list[LexiconEntry], int]:
    """Pronunciations with ``#n`` appended where needed, and the largest n used (0 if none)."""
    counts = Counter(pron for _, _, pron in lexicon)
    prefixes = {pron[:i] for _, _, pron in lexicon for i in range(len(pron))}  # the empty one too
    last_used: dict[tuple[str, ...], int] = {}
    out, top = [], 0
    for word, prob, pron in lexicon:
        if pron in prefixes or counts[pron] > 1:
            n = last_used.get(pron, 0) + 1
            last_used[pron] = n
            top = max(top, n)
            pron = (*pron, f"#{n}")
        out.append((word, prob, pron))
    return out, top


def lexicon_arcs(
    lexicon: Sequence[LexiconEntry], sil_prob: float, sil_phone: str, sil_disambig: str | None = None
) -> tuple[list[tuple[int, int, str, str, float]], dict[int, float]]:
    """Arcs ``(src, dst, phone, word, cost)`` with ``<eps>`` labels, and {final state: cost}."""
    if not 0.0 < sil_prob < 1.0:
        raise ValueError(f"sil_prob must be in (0, 1), got {sil_prob}")
    sil_cost, no_sil_cost = -math.log(sil_prob), -math.log(1.0 - sil_prob)
    eps = "<eps>"
    arcs = [(START, LOOP, eps, eps, no_sil_cost), (START, SILENCE_STATE, eps, eps, sil_cost)]
    next_state = 3
    if sil_disambig is None:
        arcs.append((SILENCE_STATE, LOOP, sil_phone, eps, 0.0))
    else:
        arcs.append((SILENCE_STATE, next_state, sil_phone, eps, 0.0))
        arcs.append((next_state, LOOP, sil_disambig, eps, 0.0))
        next_state += 1
    for word, prob, pron in lexicon:
        pron_cost = -math.log(prob)
        state = LOOP
        for i, phone in enumerate(pron[:-1]):
            arcs.append((state, next_state, phone, word if i == 0 else eps, pron_cost if i == 0 else 0.0))
            state = next_state
            next_state += 1
        last = len(pron) - 1  # -1 for an empty pronunciation
        phone = pron[last] if last >= 0 else eps
        label = word if last <= 0 else eps
        extra = pron_cost if last <= 0 else 0.0
        arcs.append((state, LOOP, phone, label, no_sil_cost + extra))
        arcs.append((state, SILENCE_STATE, phone, label, sil_cost + extra))
    return arcs, {LOOP: 0.0}
