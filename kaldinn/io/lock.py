"""One writer per directory: a lock held by the step that writes it, for as long as it runs.

``<dir>/.kaldinn.lock`` is locked with ``fcntl.flock``, which the kernel releases when the
process dies (a kill -9 leaves no stale lock). The file also records the holder (host, pid,
process start, time, command) for the message a second run prints, and for file systems
where flock is a no-op (some NFS setups): a recorded holder on this host whose process is
gone (or whose pid now belongs to a younger process) is stale and taken over; one on another
host is honoured until its file is removed. Jobs a step launches (``$cmd JOB=1:N``, DDP
ranks) inherit ``KALDINN_HELD_LOCKS`` and may write the directory their parent holds.

Example::

    with DirLock(Path("exp/lid_hgru"), "train.py"):
        ...  # a second train.py on exp/lid_hgru exits 1 at once, naming this process
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import socket
import sys
from pathlib import Path

from kaldinn.errors import LockError, WriteError

LOCK_NAME = ".kaldinn.lock"
HELD_ENV = "KALDINN_HELD_LOCKS"  # "<lock path>=<host>:<pid>" lines, one per lock an ancestor holds


def process_start(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def process_alive(pid: int, start: str | None) -> bool:
    """True while ``pid`` runs on this host and (when known) started at ``start``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return start is None or process_start(pid) in (None, start)


def describe(holder: dict) -> str:
    return (
        f"{holder.get('host')} pid {holder.get('pid')} since {holder.get('since')} "
        f"({holder.get('command', '?')})"
    )


class DirLock:
    """Hold ``<directory>/.kaldinn.lock`` (see the module docstring); a context manager."""

    def __init__(self, directory: str | os.PathLike, prog: str, command: list[str] | None = None):
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self.prog = prog
        self.command = " ".join(command if command is not None else sys.argv)
        self._fd: int | None = None
        self._env_entry: str | None = None

    def __enter__(self) -> DirLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise LockError naming the holder; a no-op under a parent that holds it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise WriteError(self.path, err) from err
        holder = self._read(fd)
        if holder and self._held_by_ancestor(holder):
            os.close(fd)
            return
        if not self._flock(fd) or (holder and self._live_elsewhere(holder)):
            os.close(fd)
            raise LockError(
                f"{self.directory} is in use by another job: {describe(self._read_path() or holder or {})}; "
                f"wait for it to finish or kill it (if no such job runs, delete {self.path})"
            )
        self._fd = fd
        try:
            self._write_holder(fd)
        except WriteError:
            self.release()
            raise
        self._env_entry = f"{os.path.realpath(self.path)}={socket.gethostname()}:{os.getpid()}"
        held = [e for e in os.environ.get(HELD_ENV, "").split("\n") if e]
        os.environ[HELD_ENV] = "\n".join([*held, self._env_entry])

    def release(self) -> None:
        """Clear the holder record and drop the lock (also done by the kernel at exit)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)
        self._fd = None
        held = [e for e in os.environ.get(HELD_ENV, "").split("\n") if e and e != self._env_entry]
        if held:
            os.environ[HELD_ENV] = "\n".join(held)
        else:
            os.environ.pop(HELD_ENV, None)

    def _flock(self, fd: int) -> bool:
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as err:  # ENOLCK/EOPNOTSUPP: no flock here, the holder record decides
            if err.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
        return True

    def _live_elsewhere(self, holder: dict) -> bool:
        """A holder record not cleared by its process: is that process still running?"""
        if holder.get("host") != socket.gethostname():
            return True  # cannot be checked from here
        pid = holder.get("pid")
        return isinstance(pid, int) and pid != os.getpid() and process_alive(pid, holder.get("start"))

    def _held_by_ancestor(self, holder: dict) -> bool:
        entry = f"{os.path.realpath(self.path)}={holder.get('host')}:{holder.get('pid')}"
        return entry in os.environ.get(HELD_ENV, "").split("\n")

    def _write_holder(self, fd: int) -> None:
        record = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "start": process_start(os.getpid()),
            "since": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": f"{self.prog}: {self.command}",
        }
        data = (json.dumps(record) + "\n").encode("utf-8")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        except OSError as err:
            raise WriteError(self.path, err) from err

    @staticmethod
    def _read(fd: int) -> dict | None:
        try:
            text = os.pread(fd, 65536, 0).decode("utf-8", "replace").strip()
            record = json.loads(text) if text else None
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def _read_path(self) -> dict | None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            return self._read(fd)
        finally:
            os.close(fd)
