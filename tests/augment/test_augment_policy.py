"""The augmentation policy: kinds by weight, SNRs in range, babble sizes, determinism, config checks."""

from collections import Counter

import numpy as np
import pytest

from kaldinn.augment.config import AugmentConfig
from kaldinn.augment.ops import power
from kaldinn.augment.policy import Augmenter
from kaldinn.errors import ConfigError
from tests.data.audio_dir_factory import make_noise_tree


@pytest.fixture
def config(tmp_path):
    make_noise_tree(tmp_path)
    return AugmentConfig(feat_conf="conf/fbank.conf", musan="musan", rirs="RIRS_NOISES", prob=1.0)


def speech() -> np.ndarray:
    rng = np.random.default_rng(5)
    return (3000 * np.sin(np.arange(12000) * 0.03) + 10 * rng.standard_normal(12000)).astype(np.float32)


def test_each_kind_is_drawn_and_mixes_at_an_snr_in_its_range(config, tmp_path):
    augmenter = Augmenter.from_config(config, base_dir=tmp_path)
    x, kinds = speech(), Counter()
    ranges = {"noise": config.noise_snr, "music": config.music_snr, "babble": config.babble_snr}
    for i in range(200):
        y, kind = augmenter(x, np.random.default_rng([1, 0, i, 1]))
        kinds[kind] += 1
        assert y.shape == x.shape and y.dtype == np.float32
        if kind == "reverb":
            assert power(y) == pytest.approx(power(x), rel=1e-4)
        else:
            low, high = ranges[kind]
            assert low - 1e-3 <= 10 * np.log10(power(x) / power(y - x)) <= high + 1e-3
    assert set(kinds) == {"reverb", "noise", "music", "babble"} and min(kinds.values()) > 30


def test_the_same_generator_state_gives_the_same_output(config, tmp_path):
    augmenter = Augmenter.from_config(config, base_dir=tmp_path)
    fresh = Augmenter.from_config(config, base_dir=tmp_path)  # another worker: empty cache
    x = speech()
    for i in range(20):
        a, kind_a = augmenter(x, np.random.default_rng([7, 2, i, 1]))
        b, kind_b = fresh(x, np.random.default_rng([7, 2, i, 1]))
        assert kind_a == kind_b
        np.testing.assert_array_equal(a, b)


def test_prob_and_weights_set_the_shares(config, tmp_path):
    config.prob, config.kinds = 0.5, {"reverb": 0, "noise": 3, "music": 1, "babble": 0}
    augmenter = Augmenter.from_config(config, base_dir=tmp_path)
    kinds = Counter(augmenter.choose(np.random.default_rng([0, 0, i])) for i in range(4000))
    assert set(kinds) == {"clean", "noise", "music"}
    assert kinds["clean"] / 4000 == pytest.approx(0.5, abs=0.03)
    assert kinds["noise"] / kinds["music"] == pytest.approx(3.0, rel=0.15)
    # Only the folders the used kinds need are indexed.
    assert set(augmenter.musan) == {"noise", "music"} and not augmenter.rirs


def test_babble_sums_between_3_and_7_different_talkers(config, tmp_path, monkeypatch):
    augmenter = Augmenter.from_config(config, base_dir=tmp_path)
    bank, counts = augmenter.musan["speech"], []
    real_excerpt = bank.excerpt

    def counted(index, length, rng):
        calls.append(index)
        return real_excerpt(index, length, rng)

    monkeypatch.setattr(bank, "excerpt", counted)
    for i in range(50):
        calls = []
        augmenter._babble(8000, np.random.default_rng(i))
        assert len(set(calls)) == len(calls)
        counts.append(len(calls))
    assert min(counts) == 3 and max(counts) == 7


def test_clean_only_needs_no_corpora():
    augmenter = Augmenter.from_config(AugmentConfig(feat_conf="conf/fbank.conf", prob=0.0))
    x = speech()
    y, kind = augmenter(x, np.random.default_rng(0))
    assert kind == "clean" and not augmenter.active
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"feat_conf": ""}, "feat_conf is required"),
        ({"prob": 1.5}, r"prob must be in \[0, 1\]"),
        ({"kinds": {"wind": 1}}, "unknown kind 'wind'; valid kinds: reverb, noise, music, babble"),
        ({"kinds": {"noise": -1}}, "kinds.noise must be a number >= 0"),
        ({"noise_snr": (10.0, 0.0)}, "noise_snr: .* is not a range"),
        ({"rirs": ""}, "rirs .* is required with kinds.reverb > 0"),
        ({"musan": "", "kinds": {"babble": 1}}, "musan .* is required with kinds babble > 0"),
        ({"rir_sets": ["hall"]}, "rir_sets=.*smallroom, mediumroom, largeroom, real"),
    ],
)
def test_config_errors_name_the_key(changes, message):
    config = AugmentConfig(feat_conf="conf/fbank.conf", musan="m", rirs="r")
    for key, value in changes.items():
        setattr(config, key, value)
    with pytest.raises(ConfigError, match=message):
        config.validate()
