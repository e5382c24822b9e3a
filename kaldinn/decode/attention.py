"""Greedy and beam search for attention encoder-decoders (``las``), batched over utterances.

Each step scores the next token of every live hypothesis; ``<eos>`` (id 0) ends one. A
candidate's score adds, to its hypothesis' score:

    (1 - ctc_weight) * log p_att(c | h, x) + ctc_weight * (psi_ctc(h + c) - psi_ctc(h))
      + word-LM terms (at word boundaries, ``kaldinn.decode.lm.WordLMScorer``) + length_bonus

(CTC prefix scores from ``kaldinn.decode.ctc_prefix_score``; joint decoding needs the
model's CTC branch). Per utterance the 2 x beam best candidates are ranked: end symbols
among the first ``beam`` become finished hypotheses, the first ``beam`` others the new live
beam (fairseq's rule). An utterance is done once no live hypothesis can still beat its
n-th best finished one (every term is a log-probability, so only positive bonuses can
raise a score; they are counted at their most) or at its length limit. Stopping at
``beam`` finished hypotheses instead (fairseq's rule) cut digit strings short: with label
smoothing, ``<eos>`` after a prefix costs about as much as a wrong letter, so finished
prefixes pile up long before the best hypothesis ends. A hypothesis may not end before
``min_len_ratio`` x its encoder frames and must end at ``max_len_ratio`` x them; with
``eos_threshold`` g, ``<eos>`` is only proposed when
``log p(eos) >= g * max_{c != eos} log p(c)`` (Hannun et al. 2019). Finished hypotheses are
ranked by their score, or by score / (tokens + 1) with ``length_norm``. With CTC or an LM,
each hypothesis considers only its ``pre_beam`` best tokens by attention score.

Beam width 1 without CTC, LM, length normalisation or a positive length bonus is exactly
:func:`greedy_search` (tested); with them, beam 1 may look past the first ``<eos>`` for a
hypothesis they could rank first. Utterances of a batch are independent: batched results
equal one-at-a-time ones (up to float rounding).

Example::

    hyps = beam_search(model, feats, feat_lens, SearchConfig(beam=10, ctc_weight=0.3))
    hyps[0][0].tokens, hyps[0][0].score
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from kaldinn.decode.ctc_prefix_score import CTCPrefixScorer
from kaldinn.errors import KaldinnError
from kaldinn.models.attention_decoder import SOS_EOS

NEG_INF = -math.inf


@dataclass(frozen=True)
class SearchConfig:
    """Search options; scores are natural logs."""

    beam: int = 10
    ctc_weight: float = 0.0
    length_bonus: float = 0.0
    length_norm: bool = False
    eos_threshold: float | None = None
    max_len_ratio: float = 1.0
    min_len_ratio: float = 0.0
    pre_beam: int = 0  # 0: 1.5 x beam (only used with CTC or an LM)
    nbest: int = 1

    def __post_init__(self) -> None:
        if self.beam < 1 or self.nbest < 1 or self.nbest > self.beam:
            raise KaldinnError(f"need beam >= nbest >= 1, got beam {self.beam}, nbest {self.nbest}")
        if not 0.0 <= self.ctc_weight <= 1.0 or self.max_len_ratio <= 0 or self.min_len_ratio < 0:
            raise KaldinnError(f"need 0 <= ctc_weight <= 1, max_len_ratio > 0, min_len_ratio >= 0: {self}")


@dataclass
class AttentionHypothesis:
    tokens: list[int]
    score: float  # the ranking score (total, divided by tokens + 1 with length_norm)
    att_score: float  # sum of attention log-probabilities (with <eos>)
    ctc_score: float  # CTC log-probability of the whole sequence (0 without joint decoding)
    lm_score: float  # word-scorer total (0 without one)


def length_limits(enc_lens: torch.Tensor, cfg: SearchConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(min, max) output tokens per utterance from its encoder frames."""
    longest = torch.ceil(enc_lens.double() * cfg.max_len_ratio).long().clamp(min=1)
    shortest = torch.floor(enc_lens.double() * cfg.min_len_ratio).long()
    return torch.minimum(shortest, longest), longest


def allowed(logp: torch.Tensor, step: int, lo: torch.Tensor, hi: torch.Tensor, cfg: SearchConfig):
    """(N, V) additive mask: 0 where token c may follow at ``step``, -inf where it may not."""
    mask = torch.zeros_like(logp)
    no_eos = step < lo
    if cfg.eos_threshold is not None:
        best_other = logp[:, 1:].max(1).values
        no_eos |= logp[:, SOS_EOS] < cfg.eos_threshold * best_other
    mask[:, SOS_EOS] = torch.where(no_eos & (step < hi), NEG_INF, 0.0)
    mask[:, 1:] = torch.where((step >= hi)[:, None], NEG_INF, 0.0)
    return mask


def bonus(tokens: torch.Tensor, cfg: SearchConfig) -> torch.Tensor:
    return (tokens != SOS_EOS).to(torch.float32) * cfg.length_bonus


@torch.no_grad()
def greedy_search(model, feats: torch.Tensor, feat_lens: torch.Tensor, cfg: SearchConfig = SearchConfig()):
    """The best token at every step (attention scores only); one hypothesis per utterance."""
    enc, enc_lens = model.encode(feats, feat_lens)
    memory = model.decoder.memory(enc, enc_lens)
    lo, hi = length_limits(enc_lens, cfg)
    state = model.decoder.initial_state(memory)
    prev = torch.full((len(enc),), SOS_EOS, dtype=torch.long, device=enc.device)
    live = torch.ones(len(enc), dtype=torch.bool, device=enc.device)
    att = torch.zeros(len(enc), dtype=torch.float64, device=enc.device)
    total = att.clone()
    steps = []
    for step in range(int(hi.max()) + 1):
        logits, state = model.decoder.step(memory, state, prev)
        logp = logits.float().log_softmax(1)  # (B, V)
        cand = logp + allowed(logp, step, lo, hi, cfg) + cfg.length_bonus
        cand[:, SOS_EOS] -= cfg.length_bonus
        prev = cand.argmax(1)
        att += torch.where(live, logp.gather(1, prev[:, None]).squeeze(1).double(), 0.0)
        total += torch.where(live, cand.gather(1, prev[:, None]).squeeze(1).double(), 0.0)
        steps.append(torch.where(live, prev, -1))
        live &= prev != SOS_EOS
        if not live.any():
            break
    hyps = []
    for b, row in enumerate(torch.stack(steps, 1).tolist()):
        tokens = [t for t in row if t > 0]
        score = total[b].item() / (len(tokens) + 1) if cfg.length_norm else total[b].item()
        hyps.append(AttentionHypothesis(tokens, score, att[b].item(), 0.0, 0.0))
    return hyps


class _LMCache:
    """Word-scorer states per hypothesis row and (state, token) -> (state, increment)."""

    def __init__(self, scorer, rows: int):
        self.scorer = scorer
        self.states = [scorer.initial_state()] * rows
        self.memo: dict = {}

    def increments(self, cand: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(cand.shape, dtype=torch.float32)
        for n, row in enumerate(cand.tolist()):
            for p, tok in enumerate(row):
                out[n, p] = self.lookup(self.states[n], tok)[1]
        return out.to(cand.device)

    def lookup(self, state, tok: int):
        key = (state, tok)
        if key not in self.memo:
            if tok == SOS_EOS:
                self.memo[key] = (state, self.scorer.final(state))
            else:
                got = self.scorer.extend(state, tok)
                self.memo[key] = got if got is not None else (state, NEG_INF)
        return self.memo[key]

    def advance(self, rows: list[int], tokens: list[int]) -> None:
        self.states = [self.lookup(self.states[r], t)[0] for r, t in zip(rows, tokens, strict=True)]


@dataclass
class _Beam:
    """Rows of the live hypotheses, utterance-major (A active utterances x beam)."""

    utts: torch.Tensor  # (A,) original utterance index
    score: torch.Tensor  # (A, K) weighted totals
    att: torch.Tensor  # (A * K,) attention log-prob sums
    lm: torch.Tensor  # (A * K,) word-scorer sums
    tokens: torch.Tensor  # (A * K, step)


@torch.no_grad()
def beam_search(model, feats, feat_lens, cfg: SearchConfig = SearchConfig(), scorer=None):
    """n-best lists (best first, up to ``cfg.nbest``) of a batch of utterances."""
    if cfg.ctc_weight > 0 and getattr(model, "ctc", None) is None:
        raise KaldinnError("joint CTC decoding (ctc_weight > 0) needs a model trained with a CTC branch")
    enc, enc_lens = model.encode(feats, feat_lens)
    n_utts, k, device = len(enc), cfg.beam, enc.device
    rows = torch.arange(n_utts, device=device).repeat_interleave(k)
    memory = model.decoder.memory(enc, enc_lens).select(rows)
    state = model.decoder.initial_state(memory)
    ctc = ctc_state = None
    if cfg.ctc_weight > 0:
        ctc = CTCPrefixScorer(model.ctc_logits(enc).float().log_softmax(2), enc_lens).select(rows)
        ctc_state = ctc.initial_state()
    lm = _LMCache(scorer, len(rows)) if scorer is not None else None
    optimism = max(cfg.length_bonus, 0.0) + max(getattr(scorer, "word_bonus", 0.0), 0.0)
    lo, hi = (x[rows] for x in length_limits(enc_lens, cfg))
    score = torch.full((n_utts, k), NEG_INF, device=device)
    score[:, 0] = 0.0
    zeros = torch.zeros(len(rows), dtype=torch.float64, device=device)
    beam = _Beam(torch.arange(n_utts, device=device), score, zeros, zeros.clone(), rows[:, None][:, :0])
    finished: list[list[AttentionHypothesis]] = [[] for _ in range(n_utts)]
    prev = torch.full((len(rows),), SOS_EOS, dtype=torch.long, device=device)
    for step in range(int(hi.max()) + 1):
        logits, state = model.decoder.step(memory, state, prev)
        logp = logits.float().log_softmax(1)  # (N, V)
        mask = allowed(logp, step, lo, hi, cfg)
        n_cand = logp.size(1)
        if ctc is not None or lm is not None:
            n_cand = min(n_cand, max(cfg.pre_beam or int(1.5 * k), 2))
        cand = (logp + mask).topk(n_cand, dim=1).indices  # (N, P), all tokens when P = V
        att_c = logp.gather(1, cand)
        inc = (1.0 - cfg.ctc_weight) * att_c + mask.gather(1, cand) + bonus(cand, cfg)
        if ctc is not None:
            psi, grown = ctc.score(ctc_state, cand)
            inc = inc + cfg.ctc_weight * (psi - ctc_state.psi[:, None])
        lm_c = lm.increments(cand) if lm is not None else torch.zeros_like(att_c)
        total = beam.score.reshape(-1, 1) + inc + lm_c  # (N, P)
        n_act = len(beam.utts)
        values, flat = total.reshape(n_act, k * n_cand).topk(min(2 * k, k * n_cand), dim=1)
        src = (flat // n_cand) + torch.arange(n_act, device=device)[:, None] * k  # (A, 2K) source rows
        col = flat % n_cand
        tok = cand[src, col]
        is_eos = (tok == SOS_EOS) & torch.isfinite(values)
        for a, j in (is_eos[:, :k]).nonzero().tolist():
            r, c = src[a, j].item(), col[a, j].item()
            ended = psi[r, c].item() if ctc is not None else 0.0
            att_sum = beam.att[r].item() + att_c[r, c].item()
            lm_sum = beam.lm[r].item() + lm_c[r, c].item()
            finished[beam.utts[a].item()].append(
                make_hyp(beam.tokens[r].tolist(), values[a, j].item(), att_sum, ended, lm_sum, cfg)
            )
        order = torch.sort((tok == SOS_EOS).long() * (2 * k) + torch.arange(tok.size(1), device=device), 1)
        pick = order.indices[:, :k]  # the first K non-eos candidates of each utterance
        src, col, tok = src.gather(1, pick), col.gather(1, pick), tok.gather(1, pick)
        new_score = torch.where(tok == SOS_EOS, NEG_INF, values.gather(1, pick))  # (A, K)
        r, c, t = src.reshape(-1), col.reshape(-1), tok.reshape(-1)
        state = state.select(r)
        if ctc is not None:
            ctc_state = ctc.advance(psi, grown, r, c, t)
        if lm is not None:
            lm.advance(r.tolist(), t.tolist())
        beam = _Beam(
            beam.utts, new_score, beam.att[r] + att_c[r, c].double(), beam.lm[r] + lm_c[r, c].double(),
            torch.cat([beam.tokens[r], t[:, None]], dim=1),
        )  # fmt: skip
        prev = t
        best_live = new_score.max(1).values.tolist()
        done = [
            not math.isfinite(live) or settled(finished[u], live, step + 1, int(hi[a * k]), cfg, optimism)
            for a, (u, live) in enumerate(zip(beam.utts.tolist(), best_live, strict=True))
        ]
        keep = ~torch.tensor(done, device=device)
        if not keep.all():  # drop done utterances from every per-row tensor
            if not keep.any():
                break
            kept = keep.repeat_interleave(k)
            memory, state, prev, lo, hi = (
                memory.select(kept),
                state.select(kept),
                prev[kept],
                lo[kept],
                hi[kept],
            )
            if ctc is not None:
                ctc, ctc_state = ctc.select(kept), type(ctc_state)(*(x[kept] for x in ctc_state))
            if lm is not None:
                lm.states = [s for s, q in zip(lm.states, kept.tolist(), strict=True) if q]
            beam = _Beam(beam.utts[keep], beam.score[keep], beam.att[kept], beam.lm[kept], beam.tokens[kept])
    return [sorted(hyps, key=lambda h: -h.score)[: cfg.nbest] for hyps in finished]


def settled(done: list, live: float, length: int, longest: int, cfg: SearchConfig, optimism: float) -> bool:
    """True when no live hypothesis (best raw score ``live`` after ``length`` tokens, at most
    ``longest``) can still beat the n-th best finished one. Every attention, CTC and LM term
    is a log-probability (<= 0), so a live score can only rise by the positive bonuses
    (``optimism`` per token, the pending word's bonus counted once more)."""
    if len(done) < cfg.nbest:
        return False
    nth = sorted((h.score for h in done), reverse=True)[cfg.nbest - 1]
    gain = optimism * (longest - length + 1)
    if not cfg.length_norm:
        return nth >= live + gain
    # (live + optimism * extra) / (length + extra + 1) is monotone in extra: check both ends
    return nth >= max(live / (length + 1), (live + gain) / (longest + 1))


def make_hyp(tokens: list[int], total: float, att: float, ctc: float, lm: float, cfg: SearchConfig):
    score = total / (len(tokens) + 1) if cfg.length_norm else total
    return AttentionHypothesis(tokens, score, att, ctc, lm)


@torch.no_grad()
def attention_weights(model, feats, feat_lens, hyps: list[list[int]]) -> list[torch.Tensor]:
    """Each utterance's attention (tokens + 1, encoder frames) for its hypothesis + <eos>,
    by teacher forcing the decoder on it: the weights the search saw for that sequence."""
    targets = torch.zeros(len(hyps), max([len(h) for h in hyps] + [0]), dtype=torch.long)
    for i, h in enumerate(hyps):
        targets[i, : len(h)] = torch.tensor(h, dtype=torch.long)
    lens = torch.tensor([len(h) for h in hyps])
    out = model(feats, feat_lens, targets.to(feats.device), lens.to(feats.device))
    return [out.attention[i, : len(h) + 1, : int(out.ctc_lens[i])].cpu() for i, h in enumerate(hyps)]
