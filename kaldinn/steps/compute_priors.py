"""steps/compute_priors.py: label counts over training alignments, for pseudo log-likelihoods.

Reads frame labels (int32 vectors: ``ali-to-pdf`` output, or ``<data-dir>/ali.scp``) and
writes how often each label occurs, in Kaldi's text vector form ``[ c1 c2 ... ]`` (what
``analyze-counts`` writes and ``--class-frame-counts`` reads). Add-one floor: every count is
the number of frames plus one, so a label never seen in the alignments still has a finite
log prior (log((0 + 1) / total)) instead of -inf, which would make its pseudo
log-likelihood +inf. ``steps/forward.py --output log-likelihood --priors FILE`` uses it:
log prior = log(count / sum of counts).

Given a Kaldi alignment directory (``final.mdl``, ``num_jobs``, ``ali.*.gz``) instead, the
counts are those of ``analyze-counts --counts-dim=<num-pdfs>`` over ``ali-to-pdf`` (or, with
``--targets phone``, of the per-frame phones in topology order): Kaldi's half-frame floor
(+0.5), one count per model output whether seen or not, as ``steps/train.py --ali-dir`` saves
in ``<exp-dir>/priors.counts`` (:mod:`kaldinn.hmm.alignments`).

Example::

    steps/compute_priors.py --num-classes 48 data/digits_train exp/phone_lstm/ali_train_pdf.counts
    steps/compute_priors.py exp/tri3_ali exp/dnn/priors.counts
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
        usage=f"{PROG} [--num-classes N] [--targets pdf|phone] <data-dir|rspecifier|ali-dir> <counts-out>",
    )
    parser.add_argument("--num-classes", type=int, default=0, help="number of outputs (0: max label + 1)")
    parser.add_argument(
        "--targets", choices=("pdf", "phone"), default="pdf", help="Kaldi alignment dir: pdf or phone counts"
    )
    parser.add_argument(
        "alignments",
        help="data dir holding ali.scp, an rspecifier (scp:..., ark:...) or a Kaldi alignment dir",
    )
    parser.add_argument("counts_out")
    return parser


def count_ali_dir(ali_dir: Path, args) -> int:
    """analyze-counts of a Kaldi alignment dir's pdf (or phone) targets; the model sets the dimension."""
    from kaldinn.hmm.alignments import frame_targets, open_ali_dir, prior_counts, write_prior_counts

    targets = frame_targets(open_ali_dir(ali_dir), args.targets)
    if args.num_classes and args.num_classes != targets.num_classes:
        raise KaldinnError(
            f"--num-classes {args.num_classes} but {ali_dir}/final.mdl has {targets.num_classes} "
            f"{args.targets} targets; the alignments do not belong to this network"
        )
    counts = prior_counts(targets)
    write_prior_counts(args.counts_out, counts)
    frames = int(counts.sum() - 0.5 * len(counts))
    print(
        f"{PROG}: wrote analyze-counts of {len(counts)} {args.targets}s ({frames} frames): {args.counts_out}",
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    args = build_parser().parse_args(argv)
    if args.num_classes < 0:
        raise UsageError(f"--num-classes must be >= 0, got {args.num_classes}")
    source = args.alignments
    if Path(source, "num_jobs").is_file() and Path(source, "final.mdl").is_file():
        return count_ali_dir(Path(source), args)
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
