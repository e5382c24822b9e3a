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
from pathlib import Path

# Python puts this script's directory first on sys.path, where this very file would shadow the
# standard library's queue; put the repository root there instead (utils/ may be a recipe symlink).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from kaldinn.cli import run_main  # noqa: E402
from kaldinn.dispatch.gridengine import run_queue_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(run_queue_main))
