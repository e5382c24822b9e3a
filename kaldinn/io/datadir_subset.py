"""subset_data_dir and combine_data: choose utterances of one directory, or merge several.

Selections (all deterministic; ids in C order): ``evenly`` spaced, ``first``, ``last``,
``shortest`` (by utt2num_frames, else utt2dur), ``per_spk`` (N per speaker, evenly
spaced within the speaker), ``speakers`` (N whole speakers, evenly spaced), an utterance
list or a speaker list.

Example::

    utts = select_utterances("data/train", "shortest", 500)
    subset_data_dir("data/train", "data/train_500short", utts)
    combine_data("data/all", ["data/a", "data/b"])
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from kaldinn.errors import DataDirError
from kaldinn.io.datadir import DataDir, utt2spk_to_spk2utt
from kaldinn.io.datadir_ops import DataTables, fix_data_dir, load_data_tables, write_data_subset
from kaldinn.io.text_table import c_sorted, iter_table_lines, write_table

SELECTIONS = ("evenly", "first", "last", "shortest", "per_spk", "speakers")


def evenly_spaced(items: Sequence[str], n: int) -> list[str]:
    """``n`` items spread evenly over ``items`` (first one included), order kept."""
    total = len(items)
    return [items[i * total // n] for i in range(n)]


def _durations(d: DataDir) -> dict[str, float]:
    for name in ("utt2num_frames", "utt2dur"):
        table = d.read_if_present(name)
        if table is not None:
            try:
                return {k: float(v) for k, v in table.items()}
            except ValueError as err:
                raise DataDirError(f"{d.file(name)}: non-numeric value ({err})") from None
    raise DataDirError(
        f"--shortest needs {d.file('utt2num_frames')} or {d.file('utt2dur')}; "
        f"make features first or compute durations"
    )


def _per_spk(utt2spk: dict[str, str], n: int) -> list[str]:
    out = []
    for utts in utt2spk_to_spk2utt(utt2spk).values():
        skip = max(1, len(utts) // n)  # Kaldi's --per-spk spacing
        out.extend(utts[0 : n * skip : skip])
    return out


def _speakers(utt2spk: dict[str, str], n: int) -> list[str]:
    spk2utt = utt2spk_to_spk2utt(utt2spk)
    if n > len(spk2utt):
        raise DataDirError(f"cannot select {n} speakers: the directory has only {len(spk2utt)}")
    return [u for spk in evenly_spaced(list(spk2utt), n) for u in spk2utt[spk]]


def select_utterances(data_dir: str | os.PathLike, how: str, n: int) -> list[str]:
    """Utterance ids chosen by selection ``how`` (one of SELECTIONS) with count ``n``."""
    d = DataDir(data_dir)
    utt2spk = d.utt2spk()
    utts = c_sorted(utt2spk)
    if n < 1:
        raise DataDirError(f"number to select must be positive, got {n}")
    if how in ("evenly", "first", "last", "shortest") and n > len(utts):
        raise DataDirError(f"cannot subset {d.path} to {n} utterances: it has only {len(utts)}")
    choose: dict[str, Callable[[], list[str]]] = {
        "evenly": lambda: evenly_spaced(utts, n),
        "first": lambda: utts[:n],
        "last": lambda: utts[len(utts) - n :],
        "shortest": lambda: _shortest(d, utts, n),
        "per_spk": lambda: _per_spk(utt2spk, n),
        "speakers": lambda: _speakers(utt2spk, n),
    }
    if how not in choose:
        raise DataDirError(f"unknown selection {how!r}; choose one of {', '.join(SELECTIONS)}")
    return choose[how]()


def _shortest(d: DataDir, utts: list[str], n: int) -> list[str]:
    lengths = _durations(d)
    missing = [u for u in utts if u not in lengths]
    if missing:
        raise DataDirError(f"{d.path}: no length for utterance {missing[0]!r}; run utils/fix_data_dir.py")
    return sorted(utts, key=lambda u: (lengths[u], u.encode()))[:n]


def read_id_list(path: str | os.PathLike) -> list[str]:
    """First field of each line of ``path`` (an utterance or speaker list)."""
    return [key for _, key, _ in iter_table_lines(path)]


def utterances_of_speakers(data_dir: str | os.PathLike, speakers: Iterable[str]) -> list[str]:
    """Utterances of the listed speakers (unknown speakers are ignored, as Kaldi does)."""
    wanted = set(speakers)
    return [u for u, s in DataDir(data_dir).utt2spk().items() if s in wanted]


def subset_data_dir(src: str | os.PathLike, dest: str | os.PathLike, utts: Iterable[str]) -> int:
    """Write the part of ``src`` holding ``utts`` (unknown ids ignored) to ``dest``."""
    data = load_data_tables(src)
    known = data.utt2spk()
    chosen = [u for u in utts if u in known]
    if not chosen:
        raise DataDirError(f"none of the requested utterances is in {src}")
    if Path(src).resolve() == Path(dest).resolve():
        raise DataDirError(f"destination {dest} is the source directory; choose another")
    return write_data_subset(data, dest, chosen)


def _merge_file(name: str, sources: list[DataTables], strict_keys: bool) -> dict[str, str] | None:
    """Merge table ``name`` of all sources; on a key clash, raise (strict) or return None."""
    merged: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for data in sources:
        for key, value in data.tables[name].items():
            if key in merged and (strict_keys or merged[key] != value):
                if strict_keys or name == "wav.scp":
                    raise DataDirError(
                        f"{name}: id {key!r} appears in both {origin[key]} and {data.path}; "
                        f"make ids unique first (utils/copy_data_dir.py --utt-prefix ...)"
                    )
                return None
            merged[key], origin[key] = value, data.path
    return merged


def combine_data(dest: str | os.PathLike, srcs: Sequence[str | os.PathLike]) -> tuple[list[str], int]:
    """Combine ``srcs`` into ``dest`` and fix it; returns (skipped file notes, #utterances).

    A file is combined only if every source has it. Utterance ids must be unique across
    sources; speaker or recording ids may repeat when their lines agree.
    """
    if not srcs:
        raise DataDirError("combine_data needs at least one source directory")
    sources = [load_data_tables(s) for s in srcs]
    if any(data.segmented for data in sources) and not all(data.segmented for data in sources):
        with_seg = [str(d.path) for d in sources if d.segmented]
        raise DataDirError(
            f"only some sources have a segments file ({', '.join(with_seg)}); wav.scp would be keyed "
            f"inconsistently. Give every source a segments file (one segment per recording) first"
        )
    notes: list[str] = []
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in sorted({name for data in sources for name in data.tables}):
        lacking = [str(d.path) for d in sources if name not in d.tables]
        merged = None
        if lacking:
            notes.append(f"not combining {name} as it does not exist in {', '.join(lacking)}")
        else:
            merged = _merge_file(name, sources, strict_keys=name in sources[0].utt_files)
            if merged is None:
                notes.append(f"not combining {name}: its ids clash across sources with different values")
        if merged is not None:
            write_table(dest / name, merged)
        elif (dest / name).is_file():
            os.unlink(dest / name)  # left by an earlier combine into the same directory
    kept, _ = fix_data_dir(dest)
    return notes, kept
