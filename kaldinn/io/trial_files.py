"""Kaldi trial and score files read for verification metrics, fast when they are in one order.

Trials ``<enroll> <test> target|nontarget`` and scores (or weights) ``<enroll> <test> <value>``.
When both files list the same pairs in the same order (Kaldi's usual case) they are compared as
bytes in blocks, without pandas; anything else (another order, extra pairs, tabs, CRLF, bad
values) takes the pandas join, whose errors name the file and line.

Example::

    trials, is_target = read_trials("data/test/trials")
    scores = align_values(trials, "exp/xvector/scores", "score")
"""

from __future__ import annotations

import csv
import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kaldinn.errors import TableError

if TYPE_CHECKING:  # pandas loads only for files off the fast path (~0.4 s to import)
    import pandas as pd

_LABELS = {"target": True, "nontarget": False}


def _read_pairs(path: str, what: str) -> pd.DataFrame:
    """Read ``<enroll> <test> <value>`` lines as strings; malformed lines raise TableError."""
    import pandas as pd

    if not os.path.isfile(path):
        raise TableError(f"{path}: no such {what} file")
    try:
        df = pd.read_csv(
            path, sep=r"\s+", header=None, names=["enroll", "test", "value"], dtype=str,
            na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_NONE, engine="c",
        )  # fmt: skip
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: {what} file is empty") from None
    except pd.errors.ParserError as err:
        raise TableError(
            f"{path}: malformed {what} file, expected '<enroll> <test> <{what}>': {err}"
        ) from None
    bad = np.flatnonzero((df["value"] == "").to_numpy())
    if len(bad):
        line = int(bad[0]) + 1
        raise TableError(f"{path}:{line}: expected '<enroll> <test> <{what}>', got too few fields")
    return df


def _to_float(df: pd.DataFrame, path: str, what: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        i = int(bad[0])
        raise TableError(f"{path}:{i + 1}: {what} {df['value'].iat[i]!r} is not a finite number")
    return values


@dataclass
class _Lines:
    """``<enroll> <test> <value>`` lines split into byte streams.

    ``heads`` holds every line's ``'<enroll> <test> '`` back to back (``head_lens`` bytes
    each), ``tails`` every ``'<value>\\n'``: two files list the same pairs in the same order
    exactly when their ``head_lens`` and ``heads`` are equal, compared without a string
    object per line.
    """

    head_lens: np.ndarray
    heads: np.ndarray
    tail_lens: np.ndarray
    tails: np.ndarray


_BLOCK = 1 << 22  # bytes per block: temporaries stay small (a page fault costs more than a pass)


def _blocks(path: str):
    """``path``'s bytes as uint8 arrays that each end with a newline; none if it is empty."""
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        data += b"\n"
    start = 0
    while start < len(data):
        end = data.find(b"\n", min(start + _BLOCK, len(data)) - 1) + 1
        yield np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
        start = end


def _split_block(block: np.ndarray) -> _Lines | None:
    """Split a block of whole lines if each is ``a b c`` with single spaces; else None."""
    seps = np.flatnonzero(block <= ord(" "))  # one pass finds spaces, newlines, tabs, \r...
    if len(seps) % 3:
        return None
    seps = seps.reshape(-1, 3)  # a regular line: <enroll> ' ' <test> ' ' <value> '\n'
    spaces, ends = seps[:, :2], seps[:, 2]
    if not ((block[spaces] == ord(" ")).all() and (block[ends] == ord("\n")).all()):
        return None  # tabs, \r, blank lines, a field too many or too few: the general parser
    starts = np.concatenate(([0], ends[:-1] + 1))
    if not (  # no field empty (double spaces, leading space)
        np.all(spaces[:, 0] > starts)
        and np.all(spaces[:, 1] > spaces[:, 0] + 1)
        and np.all(ends > spaces[:, 1] + 1)
    ):
        return None
    n = len(ends)
    head_lens = spaces[:, 1] + 1 - starts
    tail_lens = ends - spaces[:, 1]
    in_head = np.repeat(np.tile([True, False], n), np.column_stack((head_lens, tail_lens)).ravel())
    return _Lines(head_lens, block[in_head], tail_lens, block[~in_head])


def _parse_floats(lines: _Lines) -> np.ndarray | None:
    """The values as float64; None when one is not a finite number (the slow path says which)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(lines.tails.tobytes(), dtype=np.float64, sep="\n")
        except (ValueError, DeprecationWarning):
            return None
    if len(values) != len(lines.tail_lens) or not np.isfinite(values).all():
        return None
    return values


def _parse_labels(lines: _Lines) -> np.ndarray | None:
    """True for 'target', False for 'nontarget'; None when another word occurs."""
    offsets = np.cumsum(lines.tail_lens) - lines.tail_lens
    is_target = lines.tail_lens == len("target\n")
    for word, rows in ((b"target\n", is_target), (b"nontarget\n", ~is_target)):
        at = offsets[rows]
        if len(at) and not (lines.tail_lens[rows] == len(word)).all():
            return None
        for k, byte in enumerate(word):  # one gather per letter, not one per trial
            if not (lines.tails[at + k] == byte).all():
                return None
    return is_target


def _scan_trials(path: str) -> tuple[_Lines, np.ndarray] | None:
    """Pairs and labels of a regular trial list, block by block; None for the general path."""
    parts, labels = [], []
    for block in _blocks(path):
        lines = _split_block(block)
        is_target = None if lines is None else _parse_labels(lines)
        if is_target is None:
            return None
        parts.append(lines)
        labels.append(is_target)
    if not parts:
        return None
    heads = _Lines(
        np.concatenate([p.head_lens for p in parts]), np.concatenate([p.heads for p in parts]),
        np.empty(0, np.int64), np.empty(0, np.uint8),
    )  # fmt: skip
    return heads, np.concatenate(labels)


def _values_in_order(trials: _Lines, path: str) -> np.ndarray | None:
    """``path``'s values if it lists exactly the trials' pairs in their order; else None."""
    offsets = np.concatenate(([0], np.cumsum(trials.head_lens)))
    values, done = [], 0
    for block in _blocks(path):
        lines = _split_block(block)
        if lines is None:
            return None
        rows = slice(done, done + len(lines.head_lens))
        if not (
            np.array_equal(lines.head_lens, trials.head_lens[rows])
            and np.array_equal(lines.heads, trials.heads[offsets[rows.start] : offsets[rows.stop]])
        ):
            return None
        block_values = _parse_floats(lines)
        if block_values is None:
            return None
        values.append(block_values)
        done = rows.stop
    return np.concatenate(values) if done == len(trials.head_lens) and values else None


class TrialList:
    """A trial list as read by :func:`read_trials`; :func:`align_values` matches files to it."""

    def __init__(self, path: str, lines: _Lines | None, frame: pd.DataFrame | None = None) -> None:
        self.path = path
        self.lines = lines
        self._frame = frame

    @property
    def frame(self) -> pd.DataFrame:
        """``enroll``/``test``/``value`` strings, read only when a file is not in trial order."""
        if self._frame is None:
            self._frame = _read_pairs(self.path, "target|nontarget")
        return self._frame

    def __getitem__(self, column: str) -> pd.Series:
        """``trials["enroll"]``, ``trials["test"]``: the frame's columns."""
        return self.frame[column]

    def __len__(self) -> int:
        return len(self.frame) if self.lines is None else len(self.lines.head_lens)


def read_trials(path: str) -> tuple[TrialList, np.ndarray]:
    """Trial list and its boolean target labels."""
    scanned = _scan_trials(path) if os.path.isfile(path) else None
    if scanned is not None:
        return TrialList(path, scanned[0]), scanned[1]
    df = _read_pairs(path, "target|nontarget")  # irregular file: this path names the bad line
    labels = df["value"].map(_LABELS)
    bad = np.flatnonzero(labels.isna().to_numpy())
    if len(bad):
        i = int(bad[0])
        raise TableError(f"{path}:{i + 1}: label {df['value'].iat[i]!r} is neither 'target' nor 'nontarget'")
    return TrialList(path, None, df), labels.to_numpy(dtype=bool)


def align_values(trials: TrialList, path: str, what: str) -> np.ndarray:
    """Values of ``path`` (``<enroll> <test> <value>``) in the order of ``trials``.

    Fast path: both files list the same pairs in the same order (Kaldi's usual case), checked
    on bytes, values parsed in one call. Any other file (another order, extra pairs, tabs,
    errors) takes the general path, which joins on the pairs and names the offending line.
    """
    if trials.lines is not None and os.path.isfile(path):
        values = _values_in_order(trials.lines, path)
        if values is not None:
            return values
    return _join_values(trials.frame, path, what)


def _join_values(trials: pd.DataFrame, path: str, what: str) -> np.ndarray:
    import pandas as pd

    df = _read_pairs(path, what)
    values = _to_float(df, path, what)
    same_order = len(df) == len(trials) and (
        np.array_equal(df["enroll"].to_numpy(), trials["enroll"].to_numpy())
        and np.array_equal(df["test"].to_numpy(), trials["test"].to_numpy())
    )
    if same_order:
        return values
    dup = df.duplicated(["enroll", "test"]).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        pair = f"{df['enroll'].iat[i]} {df['test'].iat[i]}"
        raise TableError(f"{path}:{i + 1}: pair '{pair}' appears more than once")
    lookup = pd.Series(values, index=pd.MultiIndex.from_frame(df[["enroll", "test"]]))
    keys = pd.MultiIndex.from_frame(trials[["enroll", "test"]])
    aligned = lookup.reindex(keys).to_numpy(dtype=np.float64)
    missing = np.flatnonzero(np.isnan(aligned))
    if len(missing):
        i = int(missing[0])
        pair = f"{trials['enroll'].iat[i]} {trials['test'].iat[i]}"
        raise TableError(
            f"{path}: no {what} for trial '{pair}' ({len(missing)} trials missing); "
            f"score every pair of the trial list"
        )
    return aligned
