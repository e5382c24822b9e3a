"""Word and character error rates with Kaldi ``compute-wer`` semantics.

The edit distance follows Kaldi's ``LevenshteinEditDistance`` (src/util/edit-distance-inl.h)
exactly, including its preference order when alignments tie (substitution/match only when
strictly cheaper than both, then deletion when strictly cheaper than insertion, else
insertion), so the ins/del/sub split equals Kaldi's. Modes (``--mode`` of compute-wer):
``strict`` (default): every reference needs a hypothesis; ``present``: score only the
utterances that have one; ``all``: score everything, a missing hypothesis counts as empty.
Hypotheses without a reference are ignored, as in Kaldi. CER splits every word into its
characters (spaces dropped), as Kaldi's Chinese recipes do before calling compute-wer.

Example::

    from kaldinn.metrics.wer import compute_wer
    result = compute_wer({"u1": ["a", "b"]}, {"u1": ["a", "c"]}, mode="strict")
    print(result.format())   # %WER 50.00 [ 1 / 2, 0 ins, 0 del, 1 sub ] ...
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kaldinn.errors import KaldinnError, UsageError

MODES = ("strict", "present", "all")
EPS = "<eps>"

# Backpointer codes of the alignment matrix.
_MATCH_OR_SUB, _DEL, _INS = 0, 1, 2


@dataclass
class UttAlignment:
    """One scored utterance: aligned (ref, hyp, op) triples with op in C/S/I/D."""

    utt_id: str
    pairs: list[tuple[str, str, str]]
    ins: int = 0
    dels: int = 0
    subs: int = 0
    corr: int = 0

    @property
    def errors(self) -> int:
        return self.ins + self.dels + self.subs


def align(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[str, str, str]]:
    """Kaldi-tie-broken alignment of ``ref`` and ``hyp`` as (ref, hyp, op) triples.

    Missing sides are ``<eps>``; op is ``C`` (correct), ``S``, ``I`` or ``D``. The ops
    counted along this path are exactly the counts Kaldi's compute-wer reports.
    """
    n_ref, n_hyp = len(ref), len(hyp)
    back = np.empty((n_hyp + 1, n_ref + 1), dtype=np.int8)
    back[0, :] = _DEL
    back[:, 0] = _INS
    prev = list(range(n_ref + 1))
    for h in range(1, n_hyp + 1):
        cur = [h] + [0] * n_ref
        word = hyp[h - 1]
        row = back[h]
        for r in range(1, n_ref + 1):
            ins_err = prev[r] + 1
            del_err = cur[r - 1] + 1
            sub_err = prev[r - 1] + (word != ref[r - 1])
            if sub_err < ins_err and sub_err < del_err:
                cur[r], row[r] = sub_err, _MATCH_OR_SUB
            elif del_err < ins_err:
                cur[r], row[r] = del_err, _DEL
            else:
                cur[r], row[r] = ins_err, _INS
        prev = cur
    return _backtrace(back, ref, hyp)


def _backtrace(back: np.ndarray, ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[str, str, str]]:
    h, r = len(hyp), len(ref)
    out = []
    while h > 0 or r > 0:
        move = back[h, r] if h > 0 and r > 0 else (_INS if r == 0 else _DEL)
        if move == _MATCH_OR_SUB:
            h, r = h - 1, r - 1
            out.append((ref[r], hyp[h], "C" if ref[r] == hyp[h] else "S"))
        elif move == _DEL:
            r -= 1
            out.append((ref[r], EPS, "D"))
        else:
            h -= 1
            out.append((EPS, hyp[h], "I"))
    out.reverse()
    return out


def score_utterance(utt_id: str, ref: Sequence[str], hyp: Sequence[str]) -> UttAlignment:
    """Align one utterance and count its correct words and errors."""
    pairs = align(ref, hyp)
    counts = {"C": 0, "S": 0, "I": 0, "D": 0}
    for _, _, op in pairs:
        counts[op] += 1
    return UttAlignment(utt_id, pairs, counts["I"], counts["D"], counts["S"], counts["C"])


@dataclass
class ErrorRate:
    """Totals in compute-wer's terms; ``format()`` prints its three lines."""

    errors: int = 0
    num_words: int = 0
    ins: int = 0
    dels: int = 0
    subs: int = 0
    sent_errs: int = 0
    num_sent: int = 0
    num_absent: int = 0
    utts: list[UttAlignment] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return _kaldi_percent(self.errors, self.num_words)

    @property
    def sent_rate(self) -> float:
        return _kaldi_percent(self.sent_errs, self.num_sent)

    def format(self, name: str = "WER", sentences: bool = True) -> str:
        """Kaldi's lines: ``%WER``, ``%SER`` and ``Scored N sentences, M not present in hyp.``."""
        partial = " [PARTIAL]" if self.num_absent else ""
        lines = [
            f"%{name} {_fmt(self.rate)} [ {self.errors} / {self.num_words}, {self.ins} ins, "
            f"{self.dels} del, {self.subs} sub ]{partial}"
        ]
        if sentences:
            lines.append(f"%SER {_fmt(self.sent_rate)} [ {self.sent_errs} / {self.num_sent} ]")
            lines.append(f"Scored {self.num_sent} sentences, {self.num_absent} not present in hyp.")
        return "\n".join(lines) + "\n"

    def summary(self) -> dict:
        """JSON-ready totals (rates rounded as Kaldi prints them)."""
        return {
            "rate": round(self.rate, 2) if math.isfinite(self.rate) else None,
            "errors": self.errors, "num_words": self.num_words, "ins": self.ins,
            "del": self.dels, "sub": self.subs, "sent_errors": self.sent_errs,
            "num_sentences": self.num_sent, "num_absent": self.num_absent,
        }  # fmt: skip


def _kaldi_percent(num: int, den: int) -> float:
    """``100.0 * float(num) / float(den)`` stored in a C float, as compute-wer does."""
    if den == 0:
        return math.nan if num == 0 else math.inf
    return float(np.float32(100.0 * float(np.float32(num)) / float(np.float32(den))))


def _fmt(value: float) -> str:
    # glibc prints 0.0/0.0 as -nan (the x86 default NaN has its sign bit set).
    if math.isnan(value):
        return "-nan"
    return "inf" if math.isinf(value) else f"{value:.2f}"


def compute_wer(
    refs: Mapping[str, Sequence[str]],
    hyps: Mapping[str, Sequence[str]],
    mode: str = "strict",
) -> ErrorRate:
    """Score ``hyps`` against ``refs`` (in the references' order) like ``compute-wer --mode``."""
    if mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    result = ErrorRate()
    for utt_id, ref in refs.items():
        if utt_id in hyps:
            hyp = hyps[utt_id]
        elif mode == "strict":
            raise KaldinnError(
                f"no hypothesis for utterance {utt_id!r} and --mode strict; "
                f"use --mode present (skip it) or --mode all (score it as empty)"
            )
        else:
            result.num_absent += 1
            if mode == "present":
                continue
            hyp = []
        utt = score_utterance(utt_id, ref, hyp)
        result.utts.append(utt)
        result.num_words += len(ref)
        result.errors += utt.errors
        result.ins += utt.ins
        result.dels += utt.dels
        result.subs += utt.subs
        result.num_sent += 1
        result.sent_errs += list(ref) != list(hyp)
    return result


def to_chars(words: Sequence[str]) -> list[str]:
    """Characters of a word sequence, spaces dropped (the CER token unit)."""
    return [ch for word in words for ch in word if not ch.isspace()]


def compute_cer(
    refs: Mapping[str, Sequence[str]], hyps: Mapping[str, Sequence[str]], mode: str = "strict"
) -> ErrorRate:
    """Character error rate: :func:`compute_wer` over :func:`to_chars` of each sentence."""
    return compute_wer(
        {k: to_chars(v) for k, v in refs.items()}, {k: to_chars(v) for k, v in hyps.items()}, mode
    )
