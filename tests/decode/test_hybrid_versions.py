"""Version-compatibility smoke test of the in-process decoding stack (issue 13.2).

kaldifst (FST I/O and operations) and kaldi-decoder (the decoders) are separate pybind11
extensions that must agree on the FST types they pass each other; releases built against
another kaldifst refuse every FST argument (kaldi-hmm-gmm 1.1.4 with kaldifst 1.8.x). This
checks the pinned pair is what is installed and that an FST built by one is decoded by the other.
"""

from __future__ import annotations

import re
from importlib.metadata import version

import numpy as np
import pytest

from tests.conftest import REPO

kaldifst = pytest.importorskip("kaldifst")
kaldi_decoder = pytest.importorskip("kaldi_decoder")


def test_installed_versions_are_the_pins_of_setup_py():
    pins = dict(re.findall(r'"(kaldifst|kaldi-decoder)==([0-9.]+)"', (REPO / "setup.py").read_text()))
    assert set(pins) == {"kaldifst", "kaldi-decoder"}
    assert {name: version(name) for name in pins} == pins


def tiny_graph():
    """0 -t1:w10-> 1, 0 -t2:w20/1.5-> 1, 1 -t3:eps-> 1 (self-loop), 1 final: one word then silence."""
    fst = kaldifst.StdVectorFst()
    for _ in range(2):
        fst.add_state()
    fst.start = 0
    fst.add_arc(0, kaldifst.StdArc(1, 10, 0.0, 1))
    fst.add_arc(0, kaldifst.StdArc(2, 20, 1.5, 1))
    fst.add_arc(1, kaldifst.StdArc(3, 0, 0.0, 1))
    fst.set_final(1, 0.0)
    return fst


def decode(graph, scores: np.ndarray):
    decoder = kaldi_decoder.FasterDecoder(graph, kaldi_decoder.FasterDecoderOptions(beam=10.0))
    decoder.decode(kaldi_decoder.DecodableCtc(scores.astype(np.float32)))
    ok, best = decoder.get_best_path()
    linear, tids, words, weight = kaldifst.get_linear_symbol_sequence(best)
    return ok and linear, list(tids), list(words), (weight.value1, weight.value2)


@pytest.mark.parametrize("kind", ["vector", "const", "vector-file", "const-file"])
def test_fst_built_by_kaldifst_is_decoded_by_kaldi_decoder(kind, tmp_path):
    from kaldinn.decode.hybrid import fst_header_types, read_graph

    graph = tiny_graph()
    if kind.startswith("const"):
        graph = kaldifst.StdConstFst(graph)
    if kind.endswith("file"):
        path = tmp_path / "G.fst"
        assert graph.write(str(path))
        assert fst_header_types(path) == (kind.split("-")[0], "standard")
        graph = read_graph(path)
    # column t-1 scores transition-id t; log-likelihoods (higher is better)
    frames = np.array([[-1.0, -2.0, -9.0], [-9.0, -9.0, -1.0], [-9.0, -9.0, -1.0]])
    assert decode(graph, frames) == (True, [1, 3, 3], [10], (0.0, 3.0))
    # word 20 wins when its acoustic advantage beats its 1.5 graph cost
    frames[0] = [-4.0, -2.0, -9.0]
    assert decode(graph, frames) == (True, [2, 3, 3], [20], (1.5, 4.0))
