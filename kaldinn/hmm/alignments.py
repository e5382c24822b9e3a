"""Kaldi alignment directories (``exp/tri3_ali``) as frame targets and label priors.

An alignment directory, as ``steps/align_si.sh`` (or ``align_fmllr.sh``, nnet3 alignment
scripts) writes it, holds ``final.mdl``, ``num_jobs`` and ``ali.1.gz`` .. ``ali.N.gz``: gzipped
int32-vector archives of transition-ids, one per utterance, in text (align_si.sh's
``ark,t:|gzip -c``) or binary form; both are read (a job file that is not gzipped is read as
a plain archive). Optionally ``phones.txt`` (copied there by align_si.sh) names the phones.

Targets (``kind``), exactly as Kaldi's tools map transition-ids:

* ``pdf``: ``ali-to-pdf`` (class = pdf-id; ``num_pdfs`` classes, named ``pdf-<id>``);
* ``phone``: ``ali-to-phones --per-frame`` (class i = the i-th phone of the model's
  topology in id order, named from ``phones.txt``, ``phone-<id>`` without one).

The number of classes comes from the model, never from the labels seen. Priors are
counted as ``analyze-counts --counts-dim=<classes>`` does: frames per class over every
alignment of the directory plus 0.5 (Kaldi's "half-frame" floor, so a class never seen has
a finite log prior log(0.5 / total)), written as Kaldi's text vector ``[ c0 c1 ... ]``.

Example::

    ali = open_ali_dir("exp/tri3_ali")
    targets = frame_targets(ali, "pdf")            # targets.frames["utt1"] -> int32 pdf-ids
    write_prior_counts("exp/dnn/priors.counts", prior_counts(targets))
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kaldinn.errors import KaldinnError, ModelError
from kaldinn.hmm.transition_model import TransitionModel, read_transition_model
from kaldinn.io.atomic import write_text_atomic

TARGET_KINDS = ("pdf", "phone")
PRIOR_FLOOR = 0.5  # analyze-counts adds half a frame to every count
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class AlignmentDir:
    """An opened alignment directory: its model and job files (alignments are read on demand)."""

    path: Path
    model: TransitionModel
    num_jobs: int

    @property
    def ali_files(self) -> list[Path]:
        return [self.path / f"ali.{job}.gz" for job in range(1, self.num_jobs + 1)]

    @property
    def phones_txt(self) -> Path | None:
        path = self.path / "phones.txt"
        return path if path.is_file() else None


def open_ali_dir(path: str | os.PathLike) -> AlignmentDir:
    """Check an alignment directory's files and read its transition model."""
    path = Path(path)
    if not path.is_dir():
        raise KaldinnError(f"alignment directory {path} does not exist (make it with steps/align_si.sh)")
    num_jobs_file = path / "num_jobs"
    try:
        text = num_jobs_file.read_text().strip()
    except OSError:
        raise KaldinnError(f"{num_jobs_file} is missing; {path} is not a Kaldi alignment directory") from None
    if not text.isdigit() or int(text) < 1:
        raise KaldinnError(
            f"{num_jobs_file} holds {text[:40]!r}; expected the number of jobs (a positive integer)"
        )
    if not (path / "final.mdl").is_file():
        raise KaldinnError(
            f"{path / 'final.mdl'} is missing; an alignment directory needs the model it aligned with"
        )
    ali = AlignmentDir(path, read_transition_model(path / "final.mdl"), int(text))
    missing = [str(f) for f in ali.ali_files if not f.is_file()]
    if missing:
        raise KaldinnError(
            f"{path} has num_jobs={ali.num_jobs} but lacks {', '.join(missing[:3])}; alignment unfinished?"
        )
    return ali


def ali_rspecifier(path: Path) -> str:
    """The rspecifier of one job's alignments: gunzip through a pipe, or the plain archive."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == _GZIP_MAGIC
    return f"ark:gunzip -c {shlex.quote(str(path))} |" if gzipped else f"ark:{path}"


def read_transition_ids(ali: AlignmentDir) -> dict[str, np.ndarray]:
    """utterance -> int32 transition-ids over every job file; each checked against the model."""
    from kaldinn.io.tables import SequentialReader

    alignments: dict[str, np.ndarray] = {}
    where: dict[str, Path] = {}
    for path in ali.ali_files:
        with SequentialReader(ali_rspecifier(path)) as reader:
            for utt, tids in reader:
                if tids.dtype != np.int32 or tids.ndim != 1:
                    raise ModelError(f"{path}: {utt} is not an int32 vector of transition-ids")
                if utt in alignments:
                    raise ModelError(f"{path}: utterance {utt} is aligned again (first in {where[utt]})")
                ali.model.check_transition_ids(tids, f"{path}: {utt}")
                alignments[utt], where[utt] = tids, path
    if not alignments:
        raise ModelError(f"{ali.path}: the ali.*.gz files hold no alignments")
    return alignments


def ali_to_pdf(model: TransitionModel, tids: np.ndarray) -> np.ndarray:
    """Per-frame pdf-ids (``ali-to-pdf``)."""
    return model.tid_to_pdf[tids].astype(np.int32)


def ali_to_phones_per_frame(model: TransitionModel, tids: np.ndarray) -> np.ndarray:
    """Per-frame phone ids (``ali-to-phones --per-frame=true``)."""
    return model.tid_to_phone[tids].astype(np.int32)


@dataclass
class FrameTargets:
    """Per-frame class ids of every aligned utterance, with the classes' names."""

    kind: str
    names: list[str]  # class id -> name
    frames: dict[str, np.ndarray]  # utt -> int32 class ids, one per frame
    source: Path

    @property
    def num_classes(self) -> int:
        return len(self.names)


def phone_names(model: TransitionModel, phones_txt: Path | None) -> list[str]:
    """Names of the model's phones in class order: from ``phones_txt``, else ``phone-<id>``."""
    if phones_txt is None:
        return [f"phone-{p}" for p in model.phones]
    from kaldinn.io.text_table import read_table

    by_id = {}
    for name, id_text in read_table(phones_txt).items():
        if not id_text.isdigit():
            raise KaldinnError(f"{phones_txt}: phone {name!r} has id {id_text!r}; expected an integer")
        by_id[int(id_text)] = name
    missing = [p for p in model.phones if p not in by_id]
    if missing:
        raise KaldinnError(
            f"{phones_txt} lacks phone ids {missing[:5]} of {model.name}; the phones.txt belongs to another "
            "lang dir (use the one the model was trained with)"
        )
    return [by_id[p] for p in model.phones]


def frame_targets(ali: AlignmentDir, kind: str = "pdf") -> FrameTargets:
    """Read every alignment of ``ali`` and map it to ``kind`` (``pdf`` or ``phone``) class ids."""
    if kind not in TARGET_KINDS:
        raise KaldinnError(f"unknown target kind {kind!r}; valid choices: {', '.join(TARGET_KINDS)}")
    model = ali.model
    tids = read_transition_ids(ali)
    if kind == "pdf":
        names = [f"pdf-{i}" for i in range(model.num_pdfs)]
        frames = {utt: ali_to_pdf(model, t) for utt, t in tids.items()}
    else:
        names = phone_names(model, ali.phones_txt)
        class_of_phone = np.full(len(model.topology.phone2idx), -1, dtype=np.int32)
        class_of_phone[model.phones] = np.arange(model.num_phones, dtype=np.int32)
        frames = {utt: class_of_phone[ali_to_phones_per_frame(model, t)] for utt, t in tids.items()}
    return FrameTargets(kind, names, frames, ali.path)


def count_classes(targets: FrameTargets) -> np.ndarray:
    """Frames per class (float64, ``num_classes`` long) over every utterance of ``targets``."""
    counts = np.zeros(targets.num_classes, dtype=np.float64)
    for frames in targets.frames.values():
        counts += np.bincount(frames, minlength=targets.num_classes)
    return counts


def prior_counts(targets: FrameTargets) -> np.ndarray:
    """``analyze-counts --counts-dim=<num_classes>``: frame counts plus the 0.5 floor."""
    return count_classes(targets) + PRIOR_FLOOR


def format_counts(counts: np.ndarray) -> str:
    """Kaldi's text form of a vector, as analyze-counts --binary=false writes it: `` [ 183.5 2.5 ]``."""
    return " [ " + "".join(np.format_float_positional(c, trim="-") + " " for c in counts) + "]\n"


def write_prior_counts(path: str | os.PathLike, counts: np.ndarray) -> None:
    """Write prior counts atomically (read back by ``kaldinn.steps.compute_priors.read_counts``)."""
    write_text_atomic(path, format_counts(counts))
