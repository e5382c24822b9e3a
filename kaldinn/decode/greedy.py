"""CTC greedy (best path) decoding and the token/word conventions shared by the decoders.

Greedy decoding takes the most likely unit per frame, merges repeats and drops blanks.
Units (the model's output symbols, in ``units.txt`` order) form words in one of two ways:
a separator unit (``<space>``, ``|``, a lone ``▁`` or a space) ends a word, and a
sentencepiece-style unit starting with ``▁`` begins one.

Example::

    import numpy as np
    from kaldinn.decode.greedy import greedy_decode, tokens_to_words
    ids = greedy_decode(np.log(np.array([[.1, .9, 0], [.8, .1, .1], [.1, .1, .8]]) + 1e-9))
    print(tokens_to_words(ids, ["<blk>", "a", "b"]))   # ['ab']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kaldinn.errors import KaldinnError

SEPARATORS = frozenset({"<space>", "|", "▁", " "})
WORD_START = "▁"


def check_log_probs(log_probs: np.ndarray, blank: int = 0) -> np.ndarray:
    """Validate a (T, V) matrix of per-frame log-posteriors; return it as float64 C array."""
    arr = np.ascontiguousarray(log_probs, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise KaldinnError(f"expected (frames, units) log-posteriors, got shape {arr.shape}")
    if not 0 <= blank < arr.shape[1]:
        raise KaldinnError(f"blank id {blank} is outside the {arr.shape[1]} output units")
    return arr


def collapse(frame_ids: np.ndarray, blank: int = 0) -> list[int]:
    """Merge repeated ids and drop blanks (the CTC collapse of a frame-level path)."""
    ids = np.asarray(frame_ids)
    if ids.size == 0:
        return []
    keep = np.empty(ids.shape, dtype=bool)
    keep[0] = True
    np.not_equal(ids[1:], ids[:-1], out=keep[1:])
    keep &= ids != blank
    return ids[keep].tolist()


def greedy_decode(log_probs: np.ndarray, blank: int = 0) -> list[int]:
    """Best-path token ids of one utterance's (T, V) scores (log-posteriors or logits)."""
    if log_probs.ndim != 2:
        raise KaldinnError(f"expected (frames, units) scores, got shape {log_probs.shape}")
    return collapse(log_probs.argmax(axis=1), blank)


def greedy_decode_batch(log_probs: np.ndarray, lengths: Sequence[int], blank: int = 0) -> list[list[int]]:
    """Best paths of a padded (B, T, V) batch; ``lengths`` are the valid frame counts."""
    best = log_probs.argmax(axis=2)
    return [collapse(best[b, : int(n)], blank) for b, n in enumerate(lengths)]


def is_separator(unit: str) -> bool:
    return unit in SEPARATORS


def starts_word(unit: str) -> bool:
    """A sentencepiece unit that begins a new word (``▁the``)."""
    return unit.startswith(WORD_START) and len(unit) > 1


def word_spans(tokens: Sequence[int], units: Sequence[str]) -> list[tuple[str, int, int]]:
    """Words of a token sequence as ``(word, first_token_index, last_token_index)``."""
    spans: list[tuple[str, int, int]] = []
    pieces: list[str] = []
    first = 0
    for i, tok in enumerate(tokens):
        unit = units[tok]
        if is_separator(unit) or (starts_word(unit) and pieces):
            if pieces:
                spans.append(("".join(pieces), first, i - 1))
            pieces = []
            if is_separator(unit):
                continue
        if not pieces:
            first = i
        pieces.append(unit[1:] if starts_word(unit) else unit)
    if pieces:
        spans.append(("".join(pieces), first, len(tokens) - 1))
    return spans


def tokens_to_words(tokens: Sequence[int], units: Sequence[str]) -> list[str]:
    """The words spelt by a token sequence (see the module docstring for the conventions)."""
    return [word for word, _, _ in word_spans(tokens, units)]


def format_hyp_line(utt_id: str, words: Sequence[str]) -> str:
    """One line of a Kaldi ``text`` file (a bare key for an empty hypothesis)."""
    return " ".join([utt_id, *words]) + "\n"
