"""G.fst from an ARPA n-gram model, as Kaldi's ``arpa2fst --disambig-symbol=#0`` builds it.

One state per history: state 0 is the empty history (unigrams), the start state is ``<s>``'s
history, then one state per lower-order n-gram in file order (Kaldi's ArpaLmCompiler). An
n-gram ``h w`` with log10 probability p becomes an arc ``w:w`` with cost -p ln 10 from the
state of h to the state of ``h w`` (an n-gram of the highest order goes straight to the
state of its longest existing suffix, as no arc could leave a state of its own); ``h </s>``
becomes the final cost of h's state. Every history state backs off to the state of its
history minus the first word by an arc ``#0:<eps>`` (the disambiguation symbol) with cost
-bow ln 10, so G stays free of epsilons and L o G determinises. States left with a back-off
arc only and no final cost are bypassed (Kaldi's RemoveRedundantStates), unreachable states
are removed and the arcs are sorted by input label.

N-grams with words missing from words.txt are skipped (counted), as arpa2fst does when
given ``--read-symbol-table``.

Example::

    fst, skipped = arpa_to_fst("data/local/lm.arpa", read_symbols("data/lang/words.txt"))
"""

from __future__ import annotations

import gzip
import math
import os
import shutil
import tempfile
from pathlib import Path

from kaldinn.errors import KaldinnError

LN10 = math.log(10.0)
BOS, EOS = "<s>", "</s>"


def read_symbols(path: str | os.PathLike) -> dict[str, int]:
    """A symbol table (``<symbol> <id>`` lines) as a dict."""
    table: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if len(fields) != 2 or not fields[1].isdigit():
                raise KaldinnError(f"{path}:{lineno}: expected '<symbol> <integer id>'")
            table[fields[0]] = int(fields[1])
    return table


def _read_arpa(path: Path):
    from kaldinn.decode.lm import ArpaLM

    if path.suffix != ".gz":
        return ArpaLM.read(path)
    with tempfile.NamedTemporaryFile(suffix=".arpa") as tmp:
        with gzip.open(path, "rb") as src:
            shutil.copyfileobj(src, tmp)
        tmp.flush()
        return ArpaLM.read(tmp.name)


def arpa_to_fst(arpa: str | os.PathLike, words: dict[str, int], disambig: str = "#0"):
    """(G as a ``StdVectorFst``, number of n-grams skipped for words not in ``words``)."""
    from kaldinn.hmm.fst import build_fst, kaldifst

    lm = _read_arpa(Path(arpa))
    for sym in (BOS, EOS, disambig):
        if sym not in words:
            raise KaldinnError(
                f"{sym} is not in the word symbol table; make the lang dir with utils/prepare_lang.py"
            )
    backoff_label = words[disambig]
    states: dict[tuple[str, ...], int] = {(): 0}
    arcs: list[list] = []  # [src, dst, label, cost]
    finals: dict[int, float] = {}
    start, skipped = None, 0

    def state_of_suffix(hist: tuple[str, ...]) -> int:
        while hist not in states:
            hist = hist[1:]
        return states[hist]

    for ngram, (logp, bow) in lm.probs.items():
        if any(w not in words for w in ngram):
            skipped += 1
            continue
        hist, word = ngram[:-1], ngram[-1]
        if hist not in states:
            raise KaldinnError(f"{arpa}: the n-gram '{' '.join(ngram)}' has no n-gram for its history")
        source, cost = states[hist], -logp * LN10
        if word == EOS:
            finals[source] = cost
            continue
        if len(ngram) < lm.order:
            dest = len(states)
            states[ngram] = dest
            arcs.append([dest, state_of_suffix(ngram[1:]), backoff_label, -bow * LN10])
        else:
            dest = state_of_suffix(ngram[1:])
        if word == BOS:
            start = dest if len(ngram) == 1 else start  # "<s>" is never a label
        else:
            arcs.append([source, dest, words[word], cost])
    if start is None:
        raise KaldinnError(f"{arpa}: no unigram for {BOS}; the LM cannot start a sentence")
    arcs = _bypass_backoff_only_states(arcs, finals, backoff_label, start)
    # back-off arcs are #0:<eps> (arpa2fst's), word arcs w:w
    labelled = ((s, d, lab, 0 if lab == backoff_label else lab, c) for s, d, lab, c in arcs)
    fst = build_fst(labelled, start, finals, len(states))
    kf = kaldifst()
    kf.connect(fst)
    kf.arcsort(fst, sort_type="ilabel")
    return fst, skipped


def _bypass_backoff_only_states(
    arcs: list[list], finals: dict[int, float], backoff: int, start: int
) -> list[list]:
    """Send arcs into a state whose only arc is its back-off arc straight on to its target."""
    out_arcs: dict[int, list[list]] = {}
    for arc in arcs:
        out_arcs.setdefault(arc[0], []).append(arc)
    bypass: dict[int, tuple[int, float]] = {}
    for state, leaving in out_arcs.items():
        if len(leaving) == 1 and leaving[0][2] == backoff and state not in finals and state != start:
            bypass[state] = (leaving[0][1], leaving[0][3])
    for arc in arcs:
        while arc[1] in bypass and arc[0] not in bypass:
            dest, cost = bypass[arc[1]]
            arc[1], arc[3] = dest, arc[3] + cost
    return [arc for arc in arcs if arc[0] not in bypass]
