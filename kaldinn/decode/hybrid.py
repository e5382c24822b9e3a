"""Hybrid (HMM) decoding in-process: Kaldi's decode-faster-mapped through kaldifst + kaldi-decoder.

A hybrid system scores each frame with per-pdf log-likelihoods (a GMM's, or a network's
pseudo log-likelihoods ``log p(pdf|x) - log p(pdf)``); the decoding graph HCLG has
transition-ids as input labels (1-based, 0 = epsilon) and word ids as output labels. Kaldi's
``DecodableMatrixScaledMapped`` gives transition-id ``t`` at frame ``f`` the score
``acoustic_scale * loglikes[f, pdf(t)]``. kaldi-decoder has no mapped decodable: its
``DecodableCtc`` returns column ``t - 1`` of a matrix, so :func:`tid_scores` spreads the
scaled per-pdf scores to one column per transition-id (column ``t - 1`` = ``pdf(t)``).

* :func:`read_graph` reads HCLG.fst as mkgraph.sh writes it (an OpenFst ``const`` FST) or a
  ``vector`` FST, choosing by the OpenFst header; nobody converts a Kaldi graph by hand.
* :func:`with_word_penalty` adds a cost to every word arc (Kaldi's lattice-add-penalty on the
  graph), for scoring sweeps without lattices.
* :class:`HybridDecoder` runs kaldi-decoder's ``FasterDecoder`` (Kaldi's FasterDecoder:
  ``--beam``, ``--max-active``, ``--min-active``) and returns the best path's words,
  transition-id alignment and costs.

Example::

    >>> from kaldinn.hmm.transition_model import read_transition_model   # doctest: +SKIP
    >>> tm = read_transition_model("exp/mono/final.mdl")                  # doctest: +SKIP
    >>> dec = HybridDecoder(read_graph("exp/mono/graph/HCLG.fst"), tm.tid_to_pdf)  # doctest: +SKIP
    >>> dec.decode(loglikes, DecodeOptions(acoustic_scale=0.1)).words    # doctest: +SKIP
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

from kaldinn.errors import KaldinnError

OPENFST_MAGIC = 2125659606  # first int32 of every binary OpenFst file (fst.h: kFstMagicNumber)


@dataclass(frozen=True)
class DecodeOptions:
    """FasterDecoder's options (Kaldi's names and defaults) plus the acoustic scale."""

    acoustic_scale: float = 0.1
    beam: float = 16.0
    max_active: int = 2147483647
    min_active: int = 20
    beam_delta: float = 0.5
    hash_ratio: float = 2.0


@dataclass
class DecodeResult:
    """The best path of one utterance.

    ``graph_cost`` and ``acoustic_cost`` are Kaldi's LatticeWeight parts (the acoustic cost is
    scaled by the acoustic scale, as the decoder saw it); ``-(graph + acoustic) / frames`` is the
    "log-like per frame" Kaldi's decoders print. ``reached_final``: False when no token was in a
    final state at the last frame (the path is a partial traceback, as Kaldi warns).
    """

    words: list[int]
    alignment: np.ndarray  # int32 transition-id per frame
    graph_cost: float
    acoustic_cost: float
    reached_final: bool

    @property
    def loglike_per_frame(self) -> float:
        frames = max(len(self.alignment), 1)
        return -(self.graph_cost + self.acoustic_cost) / frames


def fst_header_types(path: str | os.PathLike) -> tuple[str, str]:
    """(fst type, arc type) from an OpenFst binary header, e.g. ("const", "standard")."""

    def read_string(f) -> str:
        raw = f.read(4)
        (length,) = struct.unpack("<i", raw) if len(raw) == 4 else (-1,)
        if not 0 <= length <= 256:
            raise KaldinnError(f"{path}: not an OpenFst binary FST (bad header string length)")
        return f.read(length).decode("ascii", "replace")

    try:
        with open(path, "rb") as f:
            magic = f.read(4)
            if len(magic) != 4 or struct.unpack("<i", magic)[0] != OPENFST_MAGIC:
                raise KaldinnError(
                    f"{path}: not an OpenFst binary FST (no magic number); a text FST must be "
                    "compiled first (fstcompile), a gzipped one unzipped"
                )
            return read_string(f), read_string(f)
    except OSError as err:
        raise KaldinnError(f"cannot read decoding graph {path}: {err.strerror or err}") from None


def read_graph(path: str | os.PathLike):
    """Read a decoding graph (HCLG.fst) as a kaldifst ``StdConstFst`` or ``StdVectorFst``."""
    import kaldifst

    fst_type, arc_type = fst_header_types(path)
    if arc_type != "standard":
        raise KaldinnError(f"{path}: arc type {arc_type!r}; a decoding graph has standard (tropical) arcs")
    readers = {"const": kaldifst.StdConstFst, "vector": kaldifst.StdVectorFst}
    if fst_type not in readers:
        raise KaldinnError(
            f"{path}: FST type {fst_type!r} is not supported (const or vector); convert it with "
            f"fstconvert --fst_type=const {path} HCLG.fst"
        )
    fst = readers[fst_type].read(str(path))
    if fst is None or fst.start < 0:
        raise KaldinnError(f"{path}: kaldifst could not read this {fst_type} FST (truncated or empty?)")
    return fst


def with_word_penalty(fst, penalty: float):
    """A copy of ``fst`` (StdVectorFst) with ``penalty`` added to the cost of every arc that
    outputs a word: the graph-side equivalent of Kaldi's ``lattice-add-penalty``. A Python
    loop over the arcs (about 5 us each); ``penalty == 0`` returns ``fst`` itself."""
    import kaldifst

    if penalty == 0:
        return fst
    out = kaldifst.StdVectorFst()
    states = list(kaldifst.StateIterator(fst))
    for _ in range(len(states)):
        out.add_state()
    for state in states:
        for arc in kaldifst.ArcIterator(fst, state):
            weight = arc.weight.value + (penalty if arc.olabel != 0 else 0.0)
            out.add_arc(state, kaldifst.StdArc(arc.ilabel, arc.olabel, weight, arc.nextstate))
        out.set_final(state, fst.final(state))
    out.start = fst.start
    return out


def tid_scores(loglikes: np.ndarray, tid_to_pdf: np.ndarray, acoustic_scale: float) -> np.ndarray:
    """Per-transition-id scores for ``DecodableCtc``: column ``t - 1`` holds
    ``acoustic_scale * loglikes[:, pdf(t)]`` (float32, scaled before the gather as Kaldi's
    DecodableMatrixScaledMapped computes it). ``tid_to_pdf[0]`` is unused."""
    scaled = loglikes.astype(np.float32, copy=False) * np.float32(acoustic_scale)
    return np.ascontiguousarray(scaled[:, tid_to_pdf[1:]])


class HybridDecoder:
    """FasterDecoder over one graph; ``decode`` may be called for any number of utterances."""

    def __init__(self, graph, tid_to_pdf: np.ndarray):
        self.graph = graph
        self.tid_to_pdf = np.asarray(tid_to_pdf, dtype=np.int64)
        self.num_pdfs = int(self.tid_to_pdf[1:].max()) + 1 if len(self.tid_to_pdf) > 1 else 0
        self._decoders: dict[tuple, object] = {}

    def _decoder(self, options: DecodeOptions):
        import kaldi_decoder

        key = (options.beam, options.max_active, options.min_active, options.beam_delta, options.hash_ratio)
        if key not in self._decoders:
            config = kaldi_decoder.FasterDecoderOptions(
                beam=options.beam,
                max_active=options.max_active,
                min_active=options.min_active,
                beam_delta=options.beam_delta,
                hash_ratio=options.hash_ratio,
            )
            self._decoders[key] = kaldi_decoder.FasterDecoder(self.graph, config)
        return self._decoders[key]

    def check_loglikes(self, utt: str, loglikes: np.ndarray, num_pdfs: int) -> None:
        """The matrix must have one column per pdf of the model (``hmm-info``'s number of pdfs)."""
        if loglikes.ndim != 2 or loglikes.shape[1] != num_pdfs:
            raise KaldinnError(
                f"utterance {utt}: log-likelihoods have shape {loglikes.shape} but the model has "
                f"{num_pdfs} pdfs; the network's outputs must be the model's pdfs (one column each)"
            )
        if not np.isfinite(loglikes).all():
            raise KaldinnError(f"utterance {utt}: log-likelihoods hold NaN or infinity")

    def decode(self, loglikes: np.ndarray, options: DecodeOptions) -> DecodeResult:
        """Best path through the graph for one utterance's [frames x pdfs] log-likelihoods."""
        import kaldi_decoder
        import kaldifst

        scores = tid_scores(loglikes, self.tid_to_pdf, options.acoustic_scale)
        decoder = self._decoder(options)
        decodable = kaldi_decoder.DecodableCtc(scores)
        decoder.decode(decodable)
        reached_final = decoder.reached_final()
        ok, best = decoder.get_best_path()
        if not ok:
            return DecodeResult([], np.zeros(0, np.int32), float("inf"), float("inf"), False)
        linear, tids, words, weight = kaldifst.get_linear_symbol_sequence(best)
        if not linear:  # FasterDecoder's best path is always linear; guard the contract
            raise KaldinnError("kaldi-decoder returned a best path that is not linear")
        return DecodeResult(
            words=list(words),
            alignment=np.asarray(tids, dtype=np.int32),
            graph_cost=float(weight.value1),
            acoustic_cost=float(weight.value2),
            reached_final=bool(reached_final),
        )
