#!/usr/bin/env python3
"""Benchmark: speaker-embedding extractor training speed (segments/s) on this machine.

Measures one optimizer step (forward, loss, backward, update) of the synthetic recipe's
x-vector TDNN on random 80-dim fbank chunks, and prints each variant as a ratio against the
plain identification (softmax) step measured in the same run:
- identification only (baseline),
- end-to-end verification loss over all pairs of the batch with BLUE trial weights,
- the same with gradient checkpointing (less memory, recomputed activations).
Runs on CUDA when CUDA_VISIBLE_DEVICES names a GPU, else on the CPU.

Example::

    .venv/bin/python bench/bench_sv_train.py --batch 64 --frames 200 --steps 5
"""

from __future__ import annotations

import argparse
import time

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


def time_steps(model, task, batch: Batch, steps: int) -> float:
    """Seconds per optimizer step (best of ``steps`` after one warm-up step)."""
    params = list(model.parameters()) + (list(task.parameters()) if isinstance(task, torch.nn.Module) else [])
    optimizer = torch.optim.Adam(params, lr=1e-3)
    best = float("inf")
    for i in range(steps + 1):
        start = time.perf_counter()
        loss = task(model(batch.feats, batch.feat_lens), batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch.feats.is_cuda:
            torch.cuda.synchronize()
        if i:
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--speakers", type=int, default=60)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    device = select_device("auto")
    batch = make_batch(args.batch, args.frames, args.batch // 4, device)
    variants = [
        ("identification (softmax)", {"lambda_start": 1.0, "lambda_end": 1.0}, False),
        ("verification, BLUE weights", {"weighting": "blue", "rho": [0.2, 0.1, 0.1, 0.05]}, False),
        ("verification + grad checkpointing", {"weighting": "blue", "rho": [0.2, 0.1, 0.1, 0.05]}, True),
    ]
    print(f"device {device}, batch {args.batch} x {args.frames} frames x 80 dims, {args.speakers} classes")
    baseline = None
    for name, loss_args, checkpointing in variants:
        torch.manual_seed(0)
        model = build_model("xvector_tdnn", MODEL_ARGS, input_dim=80, num_classes=args.speakers).to(device)
        if checkpointing:
            enable_gradient_checkpointing(model)
        task = LOSSES.build("sv", loss_args)
        if isinstance(task, torch.nn.Module):
            task.to(device)
        seconds = time_steps(model.train(), task, batch, args.steps)
        rate = args.batch / seconds
        baseline = baseline or rate
        print(f"{name:36s} {rate:8.1f} segments/s   ratio vs identification: {rate / baseline:.2f}")


if __name__ == "__main__":
    main()
