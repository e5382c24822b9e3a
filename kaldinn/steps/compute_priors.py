"""steps/compute_priors.py: label counts over training alignments, for pseudo log-likelihoods.

Reads frame labels (int32 vectors: ``ali-to-pdf`` output, or ``<data-dir>/ali.scp``) and
writes how often each label occurs, in Kaldi's text vector form ``[ c1 c2 ... ]`` (what
``analyze-counts`` writes and ``--class-frame-counts`` reads). Add-one floor: every count is
the number of frames plus one, so a label never seen in the alignments still has a finite
log prior (log((0 + 1) / total)) instead of -inf, which would make its pseudo
log-likelihood +inf. ``steps/forward.py --output log-likelihood --priors FILE`` uses it:
log prior = log(count / sum of counts).

Example::

    steps/compute_priors.py --num-classes 48 data/digits_train exp/phone_lstm/ali_train_pdf.counts
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser
from kaldinn.errors import KaldinnError, UsageError
from kaldinn.io.atomic import write_text_atomic

PROG = "compute_priors.py"


def count_labels(rspec: str, num_classes: int = 0) -> np.ndarray:
    """Raw (not floored) int64 counts of every label in the int32 vectors of ``rspec``.

    ``num_classes`` 0 means the largest label seen plus one; a label >= ``num_classes``
    is an error naming the utterance.
    """
    from kaldinn.io.tables import SequentialReader

    counts = np.zeros(max(num_classes, 0), dtype=np.int64)
    utts = 0
    with SequentialReader(rspec) as reader:
        for utt, ali in reader:
            ali = np.asarray(ali)
            if ali.ndim != 1 or not np.issubdtype(ali.dtype, np.integer):
                raise KaldinnError(f"{rspec}: {utt} is not an integer vector (an alignment)")
            if ali.size and ali.min() < 0:
                raise KaldinnError(f"{rspec}: {utt} has a negative label {ali.min()}")
            top = int(ali.max(initial=-1)) + 1
            if num_classes and top > num_classes:
                raise KaldinnError(
                    f"{rspec}: {utt} has label {top - 1} but --num-classes is {num_classes}; "
                    "the alignments do not belong to this model (check hmm-info / the label map)"
                )
            if top > len(counts):
                counts = np.pad(counts, (0, top - len(counts)))
            counts += np.bincount(ali, minlength=len(counts))
            utts += 1
    if utts == 0:
        raise KaldinnError(f"{rspec} holds no alignments")
    return counts


def format_counts(counts: np.ndarray) -> str:
    """Kaldi text vector: ``[ c1 c2 ... ]`` and a newline."""
    return "[ " + " ".join(str(int(c)) for c in counts) + " ]\n"


def read_counts(path: str | Path) -> np.ndarray:
    """Parse a Kaldi text vector ``[ c1 c2 ... ]`` of counts (float64)."""
    path = Path(path)
    try:
        tokens = path.read_text().split()
    except OSError as err:
        raise KaldinnError(f"cannot read priors file {path}: {err.strerror}") from None
    if len(tokens) < 3 or tokens[0] != "[" or tokens[-1] != "]":
        raise KaldinnError(f"{path} is not a Kaldi text vector '[ c1 c2 ... ]'; make it with {PROG}")
    try:
        counts = np.array([float(t) for t in tokens[1:-1]], dtype=np.float64)
    except ValueError as err:
        raise KaldinnError(f"{path}: {err}") from None
    if not np.isfinite(counts).all() or (counts <= 0).any():
        raise KaldinnError(f"{path}: counts must be finite and positive (the add-one floor makes them so)")
    return counts


def log_priors(counts: np.ndarray) -> np.ndarray:
    """log(count / total) per label, float64."""
    return np.log(counts) - np.log(counts.sum())


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Label counts (add-one floored) from alignments, as a Kaldi text vector.",
        usage=f"{PROG} [--num-classes N] <data-dir|ali-rspecifier> <counts-out>",
    )
    parser.add_argument("--num-classes", type=int, default=0, help="number of outputs (0: max label + 1)")
    parser.add_argument("alignments", help="data dir holding ali.scp, or an rspecifier (scp:..., ark:...)")
    parser.add_argument("counts_out")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    args = build_parser().parse_args(argv)
    if args.num_classes < 0:
        raise UsageError(f"--num-classes must be >= 0, got {args.num_classes}")
    source = args.alignments
    if Path(source).is_dir():
        if not (Path(source) / "ali.scp").is_file():
            raise KaldinnError(f"{source}/ali.scp does not exist; give the alignments' rspecifier instead")
        source = f"scp:{Path(source) / 'ali.scp'}"
    counts = count_labels(source, args.num_classes) + 1  # add-one floor (see the header)
    write_text_atomic(args.counts_out, format_counts(counts))
    print(
        f"{PROG}: wrote counts of {len(counts)} labels ({int(counts.sum() - len(counts))} frames) "
        f"to {args.counts_out}",
        file=sys.stderr,
    )
    return 0
