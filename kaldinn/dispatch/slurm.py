"""The Slurm back end of ``utils/slurm.py`` (Kaldi's slurm.pl): one ``sbatch --array`` per call.

Options map to sbatch flags through a config file in Kaldi's grammar (``--config``, else
``conf/slurm.conf`` in the current directory, else the repository's ``conf/slurm.conf``).
``--max-jobs-run M`` becomes the array's ``%M`` limit. The array is submitted with
``--parsable`` and watched by polling the wrapper's status files (see ``cluster``);
``squeue`` only tells whether the array still exists; Ctrl-C runs ``scancel``.

Example::

    utils/slurm.py --mem 2G --gpu 1 JOB=1:4 exp/x/log/train.JOB.log python -m kaldinn.bin.train ...
    # sbatch --export=ALL ... --gres=gpu:1 --job-name=train.JOB --array=1-4 --parsable q/train.JOB.sh
"""

from __future__ import annotations

import subprocess

from kaldinn.dispatch.args import DispatchArgs
from kaldinn.dispatch.cli import dispatch_main
from kaldinn.dispatch.cluster import ClusterRunner, Submission, config_flags, load_config
from kaldinn.errors import DispatchError


class SlurmScheduler:
    """sbatch / squeue / scancel."""

    task_var = "SLURM_ARRAY_TASK_ID"

    def __init__(self, submit: list[str]) -> None:
        self.submit = submit  # the config's ``command`` line (``sbatch ...``)

    def submit_command(self, flags: list[str], sub: Submission) -> list[str]:
        limit = "" if sub.max_running is None else f"%{sub.max_running}"
        # In --output, % starts a Slurm pattern: double a literal one.
        out = str(sub.qdir / f"{sub.name}.").replace("%", "%%") + "%a.out"
        return [
            *self.submit,
            *flags,
            f"--job-name={sub.name}",
            f"--array=1-{sub.tasks}{limit}",
            f"--output={out}",
            "--parsable",
            str(sub.script),
        ]

    def parse_job_id(self, stdout: str) -> str:
        """``--parsable`` prints ``<id>`` or ``<id>;<cluster>``."""
        job_id = stdout.strip().split(";")[0]
        if not job_id.isdigit():
            raise DispatchError(f"sbatch did not print a job id (got {stdout.strip()!r})")
        return job_id

    def is_alive(self, job_id: str) -> bool | None:
        try:
            done = subprocess.run(
                ["squeue", "-h", "-j", job_id, "-o", "%T"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode == 0:
            return bool(done.stdout.strip())
        return False if "Invalid job id" in done.stderr else None

    def cancel_command(self, job_id: str) -> list[str]:
        return ["scancel", job_id]


def make_slurm_runner(args: DispatchArgs) -> ClusterRunner:
    """A Slurm runner for ``args``; every option must be described by the config."""
    config = load_config(args, "slurm.conf")
    flags = config_flags(config, args)
    threads = args.int_option("num_threads", default=1) or 1
    gpu = args.int_option("gpu", minimum=0, default=_default_int(config.defaults.get("gpu")))
    return ClusterRunner(SlurmScheduler(config.command), flags, threads=threads, gpu=gpu)


def _default_int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def run_slurm_main(argv: list[str] | None = None) -> int:
    """``utils/slurm.py``: run the jobs as one Slurm array."""
    return dispatch_main(argv, "slurm.py", make_slurm_runner)
