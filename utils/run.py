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
from pathlib import Path

# Python puts this script's directory first on sys.path (where utils/queue.py would shadow the
# standard library's queue); put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.cli import run_main  # noqa: E402
from kaldinn.dispatch.cli import run_local_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(run_local_main))
