"""Rewriting data directories: load every table once, write filtered or renamed copies.

``load_data_tables`` reads all known files of a directory; ``write_data_subset`` writes
the part of it that belongs to a set of utterances (speaker- and recording-keyed files
follow the utterances). fix_data_dir, split_data, subset_data_dir and combine_data are
built on these two; copy_data_dir renames ids.

Example::

    kept, total = fix_data_dir("data/train")          # prints nothing; CLI reports it
    copy_data_dir("data/train", "data/train_sp1", utt_prefix="sp1-", spk_prefix="sp1-")
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kaldinn.errors import DataDirError
from kaldinn.io.datadir import RECO_FILES, SPK_FILES, UTT_FILES, write_spk2utt
from kaldinn.io.text_table import iter_table_lines, read_table, write_table

# Small files copied verbatim by every operation (the feature frame shift in seconds).
VERBATIM_FILES = ("frame_shift",)


@dataclass
class DataTables:
    """Every table of one data directory, read into memory (values are the line's rest)."""

    path: Path
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    utt_files: tuple[str, ...] = UTT_FILES
    spk_files: tuple[str, ...] = SPK_FILES
    duplicates: int = 0

    @property
    def segmented(self) -> bool:
        return "segments" in self.tables

    def utt2spk(self) -> dict[str, str]:
        return self.tables["utt2spk"]

    def reco_of(self, utt: str) -> str:
        """Recording id of an utterance (the utterance itself without segments)."""
        if not self.segmented:
            return utt
        return self.tables["segments"][utt].split()[0]

    def cmvn_per_utt(self) -> bool:
        """True when cmvn.scp is keyed by utterance rather than by speaker."""
        keys = self.tables.get("cmvn.scp", {})
        speakers = set(self.utt2spk().values())
        return bool(keys) and not any(k in speakers for k in keys)


def _read_lenient(path: Path) -> tuple[dict[str, str], int]:
    """Read a table keeping the first line of each key (fix_data_dir's ``sort -u``)."""
    table: dict[str, str] = {}
    dropped = 0
    for _, key, rest in iter_table_lines(path):
        if key in table:
            dropped += 1
            continue
        table[key] = rest
    return table, dropped


def load_data_tables(
    path: str | os.PathLike,
    utt_extra_files: Iterable[str] = (),
    spk_extra_files: Iterable[str] = (),
    lenient: bool = False,
) -> DataTables:
    """Read every known table of ``path``; ``lenient`` keeps the first of duplicate keys."""
    path = Path(path)
    if not path.is_dir():
        raise DataDirError(f"data directory {path} does not exist")
    if not (path / "utt2spk").is_file():
        raise DataDirError(f"{path}/utt2spk does not exist; every data directory needs one")
    data = DataTables(
        path,
        utt_files=UTT_FILES + tuple(utt_extra_files),
        spk_files=SPK_FILES + tuple(spk_extra_files),
    )
    for name in data.utt_files + data.spk_files + RECO_FILES:
        if name == "spk2utt" or not (path / name).is_file():
            continue
        if lenient:
            data.tables[name], dropped = _read_lenient(path / name)
            data.duplicates += dropped
        else:
            data.tables[name] = read_table(path / name, require_value=name != "text")
    return data


def _keys_for(data: DataTables, name: str, utts: set[str], spks: set[str], recos: set[str]) -> set[str]:
    if name in data.utt_files:
        return utts
    if name in data.spk_files:
        return utts if name == "cmvn.scp" and data.cmvn_per_utt() else spks
    return recos if data.segmented else utts


def write_data_subset(data: DataTables, dest: str | os.PathLike, utts: Iterable[str]) -> int:
    """Write the tables of ``data`` restricted to ``utts`` into ``dest``; returns #utterances.

    utt2spk and spk2utt are written last, so a directory with a current utt2spk is complete.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    utt2spk_all = data.utt2spk()
    utt2spk = {u: utt2spk_all[u] for u in utts}
    spks = set(utt2spk.values())
    recos = {data.reco_of(u) for u in utt2spk}
    for name, table in data.tables.items():
        if name == "utt2spk":
            continue
        keys = _keys_for(data, name, set(utt2spk), spks, recos)
        write_table(dest / name, {k: v for k, v in table.items() if k in keys})
    for name in VERBATIM_FILES:
        src = data.path / name
        if src.is_file() and src.resolve() != (dest / name).resolve():
            shutil.copyfile(src, dest / name)
    write_table(dest / "utt2spk", utt2spk)
    write_spk2utt(dest / "spk2utt", utt2spk)
    return len(utt2spk)


def _surviving_utterances(data: DataTables) -> list[str]:
    """Utterances present in every per-utterance file, with a known speaker and recording."""
    tables = data.tables
    utts = set(data.utt2spk())
    for name in data.utt_files:
        if name in tables:
            utts &= set(tables[name])
    if not data.segmented and "wav.scp" in tables:
        utts &= set(tables["wav.scp"])
    if data.segmented and "wav.scp" in tables:
        utts = {u for u in utts if tables["segments"][u].split()[0] in tables["wav.scp"]}
    spk_tables = [n for n in data.spk_files if n in tables and n != "spk2utt"]
    if "cmvn.scp" in spk_tables and data.cmvn_per_utt():
        utts &= set(tables["cmvn.scp"])
        spk_tables.remove("cmvn.scp")
    for name in spk_tables:
        utts = {u for u in utts if data.utt2spk()[u] in tables[name]}
    return sorted(utts)


def _backup(path: Path, names: Iterable[str]) -> Path:
    backup = path / ".backup"
    backup.mkdir(exist_ok=True)
    for name in names:
        if (path / name).is_file():
            shutil.copy2(path / name, backup / name)
    return backup


def fix_data_dir(
    path: str | os.PathLike,
    utt_extra_files: Iterable[str] = (),
    spk_extra_files: Iterable[str] = (),
) -> tuple[int, int]:
    """Make ``path`` consistent in place; returns ``(kept, original)`` utterance counts.

    Keeps utterances present in all per-utterance files, sorts every file, rebuilds
    spk2utt and filters speaker/recording files. Originals go to ``<path>/.backup/``.
    Raises DataDirError when no utterance survives.
    """
    path = Path(path)
    data = load_data_tables(path, utt_extra_files, spk_extra_files, lenient=True)
    total = len(data.utt2spk())
    utts = _surviving_utterances(data)
    if not utts:
        raise DataDirError(
            f"no utterances left in {path} after fixing (of {total}): the per-utterance files "
            f"({', '.join(n for n in data.utt_files if n in data.tables)}) share no utterance ids"
        )
    _backup(path, list(data.tables) + ["spk2utt"])
    write_data_subset(data, path, utts)
    return len(utts), total


def _rename(table: dict[str, str], key_map: dict[str, str]) -> dict[str, str]:
    return {key_map[k]: v for k, v in table.items() if k in key_map}


def copy_data_dir(
    src: str | os.PathLike,
    dest: str | os.PathLike,
    utt_prefix: str = "",
    spk_prefix: str = "",
    utt_suffix: str = "",
    spk_suffix: str = "",
) -> int:
    """Copy a data directory, optionally renaming utterance and speaker ids.

    Recording ids are kept when there is a segments file. When utterances are renamed,
    utt2uniq maps each new id to the original one (Kaldi's copy_data_dir.sh does the same).
    """
    data = load_data_tables(src)
    utt2spk = data.utt2spk()
    utt_map = {u: f"{utt_prefix}{u}{utt_suffix}" for u in utt2spk}
    spk_map = {s: f"{spk_prefix}{s}{spk_suffix}" for s in set(utt2spk.values())}
    out: dict[str, dict[str, str]] = {}
    for name, table in data.tables.items():
        keyed = _keys_for(data, name, {"u"}, {"s"}, {"r"})
        if keyed == {"u"}:
            out[name] = _rename(table, utt_map)
        elif keyed == {"s"}:
            out[name] = _rename(table, spk_map)
        else:
            out[name] = dict(table)
    out["utt2spk"] = {utt_map[u]: spk_map[s] for u, s in utt2spk.items()}
    if "utt2uniq" not in out and (utt_prefix or utt_suffix):
        out["utt2uniq"] = {utt_map[u]: u for u in utt2spk}
    renamed = DataTables(Path(src), out, data.utt_files, data.spk_files)
    return write_data_subset(renamed, dest, out["utt2spk"])
