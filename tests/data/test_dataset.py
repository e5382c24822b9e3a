"""FeatureDataset: CMVN, VAD, chunks, SpecAugment, skipping, in-memory and reproducibility."""

import numpy as np
import pytest

from kaldinn.data.dataset import FeatureDataset, FeatureOptions
from kaldinn.data.labels import build_label_map, load_targets
from kaldinn.data.transforms import SpecAugment, spec_augment
from kaldinn.errors import ConfigError, DataDirError
from kaldinn.feats.cmvn import accumulate_cmvn_stats, apply_cmvn
from tests.data.feats_dir_factory import make_feats_dir, read_feats


@pytest.fixture
def data(tmp_path):
    return make_feats_dir(tmp_path, short=("spk2-utt01",))


def targets(data, source="utt2lang"):
    return load_targets(data, source, build_label_map(data, source))


def test_speaker_cmvn_matches_kaldi_apply_cmvn(data):
    raw = read_feats(data)
    ds = FeatureDataset(data, FeatureOptions(cmvn="speaker", min_frames=1))
    spk1 = [raw[u] for u in raw if u.startswith("spk1-")]
    expected = apply_cmvn(raw["spk1-utt02"], accumulate_cmvn_stats(spk1))
    np.testing.assert_allclose(ds[ds.utt_ids.index("spk1-utt02")].feats, expected, rtol=1e-6)


def test_utterance_cmvn_and_vad_select_voiced_frames(data):
    raw = read_feats(data)
    ds = FeatureDataset(data, FeatureOptions(cmvn="utterance", norm_vars=True, vad=True, min_frames=1))
    utt, feats, _ = ds[0]
    assert feats.shape == (len(raw[utt]) - 2, 6)  # the factory marks 2 frames unvoiced
    assert ds.lengths[0] == len(feats)
    np.testing.assert_allclose(feats.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(feats.std(0), 1, atol=1e-4)


def test_too_short_and_unlabelled_utterances_are_skipped_and_counted(data):
    (data / "utt2lang").write_text("".join(f"{u} en\n" for u in read_feats(data) if u != "spk3-utt03"))
    ds = FeatureDataset(data, FeatureOptions(min_frames=10), targets(data), train=True)
    assert ds.skipped == {"shorter than 10 frames": ["spk2-utt01"], "without a label": ["spk3-utt03"]}
    assert len(ds) == 10 and "spk2-utt01" not in ds.utt_ids
    assert "skipped 2 of 12 utterances" in ds.skip_report()


def test_ctc_transcripts_longer_than_the_output_are_skipped(data):
    opts = FeatureOptions(min_frames=1, frame_subsample=3)  # 3 frames -> 1 output frame
    ds = FeatureDataset(data, opts, targets(data, "text"), train=True)
    assert len(targets(data, "text").get("spk2-utt01")) == 3
    assert ds.skipped == {"too short for their transcript (CTC)": ["spk2-utt01"]}
    with pytest.raises(ConfigError, match="max_frames"):
        FeatureDataset(data, FeatureOptions(max_frames=10), targets(data, "text"), train=True)


def test_alignment_mismatch_is_skipped_and_ali_follows_vad_and_chunks(data, tmp_path):
    lines = (data / "utt2num_frames").read_text().splitlines()
    lines[0] = lines[0].split()[0] + " 999"  # feats say 999 frames, the alignment fewer
    (data / "utt2num_frames").write_text("\n".join(lines) + "\n")
    ds = FeatureDataset(data, FeatureOptions(vad=True, max_frames=8), targets(data, "ali"), train=True)
    assert list(ds.skipped) == ["with an alignment length different from the features"]
    for i in range(len(ds)):
        _, feats, ali = ds[i]
        assert len(ali) == len(feats) <= 8


def test_random_chunks_are_reproducible_per_seed_and_epoch(data):
    def items(seed, epoch):
        ds = FeatureDataset(
            data,
            FeatureOptions(max_frames=10, min_frames=10, spec_augment=SpecAugment()),
            train=True,
            seed=seed,
        )
        ds.set_epoch(epoch)
        return [ds[i].feats for i in range(len(ds))]

    first, again, next_epoch = items(1, 1), items(1, 1), items(1, 2)
    assert all(len(f) == 10 for f in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, next_epoch, strict=True))


def test_in_memory_gives_the_same_items(data):
    opts = dict(cmvn="speaker", vad=True, min_frames=1)
    lazy = FeatureDataset(data, FeatureOptions(**opts))
    held = FeatureDataset(data, FeatureOptions(in_memory=True, **opts))
    for i in range(len(lazy)):
        assert np.array_equal(lazy[i].feats, held[i].feats)


def test_spec_augment_masks_within_limits():
    feats = np.arange(200 * 10, dtype=np.float32).reshape(200, 10)
    out = spec_augment(
        feats, SpecAugment(freq_masks=1, freq_width=3, time_masks=1, time_width=15), np.random.default_rng(0)
    )
    changed_cols = np.flatnonzero((out != feats).any(0))
    changed_rows = np.flatnonzero((out != feats).all(1))
    assert len(changed_cols) <= 10 and len(changed_rows) <= 15
    assert out.shape == feats.shape and not np.shares_memory(out, feats)


def test_missing_cmvn_or_vad_names_the_fix(data):
    (data / "cmvn.scp").unlink()
    with pytest.raises(DataDirError, match="cmvn.scp does not exist.*data.cmvn=utterance"):
        FeatureDataset(data, FeatureOptions(cmvn="speaker"))


def test_unvoiced_utterance_is_used_whole_at_inference_and_skipped_in_training(data):
    from kaldinn.io.tables import RandomAccessReader, Writer

    raw = read_feats(data)
    vad = RandomAccessReader(f"scp:{data / 'vad.scp'}")
    silent = {utt: np.zeros_like(vad[utt]) if utt == "spk1-utt02" else vad[utt] for utt in vad.keys()}
    with Writer(f"ark,scp:{data}/vad0.ark,{data}/vad.scp") as w:
        for utt, v in silent.items():
            w.write(utt, v)
    infer = FeatureDataset(data, FeatureOptions(vad=True, min_frames=1))
    assert infer.unvoiced == {"spk1-utt02"}
    assert infer[infer.utt_ids.index("spk1-utt02")].feats.shape == raw["spk1-utt02"].shape
    train = FeatureDataset(data, FeatureOptions(vad=True, min_frames=1), targets(data), train=True)
    assert "spk1-utt02" not in train.utt_ids and "spk1-utt02" in train.skipped["shorter than 1 frames"]
