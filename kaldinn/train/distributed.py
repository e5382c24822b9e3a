"""Distributed data-parallel (DDP) training: rank discovery, process groups, a local launcher.

Ranks come from the environment: torchrun's ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` (also what
:func:`launch_local` sets), else Slurm's ``SLURM_PROCID``/``SLURM_NTASKS``/``SLURM_LOCALID``
(one task per GPU under ``srun``). The rendezvous is ``MASTER_ADDR:MASTER_PORT``; under Slurm
they default to the job's first node and a port derived from ``SLURM_JOB_ID``. Backend: nccl
on CUDA, gloo on CPU. Each rank trains on its slice of every global batch
(``kaldinn.data.distributed``); the trainer weights each rank's loss by its share of the
global batch, so DDP's gradient average equals single-process training on the global batch.
Only rank 0 logs and writes files. A rank whose slice of a (tiny) global batch is empty
gets a *padding* batch (a copy of one item, ``batch.padding = True``) that adds nothing.

Example::

    # steps/train.py --num-gpus 2 ... runs this in the launching process:
    launch_local([sys.executable, "-m", "kaldinn.steps.train", *argv], 2, log=print)
    # and in each rank:
    info = rank_from_env(os.environ)
    init_process_group(info, device_preference="auto")
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from kaldinn.dispatch.gpus import discover_gpus
from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.train.batch import Batch, LossOutput
from kaldinn.train.threads import cpu_budget

PADDING = "padding"  # attribute set on a rank's batch that only keeps the collectives in step


@dataclass(frozen=True)
class RankInfo:
    """One process's place in the job."""

    rank: int
    world_size: int
    local_rank: int
    master_addr: str
    master_port: int


def _int(env: Mapping[str, str], name: str) -> int:
    try:
        return int(env[name])
    except ValueError as err:
        raise ConfigError(f"environment variable {name}={env[name]!r} is not an integer") from err


def rank_from_env(env: Mapping[str, str]) -> RankInfo | None:
    """The rank described by ``env`` (torchrun, this launcher, or srun); None for one process."""
    if "RANK" in env and "WORLD_SIZE" in env:
        rank, world = _int(env, "RANK"), _int(env, "WORLD_SIZE")
        local = _int(env, "LOCAL_RANK") if "LOCAL_RANK" in env else rank
    elif "SLURM_PROCID" in env and ("SLURM_STEP_NUM_TASKS" in env or "SLURM_NTASKS" in env):
        # an srun step's own task count first: a batch script's SLURM_NTASKS is no step
        tasks = "SLURM_STEP_NUM_TASKS" if "SLURM_STEP_NUM_TASKS" in env else "SLURM_NTASKS"
        rank, world = _int(env, "SLURM_PROCID"), _int(env, tasks)
        local = _int(env, "SLURM_LOCALID") if "SLURM_LOCALID" in env else 0
    else:
        return None
    if world <= 1:
        return None
    if not 0 <= rank < world:
        raise ConfigError(f"rank {rank} is outside world size {world}; check RANK/WORLD_SIZE or SLURM_*")
    addr = env.get("MASTER_ADDR") or first_host(env.get("SLURM_JOB_NODELIST", "127.0.0.1"))
    port = int(env["MASTER_PORT"]) if env.get("MASTER_PORT") else job_port(env.get("SLURM_JOB_ID", "0"))
    return RankInfo(rank, world, local, addr, port)


def first_host(nodelist: str) -> str:
    """First host of a Slurm node list: ``gpu[07-09,12],cpu1`` -> ``gpu07``."""
    match = re.match(r"([^,\[]*)(?:\[([^\],-]+)[^\]]*\])?([^,]*)", nodelist.strip())
    if not match or not (match.group(1) or match.group(2)):
        raise ConfigError(f"cannot read the first host of node list {nodelist!r}; set MASTER_ADDR")
    return f"{match.group(1)}{match.group(2) or ''}{match.group(3)}"


def job_port(job_id: str) -> int:
    """A rendezvous port every task of one Slurm job agrees on (jobs on a node differ)."""
    digits = re.sub(r"\D", "", job_id) or "0"
    return 20000 + int(digits) % 20000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rank_environments(world_size: int, env: Mapping[str, str]) -> list[dict[str, str]]:
    """Per-rank environments for :func:`launch_local`: one visible GPU each, or CPU (gloo)."""
    devices, source = discover_gpus(env)
    if devices and len(devices) < world_size:
        raise ConfigError(
            f"--num-gpus {world_size} but only {len(devices)} GPU(s) are visible ({source}); "
            f"run through $cuda_cmd --gpu {world_size}, or set CUDA_VISIBLE_DEVICES= to train on CPU"
        )
    # The job's CPU budget (OMP_NUM_THREADS from the runner, Slurm, cgroup, affinity) is split
    # between the ranks; each rank splits its share again with its DataLoader workers.
    threads = str(max(1, cpu_budget(environ=env).cpus // world_size))
    common = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "WORLD_SIZE": str(world_size)}
    if sys.platform.startswith("linux"):
        common["GLOO_SOCKET_IFNAME"] = env.get("GLOO_SOCKET_IFNAME", "lo")
    out = []
    for rank in range(world_size):
        rank_env = {**env, **common, "RANK": str(rank), "LOCAL_RANK": str(rank)}
        rank_env["CUDA_VISIBLE_DEVICES"] = devices[rank] if devices else ""
        rank_env["OMP_NUM_THREADS"] = threads
        out.append(rank_env)
    return out


def launch_local(command: list[str], world_size: int, log: Callable[[str], None]) -> int:
    """Run ``command`` as ``world_size`` ranks on this node; stop them all when one fails."""
    procs = [subprocess.Popen(command, env=e) for e in rank_environments(world_size, os.environ)]
    log(f"started {world_size} ranks (pids {', '.join(str(p.pid) for p in procs)})")
    try:
        while None in (codes := [p.poll() for p in procs]):
            failed = [(i, code) for i, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                log(f"rank {failed[0][0]} failed with exit code {failed[0][1]}; stopping the other ranks")
                break
            time.sleep(0.2)
    finally:
        _stop(procs)
    codes = [p.returncode for p in procs]
    bad = [f"rank {i}: exit code {c}" for i, c in enumerate(codes) if c != 0]
    if bad:
        log(f"distributed training failed ({'; '.join(bad)})")
        return 1
    return 0


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def init_process_group(info: RankInfo, device_preference: str = "auto") -> torch.device:
    """Join the job's process group (nccl on CUDA, gloo on CPU); return this rank's device."""
    from kaldinn.train.device import select_device

    visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    if len(visible) > 1:  # e.g. srun tasks that all see the node's GPUs: take one each
        os.environ["CUDA_VISIBLE_DEVICES"] = visible[info.local_rank % len(visible)]
    device = select_device(device_preference)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    os.environ.setdefault("MASTER_ADDR", info.master_addr)
    os.environ.setdefault("MASTER_PORT", str(info.master_port))
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, init_method="env://", rank=info.rank, world_size=info.world_size)
    return device


def shutdown() -> None:
    """Leave the process group (no-op in one process)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def backend() -> str:
    return str(dist.get_backend()) if world_size() > 1 else "none"


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if world_size() > 1 else 0


def is_main() -> bool:
    """True in rank 0 (and in a single-process run): the rank that logs and writes files."""
    return rank() == 0


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()


def all_gather_rows(rows: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
    """Concatenate every rank's ``rows`` (N_r, ...) in rank order (N_r may differ); no gradient."""
    count = torch.tensor([rows.size(0)], device=rows.device)
    counts = [torch.zeros_like(count) for _ in range(world_size())]
    dist.all_gather(counts, count)
    sizes = [int(c) for c in counts]
    padded = rows.new_zeros((max(sizes), *rows.shape[1:]))
    padded[: rows.size(0)] = rows.detach()
    parts = [torch.zeros_like(padded) for _ in sizes]
    dist.all_gather(parts, padded)
    return torch.cat([part[:n] for part, n in zip(parts, sizes, strict=True)]), sizes


def is_padding(batch: Batch) -> bool:
    return bool(getattr(batch, PADDING, False))


def mark_padding(batch: Batch, padding: bool) -> Batch:
    if padding:
        setattr(batch, PADDING, True)
    return batch


def wrap_model(setup: Any) -> None:
    """Give ``setup`` its DDP forward module (SyncBatchNorm on CUDA); no-op in one process."""
    if world_size() == 1:
        return
    from torch.nn.parallel import DistributedDataParallel

    if setup.device.type == "cuda":  # batch statistics over the global batch, as in one process
        setup.model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(setup.model)
    ids = [setup.device] if setup.device.type == "cuda" else None
    setup.ddp_model = DistributedDataParallel(setup.model, device_ids=ids)


def sync_result(setup: Any, result: LossOutput, padding: bool) -> LossOutput:
    """Sum metrics over ranks; weight this rank's loss by its share of the global batch.

    DDP averages gradients over ranks, so the loss of rank r becomes
    ``loss_r * world * weight_r / sum(weights)``: the average is then the gradient of the
    global batch's loss. Tasks with ``handles_distributed`` (the all-pairs SV loss) scale
    their own loss. A padding batch contributes no loss and no metrics.
    """
    if world_size() == 1:
        return result
    keys = sorted(result.sums)
    local = [0.0 if padding else result.weight] + [0.0 if padding else result.sums[k] for k in keys]
    totals = torch.tensor(local, dtype=torch.float64, device=setup.device)
    dist.all_reduce(totals)
    total_weight = float(totals[0])
    if total_weight <= 0:
        raise KaldinnError("a distributed batch has zero total weight on every rank")
    loss = result.loss
    if not getattr(setup.task, "handles_distributed", False):
        loss = loss * (world_size() * local[0] / total_weight)
    sums = {k: float(v) for k, v in zip(keys, totals[1:].tolist(), strict=True)}
    return LossOutput(loss, sums, total_weight)


def sync_task_grads(setup: Any) -> None:
    """Average the gradients of the task's own parameters (e.g. score calibration) over ranks."""
    if world_size() == 1 or not isinstance(setup.task, torch.nn.Module):
        return
    for param in setup.task.parameters():
        if param.grad is not None:
            dist.all_reduce(param.grad)
            param.grad.div_(world_size())


def rank_seed(seed: int) -> int:
    """A per-rank seed (rank 0 keeps ``seed``): dropout masks differ between ranks."""
    return seed + 1_000_003 * rank()
