"""gmm-compute-likes for a data dir: per-pdf GMM log-likelihoods of speaker-CMN'd features with deltas.

Usage: python -m kaldinn.bin.gmm_compute_likes <model-in> <data-dir> <loglikes-wspecifier>

What Kaldi computes with
``gmm-compute-likes final.mdl "ark:apply-cmvn --utt2spk=ark:<data>/utt2spk scp:<data>/cmvn.scp
scp:<data>/feats.scp ark:- | add-deltas ark:- ark:- |" <wspecifier>`` (cmvn_opts empty): one
[frames x pdfs] float matrix per utterance, column j = pdf j, for steps/decode_hybrid.sh
--loglikes. <model-in> is a GMM final.mdl (Kaldi's binary or text, or steps/train_mono.py's).

Example::

    python -m kaldinn.bin.gmm_compute_likes exp/mono/final.mdl data/digits_test_mfcc \\
        ark,scp:exp/mono/loglikes_test/loglikes.ark,exp/mono/loglikes_test/loglikes.scp
"""

from __future__ import annotations

import sys

import numpy as np

from kaldinn.cli import KaldiArgumentParser, run_main

PROG = "gmm_compute_likes"


def build_parser() -> KaldiArgumentParser:
    usage = f"{PROG} <model-in> <data-dir> <loglikes-wspecifier>"
    p = KaldiArgumentParser(prog=PROG, description="Per-pdf GMM log-likelihoods of a data dir.", usage=usage)
    p.add_argument("model")
    p.add_argument("data_dir")
    p.add_argument("wspecifier")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from kaldinn.hmm.model_io import read_model
    from kaldinn.hmm.mono_training import load_features
    from kaldinn.io.table_writer import Writer
    from kaldinn.progress import progress

    am = read_model(args.model, "", []).am
    feats = load_features(args.data_dir)
    frames = 0
    with Writer(args.wspecifier) as writer:
        for utt, x in progress(feats.items(), desc=PROG, total=len(feats), unit="utt"):
            writer.write(utt, am.loglikes(x).astype(np.float32))
            frames += len(x)
    print(f"{PROG}: wrote log-likelihoods of {len(feats)} utterances ({frames} frames, {am.num_pdfs} pdfs)",
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
