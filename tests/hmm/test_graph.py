"""HCLG of a monophone model: built from Kaldi's lang and final.mdl, it decodes as Kaldi's own graph."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kaldinn.bin.mkgraph import main as mkgraph_main
from kaldinn.errors import KaldinnError

REF = Path(__file__).resolve().parents[1] / "fixtures" / "kaldi_hybrid"
pytest.importorskip("kaldifst")
pytest.importorskip("kaldi_decoder")


@pytest.fixture
def model_dir(tmp_path):
    d = tmp_path / "mono"
    d.mkdir()
    shutil.copyfile(REF / "exp" / "final.mdl", d / "final.mdl")
    shutil.copyfile(REF / "exp" / "tree.txt", d / "tree")
    return d


def test_graph_decodes_the_reference_loglikes_to_kaldis_1best(tmp_path, model_dir):
    from kaldinn.decode.hybrid import DecodeOptions, HybridDecoder, fst_header_types, read_graph
    from kaldinn.hmm.grammar_fst import read_symbols
    from kaldinn.hmm.transition_model import read_transition_model
    from kaldinn.io.tables import SequentialReader

    graph = tmp_path / "graph"
    assert mkgraph_main([str(REF / "lang"), str(model_dir), str(graph)]) == 0
    assert fst_header_types(graph / "HCLG.fst") == ("const", "standard")
    assert (graph / "words.txt").read_bytes() == (REF / "graph" / "words.txt").read_bytes()
    assert (graph / "num_pdfs").read_text() == "95\n"
    assert (graph / "disambig_tid.int").read_text().split() == ["199", "200", "201"]
    tm = read_transition_model(model_dir / "final.mdl")
    decoder = HybridDecoder(read_graph(graph / "HCLG.fst"), tm.tid_to_pdf)
    words = {i: w for w, i in read_symbols(graph / "words.txt").items()}
    ref = {
        f[0]: f[1:] for f in (line.split() for line in (REF / "expected" / "decode_faster.1best.txt").open())
    }
    hyps = {}
    with SequentialReader(f"ark:{REF / 'loglikes.ark'}") as reader:
        for utt, loglikes in reader:  # decode-faster-mapped --acoustic-scale=0.1 --beam=13
            result = decoder.decode(loglikes, DecodeOptions(acoustic_scale=0.1, beam=13.0))
            assert result.reached_final
            hyps[utt] = [words[w] for w in result.words]
            phones_from_ali = np.unique(tm.tid_to_phone[result.alignment])
            assert phones_from_ali.min() >= 1  # every frame's transition-id is one of the model's
    assert hyps == ref  # all 20 utterances: Kaldi's 1-best on Kaldi's own HCLG


def test_triphone_trees_are_refused(tmp_path, model_dir):
    (model_dir / "tree").write_text(
        "ContextDependency 3 1 ToPdf TE 0 2 ( NULL NULL ) \nEndContextDependency "
    )
    with pytest.raises(KaldinnError, match="context width 3"):
        mkgraph_main([str(REF / "lang"), str(model_dir), str(tmp_path / "graph")])
