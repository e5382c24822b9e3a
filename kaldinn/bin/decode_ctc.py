"""decode-ctc: decode a data directory with a CTC model (one job of steps/decode_ctc.py).

Features are prepared as in training (``kaldinn.bin.nnet_forward``); each utterance's
log-posteriors are decoded greedily (``--beam 1`` without an LM) or by prefix beam search
(``kaldinn.decode.prefix_beam``) with an optional ARPA word LM (``--lm``, ``--lm-weight``,
``--word-bonus``) and lexicon. Units come from the model's ``labels.txt`` (or ``--tokens``);
words are formed at ``<space>`` / ``▁`` units, and a unit set without word boundaries
(phones) gives one word per unit. Outputs: the hypotheses as a Kaldi ``text`` file
(C-sorted; an empty hypothesis is a bare key), optionally the log-posteriors
(``--write-logpost`` wspecifier) and a CTM (``--ctm FILE``: ``<utt> 1 <start> <dur> <word>``,
times from the CTC alignment of the hypothesis at the model's output frame rate).

Example::

    python -m kaldinn.bin.decode_ctc --beam 10 --lm data/lang/lm.arpa --ctm exp/ctc/decode/ctm.1 \\
        exp/ctc/final.pt data/test/split2/1 exp/ctc/decode/hyp.1
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.errors import KaldinnError, UsageError

PROG = "decode_ctc"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Decode features with a CTC model; write hypotheses (Kaldi text), CTM, log-posteriors.",
        usage=f"{PROG} [options] <model.pt> <data-dir> <hyp-out>",
    )
    parser.add_argument("--beam", type=int, default=1, help="prefix beam width; 1 without --lm is greedy")
    parser.add_argument("--lm", help="ARPA word language model")
    parser.add_argument("--lm-weight", type=float, default=0.5, help="LM scale (natural-log units)")
    parser.add_argument("--word-bonus", type=float, default=0.0, help="added per hypothesised word")
    parser.add_argument("--lexicon", help="restrict words to this lexicon ('<word> <unit> ...' lines)")
    parser.add_argument("--token-min-logp", type=float, default=-8.0, help="beam search unit pruning")
    parser.add_argument("--tokens", help="unit table '<symbol> <id>' (default: <model dir>/labels.txt)")
    parser.add_argument("--ctm", help="write word times here (CTM)")
    parser.add_argument("--write-logpost", default="", help="wspecifier for per-utterance log-posteriors")
    parser.add_argument("--frame-shift", type=float, default=0.01, help="input frame shift in seconds")
    parser.add_argument(
        "--batch-size", type=int, default=16, help="utterances per forward pass and per beam-search batch"
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("model")
    parser.add_argument("data_dir")
    parser.add_argument("hyp_out")
    return parser


def has_word_boundaries(units: Sequence[str]) -> bool:
    """True for units that spell words (characters with ``<space>``, BPE with ``▁``)."""
    from kaldinn.decode.greedy import is_separator, starts_word

    return any(is_separator(u) or starts_word(u) for u in units)


class Decoder:
    """Token search over one utterance's log-posteriors: greedy or prefix beam (+ LM)."""

    def __init__(self, args, units: list[str]):
        from kaldinn.decode.prefix_beam import BeamConfig

        self.units = units
        self.config = BeamConfig(beam=max(args.beam, 1), token_min_logp=args.token_min_logp)
        self.scorer = make_scorer(args, units) if args.lm or args.lexicon or args.word_bonus else None
        self.greedy = args.beam <= 1 and self.scorer is None

    def __call__(self, batch: list[np.ndarray]) -> list[list[int]]:
        """Best token sequences of several utterances: the beam search runs them in lock step,
        which amortises numpy's per-call overhead (>10x faster than one at a time)."""
        from kaldinn.decode.greedy import greedy_decode
        from kaldinn.decode.prefix_beam import prefix_beam_search_batch

        if self.greedy:
            return [greedy_decode(lp) if len(lp) else [] for lp in batch]
        nonempty = [i for i, lp in enumerate(batch) if len(lp)]
        results: list[list[int]] = [[] for _ in batch]
        found = prefix_beam_search_batch([batch[i] for i in nonempty], self.config, self.scorer)
        for i, nbest in zip(nonempty, found, strict=True):
            results[i] = nbest[0].tokens if nbest else []
        return results


def make_scorer(args, units: list[str]):
    """The word-level scorer of the beam search (ARPA LM, word bonus, lexicon)."""
    from kaldinn.decode.lexicon import Lexicon
    from kaldinn.decode.lm import ArpaLM, WordLMScorer

    if not has_word_boundaries(units):
        raise UsageError("--lm/--lexicon/--word-bonus need units with word boundaries (<space> or ▁)")
    lm = ArpaLM.read(args.lm) if args.lm else None
    lexicon = Lexicon.read(args.lexicon, units) if args.lexicon else None
    return WordLMScorer(units, lm=lm, lm_weight=args.lm_weight, word_bonus=args.word_bonus, lexicon=lexicon)


def words_and_ctm(
    utt: str, tokens: list[int], log_probs: np.ndarray, units: list[str], step: float, want_ctm: bool
):
    """The hypothesis words and (if wanted) its CTM lines."""
    from kaldinn.decode.ctm import ctc_align, ctm_lines
    from kaldinn.decode.greedy import tokens_to_words

    spelled = has_word_boundaries(units)
    words = tokens_to_words(tokens, units) if spelled else [units[t] for t in tokens]
    if not want_ctm or not tokens:
        return words, []
    frames = ctc_align(log_probs, tokens)
    if spelled:
        return words, ctm_lines(utt, tokens, frames, units, frame_shift=step)
    lines = [
        f"{utt} 1 {a * step:.2f} {(b + 1 - a) * step:.2f} {units[t]}\n"
        for t, (a, b) in zip(tokens, frames, strict=True)
    ]
    return words, lines


def load_units(args, num_classes: int) -> list[str]:
    from kaldinn.data.labels import LabelMap

    path = Path(args.tokens) if args.tokens else Path(args.model).parent / "labels.txt"
    if not path.is_file():
        raise KaldinnError(f"unit table {path} does not exist; pass --tokens data/lang_char/tokens.txt")
    units = LabelMap.load(path).labels
    if len(units) != num_classes:
        raise KaldinnError(f"{path} has {len(units)} units but the model has {num_classes} outputs")
    return units


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    from kaldinn.train.threads import configure_threads, limit_spin_wait

    limit_spin_wait()  # before the imports below load torch: libgomp reads it once, at load
    from kaldinn.bin.nnet_forward import feature_options, forward_dataset
    from kaldinn.data.dataset import FeatureDataset
    from kaldinn.io.atomic import atomic_write
    from kaldinn.io.tables import Writer
    from kaldinn.io.text_table import c_sorted, write_table
    from kaldinn.train.checkpoint import load_checkpoint, load_model
    from kaldinn.train.device import select_device

    args = build_parser().parse_args(argv)
    configure_threads(lambda message: print(f"{PROG}: {message}", file=sys.stderr))
    if args.batch_size < 1 or args.frame_shift <= 0:
        raise UsageError("--batch-size must be >= 1 and --frame-shift > 0")
    ckpt = load_checkpoint(args.model)
    spec = ckpt["model_config"]
    units = load_units(args, int(spec["num_classes"]))
    decoder = Decoder(args, units)
    device = select_device(args.device)
    model = load_model(args.model, device)
    dataset = FeatureDataset(args.data_dir, feature_options(ckpt["config"], frame_model=True))
    if dataset.feat_dim != spec["input_dim"]:
        raise KaldinnError(
            f"{args.data_dir} has {dataset.feat_dim}-dim features, the model expects {spec['input_dim']}"
        )
    step = args.frame_shift * int(getattr(model, "subsample", 1))
    hyps: dict[str, list[str]] = {}
    ctm: dict[str, list[str]] = {}
    outputs = (
        (utt, logpost) for utt, logpost, _, _ in forward_dataset(model, dataset, args.batch_size, device)
    )
    with Writer(args.write_logpost) if args.write_logpost else contextlib.nullcontext() as writer:
        for chunk in iter(lambda: list(itertools.islice(outputs, args.batch_size)), []):
            for (utt, logpost), tokens in zip(chunk, decoder([lp for _, lp in chunk]), strict=True):
                hyps[utt], ctm[utt] = words_and_ctm(utt, tokens, logpost, units, step, bool(args.ctm))
                if writer is not None:
                    writer.write(utt, np.ascontiguousarray(logpost, dtype=np.float32))
    if args.ctm:
        with atomic_write(args.ctm) as f:
            f.writelines(line for utt in c_sorted(ctm) for line in ctm[utt])
    write_table(args.hyp_out, hyps)
    print(f"{PROG}: decoded {len(hyps)} utterances of {args.data_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
