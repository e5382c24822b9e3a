"""CPU threads of a torch process: the CPUs the job may really use, split with its DataLoader workers.

Why: torch's intra-op threads are libgomp's OpenMP team, and an idle member spin-waits at the
end of every parallel region (GOMP_SPINCOUNT, 300,000 spins by default) before it sleeps. When
the machine has fewer free cores than runnable threads (DataLoader workers, other jobs, a
compile), a member is often off its core and the others burn their time slices spinning for
it. Sleeping at once (``OMP_WAIT_POLICY=PASSIVE``) cures that but costs as much on a quiet
machine: a recurrent epoch is thousands of small parallel regions, and every one then waits
for its sleeping threads to be woken. Measured on a 2-core machine (one epoch of
conf/word_gru.yaml, 2 intra-op threads, quiet / beside two busy loops, two runs each): default
spinning 10.5-10.8 / 66-75 s, passive 28-42 / 26-33 s, 10,000 spins 10.8-15.3 / 28-42 s,
1 thread 13.2-14.2 / 25-26 s. So idle threads spin briefly (``GOMP_SPINCOUNT=10000``, set
before torch loads libgomp): quiet they catch the next region as default spinning does, beside
other work they waste at most a thirtieth of it. bench/bench_contention.py measures the
policies side by side, quiet and busy.

Budget (CPUs this process may use): ``--num-threads`` when given, else the smallest of
- ``OMP_NUM_THREADS``: the job runners export ``--num-threads`` there (the CPUs the job was given),
- Slurm's ``SLURM_CPUS_PER_TASK``, else ``SLURM_CPUS_ON_NODE`` (per task with ``SLURM_NTASKS_PER_NODE``),
- the cgroup CPU quota (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us / cpu.cfs_period_us``) of the
  process's cgroup and its ancestors, rounded down (at least 1),
- the affinity mask (``os.sched_getaffinity``: taskset, cpusets, Slurm's binding).
Split: intra-op threads = budget - DataLoader workers that augment audio (:func:`cpu_workers`;
feature-reading workers are light and not counted), at least 1; one inter-op thread (no
kaldinn model forks graph work). DataLoader workers run one thread each (torch's worker loop
sets it). The wait policy is read once, when torch loads libgomp, so :func:`limit_spin_wait`
must run before ``import torch``; an ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` the user set is kept.

Example::

    limit_spin_wait()                           # before anything imports torch
    plan = configure_threads(print, workers=2)  # threads: 1 intra-op + 2 workers of 2 CPUs (affinity) ...
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from kaldinn.errors import ConfigError, UsageError

PROC_CGROUP = Path("/proc/self/cgroup")
CGROUP_ROOT = Path("/sys/fs/cgroup")
OVERRIDE = "--num-threads"
# Spins of an idle OpenMP thread before it sleeps (libgomp's default: 300,000); see the header.
SPIN_COUNT = 10_000


@dataclass(frozen=True)
class CpuBudget:
    cpus: int
    source: str  # what gave the number: --num-threads, OMP_NUM_THREADS, SLURM_*, cgroup CPU quota, affinity


@dataclass(frozen=True)
class ThreadPlan:
    budget: CpuBudget
    workers: int
    intra_op: int
    inter_op: int = 1

    def describe(self) -> str:
        """``threads: 1 intra-op + 2 workers of 2 CPUs (affinity)``."""
        workers = f" + {self.workers} worker{'s' * (self.workers != 1)}" if self.workers else ""
        cpus = f"{self.budget.cpus} CPU{'s' * (self.budget.cpus != 1)}"
        return f"threads: {self.intra_op} intra-op{workers} of {cpus} ({self.budget.source})"


def parse_num_threads(text: str | None) -> int | None:
    """``--num-threads`` value: None for ``auto`` (or unset), else a positive integer."""
    if text is None or text.strip().lower() in ("", "auto"):
        return None
    if text.strip().isdigit() and int(text) >= 1:
        return int(text)
    raise UsageError(
        f"{OVERRIDE} must be a positive integer or 'auto', got {text!r}; it is the number of CPUs "
        f"this process may use, DataLoader workers included (e.g. {OVERRIDE} 4)"
    )


def env_count(environ: MutableMapping[str, str] | dict, name: str) -> int | None:
    """A positive CPU count from variable ``name`` (OpenMP's ``4,2`` lists: the first level)."""
    text = environ.get(name, "").strip()
    if not text:
        return None
    first = text.split(",")[0].strip()
    if not first.isdigit() or int(first) < 1:
        raise ConfigError(
            f"{name}={text!r} is not a positive number of CPUs; unset it or export e.g. {name}=2 "
            "(utils/run.py --num-threads N exports OMP_NUM_THREADS=N)"
        )
    return int(first)


def slurm_cpus(environ) -> tuple[int, str] | None:
    """CPUs Slurm gave this task: SLURM_CPUS_PER_TASK, else SLURM_CPUS_ON_NODE per task on the node."""
    per_task = env_count(environ, "SLURM_CPUS_PER_TASK")
    if per_task is not None:
        return per_task, "SLURM_CPUS_PER_TASK"
    on_node = env_count(environ, "SLURM_CPUS_ON_NODE")
    if on_node is None:
        return None
    tasks = env_count(environ, "SLURM_NTASKS_PER_NODE") or 1
    return max(1, on_node // tasks), "SLURM_CPUS_ON_NODE"


def cgroup_cpu_limit(proc_cgroup: Path = PROC_CGROUP, root: Path = CGROUP_ROOT) -> float | None:
    """CPUs allowed by the CPU quota of this process's cgroup or an ancestor; None when unlimited."""
    try:
        lines = proc_cgroup.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    limits: list[float] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":  # v2: one unified tree
            limits += [q for d in cgroup_dirs(root, path) if (q := quota_v2(d)) is not None]
        elif "cpu" in controllers.split(","):  # v1: the cpu controller's own tree
            base = root / controllers if (root / controllers).is_dir() else root / "cpu"
            limits += [q for d in cgroup_dirs(base, path) if (q := quota_v1(d)) is not None]
    return min(limits) if limits else None


def cgroup_dirs(base: Path, path: str) -> list[Path]:
    """``base/path`` and its ancestors up to ``base``, those that exist (inside a cgroup
    namespace the process's own cgroup is ``base`` itself)."""
    node = base / path.strip("/")
    dirs = [node, *[p for p in node.parents if p.is_relative_to(base)]]
    return [d for d in dirs if d.is_dir()]


def quota_v2(cgroup: Path) -> float | None:
    """``cpu.max`` = ``<quota|max> <period>`` in microseconds."""
    fields = read_fields(cgroup / "cpu.max")
    if len(fields) != 2 or fields[0] == "max":
        return None
    return _ratio(fields[0], fields[1])


def quota_v1(cgroup: Path) -> float | None:
    """``cpu.cfs_quota_us`` (-1: unlimited) over ``cpu.cfs_period_us``."""
    quota, period = read_fields(cgroup / "cpu.cfs_quota_us"), read_fields(cgroup / "cpu.cfs_period_us")
    if len(quota) != 1 or len(period) != 1:
        return None
    return _ratio(quota[0], period[0])


def read_fields(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").split()
    except OSError:
        return []


def _ratio(quota: str, period: str) -> float | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    return q / p if q > 0 and p > 0 else None


def affinity_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity API (macOS)
        return os.cpu_count() or 1


def cpu_budget(
    override: int | None = None,
    environ=None,
    proc_cgroup: Path = PROC_CGROUP,
    cgroup_root: Path = CGROUP_ROOT,
) -> CpuBudget:
    """The CPUs this process may use and what says so (see the module header)."""
    if override is not None:
        return CpuBudget(override, OVERRIDE)
    environ = os.environ if environ is None else environ
    found: list[tuple[int, str]] = []  # in the order named on a tie
    if (omp := env_count(environ, "OMP_NUM_THREADS")) is not None:
        found.append((omp, "OMP_NUM_THREADS"))
    if (slurm := slurm_cpus(environ)) is not None:
        found.append(slurm)
    if (quota := cgroup_cpu_limit(proc_cgroup, cgroup_root)) is not None:
        found.append((max(1, math.floor(quota)), f"cgroup CPU quota {quota:g}"))
    found.append((affinity_cpus(), "affinity"))
    cpus, source = min(found, key=lambda item: item[0])  # min() keeps the first of equals
    return CpuBudget(cpus, source)


def cpu_workers(num_workers: int, augment: bool) -> int:
    """DataLoader workers that take a CPU from the budget: those that augment audio on the fly.

    Workers that only read features are light: counting them (2 workers, 2 CPUs: 1 intra-op
    thread instead of 2) made a lid_hgru epoch 1.6x slower quiet and 1.7x slower beside a CPU
    hog, with passive waiting on both sides (bench/bench_contention.py on a shared 2-core machine).
    """
    return num_workers if augment else 0


def plan_threads(budget: CpuBudget, workers: int = 0) -> ThreadPlan:
    """Intra-op threads = budget - DataLoader workers, at least 1."""
    return ThreadPlan(budget, workers, intra_op=max(1, budget.cpus - workers))


def limit_spin_wait(environ=None) -> None:
    """Make idle OpenMP threads spin briefly (:data:`SPIN_COUNT`) before they sleep, unless the
    user chose a wait policy (``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``).

    Call it before anything imports torch: libgomp reads the variables once, when it loads.
    Processes started later (DDP ranks, spawned workers) inherit it; forked workers share the
    parent's setting.
    """
    environ = os.environ if environ is None else environ
    if "OMP_WAIT_POLICY" not in environ and "GOMP_SPINCOUNT" not in environ:
        environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)


def wait_policy(environ) -> str:
    """The OpenMP wait policy variables in effect, for the log line."""
    found = [f"{name}={environ[name]}" for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if name in environ]
    return ", ".join(found) or "OMP_WAIT_POLICY unset (idle threads spin)"


def configure_threads(
    log: Callable[[str], None], workers: int = 0, override: int | None = None, environ=None
) -> ThreadPlan:
    """Choose and set this process's torch threads; log the decision in one line."""
    environ = os.environ if environ is None else environ
    limit_spin_wait(environ)  # for subprocesses; this process's libgomp read it at load
    plan = plan_threads(cpu_budget(override, environ), workers)
    import torch

    torch.set_num_threads(plan.intra_op)
    if torch.get_num_interop_threads() != plan.inter_op:
        with contextlib.suppress(RuntimeError):  # fixed for good once inter-op work has started
            torch.set_num_interop_threads(plan.inter_op)
    log(f"{plan.describe()}, {torch.get_num_interop_threads()} inter-op; {wait_policy(environ)}")
    return plan
