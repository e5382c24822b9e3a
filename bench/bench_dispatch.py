"""Per-job overhead of utils/run.py against a plain `bash -c true` loop, in the same run.

Runs 16 trivial jobs (`true`) through utils/run.py, serially (-tc 1) and with the default
concurrency, and 16 `bash -c true` processes one after another as the baseline; prints the
per-job times and their ratios to the baseline. When a Slurm cluster answers (`sinfo`, e.g.
after `.ci/local_slurm.sh start`) it also times utils/slurm.py on the same 16 jobs (one
array submission, status files polled every 0.5 s).

    .venv/bin/python bench/bench_dispatch.py [--jobs 16] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bash_loop(jobs: int) -> None:
    for _ in range(jobs):
        subprocess.run(["bash", "-c", "true"], check=True)


def slurm_usable() -> bool:
    if shutil.which("sinfo") is None:
        return False
    out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, check=False)
    return out.returncode == 0 and any(s.startswith(("idle", "mixed")) for s in out.stdout.split())


def run_py(jobs: int, workdir: Path, extra: list[str], runner: str = "utils/run.py") -> None:
    cmd = [
        sys.executable,
        str(REPO / runner),
        *extra,
        f"JOB=1:{jobs}",
        str(workdir / "log/t.JOB.log"),
        "true",
    ]
    subprocess.run(cmd, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = best_of(opts.repeats, lambda: bash_loop(opts.jobs))
        serial = best_of(opts.repeats, lambda: run_py(opts.jobs, work, ["-tc", "1"]))
        parallel = best_of(opts.repeats, lambda: run_py(opts.jobs, work, []))
        timed = [("run.py -tc 1", serial), ("run.py (default concurrency)", parallel)]
        if slurm_usable():
            slurm = best_of(opts.repeats, lambda: run_py(opts.jobs, work, [], "utils/slurm.py"))
            timed.append(("slurm.py (local Slurm, one array)", slurm))
    n = opts.jobs
    print(f"{n} trivial jobs, best of {opts.repeats}")
    print(f"  bash -c true loop (baseline): {base:.3f} s total, {1000 * base / n:.1f} ms/job")
    if len(timed) == 2:
        print("  slurm.py: skipped (no usable Slurm cluster; start one with .ci/local_slurm.sh start)")
    for name, t in timed:
        extra = (t - base) / n
        print(
            f"  {name}: {t:.3f} s total, ratio {t / base:.2f}x baseline, overhead {1000 * extra:+.1f} ms/job"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
