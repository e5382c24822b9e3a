#!/usr/bin/env python3
"""Run a command as parallel jobs on this machine, like Kaldi's utils/run.pl.

Usage: utils/run.py [--max-jobs-run N | -tc N] [--num-threads N] [--mem 4G] [--gpu N]
                    [--time T] [--config FILE] [--pick failed|incomplete]
                    [JOB=1:N] <log-file> <command> [args...]

Every JOB in the log path and the command is replaced by the job id; escape pipes and
redirections meant for the job (\\| \\>). Each log gets Kaldi's markers. Example:

    utils/run.py JOB=1:4 exp/x/log/echo.JOB.log echo job JOB \\| tr a-z A-Z
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.cli import run_main
from kaldinn.dispatch.cli import run_local_main

if __name__ == "__main__":
    sys.exit(run_main(run_local_main))
