"""WER/CER: Kaldi compute-wer counts, tie-breaking, output lines, modes, and the CLI."""

from __future__ import annotations

import io
import json
import random

import pytest

from kaldinn.bin.compute_wer import main
from kaldinn.cli import run_main
from kaldinn.errors import KaldinnError
from kaldinn.metrics.wer import align, compute_cer, compute_wer, score_utterance


def kaldi_edit_distance(ref, hyp):
    """Port of Kaldi's LevenshteinEditDistance: counts carried along the DP (no backtrace)."""
    e = [(0, i, 0, i) for i in range(len(ref) + 1)]  # (ins, del, sub, cost)
    for h in range(1, len(hyp) + 1):
        cur = [(e[0][0] + 1, e[0][1], e[0][2], e[0][3] + 1)]
        for r in range(1, len(ref) + 1):
            ins_err, del_err = e[r][3] + 1, cur[r - 1][3] + 1
            diff = hyp[h - 1] != ref[r - 1]
            sub_err = e[r - 1][3] + diff
            if sub_err < ins_err and sub_err < del_err:
                p = e[r - 1]
                cur.append((p[0], p[1], p[2] + diff, sub_err))
            elif del_err < ins_err:
                p = cur[r - 1]
                cur.append((p[0], p[1] + 1, p[2], del_err))
            else:
                p = e[r]
                cur.append((p[0] + 1, p[1], p[2], ins_err))
        e = cur
    return e[-1]


def test_counts_equal_kaldi_dp_on_random_sentences():
    rng = random.Random(0)
    for _ in range(400):
        ref = [rng.choice("abc") for _ in range(rng.randint(0, 7))]
        hyp = [rng.choice("abcd") for _ in range(rng.randint(0, 7))]
        utt = score_utterance("u", ref, hyp)
        ins, dels, subs, cost = kaldi_edit_distance(ref, hyp)
        assert (utt.ins, utt.dels, utt.subs, utt.errors) == (ins, dels, subs, cost)


def test_hand_computed_tie_breaks():
    # "a b" vs "b a" costs 2 either way; Kaldi's preference order gives 1 del + 1 ins, not 2 sub.
    assert align(["a", "b"], ["b", "a"]) == [("a", "<eps>", "D"), ("b", "b", "C"), ("<eps>", "a", "I")]
    # One deleted word in the middle.
    assert [op for _, _, op in align(["a", "b", "c"], ["a", "c"])] == ["C", "D", "C"]
    # Empty hypothesis: all deletions; empty reference: all insertions.
    assert score_utterance("u", ["a", "b"], []).dels == 2
    assert score_utterance("u", [], ["x"]).ins == 1


def test_kaldi_output_lines_and_partial():
    refs = {"u1": "a b c d".split(), "u2": "x y".split(), "u3": "p q r".split()}
    hyps = {"u1": "a c d e".split(), "u2": []}
    present = compute_wer(refs, hyps, "present")
    assert present.format() == (
        "%WER 66.67 [ 4 / 6, 1 ins, 3 del, 0 sub ] [PARTIAL]\n"
        "%SER 100.00 [ 2 / 2 ]\nScored 2 sentences, 1 not present in hyp.\n"
    )
    everything = compute_wer(refs, hyps, "all")
    assert everything.format().splitlines()[0] == "%WER 77.78 [ 7 / 9, 1 ins, 6 del, 0 sub ] [PARTIAL]"
    with pytest.raises(KaldinnError, match="u3"):
        compute_wer(refs, hyps, "strict")


def test_exact_match_has_no_partial_and_empty_reference_prints_nan():
    result = compute_wer({"u1": ["a"]}, {"u1": ["a"], "extra": ["z"]})
    assert result.format().splitlines()[0] == "%WER 0.00 [ 0 / 1, 0 ins, 0 del, 0 sub ]"
    assert compute_wer({"u1": []}, {"u1": []}).format().startswith("%WER -nan [ 0 / 0,")
    assert compute_wer({"u1": []}, {"u1": ["a"]}).format().startswith("%WER inf [ 1 / 0,")


def test_percent_rounds_like_a_c_float():
    # 1/8 = 12.5 exactly: printf rounds half to even on the exact binary value -> 12.50.
    assert compute_wer({"u": list("abcdefgh")}, {"u": list("abcdefgz")}).format().startswith("%WER 12.50 ")
    assert compute_wer({"u": list("abc")}, {"u": list("abz")}).format().startswith("%WER 33.33 ")


def test_cer_splits_words_into_characters():
    cer = compute_cer({"u": ["ab", "cd"]}, {"u": ["abcx"]})
    assert (cer.errors, cer.num_words, cer.subs) == (1, 4, 1)


@pytest.fixture
def texts(tmp_path):
    (tmp_path / "ref").write_text("s1-u1 a b c\ns1-u2 x y\ns2-u3 p\n")
    (tmp_path / "hyp").write_text("s1-u1 a b d\ns2-u3\n")
    (tmp_path / "utt2spk").write_text("s1-u1 s1\ns1-u2 s1\ns2-u3 s2\n")
    return tmp_path


def test_cli_modes_and_outputs(texts, capsys):
    d = texts
    args = ["--mode", "all", "--per-utt", str(d / "pu"), "--per-spk", str(d / "ps"),
            "--utt2spk", str(d / "utt2spk"), "--json", str(d / "s.json"), "--cer", "true"]  # fmt: skip
    assert main([*args, f"ark:{d / 'ref'}", str(d / "hyp")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "%WER 66.67 [ 4 / 6, 0 ins, 3 del, 1 sub ] [PARTIAL]"
    assert out[2] == "Scored 3 sentences, 1 not present in hyp."
    assert out[3].startswith("%CER ")
    per_utt = (d / "pu").read_text().splitlines()
    assert per_utt[2].split() == ["s1-u1", "op", "C", "C", "S"]
    assert per_utt[3] == "s1-u1 #csid 2 1 0 0"
    spk = {line.split()[0]: line.split() for line in (d / "ps").read_text().splitlines()[1:]}
    assert spk["s1"][1:3] == ["2", "5"] and spk["s2"][1:3] == ["1", "1"]
    assert json.loads((d / "s.json").read_text())["wer"]["errors"] == 4


def test_cli_strict_missing_fails_and_stdin(texts, capsys, monkeypatch):
    d = texts
    assert run_main(main, [str(d / "ref"), str(d / "hyp")]) == 1
    assert "s1-u2" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("s1-u1 a b c\n"))
    assert main(["--mode", "present", str(d / "ref"), "ark,t:-"]) == 0
    assert capsys.readouterr().out.startswith("%WER 0.00 [ 0 / 3, 0 ins, 0 del, 0 sub ] [PARTIAL]")
    with pytest.raises(SystemExit) as usage:
        main(["--mode", "bogus", str(d / "ref"), str(d / "hyp")])
    assert usage.value.code == 2
