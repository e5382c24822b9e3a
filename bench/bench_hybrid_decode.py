#!/usr/bin/env python3
"""Benchmark: in-process hybrid decoding speed (frames/s, real-time factor) on the Kaldi reference.

Decodes the 20 reference utterances (2418 frames of per-pdf GMM log-likelihoods, monophone
HCLG.fst as Kaldi's mkgraph.sh wrote it; tests/fixtures/kaldi_hybrid) at Kaldi's settings
(acoustic scale 0.1, beam 13, max-active 7000). Contenders, all on the same graph and inputs:

* ``kaldinn``: ``kaldinn.decode.hybrid.HybridDecoder`` as steps/decode_hybrid.sh runs it
  (pdf -> transition-id column gather + kaldi-decoder's FasterDecoder + best-path read-out);
* ``simple`` (the baseline): kaldi-decoder's SimpleDecoder, Kaldi's plain beam-pruned Viterbi
  (no max-active, no adaptive beam), fed the same transition-id matrices, computed once outside
  the timing (kaldinn's gather is timed, so the ratio is conservative). It is the honest
  reference point: the same search problem and library, without FasterDecoder's tricks, so the
  ratio isolates what the decoder choice buys (a pure-Python Viterbi would only measure Python);
* ``lattice``: kaldi-decoder's LatticeSimpleDecoder (lattice beam 8), the price of raw lattices.

The real-time factor assumes Kaldi's 10 ms frame shift. Each contender's 1-best is checked
against Kaldi's (printed as agreement). Timings vary on a shared machine: medians and spread
of ``--repeats`` interleaved repetitions, one thread.

Example::

    .venv/bin/python bench/bench_hybrid_decode.py --repeats 7
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _timing

REPO = Path(__file__).resolve().parents[1]
REF = REPO / "tests" / "fixtures" / "kaldi_hybrid"
FRAME_SHIFT = 0.01


def load():
    from kaldinn.decode.hybrid import read_graph
    from kaldinn.hmm.transition_model import read_transition_model
    from kaldinn.io.tables import SequentialReader

    tm = read_transition_model(REF / "exp" / "final.mdl")
    loglikes = list(SequentialReader(f"ark:{REF / 'loglikes.ark'}"))
    expected = {}
    for line in (REF / "expected" / "latgen.1best.txt").read_text().splitlines():
        utt, *words = line.split()
        expected[utt] = words
    table = (REF / "graph" / "words.txt").read_text().splitlines()
    words = {int(i): w for w, i in (line.split() for line in table)}
    return tm, read_graph(REF / "graph" / "HCLG.fst"), loglikes, expected, words


def contenders(tm, graph, loglikes, words, acwt=0.1, beam=13.0, max_active=7000):
    """name -> callable decoding every utterance and returning {utt: words}."""
    import kaldi_decoder
    import kaldifst

    from kaldinn.decode.hybrid import DecodeOptions, HybridDecoder, tid_scores

    ours = HybridDecoder(graph, tm.tid_to_pdf)
    options = DecodeOptions(acoustic_scale=acwt, beam=beam, max_active=max_active)
    scores = [(utt, tid_scores(m, tm.tid_to_pdf, acwt)) for utt, m in loglikes]

    def run_ours():
        return {utt: [words[w] for w in ours.decode(m, options).words] for utt, m in loglikes}

    def run_with(decoder):
        def run():
            out = {}
            for utt, s in scores:
                decoder.decode(kaldi_decoder.DecodableCtc(s))
                _, best = decoder.get_best_path()
                out[utt] = [words[w] for w in kaldifst.get_linear_symbol_sequence(best)[2]]
            return out

        return run

    lattice_config = kaldi_decoder.LatticeSimpleDecoderConfig(beam=beam, lattice_beam=8.0)
    return {
        "kaldinn": run_ours,
        "simple": run_with(kaldi_decoder.SimpleDecoder(graph, beam)),
        "lattice": run_with(kaldi_decoder.LatticeSimpleDecoder(graph, lattice_config)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _timing.add_arguments(parser, repeats=7)
    args = parser.parse_args()
    _timing.fix_threads(args.threads)
    sys.path.insert(0, str(REPO))
    tm, graph, loglikes, expected, words = load()
    frames = sum(len(m) for _, m in loglikes)
    _timing.print_header("bench_hybrid_decode", utts=len(loglikes), frames=frames, beam=13, max_active=7000)
    runs = contenders(tm, graph, loglikes, words)
    for name, run in runs.items():
        hyps = run()
        agree = sum(hyps[utt] == expected[utt] for utt in expected)
        print(f"  {name}: 1-best equals Kaldi's on {agree}/{len(expected)} utterances")
    times = _timing.measure(runs, args.repeats, args.warmup)
    _timing.report(times, work=frames, unit="frames")
    for name, seconds in times.items():
        med, lo, hi, _, _ = _timing.spread(seconds)
        audio = frames * FRAME_SHIFT
        print(f"  {name}: real-time factor {med / audio:.5f} (range {lo / audio:.5f}-{hi / audio:.5f})")
    _timing.print_ratio(times, "kaldinn", "simple")
    _timing.print_ratio(times, "kaldinn", "lattice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
