"""Per-job overhead of utils/run.py against a plain `bash -c true` loop, in the same run.

Runs 16 trivial jobs (`true`) through utils/run.py, serially (-tc 1) and with the default
concurrency, and 16 `bash -c true` processes one after another as the baseline; prints the
median and spread of each (the setups take turns in each of ``--repeats`` repetitions), the
ratios of medians to the baseline and the overhead per job. When a Slurm cluster answers
(`sinfo`, e.g. after `.ci/local_slurm.sh start`) it also times utils/slurm.py on the same 16
jobs (one array submission, status files polled every 0.5 s).

    .venv/bin/python bench/bench_dispatch.py [--jobs 16] [--repeats 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import _timing

REPO = Path(__file__).resolve().parents[1]


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
    _timing.add_arguments(parser)
    opts = parser.parse_args()
    _timing.fix_threads(opts.threads)
    _timing.print_header("bench_dispatch", jobs=opts.jobs)
    base = "bash -c true loop"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        setups = {
            base: lambda: bash_loop(opts.jobs),
            "run.py -tc 1": lambda: run_py(opts.jobs, work, ["-tc", "1"]),
            "run.py (default concurrency)": lambda: run_py(opts.jobs, work, []),
        }
        if slurm_usable():
            setups["slurm.py (local Slurm, one array)"] = lambda: run_py(
                opts.jobs, work, [], "utils/slurm.py"
            )
        times = _timing.measure(setups, opts.repeats, opts.warmup)
    print(f"{opts.jobs} trivial jobs per repetition:")
    _timing.report(times, work=opts.jobs, unit="jobs")
    if len(setups) == 3:
        print("  slurm.py: skipped (no usable Slurm cluster; start one with .ci/local_slurm.sh start)")
    for name in list(setups)[1:]:
        extra = (statistics.median(times[name]) - statistics.median(times[base])) / opts.jobs
        _timing.print_ratio(times, base, name, label=f"{name} / baseline time:")
        print(f"    overhead {1000 * extra:+.1f} ms/job (difference of medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
