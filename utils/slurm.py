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

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.cli import run_main
from kaldinn.dispatch.slurm import run_slurm_main

if __name__ == "__main__":
    sys.exit(run_main(run_slurm_main))
