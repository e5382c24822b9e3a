"""ARPA LMs (read, back-off, Kneser-Ney build), build_lm CLI, LM and lexicon in beam search."""

from __future__ import annotations

import numpy as np
import pytest
from ctc_reference import log_probs, peaky, reference_search

from kaldinn.bin.build_lm import main as build_lm_main
from kaldinn.decode.lexicon import Lexicon
from kaldinn.decode.lm import ArpaLM, WordLMScorer
from kaldinn.decode.ngram_build import build_kneser_ney, write_arpa
from kaldinn.decode.prefix_beam import BeamConfig, prefix_beam_search, prefix_beam_search_batch
from kaldinn.errors import KaldinnError

ARPA = """
\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
-1.0\t<s>\t-0.5
-0.5\ta\t-0.3
-0.7\tb
-0.9\t</s>

\\2-grams:
-0.2\t<s> a
-0.1\ta b

\\end\\
"""

UNITS = ["<blk>", "a", "b", "c", "t", "o", "<space>"]


def test_arpa_backoff_hand_computed(tmp_path):
    (tmp_path / "lm.arpa").write_text(ARPA)
    lm = ArpaLM.read(tmp_path / "lm.arpa")
    assert lm.order == 2
    assert lm.logprob10("b", ["a"]) == pytest.approx(-0.1)  # listed bigram
    assert lm.logprob10("</s>", ["a"]) == pytest.approx(-0.3 - 0.9)  # back-off(a) + p(</s>)
    assert lm.logprob10("b", ["b"]) == pytest.approx(-0.7)  # b has no back-off weight: 0
    assert lm.logprob10("zzz", ["a"]) == pytest.approx(-0.3 - 10.0)  # OOV floor, no <unk>


def test_arpa_header_mismatch_is_an_error(tmp_path):
    (tmp_path / "bad.arpa").write_text(ARPA.replace("ngram 2=2", "ngram 2=3"))
    with pytest.raises(KaldinnError, match="ngram 2=3"):
        ArpaLM.read(tmp_path / "bad.arpa")


@pytest.mark.parametrize("order", [1, 2, 3])
def test_kneser_ney_distributions_sum_to_one(tmp_path, order):
    sents = [s.split() for s in ["a b c", "a b d", "b c a", "c c a b", "a a b c d", "d b a"] * 3 + ["e f"]]
    write_arpa(tmp_path / "lm.arpa", build_kneser_ney(sents, order))
    lm = ArpaLM.read(tmp_path / "lm.arpa")
    vocab = ["a", "b", "c", "d", "e", "f", "</s>", "<unk>"]
    for hist in [(), ("<s>",), ("a",), ("<s>", "a"), ("a", "b"), ("e", "f"), ("zz",)]:
        assert sum(10 ** lm.logprob10(w, hist) for w in vocab) == pytest.approx(1.0, abs=1e-5)
    assert lm.logprob10("b", ["a"]) > lm.logprob10("e", ["a"])


def test_build_lm_cli_reads_kaldi_text(tmp_path):
    (tmp_path / "text").write_text("u1 the cat\nu2 the dog\nu3 a cat\n")
    assert (
        build_lm_main(
            ["--order", "2", "--has-keys", "true", str(tmp_path / "text"), str(tmp_path / "o.arpa")]
        )
        == 0
    )
    lm = ArpaLM.read(tmp_path / "o.arpa")
    assert ("u1",) not in lm.probs and ("the", "cat") in lm.probs
    with pytest.raises(KaldinnError, match="no such file"):
        build_lm_main([str(tmp_path / "missing"), str(tmp_path / "o2.arpa")])


def lm_from(tmp_path, sentences) -> ArpaLM:
    write_arpa(tmp_path / "lm.arpa", build_kneser_ney([s.split() for s in sentences], 2))
    return ArpaLM.read(tmp_path / "lm.arpa")


def test_lm_changes_the_decision(tmp_path):
    # Acoustics slightly prefer word "b", the LM strongly prefers word "a".
    lp = log_probs(
        [[0.02, 0.45, 0.50, 0.01, 0.01, 0.005, 0.005], [0.97, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005]]
    )
    cfg = BeamConfig(beam=5, token_min_logp=-10.0)
    assert prefix_beam_search(lp, cfg)[0].tokens == [2]
    lm = lm_from(tmp_path, ["a"] * 20 + ["b"])
    scorer = WordLMScorer(UNITS, lm=lm, lm_weight=1.0)
    best = prefix_beam_search(lp, cfg, scorer)[0]
    assert best.tokens == [1]
    assert best.lm_score < 0 and best.score == pytest.approx(best.am_score + best.lm_score)


def test_lexicon_restricts_words():
    # Acoustics spell "cot", the lexicon only knows "cat" and "to".
    rows = [[0.02] * 7 for _ in range(3)]
    for t, (u, p) in enumerate([(3, 0.9), (5, 0.5), (4, 0.9)]):
        rows[t][u] = p
    rows[1][1] = 0.4
    lp = log_probs(rows)
    cfg = BeamConfig(beam=8, token_min_logp=-10.0)
    assert prefix_beam_search(lp, cfg)[0].tokens == [3, 5, 4]
    lex = Lexicon.from_spelling(["cat", "to"], UNITS)
    best = prefix_beam_search(lp, cfg, WordLMScorer(UNITS, lexicon=lex))[0]
    assert best.tokens == [3, 1, 4]


def test_lexicon_file_errors(tmp_path):
    (tmp_path / "lexicon.txt").write_text("cat c a t\ndog d o g\n")
    with pytest.raises(KaldinnError, match="'d'"):
        Lexicon.read(tmp_path / "lexicon.txt", UNITS)


def test_scorer_search_agrees_with_reference(tmp_path):
    lm = lm_from(tmp_path, ["ab ca", "ab", "ca ab ab", "b"])
    lex = Lexicon.from_spelling(["ab", "ca", "b", "a", "cab"], UNITS)
    rng = np.random.default_rng(5)
    for lexicon in (None, lex):
        scorer = WordLMScorer(UNITS, lm=lm, lm_weight=0.8, word_bonus=0.5, lexicon=lexicon)
        cfg = BeamConfig(beam=6, nbest=3, token_min_logp=-6.0)
        for _ in range(4):
            lp = peaky(rng, 30, len(UNITS), noise=1.0)
            ours = prefix_beam_search(lp, cfg, scorer)
            ref = reference_search(lp, cfg, scorer)
            assert [h.tokens for h in ours] == [r[0] for r in ref]
            assert [h.score for h in ours] == pytest.approx([r[1] for r in ref], abs=1e-9)


def test_batched_scorer_search_agrees_with_reference(tmp_path):
    lm = lm_from(tmp_path, ["ab ca", "ab", "ca ab ab", "b"])
    scorer = WordLMScorer(
        UNITS, lm=lm, lm_weight=0.8, lexicon=Lexicon.from_spelling(["ab", "ca", "b"], UNITS)
    )
    cfg = BeamConfig(beam=5, nbest=2, token_min_logp=-30.0, beam_prune_logp=-12.0)
    rng = np.random.default_rng(9)
    utts = [peaky(rng, n, len(UNITS), noise=1.0) for n in (25, 3, 40)]
    for lp, hyps in zip(utts, prefix_beam_search_batch(utts, cfg, scorer), strict=True):
        ref = reference_search(lp, cfg, scorer)
        assert [h.tokens for h in hyps] == [r[0] for r in ref]
        assert [h.score for h in hyps] == pytest.approx([r[1] for r in ref], abs=1e-9)
