#!/usr/bin/env python3
"""Benchmark: speaker-embedding extractor training speed (segments/s) on this machine.

Measures one optimizer step (forward, loss, backward, update) of the synthetic recipe's
x-vector TDNN on random 80-dim fbank chunks, and prints each variant as a ratio against the
plain identification (softmax) step measured in the same run:
- identification only (baseline),
- end-to-end verification loss over all pairs of the batch with BLUE trial weights,
- the same with gradient checkpointing (less memory, recomputed activations).
The variants take turns step by step (``--repeats`` timed steps each after ``--warmup``);
prints the median and spread of seconds per step and ratios of medians with their paired
range. Runs on CUDA when CUDA_VISIBLE_DEVICES names a GPU, else on the CPU (``--threads``).

Example::

    .venv/bin/python bench/bench_sv_train.py --batch 64 --frames 200 --repeats 5
"""

from __future__ import annotations

import argparse

import _timing
import torch

from kaldinn.losses import LOSSES
from kaldinn.models import build_model, enable_gradient_checkpointing
from kaldinn.train.batch import Batch
from kaldinn.train.device import select_device

MODEL_ARGS = {
    "frame_dims": [128, 128, 128, 128, 256],
    "kernel_sizes": [5, 3, 3, 1, 1],
    "dilations": [1, 2, 3, 1, 1],
    "segment_dims": [128, 128],
}


def make_batch(batch: int, frames: int, speakers: int, device) -> Batch:
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(batch, frames, 80, generator=g)
    targets = torch.arange(batch) % speakers  # every speaker appears batch / speakers times
    return Batch(feats, torch.full((batch,), frames), targets).to(device)


def step_fn(model, task, batch: Batch):
    """One optimizer step (forward, loss, backward, update), synchronised on CUDA."""
    params = list(model.parameters()) + (list(task.parameters()) if isinstance(task, torch.nn.Module) else [])
    optimizer = torch.optim.Adam(params, lr=1e-3)

    def step() -> None:
        loss = task(model(batch.feats, batch.feat_lens), batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch.feats.is_cuda:
            torch.cuda.synchronize()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--speakers", type=int, default=60)
    _timing.add_arguments(parser)
    args = parser.parse_args()
    _timing.fix_threads(args.threads)
    device = select_device("auto")
    _timing.print_header("bench_sv_train", device=device, batch=args.batch, frames=args.frames)
    batch = make_batch(args.batch, args.frames, args.batch // 4, device)
    variants = [
        ("identification (softmax)", {"lambda_start": 1.0, "lambda_end": 1.0}, False),
        ("verification, BLUE weights", {"weighting": "blue", "rho": [0.2, 0.1, 0.1, 0.05]}, False),
        ("verification + grad checkpointing", {"weighting": "blue", "rho": [0.2, 0.1, 0.1, 0.05]}, True),
    ]
    steps = {}
    for name, loss_args, checkpointing in variants:
        torch.manual_seed(0)
        model = build_model("xvector_tdnn", MODEL_ARGS, input_dim=80, num_classes=args.speakers).to(device)
        if checkpointing:
            enable_gradient_checkpointing(model)
        task = LOSSES.build("sv", loss_args)
        if isinstance(task, torch.nn.Module):
            task.to(device)
        steps[name] = step_fn(model.train(), task, batch)
    times = _timing.measure(steps, args.repeats, args.warmup)
    shape = f"batch {args.batch} x {args.frames} frames x 80 dims, {args.speakers} classes"
    print(f"seconds per optimizer step, {shape}:")
    _timing.report(times, work=args.batch, unit="segments")
    base = variants[0][0]
    for name in list(steps)[1:]:
        _timing.print_ratio(times, base, name, label=f"{name} / identification time:")


if __name__ == "__main__":
    main()
