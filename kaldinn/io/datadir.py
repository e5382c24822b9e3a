"""Kaldi data directories: which file is keyed by what, and the DataDir class.

A data directory holds text tables (``wav.scp``, ``utt2spk``, ``spk2utt``, ``text``,
``segments``, ``feats.scp``, ...), each sorted in ``LC_ALL=C`` order with unique keys.
``utt2spk`` is the source of truth for utterances and speakers; ``spk2utt`` is derived.

Example::

    d = DataDir("data/train")
    print(len(d.utt_ids()), "utterances from", len(d.spk2utt()), "speakers")
    problems = d.validate(no_feats=True)      # [] when the directory is valid
    parts = d.split(4)                        # [data/train/split4/1, ..., split4/4]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kaldinn.errors import DataDirError
from kaldinn.io.text_table import c_sorted, read_table, write_table

# Files keyed by utterance id (wav.scp too when there is no segments file).
UTT_FILES = (
    "utt2spk",
    "text",
    "segments",
    "feats.scp",
    "vad.scp",
    "utt2lang",
    "utt2label",  # kaldinn: utterance class labels (words_*, events_*)
    "ali.scp",  # kaldinn: per-frame integer targets (digits_*)
    "utt2uniq",
    "utt2dur",
    "utt2num_frames",
    "utt2warp",
    "utt2category",
)
# Files keyed by speaker id (cmvn.scp may also be per utterance: see ``keyed_by``).
SPK_FILES = ("spk2utt", "cmvn.scp", "spk2gender", "spk2warp")
# Files keyed by recording id when a segments file exists.
RECO_FILES = ("wav.scp", "reco2dur", "reco2file_and_channel", "reco2num_samples")


def utt2spk_to_spk2utt(utt2spk: Mapping[str, str]) -> dict[str, list[str]]:
    """Invert utt2spk: speakers in C order, each with its utterances in C order."""
    spk2utt: dict[str, list[str]] = {}
    for utt in c_sorted(utt2spk):
        spk2utt.setdefault(utt2spk[utt], []).append(utt)
    return {spk: spk2utt[spk] for spk in c_sorted(spk2utt)}


def spk2utt_to_utt2spk(spk2utt: Mapping[str, list[str]]) -> dict[str, str]:
    """Expand spk2utt into utt2spk (C-sorted by utterance)."""
    utt2spk: dict[str, str] = {}
    for spk, utts in spk2utt.items():
        for utt in utts:
            if utt in utt2spk:
                raise DataDirError(
                    f"utterance {utt!r} belongs to both speaker {utt2spk[utt]!r} and {spk!r} in spk2utt"
                )
            utt2spk[utt] = spk
    return {utt: utt2spk[utt] for utt in c_sorted(utt2spk)}


def write_spk2utt(path: str | os.PathLike, utt2spk: Mapping[str, str]) -> None:
    """Write ``spk2utt`` derived from ``utt2spk`` (atomically, C-sorted)."""
    write_table(path, utt2spk_to_spk2utt(utt2spk))


class DataDir:
    """A Kaldi data directory on disk; every accessor reads the current files."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DataDir({str(self.path)!r})"

    def __str__(self) -> str:
        return str(self.path)

    def file(self, name: str) -> Path:
        """Path of ``name`` (e.g. ``"utt2spk"``) inside the directory."""
        return self.path / name

    def has(self, name: str) -> bool:
        """Whether the directory holds file ``name``."""
        return (self.path / name).is_file()

    def read(self, name: str, split: bool = False) -> dict:
        """Read a table of this directory (raises TableError naming file and line)."""
        if not self.path.is_dir():
            raise DataDirError(f"data directory {self.path} does not exist")
        if not self.has(name):
            raise DataDirError(f"{self.file(name)} does not exist")
        return read_table(self.file(name), split=split)

    def read_if_present(self, name: str, split: bool = False) -> dict | None:
        """Read table ``name`` or return None when the directory does not have it."""
        return self.read(name, split=split) if self.has(name) else None

    # Named accessors for the files steps use most.
    def utt2spk(self) -> dict[str, str]:
        return self.read("utt2spk")

    def spk2utt(self) -> dict[str, list[str]]:
        """Speakers to utterances, derived from utt2spk (the authoritative file)."""
        return utt2spk_to_spk2utt(self.utt2spk())

    def text(self) -> dict[str, str]:
        return self.read("text")

    def wav_scp(self) -> dict[str, str]:
        return self.read("wav.scp")

    def segments(self) -> dict[str, tuple[str, float, float]] | None:
        """``utt -> (reco, start, end)`` or None without a segments file."""
        table = self.read_if_present("segments", split=True)
        if table is None:
            return None
        out = {}
        for utt, fields in table.items():
            if len(fields) != 3:
                raise DataDirError(f"{self.file('segments')}: utterance {utt!r} needs <reco> <start> <end>")
            try:
                out[utt] = (fields[0], float(fields[1]), float(fields[2]))
            except ValueError:
                raise DataDirError(
                    f"{self.file('segments')}: utterance {utt!r} has non-numeric times {fields[1:]}"
                ) from None
        return out

    def feats_scp(self) -> dict[str, str]:
        return self.read("feats.scp")

    def utt_ids(self) -> list[str]:
        """Utterance ids in C order (from utt2spk)."""
        return c_sorted(self.utt2spk())

    def spk_ids(self) -> list[str]:
        return list(self.spk2utt())

    def reco_ids(self) -> list[str]:
        """Recording ids: wav.scp keys (utterance ids when there is no segments file)."""
        return c_sorted(self.wav_scp())

    def keyed_by(self, name: str) -> str:
        """``"utt"``, ``"spk"`` or ``"reco"``: what the keys of file ``name`` are."""
        if name in UTT_FILES:
            return "utt"
        if name in SPK_FILES:
            return "spk"
        if name in RECO_FILES:
            return "reco" if self.has("segments") else "utt"
        raise DataDirError(f"{name} is not a known data-directory file")

    def num_frames(self) -> dict[str, int] | None:
        """utt2num_frames as ints, or None when absent."""
        table = self.read_if_present("utt2num_frames")
        return None if table is None else {k: int(v) for k, v in table.items()}

    # Operations (implemented in the datadir_* and validate modules).
    def validate(self, **options: bool) -> list[str]:
        """Problems found (empty when valid); options as validate_data_dir.py's."""
        from kaldinn.io.validate import validate_data_dir

        return validate_data_dir(self.path, **options).errors

    def require_valid(self, **options: bool) -> None:
        """Raise DataDirError listing every problem unless the directory is valid."""
        from kaldinn.io.validate import validate_data_dir

        validate_data_dir(self.path, **options).raise_if_invalid()

    def fix(self, utt_extra_files: tuple[str, ...] = (), spk_extra_files: tuple[str, ...] = ()) -> int:
        """Run fix_data_dir in place; returns the number of utterances kept."""
        from kaldinn.io.datadir_ops import fix_data_dir

        return fix_data_dir(self.path, utt_extra_files, spk_extra_files)[0]

    def split(self, n: int, per_utt: bool = False) -> list[Path]:
        """Split into ``split<n>[utt]/1..n`` (reused when up to date)."""
        from kaldinn.io.datadir_split import split_data

        return split_data(self.path, n, per_utt=per_utt)
