"""Kaldi job log markers: what a runner writes around each job's output, and reads back.

A job log looks exactly like one from Kaldi's run.pl, so tools that grep Kaldi logs work::

    # copy-feats scp:data/x/feats.scp ark:- | gzip -c > x.1.gz
    # Started at Mon Nov 23 12:50:09 UTC 2026
    ...the job's stdout and stderr...
    # Accounting: time=3 threads=1
    # Ended (code 0) at Mon Nov 23 12:50:12 UTC 2026, elapsed time 3 seconds

``ended_code`` reads the code back (for ``--pick``) and ``tail`` shows a failing log.

Example::

    with open(log, "w") as f:
        write_header(f, "echo hi")
    write_footer(log, code=0, elapsed=0.2, threads=1)
    assert ended_code(log) == 0
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import TextIO

_ENDED_RE = re.compile(r"^# Ended \(code (-?\d+)\) at ")


def kaldi_date() -> str:
    """The current time as ``date`` prints it in the C locale (Kaldi logs use it)."""
    return time.strftime("%a %b %e %H:%M:%S %Z %Y")


def write_header(f: TextIO, command: str) -> None:
    """Write the ``# <command>`` and ``# Started at`` lines and flush them."""
    # A command spanning lines would break the one-line marker; Kaldi logs show it joined.
    f.write("# " + command.replace("\n", " ") + "\n")
    f.write(f"# Started at {kaldi_date()}\n")
    f.flush()


def write_footer(log: str | Path, code: int, elapsed: float, threads: int) -> None:
    """Append the ``# Accounting`` and ``# Ended (code N)`` lines (whole seconds, as Kaldi)."""
    seconds = int(round(elapsed))
    with open(log, "a", encoding="utf-8") as f:
        if f.tell() > 0 and not _ends_with_newline(log):
            f.write("\n")  # job output without a final newline must not swallow the marker
        f.write(f"# Accounting: time={seconds} threads={threads}\n")
        f.write(f"# Ended (code {code}) at {kaldi_date()}, elapsed time {seconds} seconds\n")


def _ends_with_newline(log: str | Path) -> bool:
    with open(log, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _last_lines(log: str | Path, n: int, max_bytes: int = 65536) -> list[str]:
    with open(log, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - max_bytes))
        data = f.read()
    lines = data.decode("utf-8", "replace").splitlines()
    if size > max_bytes:
        lines = lines[1:]  # the first line read is probably cut
    return lines[-n:]


def ended_code(log: str | Path) -> int | None:
    """The exit code in the log's last ``# Ended`` line; None if missing or unfinished."""
    try:
        lines = _last_lines(log, 5)
    except FileNotFoundError:
        return None
    for line in reversed(lines):
        match = _ENDED_RE.match(line)
        if match:
            return int(match.group(1))
    return None


def needs_rerun(log: str | Path, pick: str) -> bool:
    """Whether ``--pick failed|incomplete`` selects the job with this log.

    ``failed``: the log ended with a non-zero code. ``incomplete``: that, or the log is
    missing, or it has no ``# Ended`` line (the job was killed or is still running).
    """
    code = ended_code(log)
    if pick == "failed":
        return code is not None and code != 0
    return code != 0


def tail(log: str | Path, n: int = 20) -> list[str]:
    """The last ``n`` lines of a log (empty if it cannot be read)."""
    try:
        return _last_lines(log, n)
    except OSError:
        return []
