"""Parse a job runner's command line: ``[opts] [JOB=a:b] <log> <command...>``.

This is Kaldi's ``run.pl``/``queue.pl``/``slurm.pl`` grammar. Options (``--name value``, or
GridEngine's ``-tc N``) and the job range may come in any order before the log file; the
first other argument is the log, everything after it is the command. The range variable
is any identifier (``JOB`` by convention); ``JOB=3`` runs job 3 only; the start must be
>= 1 and not above the end. Option names are stored with ``_`` for ``-`` (``num_threads``),
the spelling queue/slurm config files use.

Example::

    args = parse_dispatch_args(["--max-jobs-run", "4", "JOB=1:8", "exp/log/x.JOB.log", "echo", "JOB"])
    args.var, args.start, args.end, args.options   # "JOB", 1, 8, {"max_jobs_run": "4"}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kaldinn.errors import UsageError

RANGE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\d+)(?::(\d+))?$")
# Something that looks like a range but is not one (``JOB=0-3``, ``JOB=a:b``): an error
# rather than a log file named like that.
ALMOST_RANGE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*[:\-]\S*$")
PICK_CHOICES = ("failed", "incomplete")
# Options every runner interprets itself (never looked up in a queue/slurm config).
RUNNER_OPTIONS = ("config", "pick", "max_jobs_run")
# Options the local runner understands without a config file.
LOCAL_OPTIONS = ("config", "pick", "max_jobs_run", "num_threads", "mem", "gpu", "time")


@dataclass
class DispatchArgs:
    """A parsed runner command line; ``var`` is None when no range was given."""

    log: str
    command: list[str]
    options: dict[str, str] = field(default_factory=dict)
    var: str | None = None
    start: int = 1
    end: int = 1

    @property
    def job_ids(self) -> list[int]:
        return list(range(self.start, self.end + 1))

    def int_option(self, name: str, default: int | None = None, minimum: int = 1) -> int | None:
        """An integer option (``--num-threads 4``), checked against ``minimum``."""
        text = self.options.get(name)
        if text is None:
            return default
        flag = "--" + name.replace("_", "-")
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{flag} needs an integer, got {text!r}") from None
        if value < minimum:
            raise UsageError(f"{flag} must be >= {minimum}, got {value}")
        return value


def parse_dispatch_args(argv: Sequence[str]) -> DispatchArgs:
    """Split ``argv`` into options, job range, log file and command; raise UsageError."""
    argv = list(argv)
    options: dict[str, str] = {}
    job_range: tuple[str, int, int] | None = None
    pos = 0
    while pos < len(argv):
        token = argv[pos]
        if RANGE_RE.match(token) or ALMOST_RANGE_RE.match(token):
            if job_range is not None:
                raise UsageError(f"two job ranges given ({job_range[0]}=... and {token}); give one")
            job_range = parse_range(token)
            pos += 1
        elif token.startswith("-") and token != "-":
            name, value = _parse_option(argv, pos)
            options[name] = value
            pos += 2
        else:
            break
    if len(argv) - pos < 2:
        raise UsageError(
            "usage: [options] [JOB=1:N] <log-file> <command> [args...]; "
            "expected a log file and a command after the options"
        )
    args = DispatchArgs(log=argv[pos], command=argv[pos + 1 :], options=options)
    if job_range is not None:
        args.var, args.start, args.end = job_range
        if args.end > args.start and args.var not in args.log:
            raise UsageError(
                f"you are trying to run a parallel job but you are putting the output into "
                f"just one log file ({args.log}); put {args.var} in the log file name"
            )
    _check_runner_options(args)
    return args


def parse_range(token: str) -> tuple[str, int, int]:
    """``JOB=1:8`` -> ("JOB", 1, 8); ``JOB=3`` -> ("JOB", 3, 3)."""
    match = RANGE_RE.match(token)
    if not match:
        raise UsageError(f"invalid job range {token!r}; expected NAME=START:END or NAME=N, e.g. JOB=1:4")
    var, start, end = match.group(1), int(match.group(2)), match.group(3)
    stop = start if end is None else int(end)
    if start < 1:
        raise UsageError(f"invalid job range {token}: the start must be >= 1 (GridEngine numbers from 1)")
    if start > stop:
        raise UsageError(f"invalid job range {token}: the start is above the end")
    return var, start, stop


def _parse_option(argv: list[str], pos: int) -> tuple[str, str]:
    token = argv[pos]
    if token.startswith("--") and "=" in token:
        raise UsageError(f"options must be of the form --name value, got {token!r}")
    if pos + 1 >= len(argv):
        raise UsageError(f"option {token} needs a value")
    if token == "-tc":  # GridEngine's spelling of --max-jobs-run
        return "max_jobs_run", argv[pos + 1]
    if not token.startswith("--") or len(token) == 2:
        raise UsageError(f"unknown option {token!r}; options are --name value (or -tc N)")
    return token[2:].replace("-", "_"), argv[pos + 1]


def _check_runner_options(args: DispatchArgs) -> None:
    args.int_option("max_jobs_run")
    pick = args.options.get("pick")
    if pick is not None and pick not in PICK_CHOICES:
        raise UsageError(f"--pick must be one of {', '.join(PICK_CHOICES)}, got {pick!r}")


def check_local_options(args: DispatchArgs) -> None:
    """Without a config file the local runner accepts only the options it knows."""
    for name in args.options:
        if name not in LOCAL_OPTIONS:
            known = ", ".join("--" + n.replace("_", "-") for n in LOCAL_OPTIONS)
            raise UsageError(
                f"unknown option --{name.replace('_', '-')}; the local runner knows {known} "
                "(other options need a --config file that describes them)"
            )
    args.int_option("num_threads")
    args.int_option("gpu", minimum=0)
