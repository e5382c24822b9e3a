"""The decoding graph HCLG of a monophone system (Kaldi's ``utils/mkgraph.sh``), with kaldifst.

Steps, as mkgraph.sh for context width 1 (C is the identity on phones, so CLG = LG):

1. LG = L_disambig o G, determinized in the log semiring (``fstdeterminizestar
   --use-log=true``) and minimized (``fstminimizeencoded``); L's ``#n`` and G's ``#0`` keep it
   determinizable.
2. H maps transition-ids to phones. Each phone's HMM is a chain of states; every arc consumes
   one frame with the transition-id of the transition it takes (non-reordered: a stay's frames
   are its self-loops and the leaving transition comes last) and the phone is output on the
   HMM's first arc. Weights are mkgraph's: a self-loop ``-self_loop_scale * log p``, another
   transition ``-(transition_scale * log(p / (1 - p_loop)) + self_loop_scale * log(1 - p_loop))``
   (transition-scale 1.0, self-loop-scale 0.1), so each path scores as Kaldi's HCLG with
   ``add-self-loops --reorder=true`` scores it. Disambiguation symbols pass through H as new
   input symbols above the transition-ids (``disambig_tid.int``).
3. HCLG = H o LG, determinized (tropical) and with the disambiguation transition-ids replaced
   by epsilon, epsilons removed (``fstrmsymbols``, ``fstrmepslocal``), minimized, arcs sorted
   by input label. Input labels are transition-ids, output labels words.ids; kaldi-decoder's
   FasterDecoder (and Kaldi's decoders) decode it with any model of the same transition-ids.

Example::

    hclg = make_hclg(lang_test_dir, transition_model)
    write_fst(hclg, "exp/mono/graph/HCLG.fst")
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from kaldinn.errors import KaldinnError
from kaldinn.hmm.fst import build_fst, fst_arcs, kaldifst, read_fst
from kaldinn.hmm.transition_model import TransitionModel


def make_lg(lang: Path):
    """det(min(L_disambig o G)) in the log semiring."""
    kf = kaldifst()
    lexicon, grammar = read_fst(lang / "L_disambig.fst"), read_fst(lang / "G.fst")
    if not lexicon.is_olabel_sorted:
        kf.arcsort(lexicon, sort_type="olabel")
    lg = kf.compose(lexicon, grammar)
    if lg.num_states == 0:
        raise KaldinnError(
            f"L_disambig o G is empty for {lang}; G's words must be words of L (same words.txt)"
        )
    if kf.determinize_star(lg, use_log=True):  # True: stopped early (kaldifst's status)
        raise KaldinnError(
            f"L_disambig o G of {lang} is not determinizable; check the disambiguation symbols"
        )
    kf.minimize_encoded(lg)
    return lg


def make_h(tm: TransitionModel, disambig_phones: list[int], transition_scale: float = 1.0,
           self_loop_scale: float = 0.1):  # fmt: skip
    """H with self-loops: transition-ids in, phones out; returns (fst, disambiguation input labels)."""
    arcs: list[tuple[int, int, int, int, float]] = []
    next_state = 1
    first_tid = np.searchsorted(tm.tid_to_state, np.arange(tm.num_transition_states + 2))
    tstate = {(t.phone, t.hmm_state): i + 1 for i, t in enumerate(tm.tuples)}
    for phone in tm.phones:
        hmm = tm.topology.entry_for_phone(phone)
        emitting = [s for s, st in enumerate(hmm) if st.forward_pdf_class >= 0]
        state_of = {s: next_state + i for i, s in enumerate(emitting)}
        next_state += len(emitting)
        for s in emitting:
            tid0 = int(first_tid[tstate[(phone, s)]])
            probs = np.exp(tm.log_probs[tid0 : tid0 + len(hmm[s].transitions)])
            p_loop = sum(p for (d, _), p in zip(hmm[s].transitions, probs, strict=True) if d == s)
            for k, ((dest, _), p) in enumerate(zip(hmm[s].transitions, probs, strict=True)):
                if dest == s:
                    cost = -self_loop_scale * math.log(max(p, 1e-30))
                else:
                    cost = -(transition_scale * math.log(max(p, 1e-30) / max(1.0 - p_loop, 1e-30))
                             + self_loop_scale * math.log(max(1.0 - p_loop, 1e-30)))  # fmt: skip
                target = state_of.get(dest, 0)  # the final HMM state: back to H's start
                arcs.append((state_of[s], target, tid0 + k, 0, cost))
                if s == emitting[0]:  # the HMM's first frame outputs the phone
                    arcs.append((0, target if dest != s else state_of[s], tid0 + k, phone, cost))
    disambig_tids = []
    for i, phone in enumerate(disambig_phones):
        label = tm.num_transition_ids + 1 + i
        disambig_tids.append(label)
        arcs.append((0, 0, label, phone, 0.0))
    return build_fst(arcs, start=0, finals={0: 0.0}, num_states=next_state), disambig_tids


def make_hclg(lang: str | os.PathLike, tm: TransitionModel, transition_scale: float = 1.0,
              self_loop_scale: float = 0.1):  # fmt: skip
    """HCLG for a context-width-1 model ``tm`` and the lang dir with G.fst; returns (fst, disambig tids)."""
    kf = kaldifst()
    lang = Path(lang)
    disambig = [int(x) for x in (lang / "phones" / "disambig.int").read_text().split()]
    lg = make_lg(lang)
    h, disambig_tids = make_h(tm, disambig, transition_scale, self_loop_scale)
    kf.arcsort(h, sort_type="olabel")
    hclg = kf.compose(h, lg)
    if kf.determinize_star(hclg):
        raise KaldinnError("H o LG is not determinizable")
    drop = set(disambig_tids)
    arcs, finals = fst_arcs(hclg)
    arcs = [(s, d, 0 if i in drop else i, o, c) for s, d, i, o, c in arcs]
    hclg = build_fst(arcs, hclg.start, finals, hclg.num_states)
    kf.rmepsilon(hclg)
    kf.minimize_encoded(hclg)
    kf.arcsort(hclg, sort_type="ilabel")
    return hclg, disambig_tids
