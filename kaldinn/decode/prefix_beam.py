"""CTC prefix beam search, vectorised with numpy over the beam and over a batch of utterances.

Algorithm (log domain): each hypothesis is a prefix of units with two scores, ending in
blank (``pb``) and ending in a unit (``pnb``). Per frame, a prefix stays (blank, or a
repeat of its last unit) or grows by one unit; a repeat of the last unit grows it only
from ``pb``. A grown prefix that is already in the beam is merged into it. The ``beam``
best by total score (acoustic + word scorer) survive, optionally only those within
``beam_prune_logp`` of the best. Ties go to the earlier candidate (stays in beam order,
then growths by beam slot and unit id).

Speed: numpy's per-call overhead dominates, so decode 64-128 utterances at once with
``prefix_beam_search_batch``; the results equal one-at-a-time decoding.

Prefixes are keyed by 64-bit rolling-hash ids (``id' = id * P + unit + 1``), so merging
is a comparison of a slot's parent id with the other slots' ids (two prefixes would be
confused only on a 64-bit hash collision, odds ~1e-19 per pair); the units of the final
hypotheses come from per-frame back-pointers. Utterances of a batch run in lock step
(padding frames are "blank with probability 1", which changes no score).

Token pruning: on each frame only units with log-posterior >= ``token_min_logp`` (and
among the ``token_top_k`` best, if set) are considered; the frame's best unit always is.
On a frame where blank alone survives every prefix collapses to "ends in blank", so runs
of such frames (most frames of a peaky CTC model) are applied in one step, exactly.

Example::

    from kaldinn.decode.prefix_beam import BeamConfig, prefix_beam_search
    best = prefix_beam_search(log_probs, BeamConfig(beam=10))[0]
    print(best.tokens, best.score)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kaldinn.decode.beam_frames import FramePlan, plan_frames
from kaldinn.decode.greedy import check_log_probs
from kaldinn.errors import KaldinnError

NEG_INF = -math.inf
_P = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the prefix-id hash
_DEAD_ID, _DEAD_PARENT = np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0xFFFFFFFFFFFFFFFE)


@dataclass(frozen=True)
class BeamConfig:
    """Search options; log-probabilities are natural logs."""

    beam: int = 10
    token_min_logp: float = -5.0
    token_top_k: int | None = None
    beam_prune_logp: float | None = None
    blank: int = 0
    nbest: int = 1

    def __post_init__(self) -> None:
        if min(self.beam, self.nbest, 1 if self.token_top_k is None else self.token_top_k) < 1:
            raise KaldinnError(f"beam, nbest and token_top_k must be >= 1, got {self}")


@dataclass
class Hypothesis:
    tokens: list[int]
    score: float  # am_score + lm_score
    am_score: float  # CTC log-probability of the prefix (summed over its paths in the beam)
    lm_score: float  # word scorer total (LM weight x log-prob + bonuses), 0 without one


class WordScorer(Protocol):
    """What the search needs from a word-level scorer (see kaldinn.decode.lm.WordLMScorer)."""

    def initial_state(self) -> object: ...

    def extend(self, state: object, token: int) -> tuple[object, float] | None: ...

    def final(self, state: object) -> float: ...


class _Beams:
    """Live hypotheses of N utterances as (N, B) arrays; dead slots have -inf scores."""

    def __init__(self, n_utts: int, beam: int):
        self.pb = np.full((n_utts, beam), NEG_INF)
        self.pb[:, 0] = 0.0
        self.pnb = np.full((n_utts, beam), NEG_INF)
        self.last = np.full((n_utts, beam), -2)  # -2: no last unit (never equals a unit or padding)
        self.ids = np.full((n_utts, beam), _DEAD_ID)
        self.ids[:, 0] = 0
        self.parents = np.full((n_utts, beam), _DEAD_PARENT)
        self.lm = np.zeros((n_utts, beam))

    _FIELDS = ("pb", "pnb", "last", "ids", "parents", "lm")

    def take(self, rows: np.ndarray) -> _Beams:
        sub = _Beams.__new__(_Beams)
        for name in self._FIELDS:
            setattr(sub, name, getattr(self, name)[rows])
        return sub

    def put(self, rows: np.ndarray, sub: _Beams) -> None:
        for name in self._FIELDS:
            getattr(self, name)[rows] = getattr(sub, name)


class _ScorerCache:
    """Word-scorer states by prefix id, and (prefix id, unit) -> (child state, increment)."""

    def __init__(self, scorer: WordScorer):
        self.scorer = scorer
        self.states: dict[int, object] = {0: scorer.initial_state()}
        self.ext: dict[tuple[int, int], tuple[object, float]] = {}

    def deltas(self, beams: _Beams, utt: np.ndarray, tok: np.ndarray) -> np.ndarray:
        """(B, M) score increments of growing each live slot of entry m's utterance by its unit."""
        out = np.zeros((beams.pb.shape[1], len(tok)))
        live = np.isfinite(np.logaddexp(beams.pb, beams.pnb))
        for m, (n, c) in enumerate(zip(utt.tolist(), tok.tolist(), strict=True)):
            for i in np.flatnonzero(live[n]).tolist():
                pid = int(beams.ids[n, i])
                hit = self.ext.get((pid, c))
                if hit is None:
                    got = self.scorer.extend(self.states[pid], c)
                    hit = self.ext[pid, c] = got if got is not None else (None, NEG_INF)
                out[i, m] = hit[1]
        return out

    def record(self, parents: np.ndarray, ids: np.ndarray, toks: np.ndarray) -> None:
        for p, i, c in zip(parents.tolist(), ids.tolist(), toks.tolist(), strict=True):
            if i not in self.states:
                self.states[i] = self.ext[p, c][0]


def _merge(b: _Beams, lookup: np.ndarray, stay_nb: np.ndarray, ext: np.ndarray) -> None:
    """Slot j == slot i grown by entry m's unit: move ext[i, m] into j's ``pnb`` (in place)."""
    n, j, i = np.nonzero(b.parents[:, :, None] == b.ids[:, None, :])
    if n.size == 0:
        return
    m = lookup[n, b.last[n, j]]  # a slot with a parent always has a last unit
    ok = m >= 0
    n, j, i, m = n[ok], j[ok], i[ok], m[ok]
    stay_nb[n, j] = np.logaddexp(stay_nb[n, j], ext[i, m])
    ext[i, m] = NEG_INF


def _select(score: np.ndarray, owner: np.ndarray, per_owner: np.ndarray, beam: int) -> np.ndarray:
    """Indices of each utterance's ``beam`` best candidates (stable: earlier wins ties), (N * B,)."""
    order = np.lexsort((-score, owner))
    starts = np.concatenate([[0], np.cumsum(per_owner)[:-1]])
    return order[(starts[:, None] + np.arange(beam)).ravel()]


def _step(b: _Beams, entries, blank_lp: np.ndarray, lookup: np.ndarray, cfg: BeamConfig, cache):
    """One frame for the whole batch; ``entries`` = (utt, unit, log-posterior) of the considered units."""
    utt, tok, tok_lp = entries
    n_utts, beam = b.pb.shape
    n_ent, rows = len(tok), np.arange(n_utts)[:, None]
    tot = np.logaddexp(b.pb, b.pnb)
    stay_b = tot + blank_lp[:, None]
    lookup[utt, tok] = np.arange(n_ent)
    rep = np.where(b.last >= 0, lookup[rows, np.maximum(b.last, 0)], -1)  # entry repeating last unit
    stay_nb = b.pnb + np.where(rep >= 0, tok_lp[rep], NEG_INF)
    ext = np.where(b.last[utt].T == tok, b.pb[utt].T, tot[utt].T) + tok_lp  # (B, M)
    _merge(b, lookup, stay_nb, ext)
    lookup[utt, tok] = -1
    ext_lm = b.lm[utt].T  # (B, M)
    if cache is not None:
        ext_lm = ext_lm + cache.deltas(b, utt, tok)
    score = np.concatenate([(np.logaddexp(stay_b, stay_nb) + b.lm).ravel(), (ext + ext_lm).ravel()])
    owner = np.concatenate([np.repeat(np.arange(n_utts), beam), np.broadcast_to(utt, (beam, n_ent)).ravel()])
    sel = _select(score, owner, beam + beam * np.bincount(utt, minlength=n_utts), beam)
    stay = sel < n_utts * beam
    e = np.where(stay, 0, sel - n_utts * beam)
    i_ext, m_ext = e // n_ent, e % n_ent
    src = np.where(stay, sel, utt[m_ext] * beam + i_ext)  # flat source slot
    grown = np.where(stay, -1, tok[m_ext])
    new = _Beams.__new__(_Beams)
    shape = (n_utts, beam)
    new.pb = np.where(stay, stay_b.ravel()[src], NEG_INF).reshape(shape)
    new.pnb = np.where(stay, stay_nb.ravel()[src], ext[i_ext, m_ext]).reshape(shape)
    new.last = np.where(stay, b.last.ravel()[src], grown).reshape(shape)
    parent_ids = b.ids.ravel()[src]
    new.ids = np.where(stay, parent_ids, parent_ids * _P + (grown + 1).astype(np.uint64)).reshape(shape)
    new.parents = np.where(stay, b.parents.ravel()[src], parent_ids).reshape(shape)
    new.lm = np.where(stay, b.lm.ravel()[src], ext_lm[i_ext, m_ext]).reshape(shape)
    _kill(new, score[sel].reshape(shape), cfg)
    if cache is not None:
        fresh = ~stay & np.isfinite(new.pnb.ravel())  # grown and kept
        cache.record(parent_ids[fresh], new.ids.ravel()[fresh], grown[fresh])
    return new, (src % beam).reshape(shape), grown.reshape(shape)


def _step_some(b: _Beams, plan: FramePlan, lo: int, hi: int, blank_lp, lookup, cfg: BeamConfig, cache):
    """Step only the utterances with a considered unit; the others just take the blank (exact)."""
    utt = plan.utt[lo:hi]
    touched = utt[np.flatnonzero(np.diff(utt, prepend=-1))]  # entries are sorted by utterance
    if len(touched) == b.pb.shape[0]:
        return _step(b, (utt, plan.tok[lo:hi], plan.tok_lp[lo:hi]), blank_lp, lookup, cfg, cache)
    local = np.searchsorted(touched, utt)
    entries = (local, plan.tok[lo:hi], plan.tok_lp[lo:hi])
    sub, sub_src, sub_grown = _step(b.take(touched), entries, blank_lp[touched], lookup, cfg, cache)
    _blank_run(b, blank_lp, cfg)
    b.put(touched, sub)
    src = np.empty(b.pb.shape, dtype=np.int64)
    src[:] = np.arange(b.pb.shape[1])
    grown = np.full(b.pb.shape, -1)
    src[touched], grown[touched] = sub_src, sub_grown
    return b, src, grown


def _kill(b: _Beams, best: np.ndarray, cfg: BeamConfig) -> None:
    """Mark slots dead: -inf scores, or (with beam_prune_logp) too far below the best."""
    dead = ~np.isfinite(best)
    if cfg.beam_prune_logp is not None:
        dead |= best < best[:, :1] + cfg.beam_prune_logp
    if dead.any():
        b.pb[dead] = b.pnb[dead] = NEG_INF
        b.last[dead] = -2
        b.ids[dead], b.parents[dead] = _DEAD_ID, _DEAD_PARENT


def _blank_run(b: _Beams, blank_sum: np.ndarray, cfg: BeamConfig) -> None:
    """Apply a run of frames on which only blank survives pruning, in place (exact)."""
    tot = np.logaddexp(b.pb, b.pnb)
    b.pb = tot + blank_sum[:, None]
    b.pnb = np.full_like(tot, NEG_INF)
    if cfg.beam_prune_logp is not None:
        score = tot + b.lm
        top = score.max(axis=1, keepdims=True)
        _kill(b, np.where(score >= top + cfg.beam_prune_logp, score, NEG_INF), cfg)


def prefix_beam_search_batch(
    utts: Sequence[np.ndarray], config: BeamConfig = BeamConfig(), scorer: WordScorer | None = None
) -> list[list[Hypothesis]]:
    """Decode several (T_n, V) log-posterior matrices in lock step; n-best lists, best first.

    A list is empty if pruning left no hypothesis alive (a lexicon forbidding every unit a
    frame allows, blank pruned there); a lower ``token_min_logp`` avoids that.
    """
    mats = [check_log_probs(lp, config.blank) for lp in utts]
    if not mats:
        return []
    widths = {m.shape[1] for m in mats}
    if len(widths) > 1:
        raise KaldinnError(
            f"utterances of one batch must have the same number of units, got {sorted(widths)}"
        )
    plan: FramePlan = plan_frames(mats, config)
    beams, cache = _Beams(len(mats), config.beam), (_ScorerCache(scorer) if scorer else None)
    pointers, t = [], 0
    lookup = np.full((len(mats), mats[0].shape[1]), -1)  # (utterance, unit) -> entry of this frame
    for f, ta in enumerate(plan.active.tolist()):
        if ta > t:
            _blank_run(beams, plan.blank_cum[:, ta] - plan.blank_cum[:, t], config)
        lo, hi = plan.offsets[f], plan.offsets[f + 1]
        beams, src, grown = _step_some(beams, plan, lo, hi, plan.blank_lp[f], lookup, config, cache)
        pointers.append((src, grown))
        t = ta + 1
    if t < plan.n_frames:
        _blank_run(beams, plan.blank_cum[:, plan.n_frames] - plan.blank_cum[:, t], config)
    return _finish(beams, pointers, cache, config)


def prefix_beam_search(
    log_probs: np.ndarray, config: BeamConfig = BeamConfig(), scorer: WordScorer | None = None
) -> list[Hypothesis]:
    """Decode one utterance's (T, V) log-posteriors; up to ``nbest`` hypotheses, best first."""
    return prefix_beam_search_batch([log_probs], config, scorer)[0]


def _finish(b: _Beams, pointers, cache: _ScorerCache | None, cfg: BeamConfig) -> list[list[Hypothesis]]:
    am = np.logaddexp(b.pb, b.pnb)
    lm = b.lm.copy()
    if cache is not None:
        for n, i in zip(*np.nonzero(np.isfinite(am)), strict=True):
            lm[n, i] += cache.scorer.final(cache.states[int(b.ids[n, i])])
    total = am + lm
    order = np.argsort(-total, axis=1, kind="stable")[:, : cfg.nbest]
    rows = np.arange(len(total))[:, None]
    cur, units = order.copy(), []
    for src, grown in reversed(pointers):
        units.append(grown[rows, cur])
        cur = src[rows, cur]
    trace = np.stack(units[::-1], axis=2) if units else np.full((*order.shape, 0), -1)
    out = []
    for n in range(len(total)):
        hyps = []
        for h, i in enumerate(order[n].tolist()):
            if np.isfinite(total[n, i]):
                seq = trace[n, h]
                tokens = seq[seq >= 0].tolist()
                hyps.append(Hypothesis(tokens, float(total[n, i]), float(am[n, i]), float(lm[n, i])))
        out.append(hyps)
    return out
