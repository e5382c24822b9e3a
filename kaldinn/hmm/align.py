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


class PhoneHmms:
    """Each phone's HMM as graph pieces (pdfs, self-loop tids, internal arcs, exits), made once per model."""

    def __init__(self, tm: TransitionModel, options: AlignOptions):
        self.tm, self.options = tm, options
        self._cache: dict[int, tuple] = {}
        self.tstate = {(t.phone, t.hmm_state): i + 1 for i, t in enumerate(tm.tuples)}
        self.first_tid = np.searchsorted(tm.tid_to_state, np.arange(len(tm.tuples) + 2))

    def get(self, phone: int) -> tuple:
        if phone not in self._cache:
            self._cache[phone] = self._make(phone)
        return self._cache[phone]

    def _make(self, phone: int) -> tuple:
        """(pdfs, loop tids, arcs (src, dst, score, tid), exits (state, score, tid)); states from 0."""
        hmm = self.tm.topology.entry_for_phone(phone)
        o = self.options
        pdfs, loops, arcs, exits = [], [], [], []
        for s, state in enumerate(hmm):
            if state.forward_pdf_class < 0:
                continue
            tid0 = int(self.first_tid[self.tstate[(phone, s)]])
            probs = np.exp(self.tm.log_probs[tid0 : tid0 + len(state.transitions)])
            p_loop = sum(p for (d, _), p in zip(state.transitions, probs, strict=True) if d == s)
            pdfs.append(int(self.tm.tid_to_pdf[tid0]))
            loops.append(0)
            for k, ((dest, _), p) in enumerate(zip(state.transitions, probs, strict=True)):
                if dest == s:
                    loops[-1] = tid0 + k
                    continue
                score = o.transition_scale * math.log(max(p, 1e-30) / max(1.0 - p_loop, 1e-30))
                score += o.self_loop_scale * math.log(max(1.0 - p_loop, 1e-30))
                if hmm[dest].forward_pdf_class < 0:
                    exits.append((s, score, tid0 + k))
                else:
                    arcs.append((s, dest, score, tid0 + k))
        return pdfs, loops, arcs, exits


class _Builder:
    """Collects emitting states and arcs while phone HMMs are chained."""

    def __init__(self, tm: TransitionModel, options: AlignOptions, hmms: PhoneHmms | None = None):
        self.tm, self.options = tm, options
        self.hmms = hmms if hmms is not None else PhoneHmms(tm, options)
        self.pdf: list[int] = []
        self.loop_tid: list[int] = []
        self.arcs: list[tuple[int, int, float, int]] = []  # src, dst, score, tid

    def add_phone(self, phone: int) -> tuple[int, list[tuple[int, float, int]]]:
        """Add one phone's HMM; return its entry state and exits (state, score, tid)."""
        pdfs, loops, arcs, exits = self.hmms.get(phone)
        base = len(self.pdf)
        self.pdf += pdfs
        self.loop_tid += loops
        self.arcs += [(base + a, base + b, score, tid) for a, b, score, tid in arcs]
        return base, [(base + s, score, tid) for s, score, tid in exits]


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
        options: AlignOptions = AlignOptions(), optional_silence: bool = True, hmms: PhoneHmms | None = None,
    ) -> UtteranceGraph:  # fmt: skip
        b = _Builder(tm, options, hmms)
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


def viterbi_batch(
    graphs: Sequence[UtteranceGraph], loglikes: Sequence[np.ndarray], acoustic_scale: float = 0.1
) -> list[np.ndarray | None]:
    """:meth:`UtteranceGraph.viterbi` for many utterances at once (same paths; None where none fits).

    The graphs are laid side by side in order of decreasing length, so the utterances still
    running at frame t own a prefix of the states and every frame is one vectorised step.
    """
    order = sorted(range(len(graphs)), key=lambda i: -len(loglikes[i]))
    g = [graphs[i] for i in order]
    lengths = np.array([len(loglikes[i]) for i in order])
    sizes = np.array([len(x.pdf) for x in g])
    base = np.r_[0, np.cumsum(sizes)]
    frame_base = np.r_[0, np.cumsum(lengths)]
    width = max((x.pred.shape[1] for x in g), default=1)
    pred = np.zeros((base[-1], width), dtype=np.int64)
    pred_score = np.full((base[-1], width), NEG)
    pred_tid = np.zeros((base[-1], width), dtype=np.int64)
    for x, b in zip(g, base, strict=False):
        k = x.pred.shape[1]
        pred[b : b + len(x.pdf), :k] = x.pred + b
        pred_score[b : b + len(x.pdf), :k] = x.pred_score
        pred_tid[b : b + len(x.pdf), :k] = x.pred_tid
    cat = lambda name: np.concatenate([getattr(x, name) for x in g])  # noqa: E731
    pdf, loop_score, init, final = cat("pdf"), cat("loop_score"), cat("init"), cat("final")
    loop_tid, final_tid = cat("loop_tid"), cat("final_tid")
    row = np.repeat(frame_base[:-1], sizes)  # each state's utterance's first frame in ``ll``
    ll = acoustic_scale * np.concatenate([loglikes[i] for i in order])
    active_states = np.searchsorted(-lengths, -np.arange(lengths[0] if len(g) else 0), side="left")
    back = np.zeros((lengths[0] if len(g) else 0, base[-1]), dtype=np.int8)
    score = init + ll[row, pdf]
    ends = np.full(len(g), -1)
    for t in range(lengths[0] if len(g) else 0):
        n = base[active_states[t]]
        if t > 0:
            cand = score[pred[:n]] + pred_score[:n]
            best = cand.argmax(1)
            from_arc = cand[np.arange(n), best]
            stay = score[:n] + loop_score[:n]
            use_loop = stay >= from_arc
            back[t, :n] = np.where(use_loop, 0, best + 1)
            score[:n] = np.where(use_loop, stay, from_arc) + ll[row[:n] + t, pdf[:n]]
        for u in np.flatnonzero(lengths == t + 1):  # utterances whose last frame is t
            total = score[base[u] : base[u + 1]] + final[base[u] : base[u + 1]]
            k = int(total.argmax())
            ends[u] = base[u] + k if total[k] > NEG / 2 else -1
    tids = _trace_batch(back, ends, lengths, frame_base, pred, pred_tid, loop_tid, final_tid)
    out: list[np.ndarray | None] = [None] * len(graphs)
    for j, i in enumerate(order):
        if ends[j] >= 0:
            out[i] = tids[frame_base[j] : frame_base[j + 1]]
    return out


def _trace_batch(back, ends, lengths, frame_base, pred, pred_tid, loop_tid, final_tid) -> np.ndarray:
    total = int(frame_base[-1])
    path = np.zeros(total, dtype=np.int64)
    leave = np.zeros(total, dtype=np.int64)
    state = np.where(ends >= 0, ends, 0)
    out_tid = final_tid[state]
    for t in range(len(back) - 1, -1, -1):
        m = int(np.searchsorted(-lengths, -t, side="left"))  # utterances with length > t
        s = state[:m]
        idx = frame_base[:m] + t
        path[idx], leave[idx] = s, out_tid[:m]
        move = back[t, s].astype(np.int64)
        arc = np.maximum(move - 1, 0)
        out_tid[:m] = np.where(move == 0, loop_tid[s], pred_tid[s, arc])
        state[:m] = np.where(move == 0, s, pred[s, arc])
    return _reorder(path, leave, loop_tid)
