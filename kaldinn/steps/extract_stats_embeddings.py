"""steps/extract_stats_embeddings.py: order-free statistics as speaker embeddings (SV baseline).

The per-utterance statistics of ``kaldinn.baselines.stats`` (mean, standard deviation, delta
standard deviation and ``--percentile``-th percentile of every feature dimension), standardised
with the mean and standard deviation of the statistics of <train-dir> (the SV training set,
never the evaluation data), written in steps/extract_embeddings.py's layout so that
steps/train_backend.py and steps/score_trials.py (cosine) score them unchanged:
``xvector.1.ark`` + ``xvector.1.scp``, ``spk_xvector.ark``/``.scp``, ``num_utts.ark``, ``utt2spk``
and ``xvector.scp`` (written last). ``standardiser.npz`` records the standardisation.

CMVN defaults to ``none``: speaker CMVN would normalise every test utterance with the stats of
all utterances of its (true) speaker, a leak in verification, and per-utterance mean
normalisation zeroes the mean block; the training-set standardisation is a global CMVN.

Example::

    steps/extract_stats_embeddings.py --vad true data/sv_train data/sv_test exp/sv_stats/xvectors_sv_test
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser

PROG = "extract_stats_embeddings.py"


def build_parser() -> KaldiArgumentParser:
    from kaldinn.steps.train_stats_baseline import add_stats_options

    parser = KaldiArgumentParser(
        prog=PROG,
        description="Standardised utterance statistics as embeddings, in extract_embeddings' layout.",
        usage=f"{PROG} [options] <train-dir> <data-dir> <out-dir>",
    )
    add_stats_options(parser, cmvn="none")
    parser.add_argument("train_dir")
    parser.add_argument("data_dir")
    parser.add_argument("out_dir")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the step; see the module docstring."""
    from kaldinn.baselines.stats import Standardiser
    from kaldinn.io.atomic import atomic_write
    from kaldinn.io.tables import Writer
    from kaldinn.io.text_table import read_table
    from kaldinn.steps.extract_embeddings import write_outputs
    from kaldinn.steps.forward import check_complete
    from kaldinn.steps.make_feats import absolute_output_dir, check_data_dir
    from kaldinn.steps.train_stats_baseline import dir_stats, stats_options

    args = build_parser().parse_args(argv)
    train_dir, data_dir = Path(args.train_dir), Path(args.data_dir)
    options = stats_options(args)
    for d in (train_dir, data_dir):
        check_data_dir(d, ["feats.scp", "utt2spk"])
    train_utts, x_train = dir_stats(train_dir, options)
    same = train_dir.resolve() == data_dir.resolve()
    utts, x = (train_utts, x_train) if same else dir_stats(data_dir, options)
    standardiser = Standardiser.fit(x_train)
    out_dir = absolute_output_dir(args.out_dir)
    for stale in ("xvector.scp", "spk_xvector.scp", "num_utts.ark", "utt2spk"):
        (out_dir / stale).unlink(missing_ok=True)  # a failed re-run must not leave old results
    with atomic_write(out_dir / "standardiser.npz", "wb") as f:
        np.savez(f, mean=standardiser.mean, scale=standardiser.scale)
    with Writer(f"ark,scp:{out_dir}/xvector.1.ark,{out_dir}/xvector.1.scp") as writer:
        for utt, row in zip(utts, standardiser.apply(x), strict=True):
            writer.write(utt, row.astype(np.float32))
    scp = read_table(out_dir / "xvector.1.scp")
    check_complete(scp, data_dir)
    write_outputs(scp, data_dir, out_dir)
    print(f"{PROG}: succeeded writing {len(scp)} embeddings to {out_dir}/xvector.scp", file=sys.stderr)
    return 0
