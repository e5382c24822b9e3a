"""Verification batch sampling: strategies A and B, speaker-coverage epochs, resumability."""

from collections import Counter

import numpy as np
import pytest

from kaldinn.data.labels import build_label_map, load_targets
from kaldinn.data.sv_sampling import SVBatchSampler, sv_batch_source
from kaldinn.errors import ConfigError
from kaldinn.io.tables import Writer

# 7 speakers with 2..8 utterances, plus one speaker with a single utterance.
SPEAKERS = [f"s{k}" for k in range(7) for _ in range(k + 2)] + ["lonely"]


def test_strategy_b_gives_two_distinct_utterances_of_each_speaker_and_covers_every_speaker():
    sampler = SVBatchSampler(SPEAKERS, "B", speakers_per_batch=3, seed=5)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 2  # 7 speakers: 3 + 4 (a last group of one joins)
    seen = Counter()
    for batch in batches:
        assert len(set(batch)) == len(batch)
        per_spk = Counter(SPEAKERS[i] for i in batch)
        assert set(per_spk.values()) == {2}
        seen.update(per_spk.keys())
    assert seen == Counter({f"s{k}": 1 for k in range(7)})  # each speaker once per epoch
    assert sampler.excluded == ["lonely"]


def test_strategy_a_takes_all_or_at_most_k_segments_per_speaker():
    all_segments = SVBatchSampler(SPEAKERS, "A", speakers_per_batch=4, seed=1)
    counts = Counter(SPEAKERS[i] for b in all_segments for i in b)
    assert counts == Counter({f"s{k}": k + 2 for k in range(7)})
    capped = SVBatchSampler(SPEAKERS, "A", speakers_per_batch=4, max_per_speaker=3, seed=1)
    counts = Counter(SPEAKERS[i] for b in capped for i in b)
    assert counts == Counter({f"s{k}": min(k + 2, 3) for k in range(7)})


def test_batches_depend_only_on_seed_and_epoch():
    a = SVBatchSampler(SPEAKERS, "B", 3, seed=9)
    b = SVBatchSampler(SPEAKERS, "B", 3, seed=9)
    a.set_epoch(4)
    b.set_epoch(4)
    assert list(a) == list(b)  # a resumed run sees the same epoch
    b.set_epoch(5)
    assert list(a) != list(b)


def test_bad_sampler_settings_are_config_errors():
    with pytest.raises(ConfigError, match="strategy"):
        SVBatchSampler(SPEAKERS, "C")
    with pytest.raises(ConfigError, match=">= 2 speakers"):
        SVBatchSampler(SPEAKERS, "B", speakers_per_batch=1)
    with pytest.raises(ConfigError, match="max_per_speaker"):
        SVBatchSampler(SPEAKERS, "A", max_per_speaker=1)
    with pytest.raises(ConfigError, match="2 utterances"):
        SVBatchSampler(["x", "x", "y"], "B")


def test_batch_source_holds_features_in_memory_and_crops_random_chunks(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    utts = [f"spk{s}-u{u}" for s in range(3) for u in range(3)]
    rng = np.random.default_rng(0)
    with Writer(f"ark,scp:{tmp_path}/feats.ark,{data}/feats.scp") as w:
        for utt in utts:
            w.write(utt, rng.normal(size=(50, 4)).astype(np.float32))
    (data / "utt2spk").write_text("".join(f"{u} {u.split('-')[0]}\n" for u in utts))
    targets = load_targets(data, "utt2spk", build_label_map(data, "utt2spk"))
    source = sv_batch_source(data, targets, "B", speakers_per_batch=3, chunk_frames=20, seed=3)
    source.set_epoch(1)
    (batch,) = list(source)
    assert batch.feats.shape == (6, 20, 4) and sorted(batch.targets.tolist()) == [0, 0, 1, 1, 2, 2]
    source.set_epoch(2)
    (other,) = list(source)
    assert not np.array_equal(batch.feats.numpy(), other.feats.numpy())  # new chunks each epoch
