"""What the Slurm and Grid Engine runners share: job wrapper, one array submission, polling.

A cluster run writes one bash wrapper to ``<log dir>/q/<name>.sh`` and submits it once as
an array of N tasks. Task i looks up its job id, log and command in the wrapper, writes the
Kaldi log markers around the command (run in the caller's working directory with PATH,
VIRTUAL_ENV, PYTHONPATH ... as they were at submission), then writes its exit code to
``q/<name>.status/<job id>`` (temp file + rename). The runner polls that directory every
``poll_s`` seconds (never ``sbatch --wait``, whose back-off reaches 32 s) and asks the
scheduler every ``check_s`` seconds whether the array still exists, so a task killed before
it could report (time or memory limit, node failure) is reported as failed rather than
waited for forever. SIGINT/SIGTERM cancel the array (``scancel`` / ``qdel``).

Example::

    runner = ClusterRunner(SlurmScheduler(["sbatch"]), flags=["--mem-per-cpu=2G"], threads=1, gpu=0)
    result = runner.run(jobs, args)    # RunResult(codes={1: 0, 2: 7})
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kaldinn.dispatch.args import RUNNER_OPTIONS, DispatchArgs
from kaldinn.dispatch.jobs import Job, RunResult
from kaldinn.dispatch.local import signals_to
from kaldinn.dispatch.queue_config import QueueConfig, parse_queue_config
from kaldinn.errors import ConfigError, DispatchError
from kaldinn.io.atomic import write_text_atomic

# Variables a job needs to find the same programs and Python environment as its caller.
CARRIED_ENV = (
    "PATH",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PYTHONPATH",
    "LD_LIBRARY_PATH",
    "LC_ALL",
    "PYTHONUNBUFFERED",
)
_UNSAFE_NAME_RE = re.compile(r"[^A-Za-z0-9_.-]+")
REPO_CONF = Path(__file__).resolve().parents[2] / "conf"


@dataclass(frozen=True)
class Submission:
    """One array submission: ``tasks`` tasks of ``script``, scheduler output under ``qdir``."""

    name: str
    tasks: int
    max_running: int | None
    script: Path
    qdir: Path


class Scheduler(Protocol):
    """What differs between Slurm and Grid Engine."""

    task_var: str  # the environment variable holding the array task index

    def submit_command(self, flags: list[str], sub: Submission) -> list[str]: ...
    def parse_job_id(self, stdout: str) -> str: ...
    def is_alive(self, job_id: str) -> bool | None: ...  # None: could not tell
    def cancel_command(self, job_id: str) -> list[str]: ...


def load_config(args: DispatchArgs, default_name: str) -> QueueConfig:
    """``--config FILE``, else ``conf/<default_name>`` here, else the copy shipped in the repo."""
    path = args.options.get("config")
    if path is None:
        local = Path("conf") / default_name
        path = local if local.is_file() else REPO_CONF / default_name
        if not Path(path).is_file():
            raise ConfigError(f"no conf/{default_name} here or in {REPO_CONF}; pass --config FILE")
    return parse_queue_config(path)


def config_flags(config: QueueConfig, args: DispatchArgs) -> list[str]:
    """Submit flags for every option the runner does not interpret itself."""
    args.int_option("num_threads")
    args.int_option("gpu", minimum=0)
    return config.resolve({k: v for k, v in args.options.items() if k not in RUNNER_OPTIONS})


def safe_job_name(log: str) -> str:
    """A scheduler job name from the log pattern (no ``= $ (`` that break qsub)."""
    base = os.path.basename(log)
    base = base[:-4] if base.endswith(".log") else base
    name = _UNSAFE_NAME_RE.sub("_", base).strip("._-") or "job"
    return ("j" + name if not name[0].isalpha() else name)[:60]


# What every task does once the header above has set job, log, cmd, cwd, status_dir and
# threads: Kaldi's log markers around the command, then its code in the status file.
_WRAPPER_BODY = r"""printf '# %s\n' "${cmd//$'\n'/ }" >"$log" || exit 1
echo "# Started at $(LC_ALL=C date)" >>"$log"
trap 'echo "# kaldinn: SIGTERM received (job cancelled or over its time limit)" >>"$log"' TERM
if cd "$cwd"; then
  bash -c "$cmd" </dev/null >>"$log" 2>&1
  code=$?
else
  echo "kaldinn wrapper: cannot cd to $cwd on $(hostname)" >>"$log"
  code=1
fi
elapsed=$SECONDS
[ -n "$(tail -c1 "$log")" ] && echo >>"$log"
echo "# Accounting: time=$elapsed threads=$threads" >>"$log"
echo "# Ended (code $code) at $(LC_ALL=C date), elapsed time $elapsed seconds" >>"$log"
echo "$code" >"$status_dir/$job.tmp$$" && mv -f "$status_dir/$job.tmp$$" "$status_dir/$job"
exit "$code"
"""


def wrapper_script(
    jobs: list[Job], task_var: str, status_dir: Path, env: Mapping[str, str], threads: int, gpu: int | None
) -> str:
    """The bash wrapper every array task runs (task i runs ``jobs[i-1]``)."""
    lines = [
        "#!/bin/bash",
        f"# Written by kaldinn for {len(jobs)} jobs; array task i runs the i-th below.",
        f"case ${{{task_var}:-}} in",
    ]
    for task, job in enumerate(jobs, start=1):
        log = shlex.quote(os.path.abspath(job.log))
        lines.append(f"  {task}) job={job.job_id} log={log} cmd={shlex.quote(job.command)} ;;")
    lines += [f"  *) echo \"kaldinn wrapper: no array task '${{{task_var}:-}}' here\" >&2; exit 1 ;;", "esac"]
    lines += [f"export {name}={shlex.quote(env[name])}" for name in CARRIED_ENV if name in env]
    if gpu == 0:
        lines.append("export CUDA_VISIBLE_DEVICES=  # --gpu 0: CPU only")
    if threads > 1:
        lines.append(f"export OMP_NUM_THREADS={threads} MKL_NUM_THREADS={threads}")
    lines.append(
        f"cwd={shlex.quote(os.getcwd())} status_dir={shlex.quote(str(status_dir))} threads={threads}"
    )
    return "\n".join(lines) + "\n" + _WRAPPER_BODY


def read_statuses(status_dir: Path, wanted: set[int]) -> dict[int, int]:
    """Exit codes the wrapper has reported so far for the job ids in ``wanted``."""
    codes = {}
    for entry in os.listdir(status_dir):
        if entry.isdigit() and int(entry) in wanted:
            text = (status_dir / entry).read_text().strip()
            codes[int(entry)] = int(text) if text.lstrip("-").isdigit() else 1
    return codes


class ClusterRunner:
    """Submits the jobs as one array through ``scheduler`` and waits for their status files."""

    def __init__(
        self,
        scheduler: Scheduler,
        flags: list[str],
        threads: int = 1,
        gpu: int | None = None,
        poll_s: float = 0.5,
        check_s: float = 5.0,
        grace_s: float = 5.0,
    ) -> None:
        self.scheduler, self.flags, self.threads, self.gpu = scheduler, flags, threads, gpu
        self.poll_s, self.check_s, self.grace_s = poll_s, check_s, grace_s
        self._signal: int | None = None

    def run(self, jobs: list[Job], args: DispatchArgs) -> RunResult:
        sub, status_dir = self._prepare(jobs, args)
        result = RunResult()
        with signals_to(self._interrupt):  # also during submission: a job then gets cancelled
            job_id = self._submit(sub)
            result.codes = self._wait(job_id, jobs, status_dir, result)
        if self._signal is not None:
            self._cancel(job_id, result)
            result.codes.update(self._collect(jobs, status_dir, deadline=time.monotonic() + self.grace_s))
            result.signal = self._signal
        return result

    def _prepare(self, jobs: list[Job], args: DispatchArgs) -> tuple[Submission, Path]:
        qdir = Path(os.path.abspath(jobs[0].log.parent / "q"))
        name = safe_job_name(args.log)
        status_dir = qdir / f"{name}.status"
        try:
            status_dir.mkdir(parents=True, exist_ok=True)
            for job in jobs:  # stale logs and statuses from an earlier run must not count
                (status_dir / str(job.job_id)).unlink(missing_ok=True)
                job.log.unlink(missing_ok=True)
            script = qdir / f"{name}.sh"
            text = wrapper_script(
                jobs, self.scheduler.task_var, status_dir, os.environ, self.threads, self.gpu
            )
            write_text_atomic(script, text)
        except OSError as err:
            raise DispatchError(f"cannot write the job wrapper under {qdir}: {err}") from None
        max_running = args.int_option("max_jobs_run")
        return Submission(name, len(jobs), max_running, script, qdir), status_dir

    def _submit(self, sub: Submission) -> str:
        command = self.scheduler.submit_command(self.flags, sub)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise DispatchError(f"cannot run {shlex.join(command)}: {err}") from None
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().replace("\n", " | ")
            raise DispatchError(
                f"submission failed (exit {done.returncode}): {shlex.join(command)}: {why}; "
                "check the options and the config file (--config)"
            )
        return self.scheduler.parse_job_id(done.stdout)

    def _wait(self, job_id: str, jobs: list[Job], status_dir: Path, result: RunResult) -> dict[int, int]:
        wanted = {job.job_id for job in jobs}
        codes: dict[int, int] = {}
        next_check = time.monotonic() + self.check_s
        gone_since: float | None = None
        while self._signal is None:
            codes.update(read_statuses(status_dir, wanted - set(codes)))
            now = time.monotonic()
            if len(codes) == len(wanted):
                break
            if now >= next_check:
                next_check = now + self.check_s
                if self.scheduler.is_alive(job_id) is False:
                    gone_since = gone_since or now
            if gone_since is not None and now - gone_since >= self.grace_s:
                self._lost(job_id, [job for job in jobs if job.job_id not in codes], codes, result)
                break
            time.sleep(self.poll_s)
        return codes

    def _lost(self, job_id: str, jobs: list[Job], codes: dict[int, int], result: RunResult) -> None:
        """Jobs whose task left the queue without writing a status: failed (code 1)."""
        for job in jobs:
            codes[job.job_id] = 1
            note = (
                f"# kaldinn: array job {job_id} ended without this job reporting its exit code "
                "(killed for its time or memory limit, node failure, or cancelled)\n"
            )
            with contextlib.suppress(OSError), open(job.log, "a", encoding="utf-8") as f:
                f.write(note)
        ids = ", ".join(str(job.job_id) for job in jobs)
        result.errors.append(f"array job {job_id} left the queue but jobs {ids} never reported an exit code")

    def _cancel(self, job_id: str, result: RunResult) -> None:
        command = self.scheduler.cancel_command(job_id)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            result.errors.append(
                f"could not cancel job {job_id} ({shlex.join(command)}: {err}); cancel it yourself"
            )
            return
        if done.returncode != 0:
            result.errors.append(
                f"{shlex.join(command)} failed: {done.stderr.strip()}; cancel job {job_id} yourself"
            )

    def _collect(self, jobs: list[Job], status_dir: Path, deadline: float) -> dict[int, int]:
        """After a cancel: wait briefly for running tasks to write their Ended lines."""
        started = {job.job_id for job in jobs if job.log.exists()}
        codes = read_statuses(status_dir, started)
        while len(codes) < len(started) and time.monotonic() < deadline:
            time.sleep(0.2)
            codes = read_statuses(status_dir, started)
        return codes

    def _interrupt(self, signum: int, _frame: object) -> None:
        self._signal = signum
