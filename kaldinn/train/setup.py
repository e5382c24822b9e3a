"""What one training run is made of, built from its config: model, task, optimizer, ...

Example::

    setup = build_setup(load_config("conf/phone_lstm.yaml"), Path("exp/phone"), input_dim=40, num_classes=48)
    setup.model, setup.optimizer, setup.scheduler
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from kaldinn.train import checkpoint as ckpt
from kaldinn.train import device as dev
from kaldinn.train.batch import Batch, LossOutput
from kaldinn.train.config import TrainConfig, to_dict


def log_stderr(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} train: {message}", file=sys.stderr, flush=True)


@dataclass
class Setup:
    """Everything built from the config for one run."""

    cfg: TrainConfig
    exp_dir: Path
    model: torch.nn.Module
    model_config: dict[str, Any]
    task: Callable[[Any, Batch], LossOutput]
    optimizer: torch.optim.Optimizer
    scheduler: Any
    stopper: Any
    scaler: torch.amp.GradScaler
    device: torch.device
    amp: str
    log: Callable[[str], None]
    ddp_model: torch.nn.Module | None = None  # the DDP wrapper of ``model`` in a distributed run

    def forward_model(self) -> torch.nn.Module:
        """The module training steps call: the DDP wrapper when distributed, else ``model``."""
        return self.model if self.ddp_model is None else self.ddp_model


def build_setup(cfg: TrainConfig, exp_dir: Path, input_dim: int, num_classes: int, log=log_stderr) -> Setup:
    """Seed, then build model, task, optimizer, scheduler and AMP helpers from ``cfg``."""
    from kaldinn.losses import LOSSES
    from kaldinn.models import build_model, enable_gradient_checkpointing
    from kaldinn.train.optim import OPTIMIZERS
    from kaldinn.train.schedule import SCHEDULERS, EarlyStopping

    ckpt.seed_everything(cfg.train.seed)
    device = dev.select_device(cfg.train.device)
    amp = dev.resolve_amp(cfg.train.amp, device, log)
    model = build_model(cfg.model, cfg.model_args, input_dim, num_classes).to(device)
    if cfg.train.grad_checkpointing:
        enable_gradient_checkpointing(model)
    task = LOSSES.build(cfg.loss, cfg.loss_args)
    if isinstance(task, torch.nn.Module):  # a task with parameters (score calibration) trains too
        task.to(device)
    optimizer = OPTIMIZERS.build(cfg.optim, cfg.optim_args, params=trainable_parameters(model, task))
    mode = cfg.train.monitor_mode
    scheduler = SCHEDULERS.build(
        cfg.scheduler, cfg.scheduler_args, optimizer=optimizer, epochs=cfg.train.epochs, mode=mode
    )
    model_config = {
        "name": cfg.model,
        "args": to_dict(cfg)["model_args"],
        "input_dim": input_dim,
        "num_classes": num_classes,
    }
    stopper = EarlyStopping(cfg.train.early_stop_patience, mode)
    scaler = dev.grad_scaler(device, amp)
    return Setup(
        cfg, exp_dir, model, model_config, task, optimizer, scheduler, stopper, scaler, device, amp, log
    )


def trainable_parameters(model: torch.nn.Module, task: Any) -> list[torch.nn.Parameter]:
    """The model's parameters plus the task's, when the task is a module (e.g. calibration a, b)."""
    params = list(model.parameters())
    if isinstance(task, torch.nn.Module):
        params += list(task.parameters())
    return params


def task_state(task: Any) -> dict[str, Any]:
    """The task's state for resume checkpoints (parameters, step counters); {} for plain losses."""
    return task.state_dict() if isinstance(task, torch.nn.Module) else {}
