"""Stand-in sbatch/squeue/scancel and qsub/qstat/qdel that run array tasks on this machine.

They behave like the real commands where the runners depend on it: the submit command
prints a job id and starts every array task of the script in the background, each in its
own session with an EMPTY environment (so a test proves the wrapper carries PATH and the
virtualenv itself); the cancel command sends SIGTERM to every task's process group, as a
scheduler signals every process of a job. ``FAKE_SKIP=i`` drops task i (a task killed
before it could report). Every call's arguments are recorded in ``<bin>/<name>.args``.
"""

import os
import stat
from pathlib import Path

_SUBMIT = """#!/bin/bash
echo "$@" >> "{bin}/{name}.args"
for a in "$@"; do
  case $a in --array=*) spec=${{a#--array=}} ;; 1:*) spec=$a ;; esac
  script=$a
done
spec=${{spec%%\\%*}}; n=${{spec#1[-:]}}
for i in $(seq 1 "$n"); do
  [ "$i" = "${{FAKE_SKIP:-0}}" ] && continue
  env -i HOME=/ {var}=$i setsid bash "$script" >/dev/null 2>&1 &
  echo $! >> "{bin}/pids"
done
echo "{job_id}"
"""
_ALIVE = """#!/bin/bash
echo "$@" >> "{bin}/{name}.args"
{body}
"""
_CANCEL = """#!/bin/bash
echo "$@" >> "{bin}/{name}.args"
for pid in $(cat "{bin}/pids"); do kill -TERM -- "-$pid" 2>/dev/null; done
exit 0
"""


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def install_fake_slurm(bin_dir: Path) -> Path:
    """Fake sbatch (job id 42), squeue (the array is always gone), scancel; returns a config."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    _write(
        bin_dir / "sbatch", _SUBMIT.format(bin=bin_dir, name="sbatch", var="SLURM_ARRAY_TASK_ID", job_id="42")
    )
    _write(bin_dir / "squeue", _ALIVE.format(bin=bin_dir, name="squeue", body="exit 0"))
    _write(bin_dir / "scancel", _CANCEL.format(bin=bin_dir, name="scancel"))
    config = bin_dir / "slurm.conf"
    config.write_text(f"command {bin_dir}/sbatch --export=ALL\noption mem=* --mem-per-cpu=$0\n")
    return config


def install_fake_sge(bin_dir: Path) -> Path:
    """Fake qsub (prints ``77.1-N:1`` like -terse), qstat (job gone), qdel; returns a config."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    _write(bin_dir / "qsub", _SUBMIT.format(bin=bin_dir, name="qsub", var="SGE_TASK_ID", job_id="77.1-$n:1"))
    body = 'echo "Following jobs do not exist: $2"; exit 1'
    _write(bin_dir / "qstat", _ALIVE.format(bin=bin_dir, name="qstat", body=body))
    _write(bin_dir / "qdel", _CANCEL.format(bin=bin_dir, name="qdel"))
    config = bin_dir / "queue.conf"
    config.write_text(f"command {bin_dir}/qsub -cwd\noption mem=* -l mem_free=$0\n")
    return config


def path_with(bin_dir: Path) -> str:
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
