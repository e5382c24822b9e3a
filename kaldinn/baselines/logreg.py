"""Multinomial logistic regression with an L2 penalty, fitted by full-batch LBFGS in torch.

The objective is the mean cross-entropy over the training rows plus ``l2 / 2 * ||W||^2``
(the bias is not penalised); it is convex, so LBFGS from zero weights reaches the same
optimum on every run. The L2 strength is picked on a dev set: highest dev accuracy, ties
broken by the lower dev cross-entropy, then by the larger L2 (the simpler model). The test
set never takes part.

Example::

    search = select_l2(x_train, y_train, x_dev, y_dev, num_classes=12, grid=(1e-3, 1e-2, 1e-1))
    logpost = search.model.log_posteriors(x_test)      # (N, 12) float64
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import KaldinnError

DEFAULT_L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


@dataclass(frozen=True)
class LogisticRegression:
    """Logits = x @ weight + bias; weight (D, C), bias (C,), both float64."""

    weight: np.ndarray
    bias: np.ndarray
    l2: float

    def log_posteriors(self, x: np.ndarray) -> np.ndarray:
        """(N, C) log-softmax of the logits of (N, D) inputs."""
        logits = np.asarray(x, dtype=np.float64) @ self.weight + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def fit_logistic_regression(
    x: np.ndarray, y: np.ndarray, num_classes: int, l2: float, max_iter: int = 500
) -> LogisticRegression:
    """Fit weights and bias on (N, D) inputs and integer labels 0..num_classes-1."""
    import torch

    if l2 < 0:
        raise KaldinnError(f"the L2 strength must be >= 0, got {l2}")
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    yt = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    if xt.ndim != 2 or len(xt) != len(yt) or len(xt) == 0:
        raise KaldinnError(f"inputs {tuple(xt.shape)} and labels {tuple(yt.shape)} do not pair up")
    if int(yt.min()) < 0 or int(yt.max()) >= num_classes:
        raise KaldinnError(f"labels must be in 0..{num_classes - 1}")
    weight = torch.zeros(xt.shape[1], num_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [weight, bias],
        lr=1.0,
        max_iter=max_iter,
        history_size=20,
        tolerance_grad=1e-6,
        tolerance_change=1e-10,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(xt @ weight + bias, yt) + 0.5 * l2 * (weight * weight).sum()
        loss.backward()
        return loss

    optimiser.step(closure)  # one step runs LBFGS up to max_iter iterations
    return LogisticRegression(weight.detach().numpy().copy(), bias.detach().numpy().copy(), float(l2))


@dataclass(frozen=True)
class L2Trial:
    l2: float
    dev_accuracy: float
    dev_cross_entropy: float  # over dev rows whose label the training set has


@dataclass(frozen=True)
class L2Search:
    trials: list[L2Trial]
    model: LogisticRegression  # the one fitted with the picked L2

    @property
    def best(self) -> L2Trial:
        return next(t for t in self.trials if t.l2 == self.model.l2)


def dev_scores(model: LogisticRegression, x: np.ndarray, y: np.ndarray) -> L2Trial:
    """Accuracy over every dev row (a label id of -1, unknown in training, is always wrong) and
    cross-entropy over the rows with a known label."""
    logpost = model.log_posteriors(x)
    y = np.asarray(y)
    known = y >= 0
    accuracy = float(np.mean(logpost.argmax(axis=1) == y))
    ce = float(-logpost[known, y[known]].mean()) if known.any() else float("nan")
    return L2Trial(model.l2, accuracy, ce)


def select_l2(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_dev: np.ndarray,
    y_dev: np.ndarray,
    num_classes: int,
    grid: Sequence[float] = DEFAULT_L2_GRID,
    max_iter: int = 500,
) -> L2Search:
    """Fit one model per L2 of ``grid`` on the training set; keep the one the dev set prefers."""
    if not grid:
        raise KaldinnError("the L2 grid is empty")
    models, trials = [], []
    for l2 in grid:
        model = fit_logistic_regression(x_train, y_train, num_classes, float(l2), max_iter)
        models.append(model)
        trials.append(dev_scores(model, x_dev, y_dev))
    best = max(
        range(len(trials)),
        key=lambda i: (
            trials[i].dev_accuracy,
            -np.nan_to_num(trials[i].dev_cross_entropy, nan=0.0),
            trials[i].l2,
        ),
    )
    return L2Search(trials, models[best])
