#!/usr/bin/env python3
"""Run a command as a Grid Engine job array, like Kaldi's utils/queue.pl (same call form as run.py).

Usage: utils/queue.py [--config conf/queue.conf] [--mem 4G] [--num-threads N] [--gpu N]
                      [--time T] [--max-jobs-run N | -tc N] [--queue Q] [...site options]
                      [--pick failed|incomplete] [JOB=1:N] <log-file> <command> [args...]

Submits one `qsub -t 1:N [-tc M]` with a safe -N name, polls the status files the job
wrapper writes, writes Kaldi log markers, reports "N / M failed" with the failing log's
tail; Ctrl-C runs qdel. Options map to qsub flags through the config (see conf/queue.conf).

    utils/queue.py --mem 2G JOB=1:4 exp/x/log/echo.JOB.log echo job JOB
"""

import sys

import _kaldinn_entry  # noqa: F401  (first import: no script dir on sys.path, see that file)

from kaldinn.cli import run_main
from kaldinn.dispatch.gridengine import run_queue_main

if __name__ == "__main__":
    sys.exit(run_main(run_queue_main))
