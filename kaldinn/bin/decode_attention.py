"""decode-attention: decode a data directory with an attention model (one job of steps/decode_attention.py).

Features are prepared as in training (``kaldinn.bin.nnet_forward.feature_options``, no VAD);
utterances of similar length are decoded together (``--batch-size``): greedily (``--beam 1``
without CTC weight or LM) or by beam search (``kaldinn.decode.attention``) with optional
joint CTC prefix scores (``--ctc-weight``, models with a CTC branch), a word LM at word
boundaries (``--lm``, ``--lm-weight``, ``--word-bonus``, ``--lexicon``: the same scorer as
CTC decoding), a per-token ``--length-bonus``, ``--length-norm``, an ``--eos-threshold`` and
output length limits relative to the encoder frames (``--max-len-ratio``, ``--min-len-ratio``).
Units come from the model's ``labels.txt`` (or ``--tokens``); words are formed at ``<space>``
/ ``▁`` units (a unit set without word boundaries gives one word per unit). Outputs: the
hypotheses as a Kaldi ``text`` file (C-sorted; an empty hypothesis is a bare key), with
``--write-units FILE`` the same as unit symbols, and with ``--write-attention WSPEC`` each
best hypothesis' attention weights as a float matrix of (tokens + 1) rows (the last is
``<eos>``) by encoder frames.

Example::

    python -m kaldinn.bin.decode_attention --beam 10 --ctc-weight 0.3 \\
        --write-attention ark,scp:exp/att/decode/att.1.ark,exp/att/decode/att.1.scp \\
        exp/att/final.pt data/test/split2/1 exp/att/decode/hyp.1
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.errors import KaldinnError, UsageError

PROG = "decode_attention"


def add_search_options(parser: KaldiArgumentParser) -> None:
    """The search options, shared with steps/decode_attention.py."""
    parser.add_argument("--beam", type=int, default=1, help="beam width; 1 without CTC/LM is greedy")
    parser.add_argument("--ctc-weight", type=float, default=0.0, help="weight of CTC prefix scores")
    parser.add_argument("--lm", help="ARPA word language model (shallow fusion at word boundaries)")
    parser.add_argument("--lm-weight", type=float, default=0.5, help="LM scale (natural-log units)")
    parser.add_argument("--word-bonus", type=float, default=0.0, help="added per hypothesised word")
    parser.add_argument("--lexicon", help="restrict words to this lexicon ('<word> <unit> ...' lines)")
    parser.add_argument("--length-bonus", type=float, default=0.0, help="added per output token")
    parser.add_argument("--length-norm", type=str2bool, default=False, help="rank by score / (tokens + 1)")
    parser.add_argument("--eos-threshold", type=float, help="allow <eos> only if logp >= g * best other")
    parser.add_argument("--max-len-ratio", type=float, default=1.0, help="max tokens per encoder frame")
    parser.add_argument("--min-len-ratio", type=float, default=0.0, help="min tokens per encoder frame")
    parser.add_argument(
        "--pre-beam", type=int, default=0, help="tokens per hypothesis with CTC/LM (0: 1.5 beam)"
    )
    parser.add_argument("--tokens", help="unit table '<symbol> <id>' (default: <model dir>/labels.txt)")
    parser.add_argument("--batch-size", type=int, default=16, help="utterances decoded together")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Decode features with an attention encoder-decoder; write hypotheses (Kaldi text).",
        usage=f"{PROG} [options] <model.pt> <data-dir> <hyp-out>",
    )
    add_search_options(parser)
    parser.add_argument("--write-attention", default="", help="wspecifier for the best hypotheses' weights")
    parser.add_argument("--write-units", help="write the hypotheses as unit symbols (Kaldi text) here")
    parser.add_argument("model")
    parser.add_argument("data_dir")
    parser.add_argument("hyp_out")
    return parser


def search_config(args):
    from kaldinn.decode.attention import SearchConfig

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    try:
        return SearchConfig(
            beam=args.beam, ctc_weight=args.ctc_weight, length_bonus=args.length_bonus,
            length_norm=args.length_norm, eos_threshold=args.eos_threshold,
            max_len_ratio=args.max_len_ratio, min_len_ratio=args.min_len_ratio, pre_beam=args.pre_beam,
        )  # fmt: skip
    except KaldinnError as err:
        raise UsageError(f"bad search options: {err}") from None


class Searcher:
    """Greedy or beam search over batches of features, with the options of ``args``."""

    def __init__(self, args, model, units: list[str]):
        from kaldinn.bin.decode_ctc import make_scorer

        if not hasattr(model, "decoder") or not hasattr(model, "encode"):
            raise KaldinnError(
                f"{args.model} is not an attention model (las); decode it with steps/decode_ctc.py"
            )
        if args.ctc_weight > 0 and getattr(model, "ctc", None) is None:
            raise UsageError(
                f"--ctc-weight {args.ctc_weight}: {args.model} has no CTC branch (model_args.ctc_branch)"
            )
        self.model, self.config = model, search_config(args)
        self.scorer = make_scorer(args, units) if args.lm or args.lexicon or args.word_bonus else None
        self.greedy = args.beam == 1 and args.ctc_weight == 0 and self.scorer is None

    def __call__(self, feats, feat_lens) -> list[list[int]]:
        from kaldinn.decode.attention import beam_search, greedy_search

        if self.greedy:
            return [h.tokens for h in greedy_search(self.model, feats, feat_lens, self.config)]
        found = beam_search(self.model, feats, feat_lens, self.config, self.scorer)
        return [nbest[0].tokens if nbest else [] for nbest in found]


def to_words(tokens: list[int], units: list[str]) -> list[str]:
    from kaldinn.bin.decode_ctc import has_word_boundaries
    from kaldinn.decode.greedy import tokens_to_words

    return tokens_to_words(tokens, units) if has_word_boundaries(units) else [units[t] for t in tokens]


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    from kaldinn.train.threads import configure_threads, limit_spin_wait

    limit_spin_wait()  # before the imports below load torch: libgomp reads it once, at load
    import torch

    from kaldinn.bin.decode_ctc import load_units
    from kaldinn.bin.nnet_forward import feature_options, iter_batches
    from kaldinn.data.collate import collate
    from kaldinn.data.dataset import FeatureDataset
    from kaldinn.decode.attention import attention_weights
    from kaldinn.io.tables import Writer
    from kaldinn.io.text_table import write_table
    from kaldinn.train.checkpoint import load_checkpoint, load_model
    from kaldinn.train.device import select_device

    args = build_parser().parse_args(argv)
    configure_threads(lambda message: print(f"{PROG}: {message}", file=sys.stderr))
    ckpt = load_checkpoint(args.model)
    spec = ckpt["model_config"]
    units = load_units(args, int(spec["num_classes"]))
    device = select_device(args.device)
    model = load_model(args.model, device)
    search = Searcher(args, model, units)
    dataset = FeatureDataset(args.data_dir, feature_options(ckpt["config"], frame_model=True))
    if dataset.feat_dim != spec["input_dim"]:
        raise KaldinnError(
            f"{args.data_dir} has {dataset.feat_dim}-dim features, the model expects {spec['input_dim']}"
        )
    hyps: dict[str, list[str]] = {}
    spelled: dict[str, list[str]] = {}
    with Writer(args.write_attention) if args.write_attention else contextlib.nullcontext() as writer:
        for indices in iter_batches(dataset, args.batch_size):
            batch = collate([dataset[i] for i in indices])
            feats, lens = batch.feats.to(device), batch.feat_lens.to(device)
            with torch.inference_mode():
                found = search(feats, lens)
                weights = attention_weights(model, feats, lens, found) if writer is not None else None
            for row, (utt, tokens) in enumerate(zip(batch.utt_ids, found, strict=True)):
                hyps[utt] = to_words(tokens, units)
                spelled[utt] = [units[t] for t in tokens]
                if writer is not None:
                    writer.write(utt, np.ascontiguousarray(weights[row].numpy(), dtype=np.float32))
    if args.write_units:
        write_table(args.write_units, spelled)
    write_table(args.hyp_out, hyps)
    print(f"{PROG}: decoded {len(hyps)} utterances of {args.data_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
