"""The training loop: train_one_epoch, validate, end_epoch, run.

Data-agnostic: it takes iterables of :class:`~kaldinn.train.batch.Batch` (a resumable
source exposes ``set_epoch``) and a task (a registered loss) that turns model output into a
loss and metric sums. Rerunning the same command in the same exp dir resumes from
``checkpoints/last.pt`` and, on CPU, ends with bit-identical parameters to an
uninterrupted run: the batch order depends only on (seed, epoch), the global RNGs are
reseeded per epoch and restored from mid-epoch checkpoints after the skipped batches. A
damaged last.pt (and the step or epoch checkpoint it links to) is skipped for the next
newest checkpoint that loads; :func:`resume` logs the choice.
Under DDP (``kaldinn.train.distributed``) every rank runs this loop on its slice of each
global batch; rank 0 alone logs and writes the experiment dir.

Example::

    cfg = load_config("conf/lid_hgru.yaml")
    final = run(cfg, train_batches, valid_batches, Path("exp/lid_hgru"), input_dim=40, num_classes=12)
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch

from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.progress import progress
from kaldinn.train import checkpoint as ckpt
from kaldinn.train import device as dev
from kaldinn.train import distributed as ddp
from kaldinn.train.batch import Batch, LossOutput, epoch_batches
from kaldinn.train.config import TrainConfig, to_dict
from kaldinn.train.curves import plot_curves, write_metrics
from kaldinn.train.setup import Setup, build_setup, log_stderr, task_state, trainable_parameters
from kaldinn.train.state import (
    TrainState,
    epoch_checkpoint,
    link_atomic,
    next_old_dir,
    prepare_exp_dir,
    prune_checkpoints,
    prune_step_checkpoints,
    resume_candidates,
    step_checkpoint,
)


def run(
    cfg: TrainConfig,
    train_batches: Iterable[Batch],
    valid_batches: Iterable[Batch],
    exp_dir: str | Path,
    input_dim: int,
    num_classes: int,
    command_line: list[str] | None = None,
    log: Callable[[str], None] = log_stderr,
) -> Path:
    """Train (or resume) in ``exp_dir``; return the path of ``final.pt``."""
    exp_dir = Path(exp_dir)
    if ddp.is_main():  # under DDP rank 0 alone logs and writes files
        prepare_exp_dir(exp_dir, cfg, command_line)
    else:
        log = quiet
    ddp.barrier()
    setup = build_setup(cfg, exp_dir, input_dim, num_classes, log)
    state, rng = resume(setup)
    ddp.wrap_model(setup)
    params = sum(p.numel() for p in setup.model.parameters())
    log(f"model {cfg.model}: {params} parameters on {setup.device} (amp: {setup.amp})")
    while state.epoch <= cfg.train.epochs and not state.stopped:
        train_avg = train_one_epoch(setup, state, train_batches, rng)
        rng = None
        valid_avg = validate(setup, epoch_batches(valid_batches, state.epoch))
        end_epoch(setup, state, train_avg, valid_avg)
    return finish(setup, state)


def quiet(message: str) -> None:
    """The log of ranks other than 0."""


def resume(setup: Setup) -> tuple[TrainState, dict[str, Any] | None]:
    """Load the newest checkpoint that loads (``resume_candidates`` order); log what was skipped.

    Starts from scratch only when there is no checkpoint at all: when every one is damaged it
    raises, so hours of training are never overwritten silently.
    """
    candidates = resume_candidates(setup.exp_dir)
    if not candidates:
        return TrainState(), None
    skipped: list[str] = []
    damaged: dict[tuple[int, int], Path] = {}  # (device, inode) -> name: last.pt is a hard link
    for path in candidates:
        try:
            identity = (path.stat().st_dev, path.stat().st_ino)
        except FileNotFoundError:
            continue
        if identity in damaged:
            skipped.append(f"{path} (the same file as {damaged[identity]})")
            continue
        try:
            state, rng = load_resume_point(setup, path)
        except (ckpt.CheckpointError, KeyError, RuntimeError, ValueError, TypeError) as err:
            damaged[identity] = path
            skipped.append(f"{path} ({err if isinstance(err, KaldinnError) else repr(err)})")
            setup.log(f"WARNING: cannot resume from {skipped[-1]}")
            continue
        if skipped:
            setup.log(f"WARNING: skipped {len(skipped)} damaged checkpoint name(s): {'; '.join(skipped)}")
        setup.log(f"resuming from {path}: epoch {state.epoch}, {state.batches_done} batches done")
        return state, rng
    raise KaldinnError(
        f"none of the checkpoints in {setup.exp_dir / 'checkpoints'} can be loaded ({'; '.join(skipped)}); "
        f"rerun steps/train.py with --restart to move them to {next_old_dir(setup.exp_dir)} and start over"
    )


def load_resume_point(setup: Setup, path: Path) -> tuple[TrainState, dict[str, Any] | None]:
    """Put the model, optimizer, schedules and task in the state ``path`` saved."""
    saved = ckpt.load_checkpoint(path)
    setup.model.load_state_dict(saved["model_state"])
    setup.optimizer.load_state_dict(saved["optimizer_state"])
    setup.scheduler.load_state_dict(saved["scheduler_state"])
    setup.stopper.load_state_dict(saved["stopper_state"])
    if saved.get("task_state"):
        setup.task.load_state_dict(saved["task_state"])
    if saved["scaler_state"]:  # empty when the run that saved it had no fp16 scaler (e.g. on CPU)
        setup.scaler.load_state_dict(saved["scaler_state"])
    state = TrainState(**saved["trainer_state"])
    return state, (saved["rng"] if state.batches_done else None)


def train_one_epoch(setup: Setup, state: TrainState, batches: Iterable[Batch], rng: dict | None) -> dict:
    """Train ``state.epoch`` from batch ``state.batches_done``; return the epoch's metric averages."""
    cfg, epoch = setup.cfg.train, state.epoch
    iterator = iter(epoch_batches(batches, epoch))
    for _ in itertools.islice(iterator, state.batches_done):  # already trained before the restart
        pass
    ckpt.seed_everything(
        ddp.rank_seed(cfg.seed * 1000 + epoch)
    )  # after iter(): loaders may draw from the RNG
    if rng is not None and ddp.is_main():  # checkpoints hold rank 0's RNG
        ckpt.restore_rng(rng)
    elif rng is not None:
        ckpt.seed_everything(ddp.rank_seed(cfg.seed * 1000 + epoch) + 7919 * state.batches_done)
    setup.model.train()
    total = len(batches) - state.batches_done if hasattr(batches, "__len__") else None
    start = last_save = last_log = time.monotonic()
    seconds_before = state.seconds
    shown = progress(iterator, desc=f"epoch {epoch}", total=total) if ddp.is_main() else iterator
    for batch in shown:
        result = train_step(setup, batch)
        if result is None:
            state.skipped += 1
        else:
            accumulate(state, result)
        state.batches_done += 1
        state.step += 1
        now = time.monotonic()
        state.seconds = seconds_before + now - start
        if not sys.stderr.isatty() and now - last_log >= cfg.log_every_seconds:
            last_log = now
            setup.log(f"epoch {epoch} batch {state.batches_done}: {format_metrics(averages(state))}")
        if ddp.is_main() and save_due(cfg, state.step, now - last_save):
            last_save = now
            step_path = step_checkpoint(setup.exp_dir, state.step)
            save_resume_point(setup, state, step_path)
            link_atomic(step_path, setup.exp_dir / "checkpoints" / "last.pt")
            prune_step_checkpoints(setup.exp_dir, keep=step_path)
    if state.batches_done == 0:
        raise KaldinnError(f"epoch {epoch}: the training data yielded no batches")
    return averages(state)


def save_due(cfg: Any, step: int, seconds_since_save: float) -> bool:
    by_steps = cfg.save_every_steps > 0 and step % cfg.save_every_steps == 0
    by_time = cfg.save_every_minutes > 0 and seconds_since_save >= 60 * cfg.save_every_minutes
    return by_steps or by_time


def train_step(setup: Setup, batch: Batch) -> LossOutput | None:
    """Forward, backward, clip and update on one batch; None when the step was skipped."""
    padding = ddp.is_padding(batch)
    batch = ddp.mark_padding(batch.to(setup.device), padding)
    with dev.autocast(setup.device, setup.amp):
        result = setup.task(model_output(setup.forward_model(), setup.model, batch), batch)
    result = ddp.sync_result(setup, result, padding)  # one process: unchanged
    setup.optimizer.zero_grad(set_to_none=True)
    setup.scaler.scale(result.loss).backward()
    ddp.sync_task_grads(setup)
    setup.scaler.unscale_(setup.optimizer)
    clip = setup.cfg.train.grad_clip if setup.cfg.train.grad_clip > 0 else math.inf
    norm = torch.nn.utils.clip_grad_norm_(trainable_parameters(setup.model, setup.task), clip)
    if not torch.isfinite(norm) and not setup.scaler.is_enabled():
        setup.log(
            f"WARNING: non-finite gradient, batch skipped (utterances {', '.join(batch.utt_ids[:3])} ...)"
        )
        setup.optimizer.zero_grad(set_to_none=True)
        return None
    setup.scaler.step(setup.optimizer)
    setup.scaler.update()
    return result


def model_output(module: torch.nn.Module, model: torch.nn.Module, batch: Batch) -> Any:
    """``module(feats, feat_lens)``; models with ``takes_targets`` (attention decoders, which
    need the targets for teacher forcing) also get ``targets, target_lens``. ``module`` is
    ``model`` or its DDP wrapper."""
    if getattr(model, "takes_targets", False):
        return module(batch.feats, batch.feat_lens, batch.targets, batch.target_lens)
    return module(batch.feats, batch.feat_lens)


def accumulate(state: TrainState, result: LossOutput) -> None:
    for key, value in result.sums.items():
        state.sums[key] = state.sums.get(key, 0.0) + value
    state.weight += result.weight


def averages(state: TrainState) -> dict[str, float]:
    return {key: value / max(state.weight, 1e-12) for key, value in state.sums.items()}


def format_metrics(metrics: dict[str, float]) -> str:
    return " ".join(f"{key} {value:.4g}" for key, value in metrics.items())


@torch.no_grad()
def validate(setup: Setup, batches: Iterable[Batch]) -> dict[str, float]:
    """Metric averages of the model (eval mode) over ``batches``."""
    setup.model.eval()
    totals = TrainState()
    for batch in batches:
        padding = ddp.is_padding(batch)
        batch = ddp.mark_padding(batch.to(setup.device), padding)
        with dev.autocast(setup.device, setup.amp):
            result = setup.task(model_output(setup.model, setup.model, batch), batch)
        accumulate(totals, ddp.sync_result(setup, result, padding))
    if totals.weight == 0:
        raise KaldinnError("the validation data yielded no batches (is the validation set empty?)")
    return averages(totals)


def end_epoch(setup: Setup, state: TrainState, train_avg: dict, valid_avg: dict) -> None:
    """Record the epoch, step the schedule, checkpoint, and write metrics and curves."""
    cfg = setup.cfg.train
    if cfg.monitor not in valid_avg:
        raise ConfigError(f"train.monitor={cfg.monitor}: valid choices for this loss: {', '.join(valid_avg)}")
    row = {"epoch": state.epoch, "lr": setup.scheduler.lr(), "seconds": round(state.seconds, 2)}
    row.update({f"train_{k}": v for k, v in train_avg.items()})
    row.update({f"valid_{k}": v for k, v in valid_avg.items()})
    state.history.append(row)
    setup.scheduler.step(valid_avg[cfg.monitor])
    state.stopped = setup.stopper.step(valid_avg[cfg.monitor], state.epoch)
    setup.log(
        f"epoch {state.epoch}: train {format_metrics(train_avg)} | valid {format_metrics(valid_avg)} "
        f"| lr {row['lr']:.3g} | {row['seconds']:.1f}s"
    )
    if state.stopped:
        setup.log(
            f"early stopping: no improvement of valid {cfg.monitor} for {cfg.early_stop_patience} epochs"
        )
    epoch_path = epoch_checkpoint(setup.exp_dir, state.epoch)
    state.epoch += 1
    state.start_epoch()
    if not ddp.is_main():
        return
    save_resume_point(setup, state, epoch_path)
    link_atomic(epoch_path, setup.exp_dir / "checkpoints" / "last.pt")
    prune_step_checkpoints(setup.exp_dir)
    prune_checkpoints(setup.exp_dir, state.epoch - 1, cfg.keep_checkpoints)
    write_metrics(setup.exp_dir / f"metrics.{cfg.metrics_format}", state.history, cfg.metrics_format)
    plot_curves(setup.exp_dir / "curves.png", state.history, title=str(setup.exp_dir))


def save_resume_point(setup: Setup, state: TrainState, path: Path) -> None:
    ckpt.save_checkpoint(
        path,
        {
            "model_config": setup.model_config,
            "config": to_dict(setup.cfg),
            "model_state": setup.model.state_dict(),
            "optimizer_state": setup.optimizer.state_dict(),
            "scheduler_state": setup.scheduler.state_dict(),
            "stopper_state": setup.stopper.state_dict(),
            "task_state": task_state(setup.task),
            "scaler_state": setup.scaler.state_dict(),
            "trainer_state": state.to_dict(),
            "rng": ckpt.capture_rng(),
        },
    )


def finish(setup: Setup, state: TrainState) -> Path:
    """Average the last ``average_last`` epoch checkpoints into ``final.pt``."""
    last_epoch = state.epoch - 1
    if last_epoch < 1:
        raise KaldinnError("no epoch was trained (train.epochs < 1?)")
    first = max(1, last_epoch - setup.cfg.train.average_last + 1)
    epochs = list(range(first, last_epoch + 1))
    final = setup.exp_dir / "final.pt"
    if not ddp.is_main():
        ddp.barrier()  # returns once rank 0 has written final.pt
        return final
    averaged = ckpt.average_states([epoch_checkpoint(setup.exp_dir, e) for e in epochs])
    ckpt.save_checkpoint(
        final,
        {
            "model_config": setup.model_config,
            "config": to_dict(setup.cfg),
            "model_state": averaged,
            "averaged_epochs": epochs,
        },
    )
    setup.log(f"wrote {final} (average of epochs {first}-{last_epoch}; {state.skipped} batches skipped)")
    ddp.barrier()
    return final
