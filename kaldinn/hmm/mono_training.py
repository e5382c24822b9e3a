"""Monophone GMM-HMM training from a flat start, on Kaldi's ``steps/train_mono.sh`` schedule.

Features are what Kaldi's GMM scripts feed: ``apply-cmvn --utt2spk`` with the speaker's
stats from cmvn.scp (means only, ``cmvn_opts`` empty) then ``add-deltas`` (order 2, window 2).
Transcripts become phone-id pronunciations through the lang dir (words.txt, oov.int,
phones/align_lexicon.int: a word's first pronunciation).

Schedule (``TrainMonoOptions``; Kaldi's defaults): pdfs start as one Gaussian each with the
global mean and variance of the first 10 utterances; pass 0 accumulates on equal alignments
(:func:`equal_align`; min-gaussian-occupancy 3); iterations 1..num_iters-1 realign at ``realign_iters`` (exact
Viterbi, kaldinn.hmm.align), accumulate GMM and transition statistics on the alignment,
re-estimate, and mix up to a Gaussian budget that grows by (totgauss - num_pdfs) /
max_iter_inc each iteration up to max_iter_inc. The last model is final.mdl; the last
alignment is what align_si.sh would give for it only after one more alignment pass, which
:func:`align_all` does.

Example::

    feats = load_features("data/train_mfcc")
    prons = load_prons("data/train_mfcc/text", "data/lang")
    model, alis = train_mono(feats, prons, lang_model("data/lang", dim=39), TrainMonoOptions())
"""

from __future__ import annotations

import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kaldinn.errors import DataDirError, KaldinnError
from kaldinn.feats.deltas import add_deltas
from kaldinn.hmm.align import AlignOptions, PhoneHmms, UtteranceGraph, viterbi_batch
from kaldinn.hmm.gmm import AmDiagGmm
from kaldinn.hmm.model_io import MonoModel, init_mono_model, read_sets, read_topology, with_log_probs

KALDI_REALIGN = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 23, 26, 29, 32, 35, 38)


@dataclass(frozen=True)
class TrainMonoOptions:
    num_iters: int = 40
    max_iter_inc: int = 30
    totgauss: int = 1000
    realign_iters: tuple[int, ...] = KALDI_REALIGN
    power: float = 0.25
    seed: int = 777
    align: AlignOptions = field(default_factory=AlignOptions)


def load_features(data_dir: str | Path, delta_order: int = 2) -> dict[str, np.ndarray]:
    """Speaker-CMN'd features with deltas for every utterance of ``data_dir`` (float32)."""
    from kaldinn.feats.cmvn import apply_cmvn
    from kaldinn.io.datadir import DataDir
    from kaldinn.io.tables import RandomAccessReader, SequentialReader

    d = DataDir(data_dir)
    for name in ("feats.scp", "cmvn.scp", "utt2spk"):
        if not d.has(name):
            raise DataDirError(
                f"{d.path}/{name} is missing; run steps/make_feats.py and steps/compute_cmvn_stats.py"
            )
    utt2spk = d.utt2spk()
    feats = {}
    with (
        SequentialReader(f"scp:{d.file('feats.scp')}") as reader,
        RandomAccessReader(f"scp:{d.file('cmvn.scp')}") as cmvn,
    ):
        for utt, mat in reader:
            spk = utt2spk.get(utt)
            if spk is None or spk not in cmvn:
                raise DataDirError(
                    f"{d.path}: no CMVN stats for {utt} (speaker {spk}); run steps/compute_cmvn_stats.py"
                )
            feats[utt] = add_deltas(apply_cmvn(mat, cmvn[spk]), order=delta_order)
    return feats


def load_prons(text: str | Path, lang: str | Path) -> tuple[dict[str, list[list[int]]], int]:
    """Each utterance's words as phone-id lists (OOVs as lang/oov.int), and the optional-silence phone."""
    from kaldinn.hmm.grammar_fst import read_symbols

    lang = Path(lang)
    words = read_symbols(lang / "words.txt")
    oov = int((lang / "oov.int").read_text().split()[0])
    lexicon: dict[int, list[int]] = {}
    for line in (lang / "phones" / "align_lexicon.int").read_text().splitlines():
        ids = [int(x) for x in line.split()]
        if ids and ids[0] != 0:
            lexicon.setdefault(ids[0], ids[2:])
    sil = int((lang / "phones" / "optional_silence.int").read_text().split()[0])
    prons = {}
    with open(text, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                raise DataDirError(f"{text}:{lineno}: empty line")
            ids = [words.get(w, oov) for w in fields[1:]]
            prons[fields[0]] = [lexicon[i] for i in ids if i in lexicon]
    return prons, sil


def lang_model(lang: str | Path, am: AmDiagGmm) -> MonoModel:
    """A monophone model of ``lang``'s topology and phone sets around ``am``."""
    topology, text = read_topology(Path(lang) / "topo")
    return init_mono_model(topology, text, read_sets(Path(lang) / "phones" / "sets.int"), am)


def num_lang_pdfs(lang: str | Path) -> int:
    topology, _ = read_topology(Path(lang) / "topo")
    sets = read_sets(Path(lang) / "phones" / "sets.int")
    return sum(1 + max(s.forward_pdf_class for s in topology.entry_for_phone(ps[0])) for ps in sets)


def equal_align(model: MonoModel, feats, prons, sil: int, options: AlignOptions) -> dict[str, np.ndarray]:
    """``align-equal-compiled``: a random path of the training graph with the frames shared evenly.

    Each optional silence (before, between and after the words) is on the path with
    probability 1/2, drawn from a generator seeded by the utterance id, as Kaldi's EqualAlign
    picks random arcs; a path too long for the frames is retried, the last try without silences.
    """
    out = {}
    for utt, x in feats.items():
        words = prons.get(utt)
        if not words:
            continue
        rng = np.random.default_rng(zlib.crc32(utt.encode()))
        tries = [[p for w in words for p in ([[sil]] if rng.random() < 0.5 else []) + [w]]
                 + ([[sil]] if rng.random() < 0.5 else []) for _ in range(4)] + [list(words)]  # fmt: skip
        for route_prons in tries:
            g = UtteranceGraph.build(model.tm, route_prons, sil, options, optional_silence=False)
            tids = g.equal_alignment(len(x), list(range(len(g.pdf))), int(g.final_tid[len(g.pdf) - 1]))
            if tids is not None:
                out[utt] = tids
                break
    return out


def align_all(
    model: MonoModel, feats, prons, sil: int, options: AlignOptions, log: Callable[[str], None] | None = None,
    batch: int = 200,
):  # fmt: skip
    """Viterbi-align every utterance; returns ({utt: tids}, average log-likelihood per frame)."""
    alis, total, frames = {}, 0.0, 0
    utts = [u for u in feats if prons.get(u)]
    hmms = PhoneHmms(model.tm, options)
    for start in range(0, len(utts), batch):
        chunk = utts[start : start + batch]
        graphs = [UtteranceGraph.build(model.tm, prons[u], sil, options, hmms=hmms) for u in chunk]
        loglikes = [model.am.loglikes(feats[u]) for u in chunk]
        for utt, ll, tids in zip(
            chunk, loglikes, viterbi_batch(graphs, loglikes, options.acoustic_scale), strict=True
        ):
            if tids is None:
                if log:
                    log(f"WARNING: {utt} ({len(ll)} frames) is too short for its transcript; not aligned")
                continue
            alis[utt] = tids
            total += float(ll[np.arange(len(ll)), model.tm.tid_to_pdf[tids]].sum())
            frames += len(ll)
    return alis, total / max(frames, 1)


def update_transitions(
    model: MonoModel, counts: np.ndarray, floor: float = 0.01, mincount: float = 5.0
) -> np.ndarray:
    """ML transition probabilities per transition-state (Kaldi's MleUpdate: floor 0.01, min count 5)."""
    log_probs = model.tm.log_probs.copy()
    state = model.tm.tid_to_state
    for ts in range(1, model.tm.num_transition_states + 1):
        tids = np.flatnonzero(state == ts)
        total = counts[tids].sum()
        if total < mincount:
            continue
        probs = np.maximum(counts[tids] / total, floor)
        log_probs[tids] = np.log(probs / probs.sum())
    return log_probs


def _stats(model: MonoModel, feats, alis):
    utts = [u for u in feats if u in alis]
    x = np.concatenate([feats[u] for u in utts])
    tids = np.concatenate([alis[u] for u in utts])
    stats = model.am.accumulate(x, model.tm.tid_to_pdf[tids])
    counts = np.bincount(tids, minlength=model.tm.num_transition_ids + 1).astype(np.float64)
    return stats, counts


def train_mono(
    feats: dict[str, np.ndarray], prons: dict[str, list[list[int]]], sil: int, lang: str | Path,
    options: TrainMonoOptions = TrainMonoOptions(), log: Callable[[str], None] | None = None,
) -> tuple[MonoModel, dict[str, np.ndarray]]:  # fmt: skip
    """Train from a flat start; returns the final model and the alignments of the last realignment."""
    if not feats:
        raise KaldinnError("no training utterances with features")
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    rng = np.random.default_rng(options.seed)
    num_pdfs = num_lang_pdfs(lang)
    subset = [feats[u] for u in list(feats)[:10]]
    model = lang_model(lang, AmDiagGmm.init_single(subset, num_pdfs))
    numgauss = num_pdfs
    incgauss = (options.totgauss - numgauss) // max(options.max_iter_inc, 1)
    alis = equal_align(model, feats, prons, sil, options.align)
    log(f"train_mono: pass 0: equal alignment of {len(alis)} of {len(feats)} utterances; {num_pdfs} pdfs")
    model = _estimate(model, feats, alis, numgauss, rng, options, min_occ=3.0, log=log, it=0)
    for it in range(1, options.num_iters):
        start = time.monotonic()
        if it in options.realign_iters:
            alis, avg = align_all(model, feats, prons, sil, options.align, log)
            log(
                f"train_mono: iteration {it}: aligned {len(alis)} utterances, "
                f"log-likelihood per frame {avg:.3f}"
            )
        model = _estimate(model, feats, alis, numgauss, rng, options, min_occ=10.0, log=log, it=it)
        if it <= options.max_iter_inc:
            numgauss += incgauss
        log(f"train_mono: iteration {it} done in {time.monotonic() - start:.1f}s")
    return model, alis


def _estimate(model, feats, alis, numgauss, rng, options, min_occ, log, it):
    stats, counts = _stats(model, feats, alis)
    am = model.am.update(stats, min_gaussian_occupancy=min_occ)
    am = am.mix_up(
        np.bincount(stats.pdf, weights=stats.occ, minlength=am.num_pdfs), numgauss, rng, options.power
    )
    new = with_log_probs(model, update_transitions(model, counts))
    log(
        f"train_mono: estimate {it}: {stats.frames} frames, GMM log-likelihood per frame "
        f"{stats.loglike / max(stats.frames, 1):.3f}, {am.num_gauss} Gaussians"
    )
    return MonoModel(new.tm, new.topo_text, am, new.phone_sets)
