"""Bootstrap intervals: hand-computed speaker weighting, exactness against kaldinn.metrics.sv,
coverage on data from known distributions, paired comparisons and reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kaldinn.errors import KaldinnError
from kaldinn.metrics import bootstrap
from kaldinn.metrics.bootstrap import (
    accuracy_bootstrap,
    group_counts,
    map_trial_speakers,
    sv_bootstrap,
    sv_paired_bootstrap,
    sv_replicates,
    utterance_edits,
    wer_bootci,
)
from kaldinn.metrics.sv import compute_sv_metrics


def speakers_as_keys(enroll, test):
    """Trials whose both sides are speaker ids (every speaker maps to itself)."""
    enroll, test = [f"s{x:03d}" for x in enroll], [f"s{x:03d}" for x in test]
    return map_trial_speakers(enroll, test, {k: k for k in enroll + test})


def phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


# --- speaker mapping and multiplicities -----------------------------------------------------


def test_trial_sides_map_through_utt2spk_and_speakers_map_to_themselves():
    utt2spk = {"a1": "A", "b1": "B", "c1": "C"}
    spk = map_trial_speakers(["A", "a1", "B"], ["b1", "c1", "a1"], utt2spk)
    assert list(spk.speakers) == ["A", "B", "C"]
    assert spk.enroll.tolist() == [0, 0, 1] and spk.test.tolist() == [1, 2, 0]
    with pytest.raises(KaldinnError, match="'zz' is neither an utterance nor a speaker"):
        map_trial_speakers(["zz"], ["a1"], utt2spk)


def test_trials_weighted_by_the_product_of_their_speakers_multiplicities():
    # Speaker multiplicities A=2, B=1, C=0: weights A-A 4, A-B 2, B-A 2, B-B 1, C-C 0, A-C 0.
    utt2spk = {"a1": "A", "b1": "B", "c1": "C"}
    enroll = ["A", "A", "B", "B", "C", "A"]
    test = ["a1", "b1", "a1", "b1", "c1", "c1"]
    scores = [3.0, 2.0, 0.5, 1.0, -1.0, 4.0]
    target = [True, False, False, True, True, False]
    spk = map_trial_speakers(enroll, test, utt2spk)
    reps = sv_replicates(scores, target, spk, [[2, 1, 0], [1, 1, 1]], p_targets=(0.5,))
    # Weighted ROC (P_fa, P_miss): (1,0) (.5,0) (.5,.2) (0,.2) (0,1); the hull skips (.5,.2), so the
    # EER is where (.5,0)-(0,.2) crosses P_miss = P_fa: 1/7. minDCF(0.5) = min(P_miss + P_fa) = 0.2.
    assert reps["eer"][0] == pytest.approx(1 / 7)
    assert reps["min_dcf@0.5"][0] == pytest.approx(0.2)
    plain = compute_sv_metrics(scores, target, p_targets=(0.5,))
    assert reps["eer"][1] == pytest.approx(plain.eer)
    assert reps["min_dcf@0.5"][1] == pytest.approx(plain.min_dcf[0.5])


@pytest.mark.parametrize("max_cuts", [200, 1])  # 1: most rows take the convex-hull fallback
def test_replicates_equal_weighted_metrics_with_ties_and_zero_weights(max_cuts, monkeypatch):
    monkeypatch.setattr(bootstrap, "_MAX_CUTS", max_cuts)
    rng = np.random.default_rng(3)
    n_spk, n = 12, 600
    enroll, test = rng.integers(0, n_spk, n), rng.integers(0, n_spk, n)
    test[: n // 5] = enroll[: n // 5]
    target = enroll == test
    scores = np.round(rng.normal(size=n) + 1.5 * target, 1)  # many ties
    spk = speakers_as_keys(enroll, test)
    mult = rng.multinomial(n_spk, np.full(n_spk, 1 / n_spk), size=20)
    reps = sv_replicates(scores, target, spk, mult, p_targets=(0.01, 0.3), c_miss=2.0)
    for r, m in enumerate(mult):
        w = m[spk.enroll] * m[spk.test]
        if w[target].sum() == 0 or w[~target].sum() == 0:
            assert np.isnan(reps["eer"][r])
            continue
        ref = compute_sv_metrics(scores, target, (0.01, 0.3), c_miss=2.0, weights=w)
        assert reps["eer"][r] == pytest.approx(ref.eer, abs=1e-12)
        assert reps["min_dcf@0.01"][r] == pytest.approx(ref.min_dcf[0.01], abs=1e-12)
        assert reps["min_dcf@0.3"][r] == pytest.approx(ref.min_dcf[0.3], abs=1e-12)


# --- coverage on synthetic data with a known answer -------------------------------------------


def test_sv_speaker_bootstrap_covers_the_population_eer():
    # Target scores N(2 + u_s, 1) with a speaker effect u_s ~ N(0, 1), non-targets N(0, 1):
    # population P_miss(t) = Phi((t - 2) / sqrt 2), P_fa(t) = Phi(-t), EER = Phi(-2 / (1 + sqrt 2)).
    true_eer = phi(-2.0 / (1.0 + math.sqrt(2.0)))
    rng = np.random.default_rng(0)
    n_spk, per_spk = 30, 4
    enroll = np.repeat(np.arange(n_spk), n_spk * per_spk)
    test = np.tile(np.repeat(np.arange(n_spk), per_spk), n_spk)
    target = enroll == test
    spk = speakers_as_keys(enroll, test)
    covered = 0
    for sim in range(150):
        effect = rng.normal(size=n_spk)
        noise = rng.normal(size=len(target))
        scores = np.where(target, 2.0 + effect[enroll] + noise, rng.normal(size=len(target)))
        ci = sv_bootstrap(scores, target, spk, p_targets=(0.1,), replications=200, seed=sim)["eer"]
        covered += ci.low <= true_eer <= ci.high
    assert 0.88 <= covered / 150 <= 0.995


def test_accuracy_speaker_bootstrap_covers_the_population_accuracy():
    # Speaker accuracies ~ Beta(8, 2) (mean 0.8), 20 utterances each: utterances within a speaker
    # are dependent, which resampling speakers accounts for.
    rng = np.random.default_rng(1)
    covered = 0
    for sim in range(200):
        p = rng.beta(8, 2, size=25)
        correct = rng.binomial(20, p)
        ci = accuracy_bootstrap(correct, np.full(25, 20), replications=500, seed=sim)
        covered += ci.low <= 0.8 <= ci.high
    assert 0.9 <= covered / 200 <= 0.99


def test_wer_bootci_covers_the_population_wer():
    # Utterance error rates ~ Beta(1, 9) (mean 0.1), 5-15 reference words each.
    rng = np.random.default_rng(2)
    covered = 0
    for sim in range(200):
        words = rng.integers(5, 16, size=150)
        errors = rng.binomial(words, rng.beta(1, 9, size=150))
        ci = wer_bootci(errors, words, replications=500, seed=sim)[0]
        covered += ci.low <= 0.1 <= ci.high
    assert 0.9 <= covered / 200 <= 0.99


# --- paired comparisons, reproducibility, edge cases --------------------------------------------


def sv_data(seed: int, n_spk: int = 20):
    rng = np.random.default_rng(seed)
    enroll = np.repeat(np.arange(n_spk), n_spk * 3)
    test = np.tile(np.repeat(np.arange(n_spk), 3), n_spk)
    target = enroll == test
    noise = rng.normal(size=len(target))
    return speakers_as_keys(enroll, test), target, noise


def test_sv_paired_comparison_identical_and_clearly_better_systems():
    spk, target, noise = sv_data(5)
    weak = 1.0 * target + noise
    strong = 4.0 * target + noise
    same = sv_paired_bootstrap(weak, weak, target, spk, p_targets=(0.05,), replications=300)
    assert same["eer"].prob_improvement == 0.0  # strict improvement, as Kaldi counts it
    assert same["eer"].difference.low == same["eer"].difference.high == 0.0
    better = sv_paired_bootstrap(weak, strong, target, spk, p_targets=(0.05,), replications=300)
    assert better["eer"].prob_improvement > 0.99 and better["eer"].difference.high < 0
    assert better["min_dcf@0.05"].prob_improvement > 0.99
    worse = sv_paired_bootstrap(strong, weak, target, spk, p_targets=(0.05,), replications=300)
    assert worse["eer"].prob_improvement < 0.01


def test_sv_bootstrap_is_reproducible_and_brackets_the_point():
    spk, target, noise = sv_data(6)
    scores = 2.0 * target + noise
    a = sv_bootstrap(scores, target, spk, replications=200, seed=4)
    assert a == sv_bootstrap(scores, target, spk, replications=200, seed=4)
    assert a != sv_bootstrap(scores, target, spk, replications=200, seed=5)
    assert a["eer"].point == pytest.approx(compute_sv_metrics(scores, target).eer)
    assert a["eer"].low <= a["eer"].point <= a["eer"].high and a["eer"].replications == 200
    assert a["eer"].method == "percentile"


def test_wer_bootci_paired_probability_follows_kaldi():
    words = np.full(50, 10)
    errors = np.random.default_rng(0).integers(1, 4, size=50)
    set1, set2, prob = wer_bootci(errors, words, replications=1000, errors2=errors)
    assert prob == 0.0 and set1 == set2  # identical systems never strictly improve
    _, _, prob = wer_bootci(errors, words, replications=1000, errors2=errors - 1)
    assert prob == 1.0
    _, _, prob = wer_bootci(errors, words, replications=1000, errors2=errors + 1)
    assert prob == 0.0


def test_utterance_edits_use_kaldi_modes():
    refs = {"u1": ["a", "b", "c", "d"], "u2": ["e", "f"], "u3": ["g"]}
    hyps = {"u1": ["a", "x", "c"], "u2": ["e", "f", "h"]}
    assert [x.tolist() for x in utterance_edits(refs, hyps, "present")] == [[2, 1], [4, 2]]
    assert [x.tolist() for x in utterance_edits(refs, hyps, "all")] == [[2, 1, 1], [4, 2, 1]]
    with pytest.raises(KaldinnError, match="no hypothesis"):
        utterance_edits(refs, hyps, "strict")
    with pytest.raises(KaldinnError, match="no utterance was scored"):
        wer_bootci([], [])


def test_group_counts_sum_utterances_per_speaker():
    correct, total = group_counts(["u1", "u2", "u3"], [1, 0, 5], [1, 1, 7], {"u1": "B", "u2": "A", "u3": "B"})
    assert correct.tolist() == [0, 6] and total.tolist() == [1, 8]
    with pytest.raises(KaldinnError, match="not in utt2spk"):
        group_counts(["u9"], [1], [1], {})
