"""Atomic file writing: write to a temporary name in the same directory, then rename.

A reader never sees a half-written file, and a failure leaves the previous file intact.
An operating-system write error (full disk, read-only file system, permission, quota)
removes the temporary file and becomes :class:`~kaldinn.errors.WriteError` naming ``path``.

Example::

    with atomic_write("data/train/utt2spk") as f:
        f.write("utt1 spk1\\n")
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from kaldinn.errors import WriteError

# errno values that mean "this file system will not take the write", not a bug in the caller.
WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT, errno.EPERM, errno.EFBIG, errno.EIO}
# those that only a write raises (EACCES may come from reading too)
WRITE_ONLY_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG}


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success rename it over ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        if err.errno in WRITE_ERRNOS:
            raise WriteError(path, err) from err
        raise
    binary = "b" in mode
    try:
        with os.fdopen(
            fd, mode, encoding=None if binary else encoding, newline=None if binary else "\n"
        ) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.errno in WRITE_ERRNOS:
            raise WriteError(path, err) from err
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path) as f:
        f.write(text)
