"""Random access to ``ark:offset`` objects with ``os.pread`` on per-process descriptors.

Descriptors are opened lazily and remembered per process id: after ``fork`` (DataLoader
workers) a child never reuses its parent's descriptors, and ``pread`` has no shared file
position anyway, so concurrent workers cannot disturb each other. At most ``limit``
descriptors stay open (least recently opened closed first). Pickling drops them.

Example::

    cache = PreadCache()
    mat = cache.read("feats.ark", 12345)      # the object stored at byte 12345
"""

from __future__ import annotations

import os

import numpy as np

from kaldinn.errors import TableError
from kaldinn.io.kaldi_binary import decode_body, parse_header, read_object_stream

_HEAD = 64  # enough for every binary header (at most 2 + 4 + 16 bytes)


class PreadCache:
    """Reads objects at byte offsets of archive files through cached per-process descriptors."""

    def __init__(self, limit: int = 256):
        self.limit = limit
        self._pid = os.getpid()
        self._fds: dict[str, int] = {}

    def __getstate__(self) -> dict:
        return {"limit": self.limit}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["limit"])

    def _fd(self, path: str) -> int:
        if self._pid != os.getpid():  # forked: the inherited descriptors are the parent's copies
            for fd in self._fds.values():
                os.close(fd)
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.get(path)
        if fd is None:
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            except FileNotFoundError:
                raise TableError(f"{path}: no such file") from None
            except OSError as err:
                raise TableError(f"{path}: cannot open for reading: {err.strerror}") from None
            if len(self._fds) >= self.limit:
                os.close(self._fds.pop(next(iter(self._fds))))
            self._fds[path] = fd
        return fd

    def read(self, path: str, offset: int, text_dtype=np.float32) -> np.ndarray:
        """Read the object (binary or text form) that starts at ``offset`` in ``path``."""
        fd = self._fd(path)
        head = os.pread(fd, _HEAD, offset)
        if head[:2] != b"\0B":
            return self._read_text(path, offset, text_dtype)
        try:
            header, pos = parse_header(head, 2)
        except TableError:
            raise TableError(f"{path}:{offset}: truncated object (file ends inside its header)") from None
        if pos + header.body_len <= len(head):
            return decode_body(header, bytearray(head), pos)
        body = np.empty(header.body_len, np.uint8)  # not zero-filled, unlike bytearray
        got = os.preadv(fd, [body], offset + pos)
        if got != header.body_len:
            raise TableError(
                f"{path}:{offset}: truncated object: expected {header.body_len} bytes of data, found {got}"
            )
        return decode_body(header, body)

    def _read_text(self, path: str, offset: int, text_dtype) -> np.ndarray:
        with open(path, "rb") as f:
            f.seek(offset)
            if not f.peek(1):
                raise TableError(f"{path}:{offset}: offset is at or past the end of the file")
            return read_object_stream(f, text_dtype)

    def close(self) -> None:
        """Close this process's descriptors."""
        if self._pid == os.getpid():
            for fd in self._fds.values():
                os.close(fd)
        self._fds = {}
