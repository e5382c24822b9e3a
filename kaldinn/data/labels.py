"""Training targets from a data directory, and label maps saved in the experiment dir.

Label sources: ``utt2lang``, ``utt2spk``, ``utt2label`` (one class per utterance), ``text``
(token sequences for CTC: ids 0 = ``<blk>``, 1 = ``<unk>``, then the sorted training
tokens) and ``ali`` (``ali.scp``: int32 frame labels, e.g. phone ids; the map is the
``phones.txt`` next to the data, and a label beyond it is an error; or frame targets
from a Kaldi alignment dir, :mod:`kaldinn.data.ali_targets`, via ``Targets.from_frames``).
A map is a text file of ``<label> <id>`` lines, ids 0..N-1, written as
``<exp-dir>/labels.txt`` and read back on resume and by forward steps.

Example::

    labels = build_label_map("data/lid_train", "utt2lang")
    labels.save("exp/lid/labels.txt")
    targets = load_targets("data/lid_dev", "utt2lang", labels)
    targets.get("spk0139-lid-002210")   # -> class id, or None when unknown
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from kaldinn.errors import DataDirError
from kaldinn.io.atomic import write_text_atomic
from kaldinn.io.tables import RandomAccessReader, SequentialReader
from kaldinn.io.text_table import c_sorted, read_table

LABEL_SOURCES = ("utt2lang", "utt2spk", "utt2label", "text", "ali")
UTTERANCE_SOURCES = ("utt2lang", "utt2spk", "utt2label")
LABEL_MAP_FILE = "labels.txt"
BLANK, UNK = "<blk>", "<unk>"


class LabelMap:
    """Labels and their ids 0..N-1."""

    def __init__(self, labels: list[str]):
        self.labels = list(labels)
        self._ids = {label: i for i, label in enumerate(self.labels)}
        if len(self._ids) != len(self.labels):
            raise DataDirError("a label map cannot hold the same label twice")

    def __len__(self) -> int:
        return len(self.labels)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelMap) and self.labels == other.labels

    def get(self, label: str) -> int | None:
        return self._ids.get(label)

    def index(self, label: str) -> int:
        if label not in self._ids:
            raise DataDirError(f"label {label!r} is not in the label map ({len(self)} labels)")
        return self._ids[label]

    def label(self, index: int) -> str:
        return self.labels[index]

    def save(self, path: str | os.PathLike) -> None:
        """Write ``<label> <id>`` lines atomically."""
        write_text_atomic(path, "".join(f"{label} {i}\n" for i, label in enumerate(self.labels)))

    @classmethod
    def load(cls, path: str | os.PathLike) -> LabelMap:
        """Read a ``<label> <id>`` file (ids must be exactly 0..N-1, in any line order)."""
        by_id: dict[int, str] = {}
        for label, id_text in read_table(path).items():
            if not id_text.isdigit():
                raise DataDirError(f"{path}: label {label!r} has id {id_text!r}; expected an integer")
            by_id[int(id_text)] = label
        if sorted(by_id) != list(range(len(by_id))):
            raise DataDirError(f"{path}: label ids must be 0..{len(by_id) - 1} without gaps")
        return cls([by_id[i] for i in range(len(by_id))])


def load_label_map(exp_dir: str | os.PathLike) -> LabelMap:
    """The label map a training run saved in ``exp_dir``."""
    path = Path(exp_dir) / LABEL_MAP_FILE
    if not path.is_file():
        raise DataDirError(f"{path} does not exist; was {exp_dir} trained with steps/train.py?")
    return LabelMap.load(path)


def check_source(source: str) -> None:
    if source not in LABEL_SOURCES:
        raise DataDirError(f"unknown label source {source!r}; valid choices: {', '.join(LABEL_SOURCES)}")


def _source_file(data_dir: Path, source: str) -> Path:
    path = data_dir / ("ali.scp" if source == "ali" else source)
    if not path.is_file():
        raise DataDirError(f"{path} does not exist: data.labels={source} needs it in {data_dir}")
    return path


def build_label_map(data_dir: str | os.PathLike, source: str) -> LabelMap:
    """The label map of ``source`` over the (training) data directory ``data_dir``."""
    check_source(source)
    data_dir = Path(data_dir)
    path = _source_file(data_dir, source)
    if source in UTTERANCE_SOURCES:
        return LabelMap(c_sorted(set(read_table(path).values())))
    if source == "text":
        tokens = {token for line in read_table(path).values() for token in line.split()}
        return LabelMap([BLANK, UNK] + c_sorted(tokens - {BLANK, UNK}))
    with SequentialReader(f"scp:{path}") as reader:
        top = max((int(ali.max()) for _, ali in reader if ali.size), default=0)
    phones = find_phones(data_dir)
    if phones is None:
        return LabelMap([str(i) for i in range(top + 1)])
    labels = LabelMap.load(phones)
    if top >= len(labels):
        raise DataDirError(
            f"{path} has label {top} but {phones} names {len(labels)} phones: these are not phone ids "
            "(pdf-ids?); train on a Kaldi alignment dir with steps/train.py --ali-dir DIR --targets pdf"
        )
    return labels


def find_phones(data_dir: Path) -> Path | None:
    """``<data>/phones.txt`` or ``<data>/../lang/phones.txt``, whichever exists first."""
    for path in (data_dir / "phones.txt", data_dir.parent / "lang" / "phones.txt"):
        if path.is_file():
            return path
    return None


class Targets:
    """Per-utterance targets of one data directory, looked up by utterance id.

    ``get`` returns an int (utterance sources), an int64 vector of token ids (text) or an
    int32 vector of frame labels (ali, read lazily: safe in DataLoader workers), or None
    when the utterance has no label or a label the map lacks (listed in ``missing``).
    """

    def __init__(self, data_dir: str | os.PathLike, source: str, label_map: LabelMap):
        check_source(source)
        self.source, self.label_map = source, label_map
        path = _source_file(Path(data_dir), source)
        self.missing: list[str] = []
        self._table: dict[str, object] = {}
        self._ali: RandomAccessReader | None = None
        if source == "ali":
            self._ali = RandomAccessReader(f"scp:{path}")
        elif source == "text":
            unk = label_map.index(UNK)
            for utt, line in read_table(path).items():
                ids = [label_map.get(token) for token in line.split()]
                self._table[utt] = np.array([unk if i is None else i for i in ids], dtype=np.int64)
        else:
            for utt, label in read_table(path).items():
                index = label_map.get(label)
                if index is None:
                    self.missing.append(utt)
                else:
                    self._table[utt] = index

    @classmethod
    def from_frames(cls, frames: dict[str, np.ndarray], label_map: LabelMap) -> Targets:
        """Frame-level targets held in memory (utterance -> int32 class ids), e.g. from an
        alignment directory (:mod:`kaldinn.data.ali_targets`)."""
        targets = cls.__new__(cls)
        targets.source, targets.label_map = "ali", label_map
        targets.missing, targets._ali, targets._table = [], None, dict(frames)
        return targets

    @property
    def frame_level(self) -> bool:
        return self.source == "ali"

    @property
    def sequence(self) -> bool:
        return self.source == "text"

    def __contains__(self, utt_id: str) -> bool:
        if self._ali is not None:
            return utt_id in self._ali
        return utt_id in self._table

    def get(self, utt_id: str) -> int | np.ndarray | None:
        if self._ali is not None:
            return self._ali[utt_id] if utt_id in self._ali else None
        return self._table.get(utt_id)


def load_targets(data_dir: str | os.PathLike, source: str, label_map: LabelMap) -> Targets:
    """Targets of ``data_dir`` from ``source``, mapped through ``label_map``."""
    return Targets(data_dir, source, label_map)
