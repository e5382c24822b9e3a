"""Checkpoints: weights_only loading, clear errors, RNG round trip, device selection."""

import random

import numpy as np
import pytest
import torch

from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.train.checkpoint import capture_rng, load_checkpoint, restore_rng, save_checkpoint
from kaldinn.train.device import resolve_amp, select_device


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(
        path, {"model_state": {"w": torch.ones(2)}, "rng": capture_rng(), "config": {"a": [1, 2]}}
    )
    ckpt = load_checkpoint(path)
    assert torch.equal(ckpt["model_state"]["w"], torch.ones(2)) and ckpt["config"] == {"a": [1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temporary file left behind


def test_damaged_or_foreign_checkpoints_raise_with_the_path(tmp_path):
    path = tmp_path / "bad.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(KaldinnError, match="bad.pt cannot be loaded"):
        load_checkpoint(path)
    torch.save({"weights": torch.zeros(1)}, path)
    with pytest.raises(KaldinnError, match="not a kaldinn checkpoint"):
        load_checkpoint(path)
    with pytest.raises(KaldinnError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_rng_state_restores_every_generator(tmp_path):
    path = tmp_path / "rng.pt"
    save_checkpoint(path, {"rng": capture_rng()})
    expected = (torch.rand(3), random.random(), np.random.rand())
    restore_rng(load_checkpoint(path)["rng"])
    assert torch.equal(torch.rand(3), expected[0])
    assert (random.random(), np.random.rand()) == expected[1:]


def test_device_follows_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert select_device("auto").type == "cpu"
    with pytest.raises(ConfigError, match="no GPU is usable"):
        select_device("cuda")
    messages = []
    assert resolve_amp("bf16", torch.device("cpu"), messages.append) == "none"
    assert "needs CUDA" in messages[0]
