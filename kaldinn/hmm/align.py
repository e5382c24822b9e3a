"""Forced alignment of an utterance to its transcript: Viterbi over a small HMM-state graph.

The graph is what Kaldi's ``compile-train-graphs`` makes from L.fst and the transcript:
the words' phone HMMs in order with optional silence (the lexicon's optional-silence phone)
before the first word, between words and after the last, each taken with the lexicon's
silence probability (0.5). Emitting HMM states are the graph's states; an arc is a
transition of the topology (a self-loop, a move inside the HMM, or the move to its final
state, which enters the next HMM). Arc scores are Kaldi's training-graph scores: a self-loop
``self_loop_scale * log p``; another transition ``transition_scale * log(p / (1 - p_loop))
+ self_loop_scale * log(1 - p_loop)``, plus the silence / no-silence log-probability at word
junctions; frames add ``acoustic_scale`` times the pdf log-likelihood. Viterbi is exact
(Kaldi prunes with beam 10, retry 40; a pruned search finds the same path but for ties).

The alignment is written as transition-ids in Kaldi's order (``reorder=true``): the first
frame of each stay in a state carries the transition that leaves the state, the others its
self-loop. ``equal_alignment`` is ``align-equal-compiled``'s start: the frames shared evenly
among the states of the path SIL, words, SIL (without the silences when too short).

Example::

    graph = UtteranceGraph.build(model.tm, prons, sil_phone=1)    # prons: phone-id lists per word
    tids, score = graph.viterbi(loglikes)                         # loglikes: (T, num_pdfs)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kaldinn.hmm.transition_model import TransitionModel

NEG = -1.0e30


@dataclass(frozen=True)
class AlignOptions:
    acoustic_scale: float = 0.1
    transition_scale: float = 1.0
    self_loop_scale: float = 0.1
    sil_prob: float = 0.5


class _Builder:
    """Collects emitting states and arcs while phone HMMs are chained."""

    def __init__(self, tm: TransitionModel, options: AlignOptions):
        self.tm, self.options = tm, options
        self.pdf: list[int] = []
        self.loop_tid: list[int] = []
        self.arcs: list[tuple[int, int, float, int]] = []  # src, dst, score, tid
        self.tstate = {(t.phone, t.hmm_state): i + 1 for i, t in enumerate(tm.tuples)}
        self.first_tid = np.searchsorted(tm.tid_to_state, np.arange(len(tm.tuples) + 2))

    def add_phone(self, phone: int) -> tuple[int, list[tuple[int, float, int]]]:
        """Add one phone's HMM; return its entry state and exits (state, score, tid)."""
        hmm = self.tm.topology.entry_for_phone(phone)
        o = self.options
        base = len(self.pdf)
        exits = []
        for s, state in enumerate(hmm):
            if state.forward_pdf_class < 0:
                continue
            ts = self.tstate[(phone, s)]
            tid0 = int(self.first_tid[ts])
            probs = np.exp(self.tm.log_probs[tid0 : tid0 + len(state.transitions)])
            p_loop = sum(p for (d, _), p in zip(state.transitions, probs, strict=True) if d == s)
            self.pdf.append(int(self.tm.tid_to_pdf[tid0]))
            self.loop_tid.append(0)
            for k, ((dest, _), p) in enumerate(zip(state.transitions, probs, strict=True)):
                tid = tid0 + k
                if dest == s:
                    self.loop_tid[-1] = tid
                    continue
                score = o.transition_scale * math.log(max(p, 1e-30) / max(1.0 - p_loop, 1e-30))
                score += o.self_loop_scale * math.log(max(1.0 - p_loop, 1e-30))
                if hmm[dest].forward_pdf_class < 0:
                    exits.append((base + s, score, tid))
                else:
                    self.arcs.append((base + s, base + dest, score, tid))
        return base, exits


@dataclass
class UtteranceGraph:
    """Emitting states (pdf, self-loop tid), incoming-arc tables and entry/final scores."""

    pdf: np.ndarray  # (S,)
    loop_tid: np.ndarray  # (S,) 0 where a state has no self-loop
    pred: np.ndarray  # (S, K) predecessor states (0 where padded)
    pred_score: np.ndarray  # (S, K) arc scores (NEG where padded)
    pred_tid: np.ndarray  # (S, K) transition-ids of the arcs
    loop_score: np.ndarray  # (S,)
    init: np.ndarray  # (S,) entry scores
    final: np.ndarray  # (S,) exit scores (NEG: cannot end here)
    final_tid: np.ndarray  # (S,)
    min_frames: int

    @classmethod
    def build(
        cls, tm: TransitionModel, prons: Sequence[Sequence[int]], sil_phone: int,
        options: AlignOptions = AlignOptions(), optional_silence: bool = True,
    ) -> UtteranceGraph:  # fmt: skip
        b = _Builder(tm, options)
        sil, no_sil = math.log(options.sil_prob), math.log(1.0 - options.sil_prob)
        # "frontier": exits waiting for the next HMM's entry: (state or -1 for the start, score, tid)
        frontier: list[tuple[int, float, int]] = [(-1, 0.0, 0)]
        entries: list[tuple[int, int, float, int]] = []

        def connect(exits, entry, extra):
            for state, score, tid in exits:
                entries.append((state, entry, score + extra, tid))

        def chain(phones, exits, extra):
            for i, phone in enumerate(phones):
                entry, out = b.add_phone(phone)
                connect(exits, entry, extra if i == 0 else 0.0)
                exits = out
            return exits

        for word in prons:
            if optional_silence:
                sil_exits = chain([sil_phone], frontier, sil)
                frontier = chain(word, frontier + [(s, sc - sil, t) for s, sc, t in sil_exits], no_sil)
                # the silence path already paid log(sil_prob); the direct path pays log(1 - sil_prob)
            else:
                frontier = chain(word, frontier, 0.0)
        final_exits = frontier
        if optional_silence:
            sil_exits = chain([sil_phone], frontier, sil)
            final_exits = [(s, sc + no_sil, t) for s, sc, t in frontier] + sil_exits
        return cls._tables(b, entries, final_exits, len(prons))

    @classmethod
    def _tables(cls, b: _Builder, entries, final_exits, num_words: int) -> UtteranceGraph:
        n = len(b.pdf)
        init = np.full(n, NEG)
        arcs = list(b.arcs)
        for src, dst, score, tid in entries:
            if src < 0:
                init[dst] = max(init[dst], score)
            else:
                arcs.append((src, dst, score, tid))
        final, final_tid = np.full(n, NEG), np.zeros(n, dtype=np.int64)
        for state, score, tid in final_exits:
            if state >= 0 and score > final[state]:
                final[state], final_tid[state] = score, tid
        incoming: list[list[tuple[int, float, int]]] = [[] for _ in range(n)]
        for src, dst, score, tid in arcs:
            incoming[dst].append((src, score, tid))
        k = max(1, max(len(x) for x in incoming))
        pred = np.zeros((n, k), dtype=np.int64)
        pred_score = np.full((n, k), NEG)
        pred_tid = np.zeros((n, k), dtype=np.int64)
        for dst, lst in enumerate(incoming):
            for i, (src, score, tid) in enumerate(lst):
                pred[dst, i], pred_score[dst, i], pred_tid[dst, i] = src, score, tid
        loop_tid = np.array(b.loop_tid, dtype=np.int64)
        loop_score = np.full(n, NEG)
        with np.errstate(divide="ignore"):
            has = loop_tid > 0
            loop_score[has] = b.options.self_loop_scale * b.tm.log_probs[loop_tid[has]]
        return cls(
            np.array(b.pdf), loop_tid, pred, pred_score, pred_tid, loop_score, init, final, final_tid, 0
        )

    def viterbi(self, loglikes: np.ndarray, acoustic_scale: float = 0.1) -> tuple[np.ndarray, float] | None:
        """Best path's transition-ids per frame and its score; None if no path fits the frames."""
        ac = acoustic_scale * loglikes[:, self.pdf]  # (T, S)
        frames, n = ac.shape
        score = self.init + ac[0]
        back = np.zeros((frames, n), dtype=np.int16)  # 0: self-loop, i + 1: incoming arc i
        states = np.arange(n)
        for t in range(1, frames):
            cand = score[self.pred] + self.pred_score  # (S, K)
            best = cand.argmax(1)
            from_arc = cand[states, best]
            stay = score + self.loop_score
            use_loop = stay >= from_arc
            back[t] = np.where(use_loop, 0, best + 1)
            score = np.where(use_loop, stay, from_arc) + ac[t]
        total = score + self.final
        end = int(total.argmax())
        if total[end] < NEG / 2:
            return None
        return self._trace(back, end), float(total[end])

    def _trace(self, back: np.ndarray, end: int) -> np.ndarray:
        frames = len(back)
        path = np.zeros(frames, dtype=np.int64)
        leave = np.zeros(frames, dtype=np.int64)  # tid of the transition out of the state at frame t
        state, out_tid = end, int(self.final_tid[end])
        for t in range(frames - 1, -1, -1):
            path[t], leave[t] = state, out_tid
            move = int(back[t, state])
            if move == 0:
                out_tid = int(self.loop_tid[state])
            else:
                out_tid = int(self.pred_tid[state, move - 1])
                state = int(self.pred[state, move - 1])
        return _reorder(path, leave, self.loop_tid)

    def equal_alignment(self, frames: int, route: Sequence[int], exit_tid: int) -> np.ndarray | None:
        """Transition-ids for ``route`` (a chain of states) with the frames shared evenly."""
        if frames < len(route):
            return None
        share = np.diff(np.linspace(0, frames, len(route) + 1).round().astype(int))
        share = np.maximum(share, 1)
        share[-1] += frames - share.sum()
        if share[-1] < 1:
            return None
        path = np.repeat(np.asarray(route), share)
        leave = np.empty(frames, dtype=np.int64)
        for i, state in enumerate(route[:-1]):
            nxt = route[i + 1]
            k = int(np.flatnonzero(self.pred[nxt] == state)[0])
            leave[path == state] = self.pred_tid[nxt, k]
        leave[path == route[-1]] = exit_tid
        return _reorder(path, leave, self.loop_tid)


def _reorder(path: np.ndarray, leave: np.ndarray, loop_tid: np.ndarray) -> np.ndarray:
    """Kaldi's reordered tids: a stay's first frame takes the leaving transition, the rest the self-loop."""
    first = np.r_[True, path[1:] != path[:-1]]
    # the leaving transition of a stay is known at its last frame; move it to the first
    stay_id = np.cumsum(first) - 1
    last = np.r_[path[1:] != path[:-1], True]
    leave_of_stay = leave[last]
    return np.where(first, leave_of_stay[stay_id], loop_tid[path])
