"""Kaldi rxfilenames and wxfilenames: files, ``-``, pipes, ``path:offset[ranges]``.

Input pipes (``cmd |``) and output pipes (``| cmd``) run ``bash -o pipefail -c <cmd>``
with the user's own shell text. When a pipe's command exits non-zero, or a file is
missing, a :class:`TableError` names it and the exit status; nothing is silently empty.

Example::

    src = open_input("gunzip -c feats.ark.gz |")
    data = src.stream.read()
    src.close()            # raises TableError if gunzip failed
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass

from kaldinn.errors import TableError, WriteError
from kaldinn.io.atomic import WRITE_ERRNOS

_RANGE = re.compile(r"^(?P<base>.*)\[(?P<rows>\d+:\d+)(?:,(?P<cols>\d+:\d+))?\]$")
_OFFSET = re.compile(r"^(?P<path>.*):(?P<offset>\d+)$")


@dataclass(frozen=True)
class Rxfilename:
    """A classified rxfilename. ``kind`` is "file", "offset", "pipe" or "stdin"."""

    kind: str
    path: str  # the file, or the command for a pipe
    offset: int = 0
    rows: tuple[int, int] | None = None  # inclusive ranges from "[r1:r2,c1:c2]"
    cols: tuple[int, int] | None = None


def parse_rxfilename(text: str) -> Rxfilename:
    """Classify an rxfilename, splitting off a trailing ``[r1:r2(,c1:c2)]`` range."""
    rows = cols = None
    match = _RANGE.match(text)
    if match:
        text = match["base"]
        rows = _parse_range(match["rows"], match.string)
        cols = _parse_range(match["cols"], match.string) if match["cols"] else None
    stripped = text.rstrip()
    if stripped.endswith("|"):
        return Rxfilename("pipe", stripped[:-1].strip(), rows=rows, cols=cols)
    if text == "-":
        return Rxfilename("stdin", "-", rows=rows, cols=cols)
    match = _OFFSET.match(text)
    if match:
        return Rxfilename("offset", match["path"], int(match["offset"]), rows, cols)
    if not text:
        raise TableError("empty rxfilename")
    return Rxfilename("file", text, rows=rows, cols=cols)


def _parse_range(text: str, whole: str) -> tuple[int, int]:
    first, last = (int(x) for x in text.split(":"))
    if last < first:
        raise TableError(f"bad range in {whole!r}: {first}:{last} is empty (need start <= end)")
    return first, last


class Source:
    """An opened rxfilename: ``stream`` is a buffered binary reader; ``close()`` checks pipes."""

    def __init__(self, rx: Rxfilename, stream, proc: subprocess.Popen | None = None):
        self.rx = rx
        self.stream = stream
        self._proc = proc

    def close(self, check: bool = True) -> None:
        """Close; for a pipe wait for the command and raise if it failed (unless ``check=False``)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if not check:
                proc.kill()
            self.stream.close()
            status = proc.wait()
            if check and status != 0:
                raise TableError(f"input pipe command {self.rx.path!r} exited with status {status}")
        elif self.rx.kind != "stdin" and self.stream is not None:
            self.stream.close()


def open_input(rxfilename: str | os.PathLike | Rxfilename) -> Source:
    """Open an rxfilename for reading (seeking to its offset when it has one)."""
    rx = rxfilename if isinstance(rxfilename, Rxfilename) else parse_rxfilename(os.fspath(rxfilename))
    if rx.kind == "pipe":
        proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", rx.path], stdout=subprocess.PIPE)
        return Source(rx, proc.stdout, proc)
    if rx.kind == "stdin":
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        return Source(rx, stream if hasattr(stream, "peek") else io.BufferedReader(stream))
    try:
        stream = open(rx.path, "rb")
    except FileNotFoundError:
        raise TableError(f"{rx.path}: no such file") from None
    except OSError as err:
        raise TableError(f"{rx.path}: cannot open for reading: {err.strerror}") from None
    if rx.offset:
        stream.seek(rx.offset)
    return Source(rx, stream)


class Sink:
    """An opened wxfilename: ``stream`` is a binary writer; ``close()`` checks pipes."""

    def __init__(self, name: str, stream, proc: subprocess.Popen | None = None, owned: bool = True):
        self.name = name
        self.stream = stream
        self._proc = proc
        self._owned = owned

    def write(self, data: bytes) -> None:
        """Write bytes; an output pipe whose command went away raises with the command's status,
        a refused write (full disk, ...) raises WriteError naming the file."""
        try:
            self.stream.write(data)
        except BrokenPipeError:
            self._fail_broken_pipe()
        except OSError as err:
            self._fail_write(err)

    def flush(self) -> None:
        """Flush buffered bytes (same error handling as :meth:`write`)."""
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._fail_broken_pipe()
        except OSError as err:
            self._fail_write(err)

    def _fail_write(self, err: OSError) -> None:
        if err.errno in WRITE_ERRNOS:
            raise WriteError(self.name, err) from err
        raise err

    def _fail_broken_pipe(self) -> None:
        stream, self.stream = self.stream, None
        try:
            stream.close()
        except OSError:
            pass
        status = self._proc.wait() if self._proc is not None else None
        raise TableError(
            f"output pipe command {self.name!r} stopped reading (exit status {status})"
            if status is not None
            else f"{self.name}: broken pipe (the reader went away)"
        )

    def close(self) -> None:
        """Flush and close; for a pipe wait for the command and raise if it failed."""
        if self.stream is None:
            return
        self.flush()
        stream, self.stream = self.stream, None
        if self._owned:
            try:
                stream.close()
            except BrokenPipeError:
                pass
        if self._proc is not None:
            status = self._proc.wait()
            if status != 0:
                raise TableError(f"output pipe command {self.name!r} exited with status {status}")

    @property
    def is_file(self) -> bool:
        """True when this sink writes a file of its own (not stdout, not a pipe)."""
        return self._proc is None and self._owned

    def abort(self) -> None:
        """Close without committing: stop a pipe's command; keep whatever a file received."""
        if self._proc is not None:
            self._proc.kill()
        stream, self.stream = self.stream, None
        if stream is not None and self._owned:
            with contextlib.suppress(OSError):
                stream.close()  # closes the descriptor even when the final flush fails
        if self._proc is not None:
            self._proc.wait()


def open_output(wxfilename: str) -> Sink:
    """Open a wxfilename (path, ``-`` for stdout, ``| cmd``) for binary writing."""
    text = wxfilename.strip()
    if text.startswith("|"):
        cmd = text[1:].strip()
        proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", cmd], stdin=subprocess.PIPE)
        return Sink(cmd, proc.stdin, proc)
    if text == "-":
        return Sink("-", getattr(sys.stdout, "buffer", sys.stdout), owned=False)
    try:
        return Sink(wxfilename, open(wxfilename, "wb"))
    except OSError as err:
        if err.errno in WRITE_ERRNOS:
            raise WriteError(wxfilename, err) from None
        raise TableError(f"{wxfilename}: cannot open for writing: {err.strerror}") from None


def is_seekable_file(rx: Rxfilename) -> bool:
    """True for a regular file on disk (random access by offset works)."""
    return rx.kind in ("file", "offset") and os.path.isfile(rx.path)
