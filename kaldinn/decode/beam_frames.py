"""Token pruning and the per-frame plan of a batch for CTC prefix beam search.

``prune_tokens`` picks the units each frame considers (log-posterior >= ``token_min_logp``,
among the ``token_top_k`` best if set, and always the frame's best). ``plan_frames`` turns
a batch of utterances into the frames the search must step through (some utterance
considers a non-blank unit there) with those units padded to a common width, plus
cumulative blank scores for the blank-only runs in between.

Example::

    plan = plan_frames([log_probs], BeamConfig(beam=10))
    print(plan.active, plan.n_active)   # frames to step, units considered on each
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kaldinn.decode.prefix_beam import BeamConfig


def prune_tokens(lp: np.ndarray, config: BeamConfig) -> np.ndarray:
    """Boolean (T, V) mask of the units each frame considers."""
    mask = lp >= config.token_min_logp
    if config.token_top_k is not None and config.token_top_k < lp.shape[1]:
        kth = -np.partition(-lp, config.token_top_k - 1, axis=1)[:, config.token_top_k - 1]
        mask &= lp >= kth[:, None]
    mask[np.arange(lp.shape[0]), lp.argmax(axis=1)] = True
    return mask


@dataclass
class FramePlan:
    """Frames to step through, and for each a flat list of (utterance, unit, log-posterior)."""

    n_frames: int  # longest utterance
    active: np.ndarray  # (F,) frames where some utterance considers a non-blank unit, ascending
    offsets: np.ndarray  # (F + 1,) entries of stepped frame f are [offsets[f], offsets[f + 1])
    utt: np.ndarray  # (E,) utterance index of each entry (sorted by frame, utterance, unit)
    tok: np.ndarray  # (E,) unit id
    tok_lp: np.ndarray  # (E,) its log-posterior
    blank_lp: np.ndarray  # (F, N) blank log-posterior (-inf if pruned; 0 past an utterance's end)
    blank_cum: np.ndarray  # (N, n_frames + 1) cumulative blank log-posterior (pruned frames add 0)


def plan_frames(mats: Sequence[np.ndarray], config: BeamConfig) -> FramePlan:
    """Pruned units of every frame of every utterance, laid out for lock-step decoding."""
    n_frames, blank = max(m.shape[0] for m in mats), config.blank
    blank_all = np.zeros((len(mats), n_frames))
    frames, utts, toks, lps = [], [], [], []
    for n, lp in enumerate(mats):
        mask = prune_tokens(lp, config)
        blank_all[n, : lp.shape[0]] = np.where(mask[:, blank], lp[:, blank], -np.inf)
        mask[:, blank] = False
        rows, cols = np.nonzero(mask)
        frames.append(rows)
        utts.append(np.full(len(rows), n))
        toks.append(cols)
        lps.append(lp[rows, cols])
    frame, utt, tok, tok_lp = (np.concatenate(x) for x in (frames, utts, toks, lps))
    order = np.argsort(frame, kind="stable")  # keeps (utterance, unit) order within a frame
    frame, utt, tok, tok_lp = frame[order], utt[order], tok[order], tok_lp[order]
    active = np.unique(frame)
    offsets = np.searchsorted(frame, np.append(active, n_frames))
    blank_cum = np.concatenate(
        [np.zeros((len(mats), 1)), np.cumsum(np.where(np.isfinite(blank_all), blank_all, 0.0), axis=1)],
        axis=1,
    )
    return FramePlan(n_frames, active, offsets, utt, tok, tok_lp, blank_all[:, active].T.copy(), blank_cum)
