#!/usr/bin/env python3
"""Benchmark: event-detection training throughput (clips/s) of the recipe's three networks.

One training step (forward, cross-entropy, backward, Adam update) on a padded batch of clips
shaped like events_* (80 log-mel bins, 3-4 s: 300-400 frames, padded to the longest), for
the demo configs egs/synth/s5/conf/events_{cnn,resnet,densenet}.yaml. Baseline, measured in
the same run: the plain CNN, the cheapest honest reference for "a convnet over the
spectrogram"; each network is reported as its speed relative to it. One design choice is
timed as well: the demo DenseNet pools twice after its stem (``stem_pool: 2``); the same
DenseNet with its first dense block at full resolution (``stem_pool: 0``, timed on a quarter
of the batch, reported per clip) shows what that saves. Last, the cost of a
guided-backpropagation map against a vanilla-gradient one (``kaldinn.models.saliency``: the
same backward pass with the ReLU rule swapped by hooks).
Contenders are interleaved (bench/_timing.py); medians with spread; CPU threads fixed.

Example::

    .venv/bin/python bench/bench_detection.py --repeats 5 --batch 32 --threads 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _timing

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "egs" / "synth" / "s5" / "conf"


def make_batch(batch: int, bins: int, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    lens = torch.randint(300, 401, (batch,), generator=g)
    feats = torch.randn(batch, int(lens.max()), bins, generator=g)
    targets = torch.arange(batch) % 2
    return feats, lens, targets


def build(name: str, overrides: dict | None = None, bins: int = 80):
    import torch

    from kaldinn.models import build_model
    from kaldinn.train.config import load_config

    cfg = load_config(CONF / f"events_{name}.yaml")
    args = {**cfg.model_args, **(overrides or {})}
    torch.manual_seed(0)
    model = build_model(cfg.model, args, input_dim=bins, num_classes=2)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def train_step(model, optimizer, batch):
    import torch

    feats, lens, targets = batch

    def step():
        loss = torch.nn.functional.cross_entropy(model(feats, lens).logits, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def saliency_step(model, batch, method: str):
    from kaldinn.models.saliency import input_saliency

    feats, lens, _ = batch
    return lambda: input_saliency(model, feats, lens, event_index=1, method=method)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _timing.add_arguments(parser)
    parser.add_argument("--batch", type=int, default=32, help="clips per training step")
    parser.add_argument("--bins", type=int, default=80, help="log-mel bins")
    args = parser.parse_args()
    _timing.fix_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    _timing.print_header("bench_detection", batch=args.batch, bins=args.bins, frames="300-400 padded")
    batch = make_batch(args.batch, args.bins)
    small = tuple(t[: max(1, args.batch // 4)] for t in batch)  # the slow variant gets a quarter
    variants = {
        "cnn": build("cnn", bins=args.bins),
        "resnet": build("resnet", bins=args.bins),
        "densenet": build("densenet", bins=args.bins),
        "densenet stem_pool 0": build("densenet", {"stem_pool": 0}, bins=args.bins),
    }
    for name, (model, _) in variants.items():
        print(f"  {name}: {sum(p.numel() for p in model.parameters()):,} parameters")
    work = {name: len(small[0]) if name.endswith("stem_pool 0") else args.batch for name in variants}
    steps = {
        name: train_step(model, opt, small if work[name] < args.batch else batch)
        for name, (model, opt) in variants.items()
    }
    times = _timing.per_item(_timing.measure(steps, args.repeats, args.warmup), work)
    print(f"training step (forward, backward, Adam), seconds per clip ({work}):")
    _timing.report(times, work=1, unit="clips")
    for name in ("resnet", "densenet", "densenet stem_pool 0"):
        _timing.print_ratio(times, name, "cnn", label=f"{name} vs the plain CNN (baseline): speed")
    _timing.print_ratio(times, "densenet", "densenet stem_pool 0", label="stem_pool 2 vs 0: speed-up")
    densenet = variants["densenet"][0].eval()
    maps = {m: saliency_step(densenet, batch, m) for m in ("vanilla", "guided")}
    times = _timing.measure(maps, args.repeats, args.warmup)
    print("saliency maps of the demo DenseNet:")
    _timing.report(times, work=args.batch, unit="clips")
    _timing.print_ratio(times, "guided", "vanilla", label="guided vs vanilla: speed")


if __name__ == "__main__":
    main()
