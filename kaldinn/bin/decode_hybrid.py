"""decode-hybrid: Kaldi's decode-faster-mapped in-process (one job of steps/decode_hybrid.sh).

Reads per-utterance [frames x pdfs] log-likelihoods (a GMM's, or a network's pseudo
log-likelihoods from ``nnet_forward --output log-likelihood``), maps them to the graph's
transition-ids through the transition model of ``<model-in>`` (``final.mdl``) and decodes
with kaldi-decoder's FasterDecoder over ``<fst-in>`` (HCLG.fst, const or vector). Writes the
best path's word ids (``<words-wspecifier>``, e.g. ``ark,t:tra.1``) and optionally its
transition-id alignment. Options and log lines are decode-faster-mapped's
(``--acoustic-scale --beam --max-active --min-active``, "Log-like per frame for utterance").

Scoring sweep (there are no lattices to rescore): ``--sweep-acwts 0.08,0.1`` with
``--sweep-word-ins-penalty 0.0,0.5`` decodes every utterance again at each acoustic scale
(graph costs stay unscaled, so acoustic scale ``1/LMWT`` optimises what Kaldi's
``lattice-scale --inv-acoustic-scale=LMWT`` does, under this search's own pruning) with the
penalty added to each word arc, writing ``--sweep-out`` with ``{acwt}`` and ``{wip}``
replaced by the values as written. ``--word-ins-penalty`` adds a penalty to the main decode
too; a sweep point equal to the main decode (same acoustic scale and penalty) reuses its
result, so ``--acoustic-scale 0.09 --word-ins-penalty 1.0 --sweep-acwts 0.09
--sweep-word-ins-penalty 1.0`` decodes each utterance once (a test set scored at the point
chosen on dev: steps/decode_hybrid.sh --scoring-point-from).

Example::

    python -m kaldinn.bin.decode_hybrid --acoustic-scale 0.1 --beam 13 --max-active 7000 \\
        exp/mono/final.mdl exp/mono/graph/HCLG.fst ark:loglikes.ark ark,t:tra.1 "ark:|gzip -c >ali.1.gz"
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from kaldinn.cli import KaldiArgumentParser, run_main, str2bool
from kaldinn.errors import KaldinnError, UsageError

PROG = "decode_hybrid"


def build_parser() -> KaldiArgumentParser:
    parser = KaldiArgumentParser(
        prog=PROG,
        description="Decode per-pdf log-likelihoods through HCLG (decode-faster-mapped in-process).",
        usage=f"{PROG} [options] <model-in> <fst-in> <loglikes-rspecifier> <words-wspecifier> "
        "[<alignments-wspecifier>]",
    )
    parser.add_argument("--acoustic-scale", type=float, default=0.1, help="scale on the log-likelihoods")
    parser.add_argument("--beam", type=float, default=16.0, help="decoding beam")
    parser.add_argument("--max-active", type=int, default=2147483647, help="most active states")
    parser.add_argument("--min-active", type=int, default=20, help="fewest active states")
    parser.add_argument("--beam-delta", type=float, default=0.5, help="beam increment at max-active")
    parser.add_argument("--hash-ratio", type=float, default=2.0, help="hash size / active tokens")
    parser.add_argument("--allow-partial", type=str2bool, default=True,
                        help="output the best partial path when no final state is reached")  # fmt: skip
    parser.add_argument("--word-symbol-table", help="words.txt: log each hypothesis as words")
    parser.add_argument("--word-ins-penalty", type=float, default=0.0,
                        help="cost added to every word arc of the graph for the main decode")  # fmt: skip
    parser.add_argument("--sweep-acwts", default="", help="comma-separated acoustic scales for scoring")
    parser.add_argument("--sweep-word-ins-penalty", default="0.0", help="comma-separated penalties")
    parser.add_argument("--sweep-out", default="", help="wxfilename template with {acwt} and {wip}")
    parser.add_argument("model")
    parser.add_argument("fst")
    parser.add_argument("loglikes_rspecifier")
    parser.add_argument("words_wspecifier")
    parser.add_argument("alignments_wspecifier", nargs="?", default="")
    return parser


def parse_values(text: str, option: str) -> list[tuple[str, float]]:
    """``"0.08,0.1"`` -> [("0.08", 0.08), ("0.1", 0.1)]: names keep the user's spelling."""
    values = []
    for item in filter(None, text.split(",")):
        try:
            values.append((item, float(item)))
        except ValueError:
            raise UsageError(f"{option}: {item!r} is not a number (give e.g. 0.08,0.1)") from None
    return values


def sweep_plan(args) -> list[tuple[str, float, str, float]]:
    """(acwt name, acwt, wip name, wip) for every scoring combination."""
    acwts = parse_values(args.sweep_acwts, "--sweep-acwts")
    if not acwts:
        return []
    if "{acwt}" not in args.sweep_out or "{wip}" not in args.sweep_out:
        raise UsageError(
            "--sweep-acwts needs --sweep-out with {acwt} and {wip} (scoring/acwt{acwt}.{wip}.tra)"
        )
    wips = parse_values(args.sweep_word_ins_penalty, "--sweep-word-ins-penalty") or [("0.0", 0.0)]
    return [(a, av, w, wv) for w, wv in wips for a, av in acwts]


def read_words(path: str) -> dict[int, str]:
    from kaldinn.io.text_table import iter_table_lines

    table = {}
    for lineno, key, value in iter_table_lines(path):
        if not value.strip().lstrip("-").isdigit():
            raise KaldinnError(f"{path}:{lineno}: expected '<word> <integer id>', got {key!r} {value!r}")
        table[int(value)] = key
    return table


class Decoders:
    """One HybridDecoder per word-insertion penalty, each penalised graph built once per job."""

    def __init__(self, graph, tid_to_pdf):
        self.graph, self.tid_to_pdf, self.by_penalty = graph, tid_to_pdf, {}

    def __getitem__(self, penalty: float):
        from kaldinn.decode.hybrid import HybridDecoder, with_word_penalty

        if penalty not in self.by_penalty:
            self.by_penalty[penalty] = HybridDecoder(with_word_penalty(self.graph, penalty), self.tid_to_pdf)
        return self.by_penalty[penalty]


class Sweep:
    """The scoring decodes: one text writer per combination; the point of the main decode
    (its acoustic scale and penalty) reuses the main result instead of decoding again."""

    def __init__(self, args, decoders: Decoders, options):
        from kaldinn.io.tables import Writer

        self.plan = sweep_plan(args)
        self.options = options
        self.decoders = decoders
        self.main_point = (options.acoustic_scale, args.word_ins_penalty)
        for _, _, _, wv in self.plan:
            decoders[wv]  # build every penalised graph before the first utterance
        self.writers = {
            (a, w): Writer("ark,t:" + args.sweep_out.format(acwt=a, wip=w)) for a, _, w, _ in self.plan
        }

    @property
    def extra_decodes(self) -> int:
        """Decodes per utterance beyond the main one."""
        return sum((av, wv) != self.main_point for _, av, _, wv in self.plan)

    def decode(self, utt: str, loglikes, primary) -> None:
        import numpy as np

        for a, av, w, wv in self.plan:
            if primary is not None and (av, wv) == self.main_point:
                result = primary
            else:
                result = self.decoders[wv].decode(loglikes, replace(self.options, acoustic_scale=av))
            self.writers[(a, w)].write(utt, np.asarray(result.words, dtype=np.int32))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


class Totals:
    """Counts for Kaldi's closing lines ("Done N utterances, failed for M", log-like per frame)."""

    def __init__(self):
        self.done = self.failed = self.frames = 0
        self.loglike = 0.0
        self.start = time.perf_counter()

    def report(self, runs: int) -> None:
        elapsed = time.perf_counter() - self.start
        print(f"{PROG}: Done {self.done} utterances, failed for {self.failed}", file=sys.stderr)
        if self.frames:
            per_frame = self.loglike / self.frames
            print(f"{PROG}: Overall log-likelihood per frame is {per_frame:.6g} over {self.frames} frames.",
                  file=sys.stderr)  # fmt: skip
            print(f"{PROG}: {runs} decode(s) per utterance (1 + scoring sweep) took {elapsed:.2f}s: "
                  f"{self.frames * runs / elapsed:.0f} frames/s per decode", file=sys.stderr)  # fmt: skip


def usable(result, allow_partial: bool) -> str:
    """Why ``result`` gives no output ("" when it does)."""
    if result is None:
        return "no frames"
    if not result.alignment.size or (not result.reached_final and not allow_partial):
        return "no final state reached"
    return ""


def main(argv: list[str] | None = None) -> int:
    """Run the tool; see the module docstring."""
    import numpy as np

    from kaldinn.decode.hybrid import DecodeOptions, read_graph
    from kaldinn.hmm.transition_model import read_transition_model
    from kaldinn.io.tables import SequentialReader, Writer
    from kaldinn.progress import progress

    args = build_parser().parse_args(argv)
    options = DecodeOptions(args.acoustic_scale, args.beam, args.max_active, args.min_active,
                            args.beam_delta, args.hash_ratio)  # fmt: skip
    model = read_transition_model(args.model)
    decoders = Decoders(read_graph(args.fst), model.tid_to_pdf)
    decoder = decoders[args.word_ins_penalty]
    symbols = read_words(args.word_symbol_table) if args.word_symbol_table else None
    sweep = Sweep(args, decoders, options)
    totals = Totals()
    words_out = Writer(args.words_wspecifier)
    ali_out = Writer(args.alignments_wspecifier) if args.alignments_wspecifier else None
    try:
        for utt, loglikes in progress(SequentialReader(args.loglikes_rspecifier), desc=PROG, unit="utt"):
            decoder.check_loglikes(utt, loglikes, model.num_pdfs)
            result = decoder.decode(loglikes, options) if len(loglikes) else None
            if len(loglikes):
                sweep.decode(utt, loglikes, result)
            why = usable(result, args.allow_partial)
            if why:
                print(f"{PROG}: WARNING: no output for utterance {utt} ({why})", file=sys.stderr)
                totals.failed += 1
                continue
            if not result.reached_final:
                print(f"{PROG}: WARNING: {utt}: no final state reached, partial traceback", file=sys.stderr)
            words_out.write(utt, np.asarray(result.words, dtype=np.int32))
            if ali_out is not None:
                ali_out.write(utt, result.alignment)
            if symbols is not None:
                print(utt, " ".join(symbols.get(w, str(w)) for w in result.words), file=sys.stderr)
            print(f"{PROG}: Log-like per frame for utterance {utt} is {result.loglike_per_frame:.6g} "
                  f"over {len(result.alignment)} frames.", file=sys.stderr)  # fmt: skip
            totals.done += 1
            totals.frames += len(result.alignment)
            totals.loglike -= result.graph_cost + result.acoustic_cost
    finally:
        words_out.close()
        if ali_out is not None:
            ali_out.close()
        sweep.close()
    totals.report(1 + sweep.extra_decodes)
    return 0 if totals.done else 1


if __name__ == "__main__":
    sys.exit(run_main(main))
