"""In-process hybrid decoding (kaldinn.decode.hybrid) against Kaldi's own output on the reference."""

from __future__ import annotations

import numpy as np
import pytest

from kaldinn.decode.hybrid import DecodeOptions, HybridDecoder, read_graph, tid_scores, with_word_penalty
from kaldinn.errors import KaldinnError
from kaldinn.hmm.transition_model import read_transition_model
from kaldinn.io.tables import SequentialReader
from tests.decode.hybrid_fixture import HCLG, LOGLIKES, MODEL, WORDS, read_lines

KALDI = DecodeOptions(acoustic_scale=0.1, beam=13.0, max_active=7000)  # as the reference was decoded


@pytest.fixture(scope="module")
def reference():
    tm = read_transition_model(MODEL)
    words = {int(i): w for w, i in (line.split() for line in WORDS.read_text().splitlines())}
    return tm, read_graph(HCLG), words, list(SequentialReader(f"ark:{LOGLIKES}"))


def decode_all(decoder, loglikes, words, options=KALDI):
    out = {}
    for utt, mat in loglikes:
        result = decoder.decode(mat, options)
        out[utt] = ([words[w] for w in result.words], result)
    return out


def test_one_best_alignment_and_scores_equal_kaldi_on_all_utterances(reference):
    tm, graph, words, loglikes = reference
    decoded = decode_all(HybridDecoder(graph, tm.tid_to_pdf), loglikes, words)
    latgen, faster = read_lines("latgen.1best.txt"), read_lines("decode_faster.1best.txt")
    alignments = read_lines("decode_faster.1best.ali.txt")
    per_frame = read_lines("decode_faster.loglike_per_frame.txt")
    assert len(decoded) == len(latgen) == 20
    for utt, (hyp, result) in decoded.items():
        assert hyp == latgen[utt] == faster[utt], utt
        assert result.alignment.tolist() == [int(t) for t in alignments[utt]], utt
        assert result.reached_final
        # Kaldi prints 6 significant digits of -(graph + scaled acoustic cost) / frames
        assert result.loglike_per_frame == pytest.approx(float(per_frame[utt][0]), abs=1e-4), utt


def test_off_by_one_column_mapping_does_not_reproduce_kaldi(reference):
    """Negative control: DecodableCtc reads column (transition-id - 1). Mapping column t to
    pdf(t) instead (forgetting the -1) still decodes digits, but not Kaldi's 1-best everywhere."""
    tm, graph, words, loglikes = reference
    shifted = np.concatenate([[0], tm.tid_to_pdf[:-1]])  # column t-1 holds pdf(t-1)
    shifted[1] = 0
    decoded = decode_all(HybridDecoder(graph, shifted), loglikes, words)
    latgen = read_lines("latgen.1best.txt")
    matching = sum(hyp == latgen[utt] for utt, (hyp, _) in decoded.items())
    assert matching < 20
    # and the right mapping differs from the wrong one only by that shift
    right = decode_all(HybridDecoder(graph, tm.tid_to_pdf), loglikes, words)
    assert sum(hyp == latgen[utt] for utt, (hyp, _) in right.items()) == 20


def test_tid_scores_puts_scaled_pdf_of_tid_t_in_column_t_minus_1():
    loglikes = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    tid_to_pdf = np.array([-1, 2, 0, 0, 1])  # index 0 unused
    scores = tid_scores(loglikes, tid_to_pdf, 0.5)
    assert scores.dtype == np.float32 and scores.flags.c_contiguous
    np.testing.assert_array_equal(scores, [[1.5, 0.5, 0.5, 1.0], [3.0, 2.0, 2.0, 2.5]])


def test_word_penalty_graph_removes_words_and_zero_is_the_graph_itself(reference):
    tm, graph, words, loglikes = reference
    assert with_word_penalty(graph, 0.0) is graph
    plain = decode_all(HybridDecoder(graph, tm.tid_to_pdf), loglikes[:5], words)
    heavy = decode_all(HybridDecoder(with_word_penalty(graph, 200.0), tm.tid_to_pdf), loglikes[:5], words)
    assert sum(len(h) for h, _ in heavy.values()) < sum(len(h) for h, _ in plain.values())


def test_loglikes_with_wrong_pdf_count_are_refused(reference):
    tm, graph, _, loglikes = reference
    decoder = HybridDecoder(graph, tm.tid_to_pdf)
    utt, mat = loglikes[0]
    decoder.check_loglikes(utt, mat, tm.num_pdfs)
    with pytest.raises(KaldinnError, match=rf"{utt}.*shape \(165, 94\).*95 pdfs"):
        decoder.check_loglikes(utt, mat[:, :94], tm.num_pdfs)


def test_read_graph_names_the_file_when_it_is_not_an_fst(tmp_path):
    bad = tmp_path / "HCLG.fst"
    bad.write_text("0 1 1 1\n1\n")
    with pytest.raises(KaldinnError, match=r"HCLG\.fst: not an OpenFst binary FST.*fstcompile"):
        read_graph(bad)
    with pytest.raises(KaldinnError, match="cannot read decoding graph"):
        read_graph(tmp_path / "missing.fst")
