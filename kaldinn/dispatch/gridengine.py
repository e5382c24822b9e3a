"""The Grid Engine back end of ``utils/queue.py`` (Kaldi's queue.pl): one ``qsub -t`` per call.

Options map to qsub flags through a config file in Kaldi's grammar (``--config``, else
``conf/queue.conf`` in the current directory, else the repository's ``conf/queue.conf``).
``--max-jobs-run M`` (``-tc M``) uses the config's ``option max_jobs_run=*`` rule when it
has one, else qsub's ``-tc M``. The job always gets a safe ``-N`` name: a name qsub derives
from a command holding ``=``, ``$`` or ``(`` fails with a misleading qmaster error. The
array is watched by polling the wrapper's status files (see ``cluster``); ``qstat -j``
only tells whether it still exists; Ctrl-C runs ``qdel``.

Example::

    utils/queue.py --mem 2G -tc 2 JOB=1:4 exp/x/log/feats.JOB.log python -m kaldinn.bin.compute_feats ...
    # qsub -v PATH -cwd -S /bin/bash -j y -l mem_free=2G -N feats.JOB -t 1:4 -tc 2 ...
"""

from __future__ import annotations

import re
import subprocess

from kaldinn.dispatch.args import DispatchArgs
from kaldinn.dispatch.cli import dispatch_main
from kaldinn.dispatch.cluster import ClusterRunner, Submission, config_flags, load_config
from kaldinn.dispatch.queue_config import QueueConfig
from kaldinn.errors import DispatchError

_JOB_ID_RE = re.compile(r"^(\d+)")


class GridEngineScheduler:
    """qsub / qstat / qdel."""

    task_var = "SGE_TASK_ID"

    def __init__(self, config: QueueConfig) -> None:
        self.config = config

    def submit_command(self, flags: list[str], sub: Submission) -> list[str]:
        limit: list[str] = []
        if sub.max_running is not None:
            if self.config.describes("max_jobs_run"):
                limit = self.config.flags_for("max_jobs_run", str(sub.max_running))
            else:
                limit = ["-tc", str(sub.max_running)]
        # $TASK_ID in -o is Grid Engine's per-task placeholder (the wrapper writes the job's
        # own output to its log; this catches only the wrapper's failures).
        out = str(sub.qdir / f"{sub.name}.$TASK_ID.out")
        return [
            *self.config.command,
            *flags,
            "-terse",
            "-N",
            sub.name,
            "-t",
            f"1:{sub.tasks}",
            *limit,
            "-o",
            out,
            str(sub.script),
        ]

    def parse_job_id(self, stdout: str) -> str:
        """``-terse`` prints ``<id>.1-4:1`` for an array (after any warnings)."""
        for line in reversed(stdout.splitlines()):
            if match := _JOB_ID_RE.match(line.strip()):
                return match.group(1)
        raise DispatchError(f"qsub did not print a job id (got {stdout.strip()!r})")

    def is_alive(self, job_id: str) -> bool | None:
        try:
            done = subprocess.run(
                ["qstat", "-j", job_id], capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode == 0:
            return True
        return False if "do not exist" in done.stdout + done.stderr else None

    def cancel_command(self, job_id: str) -> list[str]:
        return ["qdel", job_id]


def make_queue_runner(args: DispatchArgs) -> ClusterRunner:
    """A Grid Engine runner for ``args``; every option must be described by the config."""
    config = load_config(args, "queue.conf")
    flags = config_flags(config, args)
    threads = args.int_option("num_threads", default=1) or 1
    default_gpu = config.defaults.get("gpu", "")
    gpu = args.int_option("gpu", minimum=0, default=int(default_gpu) if default_gpu.isdigit() else None)
    return ClusterRunner(GridEngineScheduler(config), flags, threads=threads, gpu=gpu)


def run_queue_main(argv: list[str] | None = None) -> int:
    """``utils/queue.py``: run the jobs as one Grid Engine array."""
    return dispatch_main(argv, "queue.py", make_queue_runner)
