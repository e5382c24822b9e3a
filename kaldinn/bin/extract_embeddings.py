"""extract-embeddings: whole-utterance speaker embeddings from a trained extractor (one job).

Loads the model from a checkpoint (``exp/<name>/final.pt``), prepares each utterance's
features exactly as in training (CMVN and VAD from the checkpoint's ``data`` section, via
``kaldinn.data.FeatureDataset``; no random chunk: the whole utterance) and writes the
model's ``embedding`` as one float32 vector per utterance. Utterances one at a time, so
no padding ever touches an embedding. Utterances with no voiced frame are reported and
skipped (the step decides whether too many are missing).

Example::

    python -m kaldinn.bin.extract_embeddings exp/xvector/final.pt data/sv_test/split2/1 \\
        ark,scp:exp/xvector/xvectors_sv_test/xvector.1.ark,exp/xvector/xvectors_sv_test/xvector.1.scp
"""

from __future__ import annotations

import sys

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError

PROG = "extract_embeddings"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Extract speaker embeddings of a data directory's utterances.",
        usage=f"{PROG} [options] <model.pt> <data-dir> <embedding-wspecifier>",
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("model")
    parser.add_argument("data_dir")
    parser.add_argument("out_wspecifier")
    return parser


def extract(model, dataset, device, writer) -> int:
    """Write ``key -> embedding`` for every utterance of ``dataset``; returns how many."""
    import numpy as np
    import torch

    from kaldinn.progress import progress

    done = 0
    with torch.inference_mode():
        for index in progress(range(len(dataset)), desc=PROG, total=len(dataset), unit="utt"):
            utt_id, feats, _ = dataset[index]
            x = torch.from_numpy(feats).to(device).unsqueeze(0)  # (1, T, D)
            out = model(x, torch.tensor([x.size(1)], device=device))
            if out.embedding is None:
                raise KaldinnError(
                    "the model has no embedding output; use an xvector_tdnn or ecapa_tdnn model"
                )
            writer.write(utt_id, out.embedding[0].float().cpu().numpy().astype(np.float32))
            done += 1
    return done


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    from kaldinn.train.threads import configure_threads, limit_spin_wait

    limit_spin_wait()  # before the imports below load torch: libgomp reads it once, at load
    from kaldinn.bin.nnet_forward import feature_options
    from kaldinn.data.dataset import FeatureDataset
    from kaldinn.io.tables import Writer
    from kaldinn.train import device as dev
    from kaldinn.train.checkpoint import load_checkpoint, load_model

    args = build_parser().parse_args(argv)
    configure_threads(lambda message: print(f"{PROG}: {message}", file=sys.stderr))
    device = dev.select_device(args.device)
    config = load_checkpoint(args.model)["config"]
    model = load_model(args.model, device)
    dataset = FeatureDataset(args.data_dir, feature_options(config, frame_model=False))
    for reason, utts in dataset.skipped.items():
        print(
            f"{PROG}: WARNING: {len(utts)} utterances {reason} (e.g. {', '.join(utts[:3])})", file=sys.stderr
        )
    with Writer(args.out_wspecifier) as writer:
        done = extract(model, dataset, device, writer)
    print(f"{PROG}: wrote {done} embeddings of {args.data_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
