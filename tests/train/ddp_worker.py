"""One rank of the all-pairs SV gradient test: run by launch_local, saves its gradients.

python tests/train/ddp_worker.py <out-dir> <weighting>   (with RANK/WORLD_SIZE/MASTER_* set)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
from torch import nn

from kaldinn.data.distributed import shard_bounds
from kaldinn.losses.sv_task import SVTask
from kaldinn.models.registry import ModelOutput
from kaldinn.train import distributed as ddp
from kaldinn.train.batch import Batch

LABELS = [0, 0, 0, 1, 1, 2, 2]  # unequal speakers, 7 segments: rank slices of 4 and 3


class TinyEmbedder(nn.Module):
    """Mean over frames -> affine embedding -> affine speaker logits."""

    def __init__(self, dim: int = 5, emb: int = 4, speakers: int = 3) -> None:
        super().__init__()
        self.embed, self.head = nn.Linear(dim, emb), nn.Linear(emb, speakers)

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> ModelOutput:
        emb = self.embed(feats.mean(1))  # (B, emb)
        return ModelOutput(self.head(emb), None, emb)


def make_problem(weighting: str) -> tuple[TinyEmbedder, SVTask, Batch]:
    torch.manual_seed(0)
    model = TinyEmbedder()
    rho = [0.2, 0.1, 0.2, 0.1] if weighting != "uniform" else None
    task = SVTask(lambda_start=0.3, lambda_end=0.3, weighting=weighting, rho=rho, score_scale=5.0)
    feats = torch.randn(len(LABELS), 6, 5)
    batch = Batch(feats, torch.full((len(LABELS),), 6), torch.tensor(LABELS), None, [])
    return model, task, batch


def grads(model: nn.Module, task: nn.Module) -> dict[str, torch.Tensor]:
    named = list(model.named_parameters()) + [(f"task.{n}", p) for n, p in task.named_parameters()]
    return {name: p.grad.clone() for name, p in named}


def main(out_dir: str, weighting: str) -> int:
    info = ddp.rank_from_env(os.environ)
    ddp.init_process_group(info, "cpu")
    model, task, batch = make_problem(weighting)
    net = nn.parallel.DistributedDataParallel(model)
    start, stop = shard_bounds(len(batch), info.rank, info.world_size)
    part = Batch(batch.feats[start:stop], batch.feat_lens[start:stop], batch.targets[start:stop], None, [])
    result = task(net(part.feats, part.feat_lens), part)
    result.loss.backward()
    for param in task.parameters():  # what the trainer's sync_task_grads does
        torch.distributed.all_reduce(param.grad)
        param.grad.div_(info.world_size)
    torch.save(grads(model, task), Path(out_dir) / f"grads.{info.rank}.pt")
    ddp.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
