"""Reading single Kaldi objects and walking archives: ``read_object``, ``read_scp``, archive keys.

The building blocks under :mod:`kaldinn.io.tables`: an rxfilename such as
``feats.ark:1234[0:99,0:39]`` becomes an array, an scp becomes an ordered dict, and an
archive stream yields ``(key, value)`` pairs, a failing input pipe raising at its end.

Example::

    mat = read_object("data/train/feats.1.ark:18[0:9]")   # first 10 frames
    scp = read_scp("data/train/feats.scp")                # {"utt1": "feats.1.ark:18", ...}
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from kaldinn.errors import TableError
from kaldinn.io.kaldi_binary import read_header, read_object_stream, read_text_object
from kaldinn.io.pread import PreadCache
from kaldinn.io.xfilename import Rxfilename, Source, open_input, parse_rxfilename


class KeyNotFoundError(TableError, KeyError):
    """A random-access lookup asked for a key the table does not hold."""

    def __str__(self) -> str:
        return str(self.args[0])


def read_scp(rxfilename: str | os.PathLike) -> dict[str, str]:
    """Read an scp (``key rxfilename`` per line) into an ordered dict; duplicate keys raise."""
    src = open_input(rxfilename)
    try:
        lines = src.stream.read().decode("utf-8", "surrogateescape").split("\n")
    finally:
        src.close()
    table: dict[str, str] = {}
    for lineno, line in enumerate(lines, start=1):
        key, _, value = line.strip().partition(" ")
        if not key:
            continue
        value = value.strip()
        if not value:
            raise TableError(f"{rxfilename}:{lineno}: key {key!r} has no rxfilename")
        if key in table:
            raise TableError(f"{rxfilename}:{lineno}: duplicate key {key!r}; remove the duplicate line")
        table[key] = value
    return table


def _apply_ranges(value: np.ndarray, rx: Rxfilename) -> np.ndarray:
    """Cut ``[r1:r2,c1:c2]`` (inclusive) out of a matrix, checking the bounds."""
    if rx.rows is None:
        return value
    if value.ndim != 2:
        raise TableError(f"{rx.path}: a row/column range needs a matrix, got shape {value.shape}")
    ranges = [(rx.rows, value.shape[0], "row")] + ([(rx.cols, value.shape[1], "column")] if rx.cols else [])
    for (_, last), size, what in ranges:
        if last >= size:
            raise TableError(f"{rx.path}: {what} range ends at {last}, past the matrix's {size} {what}s")
    cols = slice(None) if rx.cols is None else slice(rx.cols[0], rx.cols[1] + 1)
    return np.ascontiguousarray(value[rx.rows[0] : rx.rows[1] + 1, cols])


def read_object(
    rxfilename: str | os.PathLike | Rxfilename, text_dtype=np.float32, cache: PreadCache | None = None
) -> np.ndarray:
    """Read one object from ``path``, ``path:offset[r1:r2,c1:c2]``, ``cmd |`` or ``-``."""
    rx = rxfilename if isinstance(rxfilename, Rxfilename) else parse_rxfilename(os.fspath(rxfilename))
    if rx.kind == "offset":
        own = cache is None
        cache = cache or PreadCache(limit=1)
        try:
            return _apply_ranges(cache.read(rx.path, rx.offset, text_dtype), rx)
        finally:
            if own:
                cache.close()
    src = open_input(rx)
    try:
        if not src.stream.peek(1):
            src.close()  # a failed pipe raises here, naming its status
            raise TableError(f"{rx.path}: empty input, no object to read")
        value = read_object_stream(src.stream, text_dtype)
        if rx.kind == "pipe":
            src.stream.read()  # let the command finish writing before checking its status
    except TableError:
        src.close()
        raise
    src.close()
    return _apply_ranges(value, rx)


def _read_exact(f, n: int, name: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise TableError(f"{name}: archive ends inside an object header (truncated file?)")
    return data


def read_key(f, name: str) -> str | None:
    """Read ``key `` from an archive stream; None at a clean end of file."""
    while True:
        head = f.peek(1)
        if not head:
            return None
        stripped = head.lstrip(b" \t\r\n")
        if stripped:
            f.read(len(head) - len(stripped))
            break
        f.read(len(head))
    chunk = f.peek(256)
    space = chunk.find(b" ")
    if space > 0 and not any(c in chunk[:space] for c in b"\t\r\n"):
        return f.read(space + 1)[:-1].decode("utf-8", "surrogateescape")
    key = bytearray()
    while (c := f.read(1)) not in (b" ", b""):
        if c in b"\t\r\n":
            shown = key.decode(errors="replace")
            raise TableError(f"{name}: bad archive: key {shown!r} is not followed by a space")
        key += c
    if not c:
        raise TableError(f"{name}: archive ends after key {key.decode(errors='replace')!r} with no value")
    return key.decode("utf-8", "surrogateescape")


def iter_archive(src: Source, text_dtype=np.float32) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (key, value) from an opened archive; checks a pipe's status at the end."""
    finished = False
    try:
        while (key := read_key(src.stream, src.rx.path)) is not None:
            yield key, read_object_stream(src.stream, text_dtype)
        finished = True
    finally:
        src.close(check=finished)


def index_archive(path: str) -> dict[str, Rxfilename]:
    """Scan a seekable archive once: key -> position of its object (first occurrence wins)."""
    index: dict[str, Rxfilename] = {}
    with open(path, "rb") as f:
        while (key := read_key(f, path)) is not None:
            offset = f.tell()
            if f.peek(2)[:2] == b"\0B":
                f.read(2)
                header = read_header(lambda n: _read_exact(f, n, path))
                f.seek(header.body_len, 1)
            else:
                read_text_object(f)
            index.setdefault(key, Rxfilename("offset", path, offset))
    return index
