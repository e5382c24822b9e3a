"""Batch samplers: every utterance once per epoch, budgets, speaker balance, seeded order."""

import numpy as np
import pytest

from kaldinn.data.samplers import BucketBatchSampler, SpeakerBatchSampler
from kaldinn.errors import ConfigError

LENGTHS = np.random.default_rng(3).integers(5, 200, size=101).tolist()


def epoch_batches(sampler, epoch):
    sampler.set_epoch(epoch)
    return [list(b) for b in sampler]


@pytest.mark.parametrize("batch_frames", [0, 400, 1000])
def test_bucket_batches_cover_each_utterance_once_within_budget(batch_frames):
    sampler = BucketBatchSampler(LENGTHS, batch_size=8, batch_frames=batch_frames, seed=5)
    for epoch in (1, 2):
        batches = epoch_batches(sampler, epoch)
        assert sorted(i for b in batches for i in b) == list(range(len(LENGTHS)))
        assert len(sampler) == len(batches)
        for batch in batches:
            assert 1 <= len(batch) <= 8
            padded = max(LENGTHS[i] for i in batch) * len(batch)
            assert batch_frames == 0 or padded <= batch_frames or len(batch) == 1


def test_bucketing_keeps_padding_small():
    batches = epoch_batches(BucketBatchSampler(LENGTHS, batch_size=8, seed=5), 1)
    padded = sum(max(LENGTHS[i] for i in b) * len(b) for b in batches)
    assert padded < 1.15 * sum(LENGTHS)


def test_utterance_longer_than_the_budget_gets_its_own_batch():
    batches = epoch_batches(BucketBatchSampler([10, 10, 500], batch_size=4, batch_frames=100), 1)
    assert sorted(map(sorted, batches)) == [[0, 1], [2]]


def test_order_depends_only_on_seed_and_epoch():
    a = BucketBatchSampler(LENGTHS, batch_size=8, seed=5)
    b = BucketBatchSampler(LENGTHS, batch_size=8, seed=5)
    assert epoch_batches(a, 3) == epoch_batches(b, 3)
    assert epoch_batches(a, 3) != epoch_batches(a, 4)
    assert epoch_batches(a, 3) != epoch_batches(BucketBatchSampler(LENGTHS, batch_size=8, seed=6), 3)


def test_unshuffled_batches_run_shortest_first():
    batches = epoch_batches(BucketBatchSampler(LENGTHS, batch_size=8, shuffle=False), 1)
    longest = [max(LENGTHS[i] for i in b) for b in batches]
    assert longest == sorted(longest)


def test_speaker_batches_are_balanced_and_cover_each_utterance_once():
    speakers = [f"spk{i % 7}" for i in range(60)] + ["spk9"] * 12  # one talkative speaker
    sampler = SpeakerBatchSampler(speakers, speakers_per_batch=4, utts_per_speaker=2, seed=1)
    batches = epoch_batches(sampler, 1)
    assert sorted(i for b in batches for i in b) == list(range(len(speakers)))
    for batch in batches[:-3]:  # the tail may run out of distinct speakers
        spks = [speakers[i] for i in batch]
        assert len(set(spks)) == 4 and all(spks.count(s) == 2 for s in set(spks))
    assert epoch_batches(sampler, 1) == batches and epoch_batches(sampler, 2) != batches


def test_bad_sizes_are_config_errors():
    with pytest.raises(ConfigError, match="batch_size"):
        BucketBatchSampler([1], batch_size=0)
    with pytest.raises(ConfigError, match="utts_per_speaker"):
        SpeakerBatchSampler(["a"], speakers_per_batch=1, utts_per_speaker=0)
