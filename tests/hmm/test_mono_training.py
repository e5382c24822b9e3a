"""Monophone GMM-HMM: Kaldi's likelihoods and alignments from Kaldi's model; training from a flat start."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np

from kaldinn.feats.deltas import delta_filters
from kaldinn.hmm.align import AlignOptions
from kaldinn.hmm.gmm import AmDiagGmm, split_targets
from kaldinn.hmm.model_io import model_text, read_model, read_sets, read_topology, tree_text, write_model
from kaldinn.hmm.mono_training import align_all, load_features, load_prons
from kaldinn.io.table_writer import Writer
from kaldinn.io.tables import SequentialReader

REF = Path(__file__).resolve().parents[1] / "fixtures" / "kaldi_hybrid"
LANG = REF / "lang"


def make_data_dir(tmp_path: Path, name: str) -> Path:
    """A copy of fixtures data/<name> with feats.scp and cmvn.scp pointing at absolute arks."""
    d = tmp_path / name
    shutil.copytree(REF / "data" / name, d)
    for table in ("feats", "cmvn"):
        with (
            SequentialReader(f"ark:{d / table}.ark") as r,
            Writer(f"ark,scp:{d}/{table}_.ark,{d}/{table}.scp") as w,
        ):
            for key, value in r:
                w.write(key, value)
    return d


def ref_model():
    _, text = read_topology(LANG / "topo")
    return read_model(REF / "exp" / "final.mdl", text, read_sets(LANG / "phones" / "sets.int"))


def read_int_archive(lines) -> dict[str, np.ndarray]:
    return {f[0]: np.array(f[1:], dtype=np.int64) for f in (line.split() for line in lines) if f}


def test_deltas_and_gmm_likelihoods_equal_kaldis(tmp_path):
    assert np.allclose(delta_filters()[2], np.convolve(delta_filters()[1], delta_filters()[1]))
    feats = load_features(make_data_dir(tmp_path, "mono_test"))  # apply-cmvn --utt2spk | add-deltas
    model = ref_model()
    assert (model.am.num_pdfs, model.am.num_gauss, model.am.dim) == (95, 999, 39)
    with SequentialReader(f"ark:{REF / 'loglikes.ark'}") as reader:
        ref = {utt: m for utt, m in reader if utt in feats}
    assert len(ref) == 3
    for utt, x in feats.items():  # gmm-compute-likes
        np.testing.assert_allclose(model.am.loglikes(x), ref[utt], atol=2e-3)


def test_viterbi_alignment_equals_align_si(tmp_path):
    data = make_data_dir(tmp_path, "mono_train")
    prons, sil = load_prons(data / "text", LANG)
    alis, _ = align_all(ref_model(), load_features(data), prons, sil, AlignOptions())
    ref = read_int_archive((REF / "expected" / "ali.tid.txt").read_text().splitlines())
    assert sorted(alis) == sorted(ref) and len(ref) == 40
    for utt in ref:  # every transition-id of every frame, in Kaldi's reordered form
        np.testing.assert_array_equal(alis[utt], ref[utt], err_msg=utt)


def test_written_model_reads_back_in_kaldi_text_form(tmp_path):
    from kaldinn.hmm.transition_model import read_transition_model

    model = ref_model()
    write_model(model, tmp_path / "final.mdl")
    assert model_text(model).startswith("<TransitionModel> \n<Topology>")
    tm = read_transition_model(tmp_path / "final.mdl")
    np.testing.assert_array_equal(tm.tid_to_pdf, model.tm.tid_to_pdf)
    assert (tm.am_num_pdfs, tm.feat_dim) == (95, 39)
    again = read_model(tmp_path / "final.mdl", model.topo_text, model.phone_sets)
    x = np.random.default_rng(0).normal(size=(20, 39))
    np.testing.assert_allclose(again.am.loglikes(x), model.am.loglikes(x), rtol=1e-5)
    assert tree_text(model) == (REF / "exp" / "tree.txt").read_text()


def test_gmm_update_recovers_two_clusters_and_mixes_up():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(-3.0, 0.5, size=(400, 2)), rng.normal(3.0, 1.0, size=(600, 2))])
    am = AmDiagGmm.init_single([x], num_pdfs=1)
    stats = am.accumulate(x, np.zeros(len(x), dtype=np.int64))
    am = am.update(stats).mix_up(stats.pdf_occupancy(), 2, rng)
    assert am.num_gauss == 2
    for _ in range(20):
        stats = am.accumulate(x, np.zeros(len(x), dtype=np.int64))
        am = am.update(stats)
    order = np.argsort(am.means[:, 0])
    np.testing.assert_allclose(am.means[order, 0], [-3.0, 3.0], atol=0.15)
    np.testing.assert_allclose(am.weights[order], [0.4, 0.6], atol=0.02)
    assert stats.loglike / stats.frames > -3.5
    # greedy on occupancy^0.25 per Gaussian (10, 5, 2.34); the third pdf may not go below 20 frames a
    # Gaussian, and as in Kaldi's GetSplitTargets the refused split still uses up one of the 9 steps
    assert split_targets(np.array([10000.0, 625.0, 30.0]), 12, 0.25, 20.0).tolist() == [7, 3, 1]


def test_train_mono_and_align_si_write_kaldi_dirs(tmp_path):
    from kaldinn.hmm.alignments import frame_targets, open_ali_dir
    from kaldinn.steps.align_si import main as align_main
    from kaldinn.steps.train_mono import main as train_main

    data = make_data_dir(tmp_path, "mono_train")
    exp = tmp_path / "mono"
    opts = [
        "--nj",
        "2",
        "--num-iters",
        "8",
        "--max-iter-inc",
        "6",
        "--totgauss",
        "200",
        "--realign-iters",
        "1 2 3 5",
    ]
    assert train_main([*opts, str(data), str(LANG), str(exp)]) == 0
    for name in ("final.mdl", "tree", "ali.1.gz", "ali.2.gz", "num_jobs", "cmvn_opts", "final.occs"):
        assert (exp / name).is_file(), name
    assert (exp / "tree").read_text() == (REF / "exp" / "tree.txt").read_text()
    assert align_main(["--nj", "2", str(data), str(LANG), str(exp), str(tmp_path / "mono_ali")]) == 0
    ali = open_ali_dir(tmp_path / "mono_ali")  # the alignment reader of the hybrid recipe
    targets = frame_targets(ali, "pdf")
    assert len(targets.frames) == 40 and targets.num_classes == 95
    ours = {}
    for job in (1, 2):
        with gzip.open(tmp_path / "mono_ali" / f"ali.{job}.gz", "rt") as f:
            ours.update(read_int_archive(f))
    ref = read_int_archive((REF / "expected" / "ali.tid.txt").read_text().splitlines())
    model = ref_model()  # same topology and pdf numbering: compare phones frame by frame
    agree = sum((model.tm.tid_to_phone[ours[u]] == model.tm.tid_to_phone[ref[u]]).sum() for u in ref)
    # 40 utterances and 8 iterations from a flat start: the equal alignment agrees with Kaldi's on
    # 30% of the frames' phones, this model on ~58% (Kaldi's full-data model made the reference)
    assert agree / sum(len(r) for r in ref.values()) > 0.5


def test_gmm_compute_likes_writes_kaldis_loglikes(tmp_path):
    from kaldinn.bin.gmm_compute_likes import main as likes_main

    data = make_data_dir(tmp_path, "mono_test")
    out = tmp_path / "loglikes"
    assert likes_main([str(REF / "exp" / "final.mdl"), str(data), f"ark,scp:{out}.ark,{out}.scp"]) == 0
    with SequentialReader(f"ark:{REF / 'loglikes.ark'}") as reader:
        ref = dict(reader)
    with SequentialReader(f"scp:{out}.scp") as reader:
        ours = dict(reader)
    assert len(ours) == 3
    for utt, loglikes in ours.items():
        assert loglikes.dtype == np.float32
        np.testing.assert_allclose(loglikes, ref[utt], atol=2e-3)


def test_batched_viterbi_equals_one_at_a_time(tmp_path):
    from kaldinn.hmm.align import UtteranceGraph, viterbi_batch

    data = make_data_dir(tmp_path, "mono_train")
    feats, (prons, sil) = load_features(data), load_prons(data / "text", LANG)
    model = ref_model()
    utts = sorted(feats)[:7]
    graphs = [UtteranceGraph.build(model.tm, prons[u], sil) for u in utts]
    loglikes = [model.am.loglikes(feats[u]) for u in utts]
    loglikes[3] = loglikes[3][:5]  # too short for its words: no path
    batched = viterbi_batch(graphs, loglikes)
    for graph, ll, tids in zip(graphs, loglikes, batched, strict=True):
        single = graph.viterbi(ll)
        if single is None:
            assert tids is None
        else:
            np.testing.assert_array_equal(tids, single[0])
    assert batched[3] is None and sum(t is not None for t in batched) == 6
