"""Distributed training: 2 gloo ranks on CPU equal one process on the same global batch."""

import json
import sys
from pathlib import Path

import pytest
import torch
from ddp_worker import grads, make_problem

from kaldinn.data.distributed import ShardedBatchSampler, shard_bounds
from kaldinn.errors import ConfigError
from kaldinn.steps import train
from kaldinn.train import distributed as ddp
from kaldinn.train.checkpoint import load_checkpoint
from tests.data.feats_dir_factory import make_feats_dir

WORKER = Path(__file__).with_name("ddp_worker.py")
CONFIG = """\
model: rnn_classifier
model_args: {cell: gru, hidden_size: 6, num_layers: 1, dropout: 0.0}
optim: sgd
optim_args: {lr: 0.5}
train: {epochs: 2, seed: 3, average_last: 2, save_every_steps: 2, grad_clip: 5.0}
data: {labels: utt2lang, cmvn: speaker, batch_size: 3}
"""


def test_rank_from_torchrun_and_slurm_variables():
    assert ddp.rank_from_env({}) is None
    assert ddp.rank_from_env({"RANK": "0", "WORLD_SIZE": "1"}) is None
    info = ddp.rank_from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "MASTER_PORT": "1234"})
    assert (info.rank, info.world_size, info.local_rank, info.master_port) == (3, 4, 1, 1234)
    slurm = {
        "SLURM_PROCID": "5",
        "SLURM_NTASKS": "8",
        "SLURM_LOCALID": "1",
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NODELIST": "gpu[07-08,12],cpu1",
    }
    info = ddp.rank_from_env(slurm)
    assert (info.rank, info.world_size, info.local_rank) == (5, 8, 1)
    assert info.master_addr == "gpu07" and info.master_port == ddp.job_port("4242") == 24242
    # a batch script (no srun step) holding one task is one process
    assert ddp.rank_from_env({**slurm, "SLURM_STEP_NUM_TASKS": "1"}) is None
    with pytest.raises(ConfigError, match="outside world size"):
        ddp.rank_from_env({"RANK": "2", "WORLD_SIZE": "2"})


def test_rank_environments_split_gpus_or_fall_back_to_cpu():
    gpus = ddp.rank_environments(2, {"CUDA_VISIBLE_DEVICES": "3,5"})
    assert [e["CUDA_VISIBLE_DEVICES"] for e in gpus] == ["3", "5"]
    assert [e["RANK"] for e in gpus] == ["0", "1"] and gpus[0]["MASTER_PORT"] == gpus[1]["MASTER_PORT"]
    cpu = ddp.rank_environments(2, {"CUDA_VISIBLE_DEVICES": ""})
    assert [e["CUDA_VISIBLE_DEVICES"] for e in cpu] == ["", ""]
    with pytest.raises(ConfigError, match="--gpu 4"):
        ddp.rank_environments(4, {"CUDA_VISIBLE_DEVICES": "0,1"})


def test_shards_concatenate_to_the_global_batch_and_pad_empty_slices():
    assert [shard_bounds(7, r, 2) for r in range(2)] == [(0, 4), (4, 7)]
    sampler = [[5, 1, 4], [2]]
    shards = [list(ShardedBatchSampler(_Fixed(sampler), r, 2)) for r in range(2)]
    assert shards[0][0] + shards[1][0] == [5, 1, 4]
    assert shards[0][1] == [2] and shards[1][1] == [2]  # rank 1: a copy of the only item ...
    assert ShardedBatchSampler(_Fixed(sampler), 1, 2).padding_flags() == [False, True]  # ... as padding


def test_sharded_batch_source_slices_the_real_batches(tmp_path):
    from kaldinn.data.distributed import ShardedBatchSource
    from kaldinn.data.labels import build_label_map, load_targets
    from kaldinn.data.loader import make_batch_source
    from kaldinn.train.config import load_config

    data = make_feats_dir(tmp_path, "train", speakers=2, utts_per_speaker=5, max_len=30, seed=1)
    cfg = load_config(None, ["model=rnn_classifier", "data.labels=utt2lang", "data.batch_size=3"])
    targets = load_targets(data, "utt2lang", build_label_map(data, "utt2lang"))
    source = make_batch_source(cfg, data, targets, train=True)
    shards = [ShardedBatchSource(make_batch_source(cfg, data, targets, train=True), r, 2) for r in (0, 1)]
    for part in (source, *shards):
        part.set_epoch(2)
    for whole, first, second in zip(source, *shards, strict=True):
        if len(whole) == 1:  # rank 1 pads a one-item batch with a copy that counts for nothing
            assert first.utt_ids == second.utt_ids == whole.utt_ids and ddp.is_padding(second)
        else:
            assert first.utt_ids + second.utt_ids == whole.utt_ids and not ddp.is_padding(second)


def test_launcher_stops_every_rank_when_one_fails():
    code = "import os, sys, time; sys.exit(3) if os.environ['RANK'] == '1' else time.sleep(120)"
    messages = []
    assert ddp.launch_local([sys.executable, "-c", code], 2, log=messages.append) == 1
    assert any("rank 1 failed with exit code 3" in m for m in messages)


class _Fixed(list):
    def set_epoch(self, epoch):
        pass


def test_all_pairs_sv_gradient_equals_one_process(tmp_path):
    model, task, batch = make_problem("blue")
    task(model(batch.feats, batch.feat_lens), batch).loss.backward()
    expected = grads(model, task)
    code = ddp.launch_local([sys.executable, str(WORKER), str(tmp_path), "blue"], 2, log=print)
    assert code == 0
    for rank in (0, 1):
        got = torch.load(tmp_path / f"grads.{rank}.pt", weights_only=True)
        for name, grad in expected.items():
            torch.testing.assert_close(got[name], grad, atol=1e-6, rtol=1e-5, msg=f"rank {rank} {name}")


def test_two_ranks_train_like_one_process_and_only_rank_0_writes(tmp_path, capfd):
    train_dir = make_feats_dir(tmp_path, "train", speakers=2, utts_per_speaker=5, max_len=30, seed=1)
    valid_dir = make_feats_dir(tmp_path, "dev", speakers=2, utts_per_speaker=2, max_len=30, seed=2)
    conf = tmp_path / "conf.yaml"
    conf.write_text(CONFIG)
    args = ["--config", str(conf), str(train_dir), str(valid_dir)]
    assert train.main([*args, str(tmp_path / "one")]) == 0
    capfd.readouterr()
    assert train.main(["--num-gpus", "2", *args, str(tmp_path / "two")]) == 0
    err = capfd.readouterr().err
    one, two = (load_checkpoint(tmp_path / d / "final.pt")["model_state"] for d in ("one", "two"))
    for key, value in one.items():
        torch.testing.assert_close(two[key], value, atol=1e-5, rtol=1e-5, msg=key)
    metrics = [
        [json.loads(line) for line in (tmp_path / d / "metrics.jsonl").read_text().splitlines()]
        for d in ("one", "two")
    ]
    for row_one, row_two in zip(*metrics, strict=True):
        assert row_two["train_loss"] == pytest.approx(row_one["train_loss"], abs=1e-5)
        assert row_two["valid_acc"] == pytest.approx(row_one["valid_acc"], abs=1e-9)
    assert err.count("train: epoch 1: train") == 1  # rank 0 alone logs
    assert "2 ranks (gloo)" in err and "succeeded training" in err
    assert (tmp_path / "two" / "command.txt").read_text().count("--num-gpus 2") == 1  # rank 0 only
    names = sorted(p.name for p in (tmp_path / "two").rglob("*") if p.is_file())
    assert names == sorted(p.name for p in (tmp_path / "one").rglob("*") if p.is_file())
