"""Greedy CTC decoding, unit/word conventions, Viterbi alignment and CTM word times."""

from __future__ import annotations

import numpy as np
import pytest
from ctc_reference import log_probs

from kaldinn.decode.ctm import ctc_align, ctm_lines
from kaldinn.decode.greedy import (
    collapse,
    format_hyp_line,
    greedy_decode,
    greedy_decode_batch,
    tokens_to_words,
    word_spans,
)
from kaldinn.errors import KaldinnError

UNITS = ["<blk>", "a", "b", "<space>"]


def test_collapse_merges_repeats_and_drops_blanks():
    assert collapse(np.array([0, 1, 1, 0, 1, 2, 2, 0])) == [1, 1, 2]
    assert collapse(np.array([], dtype=int)) == []
    assert collapse(np.array([3, 3, 1]), blank=3) == [1]


def test_greedy_single_and_batch():
    lp = log_probs([[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    assert greedy_decode(lp) == [1, 2]
    batch = np.stack([lp, lp[::-1]])
    assert greedy_decode_batch(batch, [4, 2]) == [[1, 2], [2]]


def test_words_from_separators_and_sentencepiece():
    assert tokens_to_words([1, 2, 3, 3, 2], UNITS) == ["ab", "b"]
    spm = ["<blk>", "▁the", "re", "▁cat", "s"]
    assert word_spans([1, 2, 3, 4], spm) == [("there", 0, 1), ("cats", 2, 3)]
    assert format_hyp_line("utt1", []) == "utt1\n"
    assert format_hyp_line("utt1", ["ab", "b"]) == "utt1 ab b\n"


def test_alignment_and_ctm_times():
    frames = [0, 1, 1, 0, 3, 0, 2, 2]  # "a <space> b", a at frames 1-2, b at 6-7
    rows = np.full((len(frames), 4), 0.01)
    rows[np.arange(len(frames)), frames] = 0.97
    lp = log_probs(rows)
    tokens = greedy_decode(lp)
    spans = ctc_align(lp, tokens)
    assert spans == [(1, 2), (4, 4), (6, 7)]
    lines = ctm_lines("utt1", tokens, spans, UNITS, frame_shift=0.01, subsampling=4)
    assert lines == ["utt1 1 0.04 0.08 a\n", "utt1 1 0.24 0.08 b\n"]


def test_alignment_needs_a_blank_between_repeats():
    lp = log_probs([[0.1, 0.9], [0.1, 0.9]])
    with pytest.raises(KaldinnError, match="too few frames"):
        ctc_align(lp, [1, 1])
    assert ctc_align(lp, [1]) in ([(0, 1)],)
