"""Timing helpers for bench/bench_*.py: fixed threads, repetitions, median and spread, ratios.

A shared machine is noisy: one timing says little. Each benchmark fixes its thread counts
(stated in a header line with the CPUs, the affinity and the load average), times every
contender several times after a warm-up, interleaving the contenders so a burst of load hits
them alike, and reports the median with its spread (min-max and the interquartile range).
Ratios are ratios of medians; their spread comes from the per-repetition (paired) ratios.

Example::

    import _timing

    def main():
        parser = argparse.ArgumentParser()
        _timing.add_arguments(parser)            # --repeats, --threads
        args = parser.parse_args()
        _timing.fix_threads(args.threads)        # re-executes once if the env must change
        _timing.print_header("bench_foo")
        times = _timing.measure({"kaldinn": ours, "baseline": theirs}, args.repeats)
        _timing.report(times, work=1000, unit="utt")
        _timing.print_ratio(times, "kaldinn", "baseline")
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

# Every thread-pool knob the libraries we load read at start-up.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
DEFAULT_REPEATS = 5


def add_arguments(parser: argparse.ArgumentParser, repeats: int = DEFAULT_REPEATS, threads: int = 1) -> None:
    parser.add_argument("--repeats", type=int, default=repeats, help="timed repetitions per contender")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per contender first")
    parser.add_argument("--threads", type=int, default=threads, help="intra-op threads (OMP/MKL/torch)")


def fix_threads(threads: int) -> None:
    """Pin OMP/MKL/OpenBLAS and torch thread pools to ``threads``.

    BLAS and OpenMP read their variables once, when loaded; a script that imported numpy
    before parsing ``--threads`` is re-executed once with the variables set, so the count
    printed is the count used. Subprocesses inherit the variables.
    """
    if threads < 1:
        raise SystemExit(f"--threads must be >= 1, got {threads}")
    wanted = str(threads)
    if any(os.environ.get(var) != wanted for var in THREAD_VARS):
        os.environ.update({var: wanted for var in THREAD_VARS})
        if "numpy" in sys.modules or "torch" in sys.modules:
            sys.stdout.flush()
            os.execv(sys.executable, [sys.executable, *sys.argv])
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:  # already set (or parallel work started); reported as it is
            pass


def thread_summary() -> str:
    env = " ".join(f"{var.split('_')[0]}={os.environ.get(var, 'unset')}" for var in THREAD_VARS)
    torch = sys.modules.get("torch")
    if torch is None:
        return f"threads: {env}, torch not loaded"
    intra, inter = torch.get_num_threads(), torch.get_num_interop_threads()
    return f"threads: {env}, torch intra-op={intra} inter-op={inter}"


def machine_summary() -> str:
    cpus = os.cpu_count()
    try:
        allowed = sorted(os.sched_getaffinity(0))
        affinity = f"affinity {len(allowed)} {{{','.join(map(str, allowed))}}}"
    except (AttributeError, OSError):
        affinity = "affinity unknown"
    try:
        load = "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load unknown"
    return f"{cpus} CPUs, {affinity}, {load}, {platform.machine()} python {platform.python_version()}"


def print_header(name: str, **settings) -> None:
    """One line saying what ran where: threads, CPUs, affinity, load, and the bench's settings."""
    extra = " ".join(f"{k}={v}" for k, v in settings.items())
    print(f"== {name} | {thread_summary()} | {machine_summary()}" + (f" | {extra}" if extra else ""))
    sys.stdout.flush()


def measure(
    contenders: dict[str, Callable[[], object]], repeats: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Seconds per call of each contender, ``repeats`` times, after ``warmup`` untimed calls.

    The contenders take turns within each repetition, so times at the same index are paired:
    a burst of load on the shared machine falls on every contender of that repetition.
    """
    if repeats < 1:
        raise SystemExit(f"--repeats must be >= 1, got {repeats}")
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def spread(values: list[float]) -> tuple[float, float, float, float, float]:
    """(median, min, max, first quartile, third quartile)."""
    ordered = sorted(values)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return statistics.median(ordered), ordered[0], ordered[-1], q1, q3


def seconds_text(value: float) -> str:
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale:
            return f"{value / scale:.3g} {unit}" if value < 100 * scale else f"{value / scale:.0f} {unit}"
    return f"{value * 1e9:.3g} ns"


def describe(seconds: list[float]) -> str:
    med, lo, hi, q1, q3 = (seconds_text(v) for v in spread(seconds))
    return f"median {med} (min {lo}, max {hi}, IQR {q1}-{q3}, n={len(seconds)})"


def report(times: dict[str, list[float]], work: float | None = None, unit: str = "items") -> None:
    """One line per contender: median and spread of its seconds, and its rate at the median."""
    width = max(len(name) for name in times)
    for name, seconds in times.items():
        line = f"  {name:{width}s}  {describe(seconds)}"
        if work:
            line += f"  {work / statistics.median(seconds):,.1f} {unit}/s"
        print(line)


def per_item(times: dict[str, list[float]], work: dict[str, float]) -> dict[str, list[float]]:
    """Seconds per item, for contenders timed on different amounts of work (a slow baseline on fewer)."""
    return {name: [t / work[name] for t in seconds] for name, seconds in times.items()}


def ratio(times: dict[str, list[float]], faster: str, slower: str) -> tuple[float, float, float]:
    """How many times faster ``faster`` is: (ratio of medians, min, max of paired ratios)."""
    paired = [s / f for f, s in zip(times[faster], times[slower], strict=True)]
    return statistics.median(times[slower]) / statistics.median(times[faster]), min(paired), max(paired)


def print_ratio(
    times: dict[str, list[float]],
    faster: str,
    slower: str,
    target: float | None = None,
    label: str | None = None,
) -> float:
    """Print time(``slower``) / time(``faster``) with its paired spread; return it.

    ``label`` replaces the default wording (``<faster> vs <slower>: Nx faster``).
    """
    value, lo, hi = ratio(times, faster, slower)
    label = label or f"{faster} vs {slower}: speed-up"
    line = f"  {label} {value:.2f}x (ratio of medians; paired range {lo:.2f}-{hi:.2f}x)"
    if target is not None:
        line += f"  target >= {target:g}x: {'met' if value >= target else 'MISSED'}"
    print(line)
    return value
