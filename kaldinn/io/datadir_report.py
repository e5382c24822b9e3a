"""Validation support: the problem report and a tolerant reader of data-directory tables.

The validator must report every problem, so unlike ``read_table`` this reader never stops
at the first bad line: it records missing final newlines, CRs, bad UTF-8, duplicate keys
and C-order violations in a :class:`ValidationReport` and keeps going.

Example::

    report = ValidationReport(Path("data/train"))
    table = load_raw_table(report, Path("data/train/utt2spk"))
    print(report.errors, len(table.rows))
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kaldinn.errors import DataDirError
from kaldinn.io.text_table import c_sort_key

# At most this many messages of one kind per file; the rest are counted.
MAX_PER_GROUP = 5


@dataclass
class ValidationReport:
    """Errors and warnings found in one data directory."""

    data_dir: Path
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _counts: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def fix_hint(self) -> str:
        return f"run utils/fix_data_dir.py {self.data_dir}"

    def error(self, message: str, group: tuple | None = None) -> None:
        """Record an error; beyond MAX_PER_GROUP of one ``group`` only count it."""
        if group is not None:
            self._counts[group] += 1
            if self._counts[group] > MAX_PER_GROUP:
                return
        self.errors.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def finish(self) -> ValidationReport:
        """Add the "... and N more" lines for truncated groups."""
        for group, count in self._counts.items():
            if count > MAX_PER_GROUP:
                self.errors.append(f"{group[0]}: {count - MAX_PER_GROUP} more problems like the above")
        self._counts.clear()
        return self

    def raise_if_invalid(self) -> None:
        if self.errors:
            details = "; ".join(self.errors[:10])
            more = f" (and {len(self.errors) - 10} more)" if len(self.errors) > 10 else ""
            raise DataDirError(
                f"{self.data_dir} failed validation with {len(self.errors)} problem(s): {details}{more}; "
                f"run utils/validate_data_dir.py {self.data_dir} for the full list"
            )


@dataclass
class RawTable:
    """A table as the validator sees it: fields per key (first occurrence) and line numbers."""

    path: Path
    rows: dict[str, list[str]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    raw_lines: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    def where(self, key: str) -> str:
        return f"{self.path}:{self.lines.get(key, '?')}"


def _decode(report: ValidationReport, path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        report.error(f"{path}:{line}: not valid UTF-8 (byte {err.start}); re-encode the file as UTF-8")
        return data.decode("utf-8", "replace")


def _check_line(report: ValidationReport, path: Path, lineno: int, line: str) -> list[str] | None:
    if "\r" in line:
        report.error(
            f"{path}:{lineno}: carriage return (CR) in line; convert with dos2unix {path}",
            group=(path, "cr"),
        )
        line = line.replace("\r", "")
    fields = line.split()
    if not fields:
        report.error(f"{path}:{lineno}: empty line", group=(path, "empty"))
        return None
    if line[0].isspace():
        report.error(f"{path}:{lineno}: line starts with whitespace", group=(path, "space"))
    return fields


def load_raw_table(report: ValidationReport, path: Path) -> RawTable:
    """Read ``path`` recording format problems in ``report``; never raises for content."""
    table = RawTable(path)
    data = path.read_bytes()
    if not data.strip():
        report.error(f"{path} is empty")
        return table
    if not data.endswith(b"\n"):
        report.error(f"{path}: the last line does not end with a newline; add one (echo >> {path})")
    text = _decode(report, path, data)
    prev: str | None = None
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # the empty string after the final newline
    for lineno, line in enumerate(lines, start=1):
        fields = _check_line(report, path, lineno, line)
        if fields is None:
            continue
        key = fields[0]
        if key in table.rows:
            report.error(
                f"{path}:{lineno}: duplicate key {key!r} (first on line {table.lines[key]}); "
                f"{report.fix_hint}",
                group=(path, "dup"),
            )
            continue
        if prev is not None and c_sort_key(key) < c_sort_key(prev):
            report.error(
                f"{path}:{lineno}: not sorted: {key!r} comes after {prev!r} (LC_ALL=C order); "
                f"{report.fix_hint}",
                group=(path, "sort"),
            )
        prev = key
        table.rows[key] = fields[1:]
        table.lines[key] = lineno
        table.raw_lines[key] = line.replace("\r", "")  # a CR is reported once, above
    return table


def compare_keys(
    report: ValidationReport, table: RawTable, expected: set[str] | list[str], what: str, source: str
) -> None:
    """Error unless ``table``'s keys are exactly ``expected`` (the ``what`` ids of ``source``)."""
    have, want = set(table.rows), set(expected)
    if have == want:
        return
    missing = sorted(want - have, key=c_sort_key)
    extra = sorted(have - want, key=c_sort_key)
    parts = []
    if missing:
        parts.append(f"{len(missing)} {what} of {source} missing from it (e.g. {missing[0]!r})")
    if extra:
        parts.append(f"{len(extra)} not in {source} (e.g. {extra[0]!r} at {table.where(extra[0])})")
    report.error(f"{table.path}: {what} differ from {source}: {'; '.join(parts)}; {report.fix_hint}")
