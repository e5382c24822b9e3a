"""Kaldi transition models: the reference monophone final.mdl (binary and text) and hand-made models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kaldinn.errors import ModelError
from kaldinn.hmm.transition_model import read_transition_model

REF = Path(__file__).resolve().parents[1] / "fixtures" / "kaldi_hybrid"

# A context-dependent model in the newer <Tuples> form: phone 1 has a separate self-loop
# pdf-class (a "chain"-style 2-state topology), phones 2-3 share a 2-state left-to-right HMM.
TUPLES_MODEL = """<TransitionModel>
<Topology>
<TopologyEntry>
<ForPhones> 1 </ForPhones>
<State> 0 <ForwardPdfClass> 0 <SelfLoopPdfClass> 1 <Transition> 0 0.5 <Transition> 1 0.5 </State>
<State> 1 </State>
</TopologyEntry>
<TopologyEntry>
<ForPhones> 2 3 </ForPhones>
<State> 0 <PdfClass> 0 <Transition> 0 0.6 <Transition> 1 0.4 </State>
<State> 1 <PdfClass> 1 <Transition> 1 0.7 <Transition> 2 0.3 </State>
<State> 2 </State>
</TopologyEntry>
</Topology>
<Tuples> 6
1 0 0 1
2 0 2 2
2 1 3 3
2 1 4 4
3 0 2 2
3 1 5 5
</Tuples>
<LogProbs>
 [ 0 -0.69 -0.69 -0.51 -0.92 -0.36 -1.2 -0.36 -1.2 -0.51 -0.92 -0.36 -1.2 ]
</LogProbs>
</TransitionModel>
"""


def test_reference_binary_and_text_agree_with_kaldi():
    binary = read_transition_model(REF / "exp" / "final.mdl")
    text = read_transition_model(REF / "exp" / "transition_model.txt")
    for tm in (binary, text):
        # am-info / hmm-info of the reference model
        assert (tm.num_phones, tm.num_pdfs, tm.num_transition_ids, tm.num_transition_states) == (
            31,
            95,
            198,
            95,
        )
        assert tm.phones == list(range(1, 32))
        ref = np.loadtxt(REF / "expected" / "tid2pdf.txt", dtype=np.int64)  # from show-transitions
        assert ref[:, 0].tolist() == list(range(1, 199))
        assert tm.tid_to_pdf[1:].tolist() == ref[:, 1].tolist()
        assert tm.tid_to_pdf[0] == -1 and tm.tid_to_phone[0] == -1
    assert binary.am_num_pdfs == 95 and binary.feat_dim == 39
    for name in ("tid_to_pdf", "tid_to_phone", "tid_to_state", "tid_is_self_loop"):
        assert getattr(binary, name).tolist() == getattr(text, name).tolist()
    # text holds 7 significant digits, binary float32
    np.testing.assert_allclose(binary.log_probs, text.log_probs, rtol=1e-6, atol=1e-6)
    assert binary.log_probs.shape == (199,)


def test_reference_transitions_match_show_transitions():
    tm = read_transition_model(REF / "exp" / "final.mdl")
    # show-transitions: state 1 = SIL (phone 1) hmm-state 0: tids 1 (self-loop) 2 3 4;
    # state 3 = SIL hmm-state 2: tid 10 is its self-loop; state 6 = phone 2 hmm-state 0: tids 19, 20
    assert [tm.is_self_loop(t) for t in (1, 2, 3, 4, 9, 10, 19, 20)] == [
        True,
        False,
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    assert tm.tid_to_phone[[1, 18, 19, 198]].tolist() == [1, 1, 2, 31]
    assert tm.tid_to_state[[1, 4, 5, 17, 18, 19]].tolist() == [1, 1, 2, 5, 5, 6]
    assert np.exp(tm.log_probs[1]) == pytest.approx(0.702246, abs=1e-6)
    # SIL's 5-state topology and the 3-state one of the other phones
    assert len(tm.topology.entry_for_phone(1)) == 6 and len(tm.topology.entry_for_phone(2)) == 4


def test_tuples_format_with_separate_self_loop_pdfs(tmp_path):
    path = tmp_path / "final.mdl"
    path.write_text(TUPLES_MODEL)
    tm = read_transition_model(path)
    assert (tm.num_phones, tm.num_pdfs, tm.num_transition_ids) == (3, 6, 12)
    # tids: state1 (1 0 0 1): 1 self-loop -> pdf 1, 2 forward -> pdf 0; state2: 3 loop, 4 fwd (pdf 2);
    # state3: 5, 6 (pdf 3); state4 (2 1 4 4): 7, 8 -> 4; state5: 9, 10 -> 2; state6: 11, 12 -> 5
    assert tm.tid_to_pdf[1:].tolist() == [1, 0, 2, 2, 3, 3, 4, 4, 2, 2, 5, 5]
    assert tm.tid_to_phone[1:].tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3]
    assert tm.tid_is_self_loop[1:].tolist() == [True, False] * 6


def test_triples_format_gives_self_loops_the_forward_pdf(tmp_path):
    text = TUPLES_MODEL.replace("<ForwardPdfClass> 0 <SelfLoopPdfClass> 1", "<PdfClass> 0")
    text = text.replace("<Tuples> 6", "<Triples> 6").replace("</Tuples>", "</Triples>")
    text = text.replace("1 0 0 1\n", "1 0 0\n")
    for line in ("2 0 2 2", "2 1 3 3", "2 1 4 4", "3 0 2 2", "3 1 5 5"):
        text = text.replace(line + "\n", line[:-2] + "\n")
    path = tmp_path / "final.mdl"
    path.write_text(text)
    tm = read_transition_model(path)
    assert tm.tid_to_pdf[1:].tolist() == [0, 0, 2, 2, 3, 3, 4, 4, 2, 2, 5, 5]
    assert tm.num_pdfs == 6


@pytest.mark.parametrize("cut", [40, 600, 1500, 3000, 100_000])
def test_truncated_binary_model_is_an_error(tmp_path, cut):
    data = (REF / "exp" / "final.mdl").read_bytes()
    path = tmp_path / "final.mdl"
    path.write_bytes(data[:cut])
    with pytest.raises(ModelError, match="final.mdl.*truncated"):
        read_transition_model(path)


def test_truncated_text_model_is_an_error(tmp_path):
    text = (REF / "exp" / "transition_model.txt").read_text()
    path = tmp_path / "final.mdl"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ModelError, match=r"final.mdl: .*line \d+"):
        read_transition_model(path)


def test_bad_models_are_errors(tmp_path):
    path = tmp_path / "final.mdl"
    path.write_text(TUPLES_MODEL.replace("3 1 5 5", "4 1 5 5"))  # phone 4 has no topology
    with pytest.raises(ModelError, match="phone 4"):
        read_transition_model(path)
    path.write_text(TUPLES_MODEL.replace(" -0.36 -1.2 ]", " ]"))  # one log-prob short of 13
    with pytest.raises(ModelError, match="<LogProbs> has 11 entries, expected 13"):
        read_transition_model(path)
    path.write_bytes(b"")
    with pytest.raises(ModelError, match="empty"):
        read_transition_model(path)
    with pytest.raises(ModelError, match="cannot read"):
        read_transition_model(tmp_path / "missing.mdl")


def test_text_model_with_gmm_part(tmp_path):
    gmm = "<DiagGMM>\n<GCONSTS>  [ -1.5 ]\n</DiagGMM>\n"
    path = tmp_path / "final.mdl"
    path.write_text(TUPLES_MODEL + "<DIMENSION> 39 <NUMPDFS> 6 " + gmm * 6)
    tm = read_transition_model(path)
    assert (tm.am_num_pdfs, tm.feat_dim) == (6, 39)
    path.write_text(TUPLES_MODEL + "<DIMENSION> 39 <NUMPDFS> 6 " + gmm * 5 + "<DiagGMM>\n<GCONSTS>  [ -1")
    with pytest.raises(ModelError, match="holds 5 complete Gaussian mixtures of 6; the file is truncated"):
        read_transition_model(path)
    path.write_text(TUPLES_MODEL + "<DIMENSION> 39 <NUMPDFS> 7 " + gmm * 7)
    with pytest.raises(ModelError, match="the GMM has 7 pdfs but the transition model 6"):
        read_transition_model(path)
