#!/usr/bin/env python3
"""Run a command as a Slurm job array, like Kaldi's utils/slurm.pl (same call form as run.py).

Usage: utils/slurm.py [--config conf/slurm.conf] [--mem 4G] [--num-threads N] [--gpu N]
                      [--time T] [--max-jobs-run N | -tc N] [--partition P] [...site options]
                      [--pick failed|incomplete] [JOB=1:N] <log-file> <command> [args...]

Submits one `sbatch --array=1-N[%M]`, polls the status files the job wrapper writes, writes
Kaldi log markers, reports "N / M failed" with the failing log's tail; Ctrl-C runs scancel.
Options map to sbatch flags through the config (see conf/slurm.conf). Example:

    utils/slurm.py --mem 2G JOB=1:4 exp/x/log/echo.JOB.log echo job JOB
"""

import sys
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.cli import run_main  # noqa: E402
from kaldinn.dispatch.slurm import run_slurm_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(run_slurm_main))
