"""Frame targets from a Kaldi alignment directory for ``steps/train.py --ali-dir``.

``--ali-dir exp/tri3_ali --targets pdf|phone`` trains on ``ali-to-pdf`` (or ``ali-to-phones
--per-frame``) of the directory's alignments (:mod:`kaldinn.hmm.alignments`). The number
of outputs is the model's (``num_pdfs`` or its number of phones), never the labels seen;
labels are ``pdf-<id>``, or phone names from ``<ali-dir>/phones.txt`` (``phone-<id>`` without
one): ``data/lang/phones.txt`` is never consulted here. The validation data is looked up
in ``--valid-ali-dir`` (default: the same directory; Kaldi's nnet recipes hold out aligned
training utterances). Utterances without an alignment are skipped and reported, as Kaldi's
trainers warn "No alignment for utterance"; a data dir with none aligned is an error.

The training run also writes, beside the model in the exp dir:

* ``priors.counts``: ``analyze-counts`` of the training alignments (every utterance of the
  alignment dir, plus the 0.5 floor), for ``steps/forward.py --output log-likelihood
  --priors <exp>/priors.counts`` (pseudo log-likelihoods for Kaldi's mapped decoders);
* ``final.mdl``: a copy of the alignment model (its transition model maps the HCLG graph's
  transition-ids to the network's pdf outputs), as Kaldi's nnet1 scripts copy it;
* ``ali_targets``: ``<kind> <ali-dir>`` (what the outputs mean).

On resume, the saved ``labels.txt`` must equal the alignment's label map: a run cannot
switch from phone to pdf targets, or to a model with other pdfs, without ``--restart``.

Example::

    prepared = prepare_ali_targets(Path("exp/tri3_ali"), None, "pdf", Path("exp/dnn"), log)
    targets = prepared.targets_for(Path("data/train"), train=True)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kaldinn.data.labels import LABEL_MAP_FILE, LabelMap, Targets
from kaldinn.errors import DataDirError
from kaldinn.hmm.alignments import (
    FrameTargets,
    frame_targets,
    open_ali_dir,
    prior_counts,
    write_prior_counts,
)
from kaldinn.io.atomic import atomic_write, write_text_atomic
from kaldinn.io.text_table import read_table

PRIORS_FILE = "priors.counts"
MODEL_COPY = "final.mdl"
DESCRIPTION_FILE = "ali_targets"


@dataclass
class AliTargets:
    """The label map and frame targets of the training (and validation) alignment dirs."""

    labels: LabelMap
    train: FrameTargets
    valid: FrameTargets

    def targets_for(self, data_dir: Path, train: bool) -> Targets:
        """Frame targets of ``data_dir``'s utterances; error when none of them is aligned."""
        frames = self.train if train else self.valid
        utts = list(read_table(data_dir / "feats.scp"))
        aligned = [u for u in utts if u in frames.frames]
        if not aligned:
            hint = "" if train else "; give the alignments of the validation data with --valid-ali-dir"
            raise DataDirError(
                f"none of the {len(utts)} utterances of {data_dir} (e.g. {', '.join(utts[:2])}) is aligned "
                f"in {frames.source}{hint}"
            )
        return Targets.from_frames(frames.frames, self.labels)


def _check_resumed_labels(exp_dir: Path, labels: LabelMap, source: Path, kind: str) -> None:
    path = exp_dir / LABEL_MAP_FILE
    if not path.is_file():
        return
    saved = LabelMap.load(path)
    if saved != labels:
        raise DataDirError(
            f"{path} has {len(saved)} labels ({', '.join(saved.labels[:2])}, ...) but the {kind} targets of "
            f"{source} have {len(labels)} ({', '.join(labels.labels[:2])}, ...); the run was started with "
            "other targets: use --restart or a new exp dir"
        )


def prepare_ali_targets(
    ali_dir: Path,
    valid_ali_dir: Path | None,
    kind: str,
    exp_dir: Path,
    log: Callable[[str], None],
    resuming: bool = False,
    save: bool = True,
) -> AliTargets:
    """Read the alignment dir(s), check a resumed run's label map, save priors/model/labels."""
    ali = open_ali_dir(ali_dir)
    train = frame_targets(ali, kind)
    valid = train
    if valid_ali_dir is not None and valid_ali_dir.resolve() != ali_dir.resolve():
        other = open_ali_dir(valid_ali_dir)
        valid = frame_targets(other, kind)
        if valid.names != train.names:
            raise DataDirError(
                f"{valid_ali_dir} ({other.model}) does not have the {kind} targets of {ali_dir} "
                f"({ali.model}); align the validation data with the same model"
            )
    labels = LabelMap(train.names)
    log(f"{kind} targets from {ali_dir}: {len(labels)} outputs ({ali.model}), {len(train.frames)} alignments")
    if resuming:
        _check_resumed_labels(exp_dir, labels, ali_dir, kind)
    if save:
        exp_dir.mkdir(parents=True, exist_ok=True)
        write_prior_counts(exp_dir / PRIORS_FILE, prior_counts(train))
        with (
            atomic_write(exp_dir / MODEL_COPY, "wb", encoding=None) as f,
            open(ali.path / "final.mdl", "rb") as src,
        ):
            shutil.copyfileobj(src, f)
        write_text_atomic(exp_dir / DESCRIPTION_FILE, f"{kind} {ali_dir.resolve()}\n")
        labels.save(exp_dir / LABEL_MAP_FILE)
        log(f"saved {LABEL_MAP_FILE}, {PRIORS_FILE} (analyze-counts + 0.5) and {MODEL_COPY} in {exp_dir}")
    return AliTargets(labels, train, valid)
