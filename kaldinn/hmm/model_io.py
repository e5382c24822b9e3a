"""Monophone GMM-HMM models in Kaldi's files: final.mdl (TransitionModel + AmDiagGmm), tree, ali.JOB.gz.

``final.mdl`` is written in Kaldi's text form (what ``gmm-copy --binary=false`` writes; every
Kaldi tool reads it, as Kaldi detects text and binary by the ``\\0B`` header) and read back
in either form. The transition model is built as ``gmm-init-mono`` builds it: pdf-ids are
numbered over the phone sets of phones/sets.int in order, each set's pdf-classes in turn
(a set shares its pdfs), transition-states are the (phone, HMM state) pairs sorted, and the
transition probabilities start at the topology's. The tree is the matching monophone
``ContextDependency`` (context width 1, a table on the phone, then on the pdf-class).

Example::

    model = init_mono_model(read_topology("data/lang/topo"), read_sets("data/lang/phones/sets.int"), am)
    write_model(model, "exp/mono/final.mdl")
    write_tree(model, "exp/mono/tree")
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kaldinn.errors import ModelError
from kaldinn.hmm.gmm import AmDiagGmm
from kaldinn.hmm.transition_model import Topology, TransitionModel, TransitionTuple
from kaldinn.io.atomic import atomic_write
from kaldinn.io.kaldi_stream import KaldiStream, open_kaldi_object


@dataclass
class MonoModel:
    """The transition model (kaldinn.hmm.transition_model), its topology text and the GMMs."""

    tm: TransitionModel
    topo_text: str
    am: AmDiagGmm
    phone_sets: list[list[int]]


def read_topology(path: str | os.PathLike) -> tuple[Topology, str]:
    """A lang dir's ``topo`` file: the parsed topology and its text."""
    from kaldinn.hmm.transition_model import _read_topology_text

    text = Path(path).read_text()
    stream = KaldiStream(text.encode(), path)
    stream.expect("<Topology>")
    return _read_topology_text(stream), text


def read_sets(path: str | os.PathLike) -> list[list[int]]:
    """phones/sets.int (or roots.int: the ``shared split`` words are dropped)."""
    sets = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            ids = [w for w in line.split() if w not in ("shared", "not-shared", "split", "not-split")]
            try:
                sets.append([int(w) for w in ids])
            except ValueError:
                raise ModelError(f"{path}:{lineno}: expected phone ids") from None
    return sets


def _tm_text(topo_text: str, tuples: Iterable[TransitionTuple], log_probs: np.ndarray) -> str:
    tuples = list(tuples)
    body = "".join(f"{t.phone} {t.hmm_state} {t.forward_pdf} \n" for t in tuples)
    probs = " ".join(_num(v) for v in log_probs)
    return (
        f"<TransitionModel> \n{topo_text.strip()}\n<Triples> {len(tuples)} \n{body}</Triples> \n"
        f"<LogProbs> \n [ {probs} ]\n</LogProbs> \n</TransitionModel> \n"
    )


def _num(v: float) -> str:
    return f"{v:.7g}" if v != 0 else "0"


def init_mono_model(
    topology: Topology, topo_text: str, phone_sets: list[list[int]], am: AmDiagGmm
) -> MonoModel:
    """Transition model with the topology's probabilities and pdfs over ``phone_sets`` (gmm-init-mono)."""
    pdf_base, next_pdf = {}, 0
    for phones in phone_sets:
        num_classes = _num_pdf_classes(topology, phones[0])
        for p in phones:
            if _num_pdf_classes(topology, p) != num_classes:
                raise ModelError(f"phones {phones} share pdfs but have different numbers of pdf-classes")
            pdf_base[p] = next_pdf
        next_pdf += num_classes
    missing = sorted(set(topology.phones) - set(pdf_base))
    if missing:
        raise ModelError(f"phones {missing} are in the topology but in no phone set (phones/sets.int)")
    if am.num_pdfs != next_pdf:
        raise ModelError(f"the GMM has {am.num_pdfs} pdfs, the phone sets and topology need {next_pdf}")
    tuples, log_probs = [], [0.0]
    for p in sorted(pdf_base):
        for s, state in enumerate(topology.entry_for_phone(p)):
            if state.forward_pdf_class < 0:
                continue
            tuples.append(
                TransitionTuple(
                    p, s, pdf_base[p] + state.forward_pdf_class, pdf_base[p] + state.forward_pdf_class
                )
            )
            log_probs += [float(np.log(prob)) for _, prob in state.transitions]
    tm = TransitionModel(topology, tuples, np.array(log_probs), "final.mdl")
    return MonoModel(tm, topo_text, am, phone_sets)


def _num_pdf_classes(topology: Topology, phone: int) -> int:
    return 1 + max(s.forward_pdf_class for s in topology.entry_for_phone(phone))


def with_log_probs(model: MonoModel, log_probs: np.ndarray) -> MonoModel:
    tm = TransitionModel(
        model.tm.topology, list(model.tm.tuples), np.asarray(log_probs, dtype=np.float64), model.tm.name
    )
    return MonoModel(tm, model.topo_text, model.am, model.phone_sets)


def _vector(values: np.ndarray) -> str:
    return " [ " + " ".join(_num(v) for v in values) + " ]\n"


def _matrix(rows: np.ndarray) -> str:
    lines = ["  " + " ".join(_num(v) for v in row) + " " for row in rows]
    return " [\n" + "\n".join(lines) + "]\n"


def model_text(model: MonoModel) -> str:
    """The whole final.mdl in Kaldi's text form."""
    am = model.am
    parts = [_tm_text(model.topo_text, model.tm.tuples, model.tm.log_probs)]
    parts.append(f"<DIMENSION> {am.dim} <NUMPDFS> {am.num_pdfs} ")
    for j in range(am.num_pdfs):
        g = am.pdf == j
        parts.append(
            "<DiagGMM> \n<GCONSTS> " + _vector(am.gconsts[g]) + "<WEIGHTS> " + _vector(am.weights[g])
        )
        parts.append(
            "<MEANS_INVVARS> " + _matrix(am.means_invvars[g]) + "<INV_VARS> " + _matrix(am.inv_vars[g])
        )
        parts.append("</DiagGMM> \n")
    return "".join(parts)


def write_model(model: MonoModel, path: str | os.PathLike) -> None:
    with atomic_write(path) as f:
        f.write(model_text(model))


def _matrix_from(r: KaldiStream, rows: int, dim: int, what: str) -> np.ndarray:
    if r.binary:
        from kaldinn.io import kaldi_binary

        header = kaldi_binary.read_header(lambda n: r._take(n, what))
        return kaldi_binary.decode_body(header, r._take(header.body_len, what)).astype(np.float64)
    values = np.array(r._bracketed(what), dtype=np.float64)
    if values.size != rows * dim:
        raise r._fail(f"{what} has {values.size} numbers, expected {rows} x {dim}")
    return values.reshape(rows, dim)


def read_model(path: str | os.PathLike, topo_text: str, phone_sets: list[list[int]]) -> MonoModel:
    """Read a GMM final.mdl (text or binary) written by Kaldi or by :func:`write_model`."""
    from kaldinn.hmm.transition_model import read_transition_model_stream

    r = open_kaldi_object(path)
    tm = read_transition_model_stream(r)
    r.expect("<DIMENSION>")
    dim = r.int("the GMM dimension")
    r.expect("<NUMPDFS>")
    num_pdfs = r.int("the number of pdfs")
    pdf, weights, means, variances = [], [], [], []
    for j in range(num_pdfs):
        r.expect("<DiagGMM>")
        token = r.token()
        if token == "<GCONSTS>":
            r.float_vector("<GCONSTS>")
            token = r.token()
        if token != "<WEIGHTS>":
            raise r._fail(f"expected <WEIGHTS>, found {token[:40]!r}")
        w = r.float_vector("<WEIGHTS>")
        r.expect("<MEANS_INVVARS>")
        mi = _matrix_from(r, len(w), dim, "<MEANS_INVVARS>")
        r.expect("<INV_VARS>")
        iv = _matrix_from(r, len(w), dim, "<INV_VARS>")
        r.expect("</DiagGMM>")
        pdf += [j] * len(w)
        weights.append(w)
        means.append(mi / iv)
        variances.append(1.0 / iv)
    am = AmDiagGmm(np.array(pdf), np.concatenate(weights), np.concatenate(means), np.concatenate(variances))
    return MonoModel(tm, topo_text, am, phone_sets)


def tree_text(model: MonoModel) -> str:
    """The monophone tree as ``copy-tree --binary=false`` writes it."""
    topology = model.tm.topology
    top = max(topology.phones)
    base = {t.phone: t.forward_pdf - _pdf_class(model, t) for t in model.tm.tuples}
    out = [f"ContextDependency 1 0 ToPdf TE 0 {top + 1} ( NULL "]
    for p in range(1, top + 1):
        if p not in base:
            out.append("NULL ")
            continue
        n = _num_pdf_classes(topology, p)
        out.append(f"TE -1 {n} ( " + "".join(f"CE {base[p] + c} " for c in range(n)) + ") \n")
    out.append(") \nEndContextDependency ")
    return "".join(out)


def _pdf_class(model: MonoModel, t: TransitionTuple) -> int:
    return model.tm.topology.entry_for_phone(t.phone)[t.hmm_state].forward_pdf_class


def write_tree(model: MonoModel, path: str | os.PathLike) -> None:
    with atomic_write(path) as f:
        f.write(tree_text(model))


def write_alignments(path: str | os.PathLike, alignments: Mapping[str, np.ndarray]) -> None:
    """``ali.JOB.gz``: gzip of a text int-vector archive (``ark,t:|gzip -c``), keys in C order."""
    with atomic_write(path, mode="wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as gz:
            for utt in sorted(alignments, key=lambda k: k.encode()):
                gz.write(f"{utt} {' '.join(map(str, alignments[utt]))} \n".encode())
