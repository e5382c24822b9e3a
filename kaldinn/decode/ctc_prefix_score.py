"""CTC prefix scores for label-synchronous (attention) beam search, vectorised with torch.

The prefix score of a token sequence h is the CTC probability that the utterance's
transcript *starts with* h (Watanabe et al. 2017, "Hybrid CTC/attention architecture for
end-to-end speech recognition", Algorithm 2). Each hypothesis g keeps the forward
variables ``r_t^n(g)`` (paths over frames 0..t ending in g's last token) and ``r_t^b(g)``
(ending in blank); growing g by token c gives

    phi_t   = r_t^b(g) (+) [c != last(g)] r_t^n(g)
    r_t^n(h) = (r_{t-1}^n(h) (+) phi_{t-1}) + x_t(c),  r_0^n(h) = x_0(c) if g is empty
    r_t^b(h) = (r_{t-1}^n(h) (+) r_{t-1}^b(h)) + x_t(blank)
    psi(h)  = r_0^n(h) (+) sum_{t>=1} phi_{t-1} + x_t(c)

(``(+)`` is log-add). For the end symbol, psi is the full-sequence probability
``r_{T-1}^n(g) (+) r_{T-1}^b(g)``. Scores are natural logs; all hypotheses (rows) and
candidate tokens (columns) are scored at once, with one loop over the frames.

Example::

    scorer = CTCPrefixScorer(ctc_log_probs, lens)          # (N, T, V), (N,)
    state = scorer.initial_state()
    psi, grown = scorer.score(state, candidates)           # (N, P) prefix log-probs
    state = scorer.advance(grown, rows, columns, tokens)   # the chosen extensions
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

NEG_INF = -math.inf


class CTCState(NamedTuple):
    """r (N, T, 2): log forward variables (non-blank, blank); psi (N,) prefix score; last (N,) token or -1."""

    r: torch.Tensor
    psi: torch.Tensor
    last: torch.Tensor


class CTCPrefixScorer:
    """Prefix scores of many hypotheses over their utterances' CTC log-posteriors."""

    def __init__(self, log_probs: torch.Tensor, lens: torch.Tensor, blank: int = 0, eos: int = 0):
        self.x = log_probs.float()  # (N, T, V)
        self.lens = lens.to(log_probs.device)
        self.blank, self.eos = blank, eos
        frames = self.x.size(1)
        self.valid = torch.arange(frames, device=self.x.device)[None, :] < self.lens[:, None]  # (N, T)

    def select(self, rows: torch.Tensor) -> CTCPrefixScorer:
        """The scorer of the hypotheses ``rows`` (e.g. an utterance's rows repeated for a beam)."""
        out = CTCPrefixScorer.__new__(CTCPrefixScorer)
        out.x, out.lens, out.valid = self.x[rows], self.lens[rows], self.valid[rows]
        out.blank, out.eos = self.blank, self.eos
        return out

    def initial_state(self) -> CTCState:
        rows, frames, _ = self.x.shape
        r = self.x.new_full((rows, frames, 2), NEG_INF)
        r[:, :, 1] = torch.cumsum(self.x[:, :, self.blank], dim=1)  # the empty prefix: blanks only
        return CTCState(r, self.x.new_zeros(rows), torch.full((rows,), -1, device=self.x.device))

    def score(self, state: CTCState, cand: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Prefix log-probs (N, P) of each row grown by each candidate (N, P), and the grown
        forward variables (N, T, P, 2) for :meth:`advance`."""
        rows, frames, _ = self.x.shape
        xc = self.x.gather(2, cand[:, None, :].expand(rows, frames, cand.size(1)))  # (N, T, P)
        xb = self.x[:, :, self.blank, None]  # (N, T, 1)
        rn_g, rb_g = state.r[:, :, 0:1], state.r[:, :, 1:2]  # (N, T, 1) each
        same = (cand == state.last[:, None])[:, None, :]  # (N, 1, P): c repeats g's last token
        phi = torch.logaddexp(rb_g, torch.where(same, NEG_INF, rn_g))  # (N, T, P)
        empty = (state.last < 0)[:, None]  # (N, 1)
        rn = [torch.where(empty, xc[:, 0], NEG_INF)]  # each (N, P)
        rb = [torch.full_like(rn[0], NEG_INF)]
        for t in range(1, frames):
            rn.append(torch.logaddexp(rn[-1], phi[:, t - 1]) + xc[:, t])
            rb.append(torch.logaddexp(rb[-1], rn[-2]) + xb[:, t])
        terms = torch.cat([rn[0][:, None], phi[:, :-1] + xc[:, 1:]], dim=1)  # (N, T, P)
        terms = terms.masked_fill(~self.valid[:, :, None], NEG_INF)
        psi = torch.logsumexp(terms, dim=1)  # (N, P)
        last = (self.lens - 1).clamp(min=0)
        full = torch.logsumexp(state.r[torch.arange(rows), last], dim=1)  # (N,) whole sequence g
        psi = torch.where(cand == self.eos, full[:, None], psi)
        grown = torch.stack([torch.stack(rn, 1), torch.stack(rb, 1)], dim=3)  # (N, T, P, 2)
        return psi, grown

    @staticmethod
    def advance(
        psi: torch.Tensor, grown: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, tokens: torch.Tensor
    ) -> CTCState:
        """The state of row ``rows[k]`` grown by its candidate ``cols[k]`` (token ``tokens[k]``)."""
        return CTCState(grown[rows, :, cols], psi[rows, cols], tokens)
