"""The front end shared by ``utils/run.py`` (and the cluster runners built on it).

``dispatch_main`` parses ``[opts] [JOB=a:b] <log> <command...>``, expands the jobs, applies
``--pick``, creates log directories, hands the jobs to a back end (:class:`Runner`) and
reports like Kaldi: ``run.py: 2 / 3 failed, log is in exp/x/log/foo.*.log`` (or
``run.py: job failed, log is in <log>`` for one job) followed by the last lines of the first
failing log, exit 1. An interrupted run exits 128 + the signal number.

Example::

    utils/run.py --max-jobs-run 4 JOB=1:8 exp/x/log/echo.JOB.log echo hello JOB
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from kaldinn.dispatch.args import RUNNER_OPTIONS, DispatchArgs, check_local_options, parse_dispatch_args
from kaldinn.dispatch.jobs import Job, Runner, RunResult, expand_jobs, log_pattern, make_log_dirs, pick_jobs
from kaldinn.dispatch.local import LocalRunner
from kaldinn.dispatch.logfile import tail
from kaldinn.dispatch.queue_config import parse_queue_config
from kaldinn.errors import DispatchError

TAIL_LINES = 20
USAGE = """usage: {prog} [options] [JOB=1:N] <log-file> <command> [args...]
  JOB=1:N                 run jobs 1..N; every JOB in the log path and command becomes the job id
  --max-jobs-run N, -tc N at most N jobs at once
  --num-threads N         threads per job (accounting; the local runner exports OMP_NUM_THREADS)
  --mem 4G, --time T      memory / time per job (enforced by cluster runners)
  --gpu N                 N GPUs per job (0: CPU only)
  --config FILE           queue/slurm config describing the options
  --pick failed|incomplete  rerun only jobs whose log ended non-zero (incomplete: or never ended)
Escape pipes and redirections meant for the job: {prog} JOB=1:4 log/x.JOB.log echo JOB \\| wc -c"""


def dispatch_main(argv: list[str] | None, prog: str, make_runner: Callable[[DispatchArgs], Runner]) -> int:
    """Run a runner command line with the back end ``make_runner(args)``; return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["--help"], ["-h"]):
        print(USAGE.format(prog=prog))
        return 0
    args = parse_dispatch_args(argv)
    runner = make_runner(args)
    all_jobs = expand_jobs(args)
    jobs = pick_jobs(all_jobs, args.options.get("pick"))
    if not jobs:
        print(
            f"{prog}: --pick {args.options['pick']}: none of the {len(all_jobs)} jobs needs rerunning",
            file=sys.stderr,
        )
        return 0
    try:
        make_log_dirs(jobs)
    except OSError as err:
        raise DispatchError(f"cannot create the log directory for {args.log}: {err}") from None
    result = runner.run(jobs, args)
    return _report(prog, args, jobs, result)


def _report(prog: str, args: DispatchArgs, jobs: list[Job], result: RunResult) -> int:
    for message in result.errors:
        print(f"{prog}: {message}", file=sys.stderr)
    if result.signal is not None:
        print(f"{prog}: interrupted by signal {result.signal}; running jobs were stopped", file=sys.stderr)
        return 128 + result.signal
    failed = [job for job in jobs if result.codes.get(job.job_id, 1) != 0]
    if not failed:
        return 0
    if args.var is None or args.start == args.end:
        print(f"{prog}: job failed, log is in {failed[0].log}", file=sys.stderr)
    else:
        print(f"{prog}: {len(failed)} / {len(jobs)} failed, log is in {log_pattern(args)}", file=sys.stderr)
    lines = tail(failed[0].log, TAIL_LINES)
    if lines:
        print(f"{prog}: last {len(lines)} lines of {failed[0].log}:", file=sys.stderr)
        for line in lines:
            print(f"  {line}", file=sys.stderr)
    return 1


def make_local_runner(args: DispatchArgs) -> LocalRunner:
    """The local back end; with ``--config`` every option must be described by that file."""
    config_path = args.options.get("config")
    if config_path is None:
        check_local_options(args)
    else:
        config = parse_queue_config(config_path)
        config.resolve({k: v for k, v in args.options.items() if k not in RUNNER_OPTIONS})
        args.int_option("num_threads")
        args.int_option("gpu", minimum=0)
    return LocalRunner()


def run_local_main(argv: list[str] | None = None) -> int:
    """``utils/run.py``: run the jobs on this machine (Kaldi's run.pl)."""
    return dispatch_main(argv, "run.py", make_local_runner)
