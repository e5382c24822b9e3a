"""Prefix beam search: hand-built posteriors, agreement with a straightforward reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ctc_reference import log_probs, peaky, reference_search

from kaldinn.decode.greedy import greedy_decode
from kaldinn.decode.prefix_beam import BeamConfig, prefix_beam_search, prefix_beam_search_batch


def test_beam_finds_prefix_greedy_misses():
    # Greedy path is blank,blank (p=.36) but prefix "a" sums .64 over its three paths.
    lp = log_probs([[0.6, 0.4], [0.6, 0.4]])
    assert greedy_decode(lp) == []
    best = prefix_beam_search(lp, BeamConfig(beam=4))[0]
    assert best.tokens == [1]
    assert best.am_score == pytest.approx(math.log(0.64))


def test_repeats_need_a_blank_between():
    lp = log_probs([[0.01, 0.98, 0.01], [0.01, 0.98, 0.01], [0.98, 0.01, 0.01], [0.01, 0.98, 0.01]])
    assert prefix_beam_search(lp, BeamConfig(beam=5))[0].tokens == [1, 1]
    assert greedy_decode(lp) == [1, 1]


@pytest.mark.parametrize(
    "cfg",
    [
        BeamConfig(beam=1, nbest=1),
        BeamConfig(beam=4, nbest=4),
        BeamConfig(beam=10, nbest=5, token_min_logp=-8.0),
        BeamConfig(beam=8, nbest=3, token_top_k=3, token_min_logp=-20.0),
        BeamConfig(beam=10, nbest=10, beam_prune_logp=-4.0, blank=2),
    ],
)
def test_agrees_with_reference_on_random_peaky_posteriors(cfg):
    rng = np.random.default_rng(cfg.beam * 7 + cfg.nbest)
    for _ in range(6):
        lp = peaky(rng, int(rng.integers(1, 60)), 6)
        ours = prefix_beam_search(lp, cfg)
        ref = reference_search(lp, cfg)
        assert [h.tokens for h in ours] == [r[0] for r in ref]
        assert [h.score for h in ours] == pytest.approx([r[1] for r in ref], abs=1e-9)


def test_batch_equals_one_by_one():
    rng = np.random.default_rng(3)
    utts = [peaky(rng, n, 8) for n in (5, 40, 1, 23)]
    cfg = BeamConfig(beam=6, nbest=3)
    batch = prefix_beam_search_batch(utts, cfg)
    for lp, hyps in zip(utts, batch, strict=True):
        single = prefix_beam_search(lp, cfg)
        assert [h.tokens for h in hyps] == [h.tokens for h in single]
        assert [h.score for h in hyps] == pytest.approx([h.score for h in single])


def test_rejects_bad_input():
    with pytest.raises(Exception, match="frames, units"):
        prefix_beam_search(np.zeros(5))
    with pytest.raises(Exception, match="beam"):
        BeamConfig(beam=0)
