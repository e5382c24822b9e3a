"""Per-epoch learning-rate schedules and early stopping.

Schedulers (``scheduler:`` + ``scheduler_args:``) are stepped once per epoch with the
monitored validation metric. ``halving`` multiplies the learning rate by ``factor`` after
``patience`` epochs without a relative improvement of ``threshold`` (Kaldi's newbob idea),
never going below ``min_lr``; ``constant``, ``exponential`` and ``cosine`` ignore the metric.
:class:`EarlyStopping` ends training after ``patience`` epochs without improvement.
All states are plain dicts of numbers, so they load with ``torch.load(weights_only=True)``.

Example::

    sched = SCHEDULERS.build("halving", {"patience": 1}, optimizer=opt, epochs=10, mode="min")
    sched.step(valid_loss)
"""

from __future__ import annotations

import math
from typing import Any

import torch

from kaldinn.train.registry import Registry

SCHEDULERS = Registry("scheduler")


def is_better(value: float, best: float | None, mode: str, threshold: float = 0.0) -> bool:
    """True when ``value`` improves on ``best`` by more than a relative ``threshold``."""
    if best is None:
        return True
    if mode == "min":
        return value < best - threshold * abs(best)
    return value > best + threshold * abs(best)


class EpochScheduler:
    """Base: sets every param group's lr; subclasses compute the factor for an epoch."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.epochs_done = 0

    def step(self, metric: float) -> None:
        self.epochs_done += 1
        self.update(metric)

    def update(self, metric: float) -> None:
        """Change the learning rates after an epoch (default: keep them)."""

    def set_scale(self, scale: float, min_lr: float = 0.0) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = max(base * scale, min_lr)

    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        vars(self).update(state)


@SCHEDULERS.register("constant")
class Constant(EpochScheduler):
    def __init__(self, optimizer: torch.optim.Optimizer, epochs: int, mode: str):
        super().__init__(optimizer)


@SCHEDULERS.register("halving")
class Halving(EpochScheduler):
    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        epochs: int,
        mode: str,
        factor: float = 0.5,
        patience: int = 1,
        threshold: float = 0.0,
        min_lr: float = 1e-6,
    ):
        super().__init__(optimizer)
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.min_lr = threshold, min_lr
        self.best: float | None = None
        self.bad_epochs = 0
        self.scale = 1.0

    def update(self, metric: float) -> None:
        if is_better(metric, self.best, self.mode, self.threshold):
            self.best, self.bad_epochs = metric, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            self.scale *= self.factor
            self.bad_epochs = 0
            self.set_scale(self.scale, self.min_lr)


@SCHEDULERS.register("exponential")
class Exponential(EpochScheduler):
    def __init__(self, optimizer: torch.optim.Optimizer, epochs: int, mode: str, gamma: float = 0.9):
        super().__init__(optimizer)
        self.gamma = gamma

    def update(self, metric: float) -> None:
        self.set_scale(self.gamma**self.epochs_done)


@SCHEDULERS.register("cosine")
class Cosine(EpochScheduler):
    """Cosine decay from the base lr to ``min_lr`` over the configured number of epochs."""

    def __init__(self, optimizer: torch.optim.Optimizer, epochs: int, mode: str, min_lr: float = 1e-5):
        super().__init__(optimizer)
        self.epochs, self.min_lr = max(epochs, 1), min_lr

    def update(self, metric: float) -> None:
        progress = min(self.epochs_done / self.epochs, 1.0)
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self.min_lr + (base - self.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


class EarlyStopping:
    """Stop after ``patience`` epochs without improvement (patience 0 never stops)."""

    def __init__(self, patience: int, mode: str):
        self.patience, self.mode = patience, mode
        self.best: float | None = None
        self.best_epoch = 0
        self.bad_epochs = 0

    def step(self, metric: float, epoch: int) -> bool:
        """Record an epoch's metric; return True when training should stop."""
        if is_better(metric, self.best, self.mode):
            self.best, self.best_epoch, self.bad_epochs = metric, epoch, 0
        else:
            self.bad_epochs += 1
        return self.patience > 0 and self.bad_epochs >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def load_state_dict(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
