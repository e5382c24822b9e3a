"""CMVN stats layout/application and the energy VAD."""

import numpy as np
import pytest

from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.feats.cmvn import accumulate_cmvn_stats, add_cmvn_stats, apply_cmvn, init_cmvn_stats
from kaldinn.feats.options import VadOptions
from kaldinn.feats.vad import compute_vad


def test_stats_layout_is_kaldis():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((7, 3)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32)
    stats = accumulate_cmvn_stats([a, b])
    both = np.concatenate([a, b]).astype(np.float64)
    assert stats.shape == (2, 4) and stats.dtype == np.float64
    np.testing.assert_allclose(stats[0, :3], both.sum(0))
    np.testing.assert_allclose(stats[1, :3], (both**2).sum(0))
    assert stats[0, 3] == 12 and stats[1, 3] == 0


def test_weighted_stats():
    feats = np.arange(6, dtype=np.float32).reshape(3, 2)
    stats = init_cmvn_stats(2)
    add_cmvn_stats(stats, feats, weights=np.array([1.0, 0.0, 0.5]))
    assert stats[0, 2] == 1.5
    np.testing.assert_allclose(stats[0, :2], feats[0] + 0.5 * feats[2])


def test_apply_matches_numpy():
    rng = np.random.default_rng(1)
    feats = (rng.standard_normal((50, 4)) * 3 + 5).astype(np.float32)
    stats = accumulate_cmvn_stats([feats])
    np.testing.assert_allclose(apply_cmvn(feats, stats), feats - feats.mean(0), atol=1e-5)
    normed = apply_cmvn(feats, stats, norm_vars=True)
    np.testing.assert_allclose(normed, (feats - feats.mean(0)) / feats.std(0), atol=1e-4)


def test_apply_rejects_empty_stats_and_wrong_dim():
    with pytest.raises(KaldinnError, match="insufficient stats"):
        apply_cmvn(np.zeros((2, 3), np.float32), init_cmvn_stats(3))
    with pytest.raises(KaldinnError, match="dimension"):
        apply_cmvn(np.zeros((2, 2), np.float32), accumulate_cmvn_stats([np.ones((2, 3), np.float32)]))


def test_vad_on_silence_then_tone():
    # log energy in column 0: 50 frames of silence (~0), then 50 frames of tone (~20).
    energy = np.concatenate([np.full(50, 0.5), np.full(50, 20.0)]).astype(np.float32)
    feats = np.stack([energy, np.zeros(100, np.float32)], axis=1)
    decision = compute_vad(feats, VadOptions())
    assert decision.dtype == np.float32
    np.testing.assert_array_equal(decision, np.r_[np.zeros(50), np.ones(50)])


def test_vad_context_smooths_isolated_frames():
    energy = np.full(21, 0.0, dtype=np.float32)
    energy[10] = 30.0
    feats = energy[:, None]
    opts = VadOptions(vad_energy_mean_scale=0.0, vad_frames_context=2, vad_proportion_threshold=0.5)
    assert compute_vad(feats, opts).sum() == 0
    loose = VadOptions(vad_energy_mean_scale=0.0, vad_frames_context=2, vad_proportion_threshold=0.2)
    np.testing.assert_array_equal(np.flatnonzero(compute_vad(feats, loose)), [8, 9, 10, 11, 12])


def test_vad_bad_options():
    with pytest.raises(ConfigError, match="proportion"):
        compute_vad(np.zeros((3, 1), np.float32), VadOptions(vad_proportion_threshold=1.0))
