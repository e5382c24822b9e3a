"""Trial weights: closed-form BLUE vs direct solves, exact BLUE by CG, limits and checks."""

from __future__ import annotations

import numpy as np
import pytest

from kaldinn.errors import ConfigError
from kaldinn.losses.trial_weights import batch_trials, blue_closed_form, blue_exact, trial_weights

RHO = (0.2, 0.1, 0.15, 0.05)
SPK = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3])  # unbalanced, as in mini-batch strategy A


def dense_correlation(spk, i, j, rho_utt, rho_spk, cross_pairs=True):
    """R of one class's trials built entry by entry from the definition."""
    n = len(i)
    r = np.eye(n)
    for a in range(n):
        for b in range(n):
            if a == b:
                continue
            same_pair = {spk[i[a]], spk[j[a]]} == {spk[i[b]], spk[j[b]]}
            shares_utt = len({i[a], j[a]} & {i[b], j[b]}) > 0
            if shares_utt and (cross_pairs or same_pair):
                r[a, b] = rho_utt
            elif same_pair and not shares_utt:
                r[a, b] = rho_spk
    return r


def blue_direct(r):
    w = np.linalg.solve(r, np.ones(len(r)))
    return w / w.sum()


def test_target_closed_form_equals_direct_solve():
    i, j, tar = batch_trials(SPK)
    w = blue_closed_form(SPK, i, j, tar, RHO)
    r = dense_correlation(SPK, i[tar], j[tar], RHO[0], RHO[1])
    np.testing.assert_allclose(w[tar], blue_direct(r), rtol=1e-10)


def test_nontarget_closed_form_equals_direct_solve_without_cross_pair_terms():
    i, j, tar = batch_trials(SPK)
    w = blue_closed_form(SPK, i, j, tar, RHO)
    r = dense_correlation(SPK, i[~tar], j[~tar], RHO[2], RHO[3], cross_pairs=False)
    np.testing.assert_allclose(w[~tar], blue_direct(r), rtol=1e-10)


def test_exact_blue_by_cg_equals_dense_solve_with_cross_pair_correlations():
    i, j, tar = batch_trials(SPK)
    exact = blue_exact(SPK, i, j, tar, RHO)
    for cls, (ru, rs) in ((tar, RHO[:2]), (~tar, RHO[2:])):
        r = dense_correlation(SPK, i[cls], j[cls], ru, rs)
        np.testing.assert_allclose(exact[cls], blue_direct(r), rtol=1e-8)
    closed = blue_closed_form(SPK, i, j, tar, RHO)
    np.testing.assert_allclose(closed[tar], exact[tar], rtol=1e-8)  # targets: closed form is exact


@pytest.mark.parametrize("method", ["uniform", "blue", "blue_exact"])
def test_weights_sum_to_one_per_class(method):
    i, j, tar = batch_trials(SPK)
    w = trial_weights(SPK, i, j, tar, method, RHO)
    assert w[tar].sum() == pytest.approx(1.0) and w[~tar].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["blue", "blue_exact"])
def test_balanced_batch_gets_uniform_weights(method):
    spk = np.repeat(np.arange(5), 2)  # strategy B: two segments per speaker
    i, j, tar = batch_trials(spk)
    w = trial_weights(spk, i, j, tar, method, (0.3, 0.2, 0.3, 0.2))
    np.testing.assert_allclose(w[tar], 1 / tar.sum())
    np.testing.assert_allclose(w[~tar], 1 / (~tar).sum())


def test_limits_zero_correlation_is_uniform_and_full_correlation_equalises_speakers():
    i, j, tar = batch_trials(SPK)
    np.testing.assert_allclose(blue_closed_form(SPK, i, j, tar, (0, 0, 0, 0)), trial_weights(SPK, i, j, tar))
    w = blue_closed_form(SPK, i, j, tar, (0.99999, 0.99999, 0.0, 0.0))
    per_speaker = [w[tar & (SPK[i] == s)].sum() for s in (0, 1, 2)]
    np.testing.assert_allclose(per_speaker, 1 / 3, atol=1e-4)


def test_non_positive_definite_rho_is_rejected():
    i, j, tar = batch_trials(SPK)
    with pytest.raises(ConfigError, match="rho1 < 1/2"):
        blue_closed_form(SPK, i, j, tar, (0.6, 0.0, 0.1, 0.0))
    with pytest.raises(ConfigError, match="not positive definite"):
        blue_exact(SPK, i, j, tar, (0.6, 0.0, 0.1, 0.0))
    with pytest.raises(ConfigError, match="needs rho"):
        trial_weights(SPK, i, j, tar, "blue")
    with pytest.raises(ConfigError, match="unknown trial weighting"):
        trial_weights(SPK, i, j, tar, "magic", RHO)
