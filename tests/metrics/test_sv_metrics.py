"""SV metrics on hand-computed cases, ties, extreme priors, weights and brute-force references."""

from __future__ import annotations

import numpy as np
import pytest

from kaldinn.errors import KaldinnError
from kaldinn.metrics.pav import lower_convex_hull, optimal_llr
from kaldinn.metrics.sv import cllr, compute_eer, compute_min_cllr, compute_min_dcf, compute_sv_metrics


def brute_min_dcf(s, t, p, w=None):
    """Definition: thresholds -inf and every distinct score, decide target iff s > theta."""
    w = np.ones(len(s)) if w is None else w
    best = np.inf
    for theta in np.r_[-np.inf, np.unique(s)]:
        p_miss = w[t & (s <= theta)].sum() / w[t].sum()
        p_fa = w[~t & (s > theta)].sum() / w[~t].sum()
        best = min(best, p * p_miss + (1 - p) * p_fa)
    return best / min(p, 1 - p)


def brute_pav_min_cllr(s, t):
    """Textbook PAV over tie groups (pooled), then Cllr of the prior-corrected LLRs."""
    blocks = []  # [n_tar, n_non]
    for v in np.unique(s):
        blocks.append([float(t[s == v].sum()), float((~t[s == v]).sum())])
        while len(blocks) > 1 and blocks[-2][0] / sum(blocks[-2]) >= blocks[-1][0] / sum(blocks[-1]):
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1]]
    nt, nn = t.sum(), (~t).sum()
    total = 0.0
    for a, b in blocks:
        pa, pb = a / nt, b / nn
        total += (pa * np.log((pa + pb) / pa) if a else 0.0) + (pb * np.log((pa + pb) / pb) if b else 0.0)
    return total / (2 * np.log(2))


def test_hand_computed_case():
    m = compute_sv_metrics([3, 2, 1, 0], [True, False, True, False], p_targets=(0.5, 0.01))
    # ROC (P_fa, P_miss): (1,0) (.5,0) (.5,.5) (0,.5) (0,1); hull skips (.5,.5).
    assert m.eer == pytest.approx(0.25)
    assert m.eer_interp == pytest.approx(0.5)
    assert m.min_dcf[0.5] == pytest.approx(0.5)
    assert m.min_dcf[0.01] == pytest.approx(0.5)
    assert m.act_dcf[0.01] == pytest.approx(1.0)  # theta* = log 99 rejects everything
    assert m.min_cllr == pytest.approx(0.5)
    assert (m.n_target, m.n_nontarget) == (2, 2)


def test_all_scores_tied_is_a_useless_system():
    m = compute_sv_metrics([1.0] * 6, [True, False] * 3, p_targets=(0.5, 0.001))
    assert m.eer == pytest.approx(0.5)
    assert m.min_dcf == {0.5: pytest.approx(1.0), 0.001: pytest.approx(1.0)}
    assert m.min_cllr == pytest.approx(1.0)


def test_ties_are_never_split_by_input_order():
    # One target and one non-target tie at 1.0; splitting the tie in input order would
    # give a perfect operating point (P_miss = P_fa = 0) that does not exist.
    s = np.array([1.0, 1.0, 2.0, 0.0])
    t = np.array([False, True, True, False])
    for order in ([0, 1, 2, 3], [1, 0, 3, 2]):
        assert compute_min_dcf(s[order], t[order], 0.5) == pytest.approx(0.5)
        assert compute_eer(s[order], t[order]) == pytest.approx(0.25)


@pytest.mark.parametrize("p", [1e-4, 0.001, 0.5, 0.999])
def test_min_dcf_never_exceeds_one_even_for_reversed_scores(p):
    s = np.arange(10.0)
    t = s < 5  # targets score lowest: worse than accepting or rejecting everything
    assert compute_min_dcf(s, t, p) == pytest.approx(1.0)


def test_metrics_are_invariant_to_trial_order():
    rng = np.random.default_rng(1)
    s = rng.integers(0, 8, 300).astype(float)
    t = rng.random(300) < 0.3
    w = rng.random(300)
    ref = compute_sv_metrics(s, t, (0.01, 0.3), weights=w)
    for _ in range(3):
        perm = rng.permutation(300)
        assert compute_sv_metrics(s[perm], t[perm], (0.01, 0.3), weights=w[perm]) == ref


def test_min_dcf_and_min_cllr_match_brute_force_with_ties_and_weights():
    rng = np.random.default_rng(2)
    s = rng.integers(-5, 6, 400).astype(float)
    t = rng.random(400) < 0.25
    s[t] += 2
    w = rng.random(400)
    for p in (0.01, 0.2, 0.9):
        assert compute_min_dcf(s, t, p) == pytest.approx(brute_min_dcf(s, t, p))
        assert compute_min_dcf(s, t, p, weights=w) == pytest.approx(brute_min_dcf(s, t, p, w))
    assert compute_min_cllr(s, t) == pytest.approx(brute_pav_min_cllr(s, t))


def test_rocch_eer_is_the_worst_min_bayes_error_over_priors():
    # Brummer: the ROCCH EER equals max over P of the unnormalised minDCF (C_miss = C_fa = 1).
    rng = np.random.default_rng(3)
    t = rng.random(500) < 0.4
    s = np.round(rng.normal(size=500) + 1.5 * t, 1)
    eer = compute_eer(s, t)
    grid = np.linspace(0.001, 0.999, 999)
    worst = max(compute_min_dcf(s, t, p) * min(p, 1 - p) for p in grid)
    assert worst <= eer + 1e-12
    assert worst == pytest.approx(eer, abs=2e-3)


def test_integer_weights_equal_repeated_trials():
    s = np.array([0.3, 1.2, -0.4, 0.8, 0.1])
    t = np.array([True, True, False, False, False])
    w = np.array([2, 1, 1, 3, 1])
    rep = np.repeat(np.arange(5), w)
    weighted, repeated = compute_sv_metrics(s, t, weights=w), compute_sv_metrics(s[rep], t[rep])
    for name in ("eer", "eer_interp", "min_dcf", "act_dcf", "cllr", "min_cllr"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name))
    scaled = compute_sv_metrics(s, t, weights=np.full(5, 7.0))
    assert scaled.eer == compute_sv_metrics(s, t).eer


def test_cllr_of_zero_scores_is_one_and_perfect_min_cllr_is_zero():
    assert cllr([0.0, 0.0, 0.0], [True, False, False]) == pytest.approx(1.0)
    assert compute_min_cllr([5.0, 6.0, -1.0], [True, True, False]) == pytest.approx(0.0)


def test_optimal_llr_is_monotone_and_keeps_ties_together():
    s = np.array([0.0, 1.0, 1.0, 2.0, 3.0, 3.0])
    t = np.array([False, True, False, False, True, True])
    llr = optimal_llr(s, t)
    ordered = llr[np.argsort(s)]
    assert np.array_equal(ordered, np.maximum.accumulate(ordered))
    assert llr[1] == llr[2] and llr[4] == llr[5]
    assert llr[0] == -np.inf and llr[4] == np.inf


def test_lower_convex_hull_drops_collinear_and_inner_points():
    x = np.array([0.0, 1.0, 2.0, 2.0, 3.0, 4.0])
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 4.0])
    assert lower_convex_hull(x, y).tolist() == [0, 2, 4, 5]


def test_bad_inputs_raise_with_clear_messages():
    with pytest.raises(KaldinnError, match="both target and nontarget"):
        compute_eer([1.0, 2.0], [True, True])
    with pytest.raises(KaldinnError, match="non-finite"):
        compute_eer([1.0, np.nan], [True, False])
    with pytest.raises(KaldinnError, match="P_target"):
        compute_min_dcf([1.0, 2.0], [True, False], 1.0)
