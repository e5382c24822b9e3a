"""Verification / identification losses: Cllr identity, normalisation, gradients, schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from kaldinn.errors import ConfigError
from kaldinn.losses.identification import AAMSoftmaxHead, SoftmaxHead, identification_loss
from kaldinn.losses.verification import (
    LambdaSchedule,
    batch_verification_loss,
    combined_loss,
    prior_entropy,
    verification_loss,
)
from kaldinn.metrics.sv import cllr

SPK = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])


def random_score_matrix(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, n, generator=g, dtype=torch.float64) * 2
    return (a + a.T) / 2


def test_loss_at_half_prior_with_uniform_weights_equals_cllr_of_batch_trials():
    scores = random_score_matrix(len(SPK))
    loss = batch_verification_loss(scores, SPK, p_target=0.5)
    i, j = np.triu_indices(len(SPK), 1)
    labels = (SPK[i] == SPK[j]).numpy()
    assert loss.item() == pytest.approx(cllr(scores.numpy()[i, j], labels), rel=1e-12)


@pytest.mark.parametrize("p", [0.01, 0.3, 0.5])
def test_useless_system_scores_one_with_entropy_normalisation(p):
    zeros = torch.zeros(len(SPK), len(SPK))
    assert batch_verification_loss(zeros, SPK, p, normalise="entropy").item() == pytest.approx(1.0, rel=1e-6)
    expected = prior_entropy(p) / math.log(2)
    assert batch_verification_loss(zeros, SPK, p, normalise="log2").item() == pytest.approx(
        expected, rel=1e-6
    )


def test_extreme_scores_stay_finite_in_float32():
    scores = torch.tensor([200.0, -200.0, 90.0, -90.0])
    loss = verification_loss(scores, torch.tensor([True, False, False, True]), 0.01)
    assert torch.isfinite(loss) and loss.item() > 10


@pytest.mark.parametrize("weighting", ["uniform", "blue", "blue_exact"])
def test_gradients_match_finite_differences(weighting):
    scores = random_score_matrix(len(SPK)).requires_grad_()
    rho = (0.2, 0.1, 0.1, 0.05)
    fn = lambda s: batch_verification_loss(s, SPK, 0.05, weighting, rho, "entropy")  # noqa: E731
    assert torch.autograd.gradcheck(fn, (scores,))


def test_blue_weighting_changes_the_loss_of_an_unbalanced_batch():
    scores = random_score_matrix(len(SPK), seed=3)
    uniform = batch_verification_loss(scores, SPK, 0.5)
    blue = batch_verification_loss(scores, SPK, 0.5, "blue", (0.3, 0.1, 0.2, 0.1))
    assert not torch.isclose(uniform, blue)


def test_batch_without_target_trials_is_rejected():
    with pytest.raises(ConfigError, match="target and non-target"):
        batch_verification_loss(torch.zeros(3, 3), torch.tensor([0, 1, 2]))
    with pytest.raises(ConfigError, match="p_target"):
        batch_verification_loss(torch.zeros(3, 3), torch.tensor([0, 0, 2]), p_target=0.0)


def test_lambda_schedule_starts_identification_heavy_and_ends_at_end():
    sched = LambdaSchedule(start=0.9, end=0.2, hold_steps=10, ramp_steps=100)
    values = [sched(step) for step in range(0, 150)]
    assert values[0] == pytest.approx(0.9) and values[10] == pytest.approx(0.9)
    assert values[-1] == pytest.approx(0.2)
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))
    assert combined_loss(torch.tensor(1.0), torch.tensor(0.5), 0.9).item() == pytest.approx(0.95)


def test_identification_loss_of_uniform_classifier_is_one():
    logits = torch.zeros(4, 7)
    assert identification_loss(logits, torch.tensor([0, 1, 2, 6])).item() == pytest.approx(1.0)
    head = SoftmaxHead(5, 7)
    assert head(torch.randn(3, 5)).shape == (3, 7)


def test_aam_margin_widens_the_target_angle_only():
    torch.manual_seed(0)
    head = AAMSoftmaxHead(6, 4, margin=0.3, scale=10.0)
    emb, labels = torch.randn(5, 6), torch.tensor([0, 1, 2, 3, 0])
    plain = head(emb)
    margin = head(emb, labels)
    cos = plain / 10.0
    theta = torch.acos(cos.gather(1, labels[:, None]).clamp(-1, 1))
    expected = 10.0 * torch.where(
        theta + 0.3 < math.pi, torch.cos(theta + 0.3), torch.cos(theta) - 0.3 * math.sin(0.3)
    )
    torch.testing.assert_close(margin.gather(1, labels[:, None]), expected, atol=1e-5, rtol=1e-5)
    mask = torch.ones_like(plain, dtype=torch.bool).scatter(1, labels[:, None], False)
    torch.testing.assert_close(margin[mask], plain[mask])
    loss = identification_loss(margin, labels)
    loss.backward()
    assert torch.isfinite(head.weight.grad).all()
