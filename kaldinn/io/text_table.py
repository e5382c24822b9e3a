"""Kaldi text tables: ``<key> <value...>`` lines (utt2spk, text, wav.scp, segments, ...).

Keys are compared in ``LC_ALL=C`` order, i.e. by their UTF-8 bytes; files are written
sorted that way so Kaldi's ``sort -c`` checks and binary tools accept them. Duplicate keys
are an error naming the file and both lines.

Example::

    utt2spk = read_table("data/train/utt2spk")            # {"spk1-utt1": "spk1", ...}
    spk2utt = read_table("data/train/spk2utt", split=True) # {"spk1": ["spk1-utt1", ...]}
    write_table("data/sub/utt2spk", utt2spk)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from kaldinn.errors import TableError
from kaldinn.io.atomic import atomic_write


def c_sort_key(key: str) -> bytes:
    """Sort key reproducing ``LC_ALL=C sort``: plain byte order of the UTF-8 encoding."""
    return key.encode("utf-8", "surrogateescape")


def c_sorted(keys: Iterable[str]) -> list[str]:
    """Keys sorted in ``LC_ALL=C`` byte order."""
    return sorted(keys, key=c_sort_key)


def iter_table_lines(path: str | os.PathLike) -> Iterator[tuple[int, str, str]]:
    """Yield ``(line_number, key, rest)`` for each non-empty line of a text table.

    ``rest`` is the remainder of the line after the key and the whitespace that follows
    it (may be empty). Raises :class:`TableError` for a missing file or a line whose
    first field is empty (leading whitespace).
    """
    path = Path(path)
    try:
        f = open(path, encoding="utf-8", errors="surrogateescape", newline="\n")
    except FileNotFoundError:
        raise TableError(f"{path}: no such file") from None
    with f:
        for lineno, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if line.endswith("\r"):
                raise TableError(
                    f"{path}:{lineno}: line ends with a carriage return (CR); convert with dos2unix"
                )
            if not line.strip():
                continue
            if line[0].isspace():
                raise TableError(f"{path}:{lineno}: line starts with whitespace: {line!r}")
            fields = line.split(None, 1)
            yield lineno, fields[0], fields[1].strip() if len(fields) > 1 else ""


def read_table(
    path: str | os.PathLike,
    split: bool = False,
    require_value: bool = True,
) -> dict:
    """Read a text table into an insertion-ordered dict.

    With ``split=False`` values are the rest of the line as one string; with
    ``split=True`` they are lists of whitespace-separated fields. Duplicate keys raise
    :class:`TableError` naming both lines; so does an empty value when ``require_value``.
    """
    table: dict = {}
    first_line: dict[str, int] = {}
    for lineno, key, rest in iter_table_lines(path):
        if key in first_line:
            raise TableError(
                f"{path}:{lineno}: duplicate key {key!r} (first on line {first_line[key]}); "
                f"run utils/fix_data_dir.py on the data directory or remove the duplicate"
            )
        if require_value and not rest:
            raise TableError(f"{path}:{lineno}: key {key!r} has no value")
        first_line[key] = lineno
        table[key] = rest.split() if split else rest
    return table


def format_value(value: str | Sequence[str] | float | int) -> str:
    """Render a table value: strings as is, sequences joined by spaces, numbers by str."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def write_table(path: str | os.PathLike, table: Mapping, sort: bool = True) -> None:
    """Write ``table`` atomically as ``<key> <value>`` lines, C-sorted unless ``sort=False``."""
    keys = c_sorted(table) if sort else list(table)
    with atomic_write(path) as f:
        for key in keys:
            value = format_value(table[key])
            f.write(f"{key} {value}\n" if value != "" else f"{key}\n")


def is_c_sorted(keys: Sequence[str], strict: bool = True) -> int | None:
    """Return the index of the first key out of C order (or duplicated, when strict); else None."""
    prev = None
    for i, key in enumerate(keys):
        cur = c_sort_key(key)
        if prev is not None and (cur < prev or (strict and cur == prev)):
            return i
        prev = cur
    return None
