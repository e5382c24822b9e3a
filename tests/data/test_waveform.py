"""Training items made from audio (data.augment): equal to feats.scp when clean, deterministic,
worker-independent, and clear errors when the data dir, the feature config or the corpora disagree."""

import dataclasses

import numpy as np
import pytest
import torch

from kaldinn.augment.config import AugmentConfig
from kaldinn.data.dataset import FeatureDataset, FeatureOptions
from kaldinn.data.labels import build_label_map, load_targets
from kaldinn.data.loader import BatchSource
from kaldinn.data.samplers import BucketBatchSampler
from kaldinn.data.transforms import SpecAugment
from kaldinn.errors import ConfigError, DataDirError
from kaldinn.feats.extract import dither_rng
from kaldinn.feats.fbank import compute_fbank
from kaldinn.feats.options import FbankOptions, load_options
from kaldinn.io.audio import AudioReader
from kaldinn.io.tables import RandomAccessReader, Writer
from tests.data.audio_dir_factory import make_audio_dir, make_noise_tree

CLEAN = AugmentConfig(feat_conf="conf/fbank.conf", prob=0.0)


def pair(data, root, augment=CLEAN, **options):
    """The same training set on feats.scp and from audio."""
    base = FeatureOptions(base_dir=str(root), **options)
    targets = load_targets(data, "utt2lang", build_label_map(data, "utt2lang"))
    stored = FeatureDataset(data, base, targets, train=True, seed=5)
    audio = FeatureDataset(data, dataclasses.replace(base, augment=augment), targets, train=True, seed=5)
    return stored, audio


@pytest.mark.parametrize("segments", [False, True])
@pytest.mark.parametrize("options", [{"cmvn": "none"}, {"cmvn": "speaker", "vad": True, "max_frames": 40}])
def test_clean_audio_gives_the_features_of_feats_scp(tmp_path, segments, options):
    data = make_audio_dir(tmp_path, segments=segments, compress=False)
    stored, audio = pair(data, tmp_path, **options)
    assert audio.utt_ids == stored.utt_ids and audio.lengths == stored.lengths
    for epoch in (0, 1):
        for i in range(len(stored)):
            a, b = stored[(epoch, i)], audio[(epoch, i)]
            assert a.feats.shape == b.feats.shape and a.target == b.target
            np.testing.assert_allclose(b.feats, a.feats, atol=1e-5)


def test_compressed_feats_scp_agrees_within_its_compression_error(tmp_path):
    data = make_audio_dir(tmp_path, compress=True)
    stored, audio = pair(data, tmp_path, cmvn="none", max_frames=30)
    conf = load_options(FbankOptions, tmp_path / "conf" / "fbank.conf")
    feats = RandomAccessReader(f"scp:{data / 'feats.scp'}")
    for i, utt in enumerate(stored.utt_ids):
        exact = compute_fbank(
            AudioReader(data)[utt][0], conf, rng=dither_rng(utt)
        )  # what make_feats computed
        tolerance = np.abs(exact - feats[utt]).max()
        assert 0 < tolerance < 0.2
        np.testing.assert_allclose(audio[i].feats, stored[i].feats, atol=tolerance + 1e-5)


def test_utterance_cmvn_normalises_the_chunk(tmp_path):
    data = make_audio_dir(tmp_path, compress=False)
    _, audio = pair(data, tmp_path, cmvn="utterance", max_frames=30)
    np.testing.assert_allclose(audio[0].feats.mean(0), 0.0, atol=1e-4)


def augmented(tmp_path, **options):
    data = make_audio_dir(tmp_path, compress=False)
    make_noise_tree(tmp_path)
    config = AugmentConfig(feat_conf="conf/fbank.conf", musan="musan", rirs="RIRS_NOISES", prob=1.0)
    return data, *pair(data, tmp_path, augment=config, **options)


def test_augmented_items_keep_the_chunk_and_vad_of_the_clean_ones(tmp_path):
    _, stored, audio = augmented(tmp_path, cmvn="speaker", vad=True, max_frames=40)
    changed = 0
    for i in range(len(stored)):
        a, b = stored[i], audio[i]
        assert a.feats.shape == b.feats.shape and a.target == b.target
        changed += not np.allclose(a.feats, b.feats, atol=0.1)
    assert changed == len(stored)


def test_items_depend_on_seed_epoch_and_index_only(tmp_path):
    _, _, audio = augmented(tmp_path, cmvn="none", max_frames=40)
    again = FeatureDataset(audio.data_dir, audio.options, audio.targets, train=True, seed=5)
    np.testing.assert_array_equal(audio[(3, 2)].feats, again[(3, 2)].feats)
    assert not np.array_equal(audio[(3, 2)].feats, audio[(4, 2)].feats)  # a new augmentation every epoch
    other = FeatureDataset(audio.data_dir, audio.options, audio.targets, train=True, seed=6)
    assert not np.array_equal(audio[(3, 2)].feats, other[(3, 2)].feats)


@pytest.mark.slow
def test_batches_are_the_same_with_0_or_2_workers(tmp_path):
    data, _, audio = augmented(tmp_path, cmvn="utterance", vad=True, max_frames=40)
    opts = dataclasses.replace(audio.options, spec_augment=SpecAugment(2, 4, 2, 5))
    epochs = {}
    for workers in (0, 2):
        dataset = FeatureDataset(data, opts, audio.targets, train=True, seed=5)
        source = BatchSource(
            dataset, BucketBatchSampler(dataset.lengths, 4, seed=5), num_workers=workers, seed=5
        )
        epochs[workers] = []
        for epoch in (1, 2):
            source.set_epoch(epoch)
            epochs[workers] += [batch.feats for batch in source]
    assert len(epochs[0]) == len(epochs[2]) > 2
    for a, b in zip(epochs[0], epochs[2], strict=True):
        assert torch.equal(a, b)


def test_validation_items_stay_on_feats_scp(tmp_path):
    data = make_audio_dir(tmp_path, compress=False)
    (data / "wav.scp").unlink()  # would be needed by the audio path
    options = FeatureOptions(augment=CLEAN, base_dir=str(tmp_path))
    dataset = FeatureDataset(data, options, train=False)
    assert dataset[0].feats.shape[1] == 24
    with pytest.raises(DataDirError, match="wav.scp does not exist: data.augment computes training"):
        FeatureDataset(data, options, train=True)


def test_a_feature_config_with_other_framing_is_named(tmp_path):
    data = make_audio_dir(tmp_path, compress=False)
    (tmp_path / "conf" / "other.conf").write_text("--num-mel-bins=24\n")  # snip-edges=true
    config = AugmentConfig(feat_conf="conf/other.conf", prob=0.0)
    dataset = FeatureDataset(data, FeatureOptions(augment=config, base_dir=str(tmp_path)), train=True)
    with pytest.raises(DataDirError, match="make .* frames with .*other.conf, but feats.scp/vad.scp have"):
        dataset[0]
    (tmp_path / "conf" / "other.conf").write_text("--num-mel-bins=40\n--snip-edges=false\n")
    with pytest.raises(ConfigError, match="gives 40-dim fbank but .*feats.scp has 24"):
        FeatureDataset(data, FeatureOptions(augment=config, base_dir=str(tmp_path)), train=True)


def test_missing_corpora_are_named_when_the_dataset_is_built(tmp_path):
    data = make_audio_dir(tmp_path, compress=False)
    config = AugmentConfig(feat_conf="conf/fbank.conf", musan="corpus/musan", rirs="corpus/RIRS_NOISES")
    with pytest.raises(DataDirError, match=f"MUSAN root {tmp_path / 'corpus/musan'} does not exist"):
        FeatureDataset(data, FeatureOptions(augment=config, base_dir=str(tmp_path)), train=True)


def test_frame_labels_follow_the_chunk_and_the_vad(tmp_path):
    data = make_audio_dir(tmp_path, compress=False)
    frames = RandomAccessReader(f"scp:{data / 'feats.scp'}")
    with Writer(f"ark,scp:{data}/ali.ark,{data}/ali.scp") as writer:
        for utt in frames.keys():
            writer.write(utt, (np.arange(len(frames[utt])) % 7).astype(np.int32))
    targets = load_targets(data, "ali", build_label_map(data, "ali"))
    base = FeatureOptions(cmvn="none", vad=True, max_frames=25, base_dir=str(tmp_path))
    stored = FeatureDataset(data, base, targets, train=True, seed=2)
    audio = FeatureDataset(data, dataclasses.replace(base, augment=CLEAN), targets, train=True, seed=2)
    for i in range(len(stored)):
        a, b = stored[(1, i)], audio[(1, i)]
        np.testing.assert_array_equal(a.target, b.target)
        assert len(b.target) == len(b.feats) == 25
