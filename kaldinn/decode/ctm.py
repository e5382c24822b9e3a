"""Word times (CTM) from a CTC alignment of a hypothesis.

The hypothesis' units are force-aligned to the utterance's log-posteriors with the CTC
Viterbi path (blanks optional between units, required between repeated units). A word
starts at the first frame of its first unit and ends after the last frame of its last
unit; seconds = frame index x ``frame_shift`` x ``subsampling`` (the model's output
frame rate). Lines are Kaldi's CTM form ``<utt> 1 <start> <duration> <word>``.

Example::

    frames = ctc_align(log_probs, best.tokens)
    lines = ctm_lines("utt1", best.tokens, frames, units, frame_shift=0.01, subsampling=4)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kaldinn.decode.greedy import check_log_probs, word_spans
from kaldinn.errors import KaldinnError


def ctc_align(log_probs: np.ndarray, tokens: Sequence[int], blank: int = 0) -> list[tuple[int, int]]:
    """Viterbi CTC alignment: ``(first_frame, last_frame)`` of each token (inclusive)."""
    lp = check_log_probs(log_probs, blank)
    n_frames = lp.shape[0]
    if not tokens:
        return []
    labels = np.full(2 * len(tokens) + 1, blank)
    labels[1::2] = tokens
    n_states = len(labels)
    skip_ok = np.zeros(n_states, dtype=bool)
    skip_ok[3::2] = labels[3::2] != labels[1:-2:2]
    emit = lp[:, labels]  # (T, S)
    alpha = np.full(n_states, -np.inf)
    alpha[:2] = emit[0, :2]
    back = np.zeros((n_frames, n_states), dtype=np.int8)
    for t in range(1, n_frames):
        prev1 = np.concatenate([[-np.inf], alpha[:-1]])
        prev2 = np.where(skip_ok, np.concatenate([[-np.inf, -np.inf], alpha[:-2]]), -np.inf)
        cands = np.stack([alpha, prev1, prev2])
        back[t] = cands.argmax(axis=0)
        alpha = cands[back[t], np.arange(n_states)] + emit[t]
    end = n_states - 1 if n_states == 1 or alpha[-1] >= alpha[-2] else n_states - 2
    if not np.isfinite(alpha[end]):
        raise KaldinnError(
            f"cannot align {len(tokens)} units to {n_frames} frames (too few frames for the hypothesis)"
        )
    spans: list[list[int]] = [[-1, -1] for _ in tokens]
    state = end
    for t in range(n_frames - 1, -1, -1):
        if state % 2 == 1:
            span = spans[state // 2]
            span[0] = t
            if span[1] < 0:
                span[1] = t
        state -= int(back[t, state])
    return [(a, b) for a, b in spans]


def ctm_lines(
    utt_id: str,
    tokens: Sequence[int],
    token_frames: Sequence[tuple[int, int]],
    units: Sequence[str],
    frame_shift: float = 0.01,
    subsampling: int = 1,
    channel: str = "1",
) -> list[str]:
    """CTM lines for the words of ``tokens`` given each token's frame span."""
    step = frame_shift * subsampling
    lines = []
    for word, first, last in word_spans(tokens, units):
        start = token_frames[first][0] * step
        end = (token_frames[last][1] + 1) * step
        lines.append(f"{utt_id} {channel} {start:.2f} {end - start:.2f} {word}\n")
    return lines
