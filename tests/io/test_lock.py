"""DirLock: one writer per directory; dies with its process; stale records; nested jobs."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kaldinn.errors import LockError
from kaldinn.io.lock import HELD_ENV, LOCK_NAME, DirLock

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from kaldinn.io.lock import DirLock
with DirLock(sys.argv[1], sys.argv[2], sys.argv[2:]):
    print("locked", flush=True)
    time.sleep(600)
"""


def start_holder(directory: Path, *command: str) -> subprocess.Popen:
    """Another process holding ``directory``'s lock as ``command`` (default: holder.py --slow)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop(HELD_ENV, None)
    argv = [sys.executable, "-c", HOLDER, str(directory), *(command or ("holder.py", "--slow"))]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_fails_at_once_naming_the_holder_and_kill_9_frees_the_dir(tmp_path):
    holder = start_holder(tmp_path / "exp")
    try:
        start = time.monotonic()
        with pytest.raises(LockError) as err, DirLock(tmp_path / "exp", "train.py"):
            pass
        assert time.monotonic() - start < 5
        message = str(err.value)
        assert f"pid {holder.pid}" in message and socket.gethostname() in message
        assert "holder.py --slow" in message and "since 20" in message
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with DirLock(tmp_path / "exp", "train.py"):  # kill -9 left no stale lock
        record = json.loads((tmp_path / "exp" / LOCK_NAME).read_text())
        assert record["pid"] == os.getpid()
    assert (tmp_path / "exp" / LOCK_NAME).read_text() == ""  # released: no holder recorded


def test_records_judge_holders_where_flock_says_nothing(tmp_path):
    """On file systems where flock is a no-op the record decides (simulated: no flock holder)."""
    lock_file = tmp_path / LOCK_NAME
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_file.write_text(json.dumps({"host": socket.gethostname(), "pid": dead.pid, "start": "1"}))
    with DirLock(tmp_path, "x.py"):  # that process is gone: stale, taken over
        pass
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock_file.write_text(json.dumps({"host": socket.gethostname(), "pid": sleeper.pid, "since": "t"}))
        with pytest.raises(LockError, match=f"pid {sleeper.pid}"), DirLock(tmp_path, "x.py"):
            pass
    finally:
        sleeper.kill()
        sleeper.wait()
    lock_file.write_text(json.dumps({"host": "other-node", "pid": 1, "command": "train.py a b c"}))
    with (
        pytest.raises(LockError, match=f"other-node pid 1 .*delete {lock_file}") as err,
        DirLock(tmp_path, "x.py"),
    ):
        pass
    assert "train.py a b c" in str(err.value)
    lock_file.unlink()  # the advice of the message: then the directory is free
    with DirLock(tmp_path, "x.py"):
        pass


def test_jobs_of_the_holder_may_write_its_directory(tmp_path):
    """A job the locking step launches ($cmd JOB=1:N, DDP ranks) inherits the lock."""
    child = (
        "import sys; from kaldinn.io.lock import DirLock\nwith DirLock(sys.argv[1], 'job.py'): print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with DirLock(tmp_path, "step.py"):
        assert HELD_ENV in os.environ
        out = subprocess.run([sys.executable, "-c", child, str(tmp_path)], env={**env, **os.environ},
                             capture_output=True, text=True)  # fmt: skip
        assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
        record = json.loads((tmp_path / LOCK_NAME).read_text())
        assert record["pid"] == os.getpid()  # the nested job did not rewrite the record
        env.pop(HELD_ENV, None)
        out = subprocess.run(
            [sys.executable, "-c", child, str(tmp_path)], env=env, capture_output=True, text=True
        )
        assert out.returncode != 0 and "is in use by another job" in out.stderr  # an unrelated process
    assert HELD_ENV not in os.environ
