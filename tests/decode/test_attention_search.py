"""Attention search (kaldinn.decode.attention) and CTC prefix scores (kaldinn.decode.ctc_prefix_score)."""

import math

import pytest
import torch

from kaldinn.decode.attention import SearchConfig, attention_weights, beam_search, greedy_search
from kaldinn.decode.ctc_prefix_score import CTCPrefixScorer
from kaldinn.decode.lexicon import Lexicon
from kaldinn.decode.lm import WordLMScorer
from kaldinn.models import build_model

UNITS = ["<blk>", "<unk>", "<space>", "a", "b"]
LENS = torch.tensor([60, 47, 33, 18, 9])


def spelling_model(seed: int = 0):
    """A random las model whose greedy outputs vary (sharp, <unk> unlikely, <eos> not at once)."""
    torch.manual_seed(seed)
    args = {"hidden_size": 16, "num_layers": 2, "subsample": 2, "conv_channels": 2, "decoder_size": 16,
            "attention_dim": 8, "ctc_branch": True}  # fmt: skip
    model = build_model("las", args, input_dim=5, num_classes=len(UNITS)).eval()
    with torch.no_grad():
        model.decoder.output.weight.mul_(6.0)
        model.decoder.output.bias.copy_(torch.tensor([-2.0, -9.0, 0.0, 0.5, 0.5]))
        model.ctc.weight.mul_(4.0)
    return model


def features(seed: int = 1):
    feats = torch.randn(len(LENS), int(LENS.max()), 5, generator=torch.Generator().manual_seed(seed))
    return feats * (torch.arange(feats.size(1))[None, :, None] < LENS[:, None, None]), LENS


CONFIGS = [
    SearchConfig(beam=1),
    SearchConfig(beam=1, length_bonus=-0.3),
    SearchConfig(beam=1, eos_threshold=1.5, max_len_ratio=0.3, min_len_ratio=0.1),
]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_beam_one_is_greedy(cfg):
    model, (feats, lens) = spelling_model(), features()
    greedy = greedy_search(model, feats, lens, cfg)
    beam = beam_search(model, feats, lens, cfg)
    assert len({tuple(h.tokens) for h in greedy}) > 2  # the test model really spells
    assert [h.tokens for h in greedy] == [n[0].tokens for n in beam]
    assert [h.score for h in greedy] == pytest.approx([n[0].score for n in beam], abs=1e-4)


def test_with_length_normalisation_beam_one_may_look_past_the_first_eos():
    model, (feats, lens) = spelling_model(), features()
    cfg = SearchConfig(beam=1, length_norm=True)
    greedy = greedy_search(model, feats, lens, cfg)
    beam = beam_search(model, feats, lens, cfg)
    assert all(b[0].score >= g.score - 1e-4 for g, b in zip(greedy, beam, strict=True))


def test_length_limits_hold():
    model, (feats, lens) = spelling_model(), features()
    cfg = SearchConfig(beam=3, max_len_ratio=0.25, min_len_ratio=0.2)
    enc_lens = (lens + 1) // 2  # subsample 2
    for nbest, frames in zip(beam_search(model, feats, lens, cfg), enc_lens.tolist(), strict=True):
        assert math.floor(0.2 * frames) <= len(nbest[0].tokens) <= math.ceil(0.25 * frames)


@pytest.mark.parametrize("ctc_weight", [0.0, 0.4])
def test_batched_search_equals_one_utterance_at_a_time(ctc_weight):
    model, (feats, lens) = spelling_model(), features()
    cfg = SearchConfig(beam=4, ctc_weight=ctc_weight, nbest=2)
    batched = beam_search(model, feats, lens, cfg)
    for i, n in enumerate(lens.tolist()):
        alone = beam_search(model, feats[i : i + 1, :n], lens[i : i + 1], cfg)[0]
        assert [h.tokens for h in alone] == [h.tokens for h in batched[i]]
        assert [h.score for h in alone] == pytest.approx([h.score for h in batched[i]], abs=1e-3)


def test_a_wider_beam_never_finds_a_worse_best_score():
    model, (feats, lens) = spelling_model(), features()
    narrow = beam_search(model, feats, lens, SearchConfig(beam=1))
    wide = beam_search(model, feats, lens, SearchConfig(beam=8))
    assert all(w[0].score >= n[0].score - 1e-4 for n, w in zip(narrow, wide, strict=True))


def test_joint_scores_combine_attention_and_ctc_log_probabilities():
    model, (feats, lens) = spelling_model(), features()
    found = beam_search(model, feats, lens, SearchConfig(beam=4, ctc_weight=0.3))
    enc, enc_lens = model.encode(feats, lens)
    log_probs = model.ctc_logits(enc).log_softmax(2)
    for i, nbest in enumerate(found):
        hyp = nbest[0]
        want_ctc = -torch.nn.functional.ctc_loss(
            log_probs[i : i + 1, : enc_lens[i]].transpose(0, 1), torch.tensor([hyp.tokens]),
            enc_lens[i : i + 1], torch.tensor([len(hyp.tokens)]), reduction="sum",
        ).item()  # fmt: skip
        assert hyp.ctc_score == pytest.approx(want_ctc, abs=1e-3)
        assert hyp.score == pytest.approx(0.7 * hyp.att_score + 0.3 * hyp.ctc_score, abs=1e-3)


def test_ctc_prefix_scores_split_a_prefix_over_its_extensions_and_its_end():
    # P(prefix g) = P(sequence is exactly g) + sum_c P(prefix g + c): extensions by every unit
    # and the end symbol (id 0, the blank id) share out the prefix's probability.
    torch.manual_seed(3)
    log_probs = torch.randn(2, 12, 5).log_softmax(2)
    scorer = CTCPrefixScorer(log_probs, torch.tensor([12, 7]))
    state = scorer.initial_state()
    every = torch.arange(5).expand(2, 5)
    for token in (3, 3, 4):  # grow "a a b" (a repeat needs a blank between)
        psi, grown = scorer.score(state, every)
        assert torch.allclose(torch.logsumexp(psi, 1), state.psi, atol=1e-4)
        rows = torch.arange(2)
        state = scorer.advance(psi, grown, rows, torch.full((2,), token), torch.full((2,), token))
    assert torch.isfinite(state.psi).all()


def test_word_lm_fusion_follows_the_lexicon_and_adds_its_scores():
    model, (feats, lens) = spelling_model(), features()
    lexicon = Lexicon([("ab", (3, 4))])
    scorer = WordLMScorer(UNITS, lm=None, word_bonus=0.5, lexicon=lexicon)
    found = beam_search(model, feats, lens, SearchConfig(beam=4), scorer)
    for nbest in found:
        hyp = nbest[0]
        words = "".join(UNITS[t] if t != 2 else " " for t in hyp.tokens).split()
        assert set(words) <= {"ab"}
        assert hyp.lm_score == pytest.approx(0.5 * len(words))
        assert hyp.score == pytest.approx(hyp.att_score + hyp.lm_score, abs=1e-4)


def test_attention_weights_of_a_hypothesis_cover_its_tokens_and_eos():
    model, (feats, lens) = spelling_model(), features()
    hyps = [h.tokens for h in greedy_search(model, feats, lens)]
    weights = attention_weights(model, feats, lens, hyps)
    for w, h, n in zip(weights, hyps, lens.tolist(), strict=True):
        assert w.shape == (len(h) + 1, -(-n // 2))
        assert torch.allclose(w.sum(1), torch.ones(len(h) + 1), atol=1e-5)
