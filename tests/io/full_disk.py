"""A write wrapper that fails like a full disk after N bytes (no tmpfs needed)."""

from __future__ import annotations

import errno
import os


class FullDisk:
    """Wraps a binary/text file: writes beyond ``room`` bytes in all raise OSError(``code``)."""

    def __init__(self, f, room: int, code: int = errno.ENOSPC):
        self._f, self.room, self.code, self.written = f, room, code, 0

    def write(self, data):
        if self.written + len(data) > self.room:
            raise OSError(self.code, os.strerror(self.code))
        self.written += len(data)
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def full_after(opener, room: int, code: int = errno.ENOSPC):
    """``opener`` (os.fdopen, open) whose files fill up after ``room`` bytes each."""

    def opened(*args, **kwargs):
        return FullDisk(opener(*args, **kwargs), room, code)

    return opened
