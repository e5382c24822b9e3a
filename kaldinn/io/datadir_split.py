"""split_data: cut a data directory into N parts for parallel jobs (Kaldi's split_data.sh).

By default whole speakers go to one part (``<dir>/split<N>/1..N``), so per-speaker CMVN
stays valid; ``per_utt=True`` splits utterances (``<dir>/split<N>utt/1..N``). Parts are
contiguous runs of the sorted ids, balanced by utterance count, hence deterministic. An
existing split is reused while each of its files is newer than the input it came from.

Example::

    for part in split_data("data/train", 4):
        print(part, len(DataDir(part).utt_ids()))
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kaldinn.errors import DataDirError
from kaldinn.io.datadir import utt2spk_to_spk2utt
from kaldinn.io.datadir_ops import load_data_tables, write_data_subset
from kaldinn.io.text_table import c_sorted


def balanced_bounds(counts: list[int], n: int) -> list[int]:
    """Cut points splitting ``counts`` (in order) into ``n`` non-empty runs of similar sums.

    Returns ``n + 1`` indices; run ``j`` is ``counts[bounds[j]:bounds[j+1]]``.
    """
    if n < 1 or n > len(counts):
        raise ValueError(f"cannot split {len(counts)} items into {n} parts")
    total = sum(counts)
    bounds, idx, cum = [0], 0, 0
    for j in range(n - 1):
        target = (j + 1) * total / n
        cum += counts[idx]
        idx += 1
        # Take more items while that brings the sum closer to the target, leaving at
        # least one item for each remaining part.
        while idx < len(counts) - (n - 1 - j) and abs(cum + counts[idx] - target) < abs(cum - target):
            cum += counts[idx]
            idx += 1
        bounds.append(idx)
    bounds.append(len(counts))
    return bounds


def _split_dir(data_dir: Path, n: int, per_utt: bool) -> Path:
    return data_dir / f"split{n}{'utt' if per_utt else ''}"


def _is_up_to_date(data_dir: Path, parts: list[Path], names: list[str]) -> bool:
    """Every part has every input file, each newer than (or as new as) its input."""
    for part in parts:
        if not (part / "spk2utt").is_file():
            return False
        for name in names:
            out = part / name
            if not out.is_file() or out.stat().st_mtime_ns < (data_dir / name).stat().st_mtime_ns:
                return False
    return True


def _groups(utt2spk: dict[str, str], n: int, per_utt: bool, data_dir: Path) -> list[list[str]]:
    """Utterance lists of the ``n`` parts."""
    if per_utt:
        units = [[u] for u in c_sorted(utt2spk)]
        if n > len(units):
            raise DataDirError(
                f"number of utterances {len(units)} in {data_dir} is less than {n}; "
                f"reduce --nj to at most {len(units)}"
            )
    else:
        units = list(utt2spk_to_spk2utt(utt2spk).values())
        if n > len(units):
            raise DataDirError(
                f"number of speakers {len(units)} is less than {n}; reduce --nj to at most {len(units)}"
            )
    bounds = balanced_bounds([len(u) for u in units], n)
    return [[utt for unit in units[bounds[j] : bounds[j + 1]] for utt in unit] for j in range(n)]


def split_data(data_dir: str | os.PathLike, n: int, per_utt: bool = False) -> list[Path]:
    """Split ``data_dir`` into ``n`` parts; returns their paths ``split<n>[utt]/1..n``.

    Raises DataDirError when there are fewer speakers (or utterances, with ``per_utt``)
    than ``n``, or when the directory lacks utt2spk.
    """
    data_dir = Path(data_dir)
    if n < 1:
        raise DataDirError(f"number of splits must be at least 1, got {n}")
    target = _split_dir(data_dir, n, per_utt)
    parts = [target / str(j) for j in range(1, n + 1)]
    data = load_data_tables(data_dir)
    names = sorted(data.tables)
    if target.is_dir() and _is_up_to_date(data_dir, parts, names):
        return parts
    groups = _groups(data.utt2spk(), n, per_utt, data_dir)
    # Build the whole split beside its final name, then swap it in, so an interrupted
    # run never leaves a half-written split that a later run would reuse.
    tmp = data_dir / f".{target.name}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for j, utts in enumerate(groups, start=1):
            write_data_subset(data, tmp / str(j), utts)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return parts
