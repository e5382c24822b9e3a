"""nnet-forward: run a trained kaldinn model over a data directory's features (one job).

Features are prepared exactly as in training (CMVN, VAD from the checkpoint's ``data``
section, via ``kaldinn.data.FeatureDataset``). What is written depends on the model:

- frame models (output per frame, e.g. ``mlp``, ``rnn_frame_classifier``): one float32
  matrix per utterance, one row per output frame: T rows, or ceil(T / subsample) for a
  model with ``subsample`` > 1 (frames are never dropped: VAD is switched off), holding
  ``log_softmax(logits)`` (``--output log-posterior``) or ``log_softmax(logits) - log prior``
  (``--output log-likelihood``: pseudo log-likelihoods for Kaldi's mapped decoders; priors
  from ``steps/compute_priors.py``).
- utterance models (``rnn_classifier``, ``hgru_lid``): one float32 vector of per-class
  log-posteriors (or log-likelihoods) per utterance, in the label map's order
  (``<exp>/labels.txt``); ``--utt2pred FILE`` writes ``<utt> <label>`` of the best class and
  ``--write-attention WSPEC`` the attention weights (one vector per utterance: per frame,
  or per segment of ``segment_frames`` frames for ``hgru_lid``).

Example::

    python -m kaldinn.bin.nnet_forward --output log-likelihood --priors exp/phone/priors.counts \\
        exp/phone/final.pt data/test ark,scp:exp/phone/out/loglik.1.ark,exp/phone/out/loglik.1.scp
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError, UsageError

PROG = "nnet_forward"
OUTPUTS = ("log-posterior", "log-likelihood")


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Forward a trained model over features; write Kaldi tables.",
        usage=f"{PROG} [options] <model.pt> <data-dir> <out-wspecifier>",
    )
    parser.add_argument("--output", choices=OUTPUTS, default="log-posterior", help="what to write")
    parser.add_argument("--priors", help="label counts '[ c1 c2 ... ]' (needed for log-likelihood)")
    parser.add_argument("--labels", help="label map '<label> <id>' (default: <model dir>/labels.txt)")
    parser.add_argument("--utt2pred", help="utterance models: write '<utt> <best label>' here")
    parser.add_argument("--write-attention", default="", help="utterance models: wspecifier for weights")
    parser.add_argument("--batch-size", type=int, default=16, help="utterances per forward pass")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("model")
    parser.add_argument("data_dir")
    parser.add_argument("out_wspecifier")
    return parser


def is_frame_model(model, input_dim: int) -> bool:
    """True when ``model`` returns per-frame output (ModelOutput.lens set), found by a dry run."""
    import torch

    device = next(model.parameters()).device
    with torch.inference_mode():
        out = model(torch.zeros(1, 64, input_dim, device=device), torch.tensor([64], device=device))
    return out.lens is not None


def feature_options(config: dict, frame_model: bool):
    """Training's feature preparation for inference: whole utterances, none skipped for
    length, and no VAD for frame models so that output rows line up with input frames."""
    import dataclasses

    from kaldinn.data.loader import feature_options as training_options
    from kaldinn.train.config import from_dict

    options = training_options(from_dict(config, "checkpoint config"), train=False)
    return dataclasses.replace(options, vad=options.vad and not frame_model, min_frames=1, in_memory=False)


def log_prior_vector(path: str | None, output: str, num_classes: int) -> np.ndarray | None:
    """float32 log priors for ``--output log-likelihood`` (None for log-posterior)."""
    from kaldinn.steps.compute_priors import log_priors, read_counts

    if output == "log-posterior":
        return None
    if not path:
        raise UsageError("--output log-likelihood needs --priors FILE (made by steps/compute_priors.py)")
    counts = read_counts(path)
    if len(counts) != num_classes:
        raise KaldinnError(
            f"{path} has {len(counts)} counts but the model has {num_classes} outputs; "
            "recompute it with steps/compute_priors.py --num-classes " + str(num_classes)
        )
    return log_priors(counts).astype(np.float32)


def iter_batches(dataset, batch_size: int) -> Iterator[list[int]]:
    """Indices in batches of similar length (least padding), in a fixed order."""
    order = sorted(range(len(dataset)), key=lambda i: (dataset.lengths[i], i))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def forward_dataset(
    model, dataset, batch_size: int, device
) -> Iterator[tuple[str, np.ndarray, int, np.ndarray | None]]:
    """Yield (utt_id, float32 log-posteriors, input frames, attention weights or None)."""
    import torch

    from kaldinn.data.collate import collate

    step = int(getattr(model, "segment_frames", 1))  # attention over segments (hgru_lid)
    for indices in iter_batches(dataset, batch_size):
        batch = collate([dataset[i] for i in indices])
        with torch.inference_mode():
            out = model(batch.feats.to(device), batch.feat_lens.to(device))
            logpost = torch.log_softmax(out.logits.float(), dim=-1).cpu().numpy()
            weights = model.attention_weights() if hasattr(model, "attention_weights") else None
            weights = None if weights is None else weights.float().cpu().numpy()
        out_lens = None if out.lens is None else out.lens.cpu().numpy()
        for row, utt in enumerate(batch.utt_ids):
            frames = int(batch.feat_lens[row])
            values = logpost[row] if out_lens is None else logpost[row, : int(out_lens[row])]
            attention = None if weights is None else weights[row, : -(-frames // step)]
            yield utt, values, frames, attention


def check_frames(utt: str, rows: int, frames: int, subsample: int) -> None:
    """A frame model must give ceil(frames / subsample) rows (see the module header)."""
    expected = -(-frames // subsample)
    if rows != expected:
        raise KaldinnError(
            f"{utt}: the model gave {rows} output frames for {frames} input frames; expected {expected}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    from kaldinn.train.threads import configure_threads, limit_spin_wait

    limit_spin_wait()  # before the imports below load torch: libgomp reads it once, at load
    from kaldinn.data.dataset import FeatureDataset
    from kaldinn.data.labels import LabelMap, load_label_map
    from kaldinn.io.tables import Writer
    from kaldinn.io.text_table import write_table
    from kaldinn.train.checkpoint import load_checkpoint, load_model
    from kaldinn.train.device import select_device

    args = build_parser().parse_args(argv)
    configure_threads(lambda message: print(f"{PROG}: {message}", file=sys.stderr))
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    ckpt = load_checkpoint(args.model)
    spec = ckpt["model_config"]
    device = select_device(args.device)
    model = load_model(args.model, device)
    frame_model = is_frame_model(model, spec["input_dim"])
    priors = log_prior_vector(args.priors, args.output, spec["num_classes"])
    labels = None
    if not frame_model:
        labels = LabelMap.load(args.labels) if args.labels else load_label_map(Path(args.model).parent)
        if len(labels) != spec["num_classes"]:
            raise KaldinnError(f"label map has {len(labels)} labels, the model {spec['num_classes']} outputs")
    dataset = FeatureDataset(args.data_dir, feature_options(ckpt["config"], frame_model))
    if dataset.feat_dim != spec["input_dim"]:
        raise KaldinnError(
            f"{args.data_dir} has {dataset.feat_dim}-dim features, the model expects {spec['input_dim']}"
        )
    if dataset.skipped:
        print(f"{PROG}: WARNING: {dataset.skip_report()}", file=sys.stderr)
    if dataset.unvoiced:
        print(
            f"{PROG}: WARNING: {len(dataset.unvoiced)} utterances have no voiced frame in vad.scp; "
            f"used whole (e.g. {', '.join(sorted(dataset.unvoiced)[:3])})",
            file=sys.stderr,
        )
    subsample = int(getattr(model, "subsample", 1))
    preds: dict[str, str] = {}
    want_attention = bool(args.write_attention) and not frame_model
    # The attention table is closed (its scp committed) before the main output's.
    with (
        Writer(args.out_wspecifier) as writer,
        Writer(args.write_attention) if want_attention else contextlib.nullcontext() as attention,
    ):
        for utt, logpost, frames, weights in forward_dataset(model, dataset, args.batch_size, device):
            if frame_model:
                check_frames(utt, len(logpost), frames, subsample)
            else:
                preds[utt] = labels.label(int(np.argmax(logpost)))
                if attention is not None and weights is not None:
                    attention.write(utt, np.ascontiguousarray(weights, dtype=np.float32))
            writer.write(utt, np.ascontiguousarray(logpost if priors is None else logpost - priors))
    if args.utt2pred and not frame_model:
        write_table(args.utt2pred, preds)
    kind = "frame" if frame_model else "utterance"
    print(f"{PROG}: wrote {args.output} of {len(dataset)} utterances ({kind} model)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
