"""The local back end of ``utils/run.py``: run jobs as bash processes on this machine.

Concurrency is ``--max-jobs-run``, else the number of CPUs divided by ``--num-threads``. With
``--gpu N`` (N >= 1) it is the number of GPU slots (``--max-jobs-run`` may lower it, never
raise it) and each worker owns one slot, so concurrently running jobs never share a device
(``CUDA_VISIBLE_DEVICES`` is set per job). ``--gpu 0`` sets ``CUDA_VISIBLE_DEVICES=""`` (CPU
only). Every job gets ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` = ``--num-threads`` (default
1, as Kaldi's jobs are single-threaded; a kaldinn addition: run.pl only records it): concurrent
PyTorch jobs that each start one thread per core oversubscribe the CPUs and run up to 100x
slower. ``--mem`` and ``--time`` are accepted for cmd.sh compatibility with the cluster runners
and not enforced. Each job runs in its own process group; on SIGINT/SIGTERM the runner
terminates every running group, writes their ``# Ended`` lines and reports the signal.

Example::

    result = LocalRunner().run(expand_jobs(args), args)   # RunResult(codes={1: 0, 2: 1})
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping

from kaldinn.dispatch.args import DispatchArgs
from kaldinn.dispatch.gpus import discover_gpus, gpu_slots
from kaldinn.dispatch.jobs import Job, RunResult
from kaldinn.dispatch.logfile import write_footer, write_header

_KILL_GRACE_S = 3.0


class LocalRunner:
    """Runs jobs on this machine with a fixed pool of worker threads."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self._lock = threading.RLock()  # re-entered by the signal handler
        self._procs: dict[int, subprocess.Popen] = {}
        self._stop = threading.Event()
        self._signal: int | None = None

    def run(self, jobs: list[Job], args: DispatchArgs) -> RunResult:
        slots = self._gpu_slots(args)
        limit = args.int_option("max_jobs_run")
        if slots is None:
            threads = args.int_option("num_threads", default=1) or 1
            workers = limit or max(1, (os.cpu_count() or 1) // threads)
        else:  # one job per GPU slot, never more
            workers = min(limit or len(slots), len(slots))
        workers = min(workers, len(jobs))
        pending: queue.SimpleQueue[Job] = queue.SimpleQueue()
        for job in jobs:
            pending.put(job)
        result = RunResult()
        threads = [
            threading.Thread(
                target=self._work,
                args=(pending, None if slots is None else slots[i], args, result),
                daemon=True,
            )
            for i in range(max(1, workers))
        ]
        with signals_to(self._interrupt):
            for thread in threads:
                thread.start()
            self._join(threads)
        result.signal = self._signal
        return result

    def _gpu_slots(self, args: DispatchArgs) -> list[str] | None:
        """CUDA_VISIBLE_DEVICES per worker; None leaves it alone and puts no cap on workers."""
        gpu = args.int_option("gpu", minimum=0)
        if not gpu:  # no --gpu, or --gpu 0 (handled in _job_env)
            return None
        devices, source = discover_gpus(self.env)
        return [",".join(group) for group in gpu_slots(devices, gpu, source)]

    def _job_env(self, slot: str | None, args: DispatchArgs) -> dict[str, str]:
        env = dict(self.env)
        if slot is not None:
            env["CUDA_VISIBLE_DEVICES"] = slot
        elif args.int_option("gpu", minimum=0) == 0:
            env["CUDA_VISIBLE_DEVICES"] = ""  # --gpu 0: hide every GPU
        threads = args.int_option("num_threads", default=1) or 1
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
        return env

    def _work(
        self, pending: queue.SimpleQueue, slot: str | None, args: DispatchArgs, result: RunResult
    ) -> None:
        env = self._job_env(slot, args)
        threads = args.int_option("num_threads", default=1) or 1
        while not self._stop.is_set():
            try:
                job = pending.get_nowait()
            except queue.Empty:
                return
            self._run_one(job, env, threads, result)

    def _run_one(self, job: Job, env: dict[str, str], threads: int, result: RunResult) -> None:
        start = time.monotonic()
        try:
            with self._lock:
                if self._stop.is_set():
                    return  # interrupted before it started: no log claims it ran
                with open(job.log, "w", encoding="utf-8") as log:
                    write_header(log, job.command)
                    proc = subprocess.Popen(
                        ["bash", "-c", job.command],
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        start_new_session=True,
                    )
                self._procs[proc.pid] = proc
            status = proc.wait()
            with self._lock:
                self._procs.pop(proc.pid, None)
            code = status if status >= 0 else 128 - status  # killed by signal N -> 128+N, as bash
            write_footer(job.log, code, time.monotonic() - start, threads)
        except OSError as err:
            code = 1
            result.errors.append(f"job {job.job_id} could not run ({job.log}): {err}")
        result.codes[job.job_id] = code

    def _join(self, threads: list[threading.Thread]) -> None:
        deadline = None
        while alive := [t for t in threads if t.is_alive()]:
            alive[0].join(timeout=0.2)
            if self._stop.is_set():
                deadline = deadline or time.monotonic() + _KILL_GRACE_S
                if time.monotonic() > deadline:
                    self._kill_all(signal.SIGKILL)

    def _interrupt(self, signum: int, _frame: object) -> None:
        self._signal = signum
        self._stop.set()
        self._kill_all(signal.SIGTERM)

    def _kill_all(self, signum: int) -> None:
        with self._lock:
            pids = list(self._procs)
        for pid in pids:
            try:
                os.killpg(pid, signum)
            except ProcessLookupError:
                pass


@contextlib.contextmanager
def signals_to(handler: Callable[[int, object], None]) -> Iterator[None]:
    """Route SIGINT and SIGTERM to ``handler`` inside the block (only the main thread can)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, previous in saved.items():
            signal.signal(signum, previous)
