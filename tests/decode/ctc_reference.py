"""Reference CTC prefix beam search (textbook, tuple prefixes) and posterior factories for tests."""

from __future__ import annotations

import math

import numpy as np

from kaldinn.decode.prefix_beam import BeamConfig


def lae(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def allowed_units(row: np.ndarray, cfg: BeamConfig) -> list[int]:
    units = {c for c in range(len(row)) if row[c] >= cfg.token_min_logp}
    if cfg.token_top_k is not None:
        kth = sorted(row, reverse=True)[min(cfg.token_top_k, len(row)) - 1]
        units = {c for c in units if row[c] >= kth}
    return sorted(units | {int(np.argmax(row))})


def reference_search(lp: np.ndarray, cfg: BeamConfig, scorer=None):
    """Textbook CTC prefix beam search over tuple prefixes (same pruning and scoring rules)."""
    state0 = scorer.initial_state() if scorer else None
    beams = [((), 0.0, -math.inf, 0.0, state0)]
    for row in lp:
        cands: dict[tuple, list] = {}

        def add(prefix, pb, pnb, lm, state, cands=cands):
            entry = cands.setdefault(prefix, [-math.inf, -math.inf, lm, state])
            entry[0], entry[1] = lae(entry[0], pb), lae(entry[1], pnb)

        for prefix, pb, pnb, lm, state in beams:
            for c in allowed_units(row, cfg):
                p = row[c]
                if c == cfg.blank:
                    add(prefix, lae(pb, pnb) + p, -math.inf, lm, state)
                    continue
                if prefix and prefix[-1] == c:
                    add(prefix, -math.inf, pnb + p, lm, state)
                    grow = pb + p
                else:
                    grow = lae(pb, pnb) + p
                new_state, delta = (None, 0.0)
                if scorer is not None:
                    got = scorer.extend(state, c)
                    if got is None:
                        continue
                    new_state, delta = got
                add((*prefix, c), -math.inf, grow, lm + delta, new_state)
        ranked = sorted(cands.items(), key=lambda kv: -(lae(kv[1][0], kv[1][1]) + kv[1][2]))
        ranked = [kv for kv in ranked[: cfg.beam] if lae(kv[1][0], kv[1][1]) > -math.inf]
        if cfg.beam_prune_logp is not None:
            top = lae(ranked[0][1][0], ranked[0][1][1]) + ranked[0][1][2]
            ranked = [kv for kv in ranked if lae(kv[1][0], kv[1][1]) + kv[1][2] >= top + cfg.beam_prune_logp]
        beams = [(p, e[0], e[1], e[2], e[3]) for p, e in ranked]
    final = [
        (list(p), lae(pb, pnb) + lm + (scorer.final(st) if scorer else 0.0)) for p, pb, pnb, lm, st in beams
    ]
    final = sorted([f for f in final if f[1] > -math.inf], key=lambda f: -f[1])
    return final[: cfg.nbest]


def peaky(rng: np.random.Generator, frames: int, units: int, noise: float = 1.5) -> np.ndarray:
    """Random CTC-like log-posteriors: one dominant unit per frame, mostly blank."""
    logits = rng.normal(size=(frames, units)) * noise
    label = np.where(rng.random(frames) < 0.6, 0, rng.integers(1, units, frames))
    logits[np.arange(frames), label] += rng.uniform(2.0, 7.0, frames)
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)


def log_probs(rows) -> np.ndarray:
    p = np.asarray(rows, dtype=np.float64)
    return np.log(p / p.sum(axis=1, keepdims=True))
