"""G.fst from ARPA: Kaldi's arpa2fst G for the reference bigram; exact back-off scores for a trigram."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kaldinn.bin.format_lm import main as format_lm_main
from kaldinn.decode.lm import ArpaLM
from kaldinn.decode.ngram_build import build_kneser_ney, write_arpa
from kaldinn.errors import KaldinnError
from kaldinn.hmm.grammar_fst import arpa_to_fst, read_symbols

REF = Path(__file__).resolve().parents[1] / "fixtures" / "kaldi_hybrid"
pytest.importorskip("kaldifst")


def rounded(fst):
    from kaldinn.hmm.fst import fst_arcs

    arcs, finals = fst_arcs(fst)
    return (
        fst.start,
        fst.num_states,
        sorted((s, d, i, o, round(c, 3) + 0.0) for s, d, i, o, c in arcs),
        {s: round(c, 3) for s, c in finals.items()},
    )


def test_format_lm_reproduces_kaldis_G(tmp_path):
    out = tmp_path / "lang_test"
    arpa, lexicon = REF / "recipe" / "lm_bigram.arpa", REF / "recipe" / "lexicon.txt"
    assert format_lm_main([str(REF / "lang"), str(arpa), str(lexicon), str(out)]) == 0
    from kaldinn.hmm.fst import read_fst

    assert rounded(read_fst(out / "G.fst")) == rounded(read_fst(REF / "lang" / "G.fst"))
    assert (out / "words.txt").read_bytes() == (REF / "lang" / "words.txt").read_bytes()
    assert (out / "phones" / "disambig.int").is_file()


def walk_cost(fst, labels: list[int], backoff: int) -> float:
    """Cost of a sentence through G, taking the #0 back-off only when the word has no arc."""
    import kaldifst

    def arcs(state):
        it = kaldifst.ArcIterator(fst, state)
        while not it.done:
            yield it.value
            it.next()

    state, cost = fst.start, 0.0
    for label in [*labels, None]:
        while True:
            if label is None and fst.final(state).value != math.inf:
                return cost + fst.final(state).value
            hit = [a for a in arcs(state) if a.ilabel == label]
            if hit:
                state, cost = hit[0].nextstate, cost + hit[0].weight.value
                break
            back = [a for a in arcs(state) if a.ilabel == backoff]
            assert back, f"no back-off from state {state}"
            state, cost = back[0].nextstate, cost + back[0].weight.value


def test_trigram_costs_equal_the_arpa_back_off_scores(tmp_path):
    sentences = [
        s.split() for s in ("one two three", "two three four", "one two", "three one two four", "four")
    ]
    arpa = tmp_path / "lm.arpa"
    write_arpa(arpa, build_kneser_ney(sentences, order=3))
    words = {w: i for i, w in enumerate(["<eps>", "four", "one", "three", "two", "#0", "<s>", "</s>"])}
    fst, skipped = arpa_to_fst(arpa, words)
    assert skipped == 1  # <unk>: not a word of words.txt
    lm = ArpaLM.read(arpa)
    for sentence in (
        ["one", "two", "four"],
        ["four", "three", "one"],
        ["two", "two"],
        ["one", "two", "three"],
    ):
        history, expected = ["<s>"], 0.0
        for word in [*sentence, "</s>"]:
            expected -= lm.logprob10(word, history) * math.log(10.0)
            history.append(word)
        got = walk_cost(fst, [words[w] for w in sentence], words["#0"])
        assert got == pytest.approx(expected, abs=1e-4), sentence


def test_unknown_words_are_skipped_and_missing_symbols_refused(tmp_path):
    arpa = tmp_path / "lm.arpa"
    write_arpa(arpa, build_kneser_ney([["a", "b"], ["a", "zzz"]], order=2))
    words = {"<eps>": 0, "a": 1, "b": 2, "#0": 3, "<s>": 4, "</s>": 5}
    fst, skipped = arpa_to_fst(arpa, words)
    assert skipped >= 2  # the zzz unigram and the bigrams with zzz
    with pytest.raises(KaldinnError, match="#0 is not in the word symbol table"):
        arpa_to_fst(arpa, {k: v for k, v in words.items() if k != "#0"})
    assert read_symbols(REF / "lang" / "words.txt")["#0"] == 33
