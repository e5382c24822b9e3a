"""collate (padding, lengths, targets) and the BatchSource the trainer consumes."""

import numpy as np
import pytest
import torch

from kaldinn.data.collate import collate, pack
from kaldinn.data.dataset import Example
from kaldinn.data.labels import build_label_map, load_targets
from kaldinn.data.loader import label_source, make_batch_source
from kaldinn.errors import ConfigError
from kaldinn.train.batch import EpochBatches
from kaldinn.train.config import load_config
from tests.data.feats_dir_factory import make_feats_dir

MODEL = ["model=rnn_classifier", "model_args.hidden_size=8", "model_args.num_layers=1"]


def test_collate_pads_with_zeros_and_lengths_match():
    examples = [Example("a", np.ones((5, 3), np.float32), 1), Example("b", np.full((2, 3), 2, np.float32), 0)]
    batch = collate(examples)
    assert batch.feats.shape == (2, 5, 3) and batch.feat_lens.tolist() == [5, 2]
    mask = torch.arange(5)[None, :] < batch.feat_lens[:, None]
    assert torch.all(batch.feats[~mask] == 0) and torch.all(batch.feats[1, :2] == 2)
    assert batch.targets.tolist() == [1, 0] and batch.target_lens is None and batch.utt_ids == ["a", "b"]
    assert pack(batch).data.shape == (7, 3)  # only the valid frames


def test_collate_pads_sequence_targets():
    examples = [
        Example("a", np.zeros((4, 2), np.float32), np.array([3, 1, 2])),
        Example("b", np.zeros((6, 2), np.float32), np.array([5])),
    ]
    batch = collate(examples)
    assert batch.targets.tolist() == [[3, 1, 2], [5, 0, 0]] and batch.target_lens.tolist() == [3, 1]


def test_label_source_auto_follows_the_loss():
    assert label_source(load_config(None, [*MODEL, "loss=ctc"])) == "text"
    assert label_source(load_config(None, [*MODEL, "loss=frame_cross_entropy"])) == "ali"
    with pytest.raises(ConfigError, match="data.labels=utt2lang"):
        label_source(load_config(None, MODEL))


def batches_of(source, epoch):
    source.set_epoch(epoch)
    return [(b.utt_ids, b.feats, b.targets) for b in source]


def test_worker_batches_equal_in_process_batches(tmp_path):
    data = make_feats_dir(tmp_path)
    overrides = [
        *MODEL,
        "data.labels=utt2lang",
        "data.batch_size=4",
        "data.max_frames=15",
        "data.spec_augment=true",
    ]
    cfg = load_config(None, overrides)
    targets = load_targets(data, "utt2lang", build_label_map(data, "utt2lang"))
    in_process = make_batch_source(cfg, data, targets, train=True)
    workers = make_batch_source(
        load_config(None, [*overrides, "data.num_workers=2"]), data, targets, train=True
    )
    assert isinstance(workers, EpochBatches) and len(workers) == len(in_process) == 3
    for epoch in (2, 3):  # the workers persist across epochs: the epoch travels with the indices
        expected, got = batches_of(in_process, epoch), batches_of(workers, epoch)
        for (ids_a, feats_a, y_a), (ids_b, feats_b, y_b) in zip(expected, got, strict=True):
            assert ids_a == ids_b and torch.equal(feats_a, feats_b) and torch.equal(y_a, y_b)
    assert [ids for ids, _, _ in batches_of(in_process, 2)] != [ids for ids, _, _ in expected]


def test_speaker_sampler_from_the_config(tmp_path):
    data = make_feats_dir(tmp_path, speakers=4)
    cfg = load_config(None, [*MODEL, "data.sampler=speaker", "data.batch_size=4", "data.utts_per_speaker=2"])
    source = make_batch_source(cfg, data, None, train=True)
    source.set_epoch(1)
    batches = [batch.utt_ids for batch in source]
    assert sorted(u for b in batches for u in b) == source.dataset.utt_ids
    for utt_ids in batches:
        speakers = [utt.split("-")[0] for utt in utt_ids]
        assert len(set(speakers)) == 2 and all(speakers.count(s) == 2 for s in speakers)
