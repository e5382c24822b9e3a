"""The contract between the runner front end and its back ends (local, Slurm, Grid Engine).

The front end (``kaldinn.dispatch.cli``) parses the command line, expands it into one
:class:`Job` per job id (the range variable substituted everywhere, the command re-quoted
for bash), applies ``--pick`` and creates the log directories. A back end implements
:class:`Runner`: run every job under bash, write the Kaldi log markers, return each
job's exit code, and on SIGINT/SIGTERM stop its jobs and report the signal.

Example::

    jobs = expand_jobs(parse_dispatch_args(["JOB=1:2", "log/x.JOB.log", "echo", "JOB"]))
    [(j.job_id, str(j.log), j.command) for j in jobs]
    # [(1, "log/x.1.log", "echo 1"), (2, "log/x.2.log", "echo 2")]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kaldinn.dispatch.args import DispatchArgs
from kaldinn.dispatch.logfile import needs_rerun
from kaldinn.dispatch.quoting import quote_command


@dataclass(frozen=True)
class Job:
    """One job: its id, its log file and the bash command line it runs."""

    job_id: int
    log: Path
    command: str


@dataclass
class RunResult:
    """Exit codes by job id; ``signal`` is set when the runner was interrupted; ``errors``
    holds messages for jobs the runner could not even start (they count as failed)."""

    codes: dict[int, int] = field(default_factory=dict)
    signal: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[int]:
        return [job_id for job_id, code in sorted(self.codes.items()) if code != 0]


class Runner(Protocol):
    """A job back end. ``run`` blocks until every job has finished or been stopped."""

    def run(self, jobs: list[Job], args: DispatchArgs) -> RunResult: ...


def substitute(text: str, var: str | None, job_id: int) -> str:
    """Replace every occurrence of the range variable (Kaldi does a plain global replace)."""
    return text if var is None else text.replace(var, str(job_id))


def expand_jobs(args: DispatchArgs) -> list[Job]:
    """One Job per id in the range (a single job when no range was given)."""
    jobs = []
    for job_id in args.job_ids:
        argv = [substitute(arg, args.var, job_id) for arg in args.command]
        log = Path(substitute(args.log, args.var, job_id))
        jobs.append(Job(job_id=job_id, log=log, command=quote_command(argv)))
    return jobs


def pick_jobs(jobs: list[Job], pick: str | None) -> list[Job]:
    """Jobs to run under ``--pick failed|incomplete`` (all of them without it)."""
    if pick is None:
        return list(jobs)
    return [job for job in jobs if needs_rerun(job.log, pick)]


def log_pattern(args: DispatchArgs) -> str:
    """The log path with the variable as ``*`` (``exp/x/log/foo.*.log``) for messages."""
    return args.log if args.var is None else args.log.replace(args.var, "*")


def make_log_dirs(jobs: list[Job]) -> None:
    """Create each job's log directory (job ids may appear in directory names too)."""
    for parent in sorted({job.log.parent for job in jobs}):
        parent.mkdir(parents=True, exist_ok=True)
