"""Utterance statistics: a hand-computed case, Kaldi deltas, order invariance, CMVN/VAD, standardiser."""

import numpy as np
import pytest

from kaldinn.baselines.stats import Standardiser, StatsOptions, kaldi_deltas, open_features, utterance_stats
from kaldinn.errors import KaldinnError
from kaldinn.feats.cmvn import accumulate_cmvn_stats, apply_cmvn
from tests.data.feats_dir_factory import make_feats_dir, read_feats

FEATS = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 3.0], [6.0, 3.0]])


def test_kaldi_deltas_by_hand_with_replicated_edges():
    # d_t = (x[t+1] - x[t-1] + 2 (x[t+2] - x[t-2])) / 10, indices clamped to 0..3.
    # column 0 (0 2 4 6): t=0: (2 + 2*4)/10, t=1: (4 + 2*6)/10, t=2: (4 + 2*6)/10, t=3: (2 + 2*4)/10
    # column 1 (1 1 3 3): t=0: (0 + 2*2)/10, t=1: (2 + 2*2)/10, t=2: (2 + 2*2)/10, t=3: (0 + 2*2)/10
    expected = np.array([[1.0, 0.4], [1.6, 0.6], [1.6, 0.6], [1.0, 0.4]])
    np.testing.assert_allclose(kaldi_deltas(FEATS), expected)


def test_utterance_stats_by_hand():
    # mean (3, 2); std: sqrt(mean of (9 1 1 9)) = sqrt(5), 1; delta std: 0.3, 0.1;
    # 90th percentile (linear): position 0.9 * 3 = 2.7 -> 4 + 0.7 * 2 = 5.4 and 3 + 0.7 * 0 = 3.
    expected = [3.0, 2.0, np.sqrt(5.0), 1.0, 0.3, 0.1, 5.4, 3.0]
    np.testing.assert_allclose(utterance_stats(FEATS, 90.0), expected)
    np.testing.assert_allclose(utterance_stats(FEATS, 100.0)[6:], [6.0, 3.0])


def test_single_frame_has_zero_spread_and_empty_input_is_an_error():
    np.testing.assert_allclose(utterance_stats(FEATS[:1]), [0.0, 1.0, 0, 0, 0, 0, 0.0, 1.0])
    with pytest.raises(KaldinnError, match="T >= 1"):
        utterance_stats(np.zeros((0, 2)))


def test_shuffling_frames_changes_only_the_delta_block():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).cumsum(axis=0)  # smooth, so deltas are small
    a, b = utterance_stats(x), utterance_stats(x[rng.permutation(50)])
    np.testing.assert_allclose(a[:6], b[:6])
    np.testing.assert_allclose(a[9:], b[9:])
    assert np.all(b[6:9] > a[6:9])


def test_statistics_follow_speaker_cmvn_and_vad_as_the_data_pipeline_applies_them(tmp_path):
    data = make_feats_dir(tmp_path)
    raw = read_feats(data)
    dataset = open_features(data, StatsOptions(cmvn="speaker", vad=True))
    utt = "spk2-utt01"
    stats = accumulate_cmvn_stats(raw[u] for u in raw if u.startswith("spk2-"))
    expected = apply_cmvn(raw[utt], stats)[2:]  # the factory's first two frames are unvoiced
    got = dataset[dataset.utt_ids.index(utt)].feats
    np.testing.assert_allclose(utterance_stats(got), utterance_stats(expected), rtol=1e-5, atol=1e-6)


def test_standardiser_uses_training_statistics_and_leaves_constant_dims_unscaled():
    train = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 6.0]])
    s = Standardiser.fit(train)
    np.testing.assert_allclose(s.apply(train), [[-1, 0, -1], [1, 0, 1]])
    np.testing.assert_allclose(s.apply(np.array([[5.0, 6.0, 4.0]])), [[3.0, 1.0, 0.0]])
    with pytest.raises(KaldinnError, match="dimension 2"):
        s.apply(np.zeros((1, 2)))
