"""Kaldi's transition model (the HMM part of ``final.mdl``), read from binary or text.

A Kaldi ``final.mdl`` is a ``<TransitionModel>`` followed by the acoustic model (``AmDiagGmm``
for GMM systems, ``<Nnet3>`` for nnet3). The transition model holds

* the topology: for groups of phones, HMM states with a forward and a self-loop pdf-class and
  their transitions (``<PdfClass>`` sets both; a state without one is final);
* the tuples: one per transition-state, ``phone hmm-state forward-pdf [self-loop-pdf]``
  (``<Tuples>``, 4 fields; ``<Triples>``, 3 fields, when every self-loop pdf equals the
  forward pdf: what Kaldi writes for ordinary HMM topologies);
* ``<LogProbs>``: the log-probability of each transition-id (index 0 unused).

Transition-ids are numbered from 1 over the tuples in order, one per transition out of the
tuple's HMM state (Kaldi's ``ComputeDerived``). A transition-id's pdf is the tuple's
self-loop pdf when the transition goes back to its own state, the forward pdf otherwise.
Phone ids are those of ``phones.txt`` (0 is epsilon). The acoustic model after
``</TransitionModel>`` is not loaded; for a GMM its ``<NUMPDFS>`` is checked against the
tuples and its ``</DiagGMM>`` count against ``<NUMPDFS>`` (a cheap truncation check).

Example::

    >>> tm = read_transition_model("exp/tri3_ali/final.mdl")   # doctest: +SKIP
    >>> tm.num_pdfs, tm.num_transition_ids, tm.tid_to_pdf[alignment]   # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import ModelError
from kaldinn.io.kaldi_stream import KaldiStream, open_kaldi_object

NO_PDF = -1  # Kaldi's kNoPdf: the pdf-class of a final (non-emitting) state


@dataclass(frozen=True)
class HmmState:
    """One HMM state of a topology entry; ``transitions`` are (destination state, probability)."""

    forward_pdf_class: int
    self_loop_pdf_class: int
    transitions: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Topology:
    """Kaldi's ``HmmTopology``: ``entries[phone2idx[phone]]`` is the HMM of ``phone``."""

    phones: tuple[int, ...]  # sorted phone ids covered by the topology
    phone2idx: tuple[int, ...]  # phone id -> entry index, -1 where the phone has none
    entries: tuple[tuple[HmmState, ...], ...]

    def entry_for_phone(self, phone: int) -> tuple[HmmState, ...]:
        if not 0 < phone < len(self.phone2idx) or self.phone2idx[phone] < 0:
            raise KeyError(phone)
        return self.entries[self.phone2idx[phone]]


@dataclass(frozen=True)
class TransitionTuple:
    """One transition-state: (phone, hmm-state, forward-pdf, self-loop-pdf)."""

    phone: int
    hmm_state: int
    forward_pdf: int
    self_loop_pdf: int


class TransitionModel:
    """Kaldi's ``TransitionModel`` with the derived transition-id tables as numpy arrays.

    ``tid_to_pdf``, ``tid_to_phone``, ``tid_to_state`` (transition-state, from 1) and
    ``tid_is_self_loop`` have length ``num_transition_ids + 1``; index 0 (not a transition-id)
    holds -1 (False for the self-loop mask).
    """

    def __init__(
        self, topology: Topology, tuples: list[TransitionTuple], log_probs: np.ndarray, name: str = ""
    ):
        self.topology = topology
        self.tuples = tuple(tuples)
        self.name = name
        self._derive(name)
        if log_probs.shape != (self.num_transition_ids + 1,):
            raise ModelError(
                f"{name}: <LogProbs> has {log_probs.shape[0]} entries, expected "
                f"{self.num_transition_ids + 1} (number of transition-ids + 1); the model is corrupt"
            )
        self.log_probs = log_probs
        self.am_num_pdfs: int | None = None  # <NUMPDFS> of the GMM after the transition model
        self.feat_dim: int | None = None  # <DIMENSION> of the GMM

    def _derive(self, name: str) -> None:
        pdf, phone, state, self_loop = [-1], [-1], [-1], [False]
        for tstate, t in enumerate(self.tuples, start=1):
            try:
                hmm = self.topology.entry_for_phone(t.phone)
            except KeyError:
                raise ModelError(
                    f"{name}: transition-state {tstate} names phone {t.phone}, "
                    "which the topology does not cover; the model is corrupt"
                ) from None
            if not 0 <= t.hmm_state < len(hmm) or min(t.forward_pdf, t.self_loop_pdf) < 0:
                raise ModelError(
                    f"{name}: transition-state {tstate} ({t}) does not fit the "
                    f"{len(hmm)}-state topology of phone {t.phone}; the model is corrupt"
                )
            for dest, _prob in hmm[t.hmm_state].transitions:
                loop = dest == t.hmm_state
                pdf.append(t.self_loop_pdf if loop else t.forward_pdf)
                phone.append(t.phone)
                state.append(tstate)
                self_loop.append(loop)
        self.tid_to_pdf = np.array(pdf, dtype=np.int64)
        self.tid_to_phone = np.array(phone, dtype=np.int64)
        self.tid_to_state = np.array(state, dtype=np.int64)
        self.tid_is_self_loop = np.array(self_loop, dtype=bool)
        self.num_transition_ids = len(pdf) - 1
        self.num_transition_states = len(self.tuples)
        self.num_pdfs = 1 + max((max(t.forward_pdf, t.self_loop_pdf) for t in self.tuples), default=-1)

    @property
    def phones(self) -> list[int]:
        """The phone ids the topology covers (sorted; Kaldi's ``GetPhones()``)."""
        return list(self.topology.phones)

    @property
    def num_phones(self) -> int:
        """Number of phones in the topology (``hmm-info``'s "number of phones")."""
        return len(self.topology.phones)

    def is_self_loop(self, tid: int) -> bool:
        self._check_tid(tid)
        return bool(self.tid_is_self_loop[tid])

    def transition_id_to_pdf(self, tid: int) -> int:
        self._check_tid(tid)
        return int(self.tid_to_pdf[tid])

    def transition_id_to_phone(self, tid: int) -> int:
        self._check_tid(tid)
        return int(self.tid_to_phone[tid])

    def _check_tid(self, tid: int) -> None:
        if not 1 <= tid <= self.num_transition_ids:
            raise ModelError(
                f"transition-id {tid} is out of range 1..{self.num_transition_ids} for {self.name}"
            )

    def check_transition_ids(self, tids: np.ndarray, where: str) -> None:
        """Fail naming ``where`` if any of ``tids`` is not a transition-id of this model."""
        if tids.size and (tids.min() < 1 or tids.max() > self.num_transition_ids):
            bad = int(tids[(tids < 1) | (tids > self.num_transition_ids)][0])
            raise ModelError(
                f"{where}: transition-id {bad} is out of range 1..{self.num_transition_ids} of {self.name}; "
                "the alignments were made with a different model (use that model's final.mdl)"
            )

    def __repr__(self) -> str:
        return (
            f"TransitionModel({self.name!r}: {self.num_phones} phones, {self.num_pdfs} pdfs, "
            f"{self.num_transition_ids} transition-ids, {self.num_transition_states} transition-states)"
        )


def _read_topology_text(r: KaldiStream) -> Topology:
    phone_lists, entries = [], []
    token = r.token()
    while token == "<TopologyEntry>":
        r.expect("<ForPhones>")
        phones = []
        while (word := r.token()) != "</ForPhones>":
            try:
                phones.append(int(word))
            except ValueError:
                raise r._fail(f"expected a phone id or </ForPhones>, found {word[:40]!r}") from None
        states: list[HmmState] = []
        token = r.token()
        while token == "<State>":
            index = r.int("a state index")
            if index != len(states):
                raise r._fail(f"<State> {index} out of order (expected {len(states)})")
            token = r.token()
            forward = self_loop = NO_PDF
            if token == "<PdfClass>":
                forward = self_loop = r.int("a pdf-class")
                token = r.token()
            elif token == "<ForwardPdfClass>":
                forward = r.int("a forward pdf-class")
                r.expect("<SelfLoopPdfClass>")
                self_loop = r.int("a self-loop pdf-class")
                token = r.token()
            transitions = []
            while token == "<Transition>":
                transitions.append((r.int("a destination state"), r.float("a transition probability")))
                token = r.token()
            if token != "</State>":
                raise r._fail(f"expected <Transition> or </State>, found {token[:40]!r}")
            states.append(HmmState(forward, self_loop, tuple(transitions)))
            token = r.token()
        if token != "</TopologyEntry>":
            raise r._fail(f"expected <State> or </TopologyEntry>, found {token[:40]!r}")
        phone_lists.append(phones)
        entries.append(tuple(states))
        token = r.token()
    if token != "</Topology>":
        raise r._fail(f"expected <TopologyEntry> or </Topology>, found {token[:40]!r}")
    return _make_topology(r, phone_lists, entries)


def _make_topology(
    r: KaldiStream, phone_lists: list[list[int]], entries: list[tuple[HmmState, ...]]
) -> Topology:
    all_phones = [p for ps in phone_lists for p in ps]
    if not all_phones or min(all_phones) < 1 or len(set(all_phones)) != len(all_phones):
        raise r._fail("the topology's <ForPhones> lists must name each phone id >= 1 exactly once")
    phone2idx = [-1] * (max(all_phones) + 1)
    for idx, phones in enumerate(phone_lists):
        for p in phones:
            phone2idx[p] = idx
    return Topology(tuple(sorted(all_phones)), tuple(phone2idx), tuple(entries))


def _read_topology_binary(r: KaldiStream) -> Topology:
    phones = r.int_vector("the topology's phones")
    phone2idx = r.int_vector("the topology's phone2idx")
    num_entries = r.int("the number of topology entries")
    separate_self_loop = num_entries == -1  # -1 flags the <ForwardPdfClass>/<SelfLoopPdfClass> form
    if separate_self_loop:
        num_entries = r.int("the number of topology entries")
    entries = []
    for _ in range(num_entries):
        states = []
        for _ in range(r.int("the number of HMM states")):
            forward = r.int("a forward pdf-class")
            self_loop = r.int("a self-loop pdf-class") if separate_self_loop else forward
            transitions = tuple(
                (r.int("a destination state"), r.float("a transition probability"))
                for _ in range(r.int("the number of transitions"))
            )
            states.append(HmmState(forward, self_loop, transitions))
        entries.append(tuple(states))
    if (
        not phones
        or any(not -1 <= i < len(entries) for i in phone2idx)
        or any(p >= len(phone2idx) or phone2idx[p] < 0 for p in phones)
    ):
        raise r._fail("the topology's phones and phone2idx tables disagree")
    return Topology(tuple(phones), tuple(phone2idx), tuple(entries))


def _read_tuples(r: KaldiStream) -> list[TransitionTuple]:
    token = r.token()
    if token not in ("<Tuples>", "<Triples>"):
        raise r._fail(f"expected <Tuples> or <Triples>, found {token[:40]!r}")
    four = token == "<Tuples>"
    count = r.int("the number of transition-states")
    tuples = []
    for _ in range(count):
        phone, hmm_state, forward = r.int("a phone"), r.int("an HMM state"), r.int("a pdf-id")
        self_loop = r.int("a self-loop pdf-id") if four else forward
        tuples.append(TransitionTuple(phone, hmm_state, forward, self_loop))
    r.expect("</Tuples>" if four else "</Triples>")
    return tuples


def read_transition_model_stream(r: KaldiStream) -> TransitionModel:
    """Read ``<TransitionModel> ... </TransitionModel>`` from ``r`` (positioned at it)."""
    r.expect("<TransitionModel>")
    r.expect("<Topology>")
    topology = _read_topology_binary(r) if r.binary else _read_topology_text(r)
    if r.binary:
        r.expect("</Topology>")
    tuples = _read_tuples(r)
    r.expect("<LogProbs>")
    log_probs = r.float_vector("<LogProbs>")
    r.expect("</LogProbs>")
    r.expect("</TransitionModel>")
    return TransitionModel(topology, tuples, log_probs, r.name)


def _check_gmm(r: KaldiStream, tm: TransitionModel) -> None:
    """Read the AmDiagGmm header after the transition model; count its GMMs without parsing them."""
    if r.at_end() or r.peek_token() != "<DIMENSION>":
        return  # an nnet3 model, or a bare transition model: nothing to check
    r.expect("<DIMENSION>")
    tm.feat_dim = r.int("the GMM dimension")
    r.expect("<NUMPDFS>")
    tm.am_num_pdfs = r.int("the GMM's number of pdfs")
    if tm.am_num_pdfs != tm.num_pdfs:
        raise ModelError(
            f"{r.name}: the GMM has {tm.am_num_pdfs} pdfs but the transition model "
            f"{tm.num_pdfs}; the model is corrupt"
        )
    found = r.data.count(b"</DiagGMM>", r.pos)
    if found != tm.am_num_pdfs:
        raise ModelError(
            f"{r.name}: the GMM part holds {found} complete Gaussian mixtures of "
            f"{tm.am_num_pdfs}; the file is truncated (copy final.mdl again)"
        )


def read_transition_model(path: str | os.PathLike) -> TransitionModel:
    """Read the transition model of a Kaldi ``final.mdl`` (or a bare transition model), binary or text."""
    r = open_kaldi_object(path)
    tm = read_transition_model_stream(r)
    _check_gmm(r, tm)
    return tm
