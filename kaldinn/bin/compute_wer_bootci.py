"""Bootstrap 95% confidence interval of the WER, printed as Kaldi's compute-wer-bootci prints it.

Usage: ``compute_wer_bootci.py [options] <ref-rspecifier> <hyp-rspecifier> [<hyp2-rspecifier>]``.
Utterances are resampled with replacement (``--replications``, default 10000 as in Kaldi);
each replicate's WER is its total edit errors over its total reference words (Kaldi's edit
distance, :mod:`kaldinn.metrics.wer`). The line ``Set1: %WER m 95% Conf Interval [ lo, hi ]``
gives the mean m of the replicate WERs and m -+ 1.96 standard deviations. With a second
hypothesis set the same replicates score it (``Set2: ...``) and ``Probability of Set2
improving Set1`` is the share of replicates in which set 2 makes strictly fewer errors (so
identical sets give 0.00). ``--mode`` is compute-wer's (strict|present|all); with two sets,
``present`` scores the utterances both sets have. Text inputs: paths, ``ark[,t]:path``, ``-``.
``--seed`` fixes the resampling (Kaldi's is fixed as well).

Example::

    python -m kaldinn.bin.compute_wer_bootci --mode=present ark:data/test/text \\
        exp/a/decode_test/hyp exp/b/decode_test/hyp
"""

from __future__ import annotations

import argparse
import sys

from kaldinn.bin.compute_wer import read_text
from kaldinn.cli import KaldiArgumentParser, run_main
from kaldinn.metrics.bootstrap import (
    WER_REPLICATIONS,
    format_bootci,
    format_improvement,
    utterance_edits,
    wer_bootci,
)
from kaldinn.metrics.wer import MODES

PROG = "compute_wer_bootci.py"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Bootstrap 95%% confidence interval of the WER (and a two-set comparison).",
        usage=f"{PROG} [options] <ref-rspecifier> <hyp-rspecifier> [<hyp2-rspecifier>]",
    )
    parser.add_argument("--mode", default="strict", choices=MODES,
                        help="strict: every ref needs a hyp; present: score refs with a hyp "
                        "(in both sets); all: missing hyps count as empty (default strict)")  # fmt: skip
    parser.add_argument("--replications", type=_positive_int, default=WER_REPLICATIONS,
                        help=f"number of bootstrap replications (default {WER_REPLICATIONS})")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="random seed of the resampling")
    parser.add_argument("ref", help="reference text")
    parser.add_argument("hyp", help="hypothesis text (set 1)")
    parser.add_argument("hyp2", nargs="?", help="second hypothesis text (set 2)")
    return parser


def bootci_lines(refs: dict, hyps: dict, hyps2: dict | None, mode: str, replications: int, seed: int) -> str:
    """compute-wer-bootci's output lines for one or two hypothesis sets."""
    if hyps2 is not None and mode == "present":
        refs = {k: v for k, v in refs.items() if k in hyps and k in hyps2}
    errors, words = utterance_edits(refs, hyps, mode)
    errors2 = None if hyps2 is None else utterance_edits(refs, hyps2, mode)[0]
    set1, set2, prob = wer_bootci(errors, words, replications, seed, errors2)
    lines = [format_bootci(set1, 1)]
    if set2 is not None:
        lines += [format_bootci(set2, 2), format_improvement(prob)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    args = build_parser().parse_args(argv)
    hyps2 = read_text(args.hyp2) if args.hyp2 else None
    text = bootci_lines(
        read_text(args.ref), read_text(args.hyp), hyps2, args.mode, args.replications, args.seed
    )
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
