"""Faults that must not lose work: damaged checkpoints of every kind, a full disk mid-training."""

import os
import sys
from pathlib import Path

import pytest
import torch
from synthetic_batches import SyntheticBatches

from kaldinn.cli import run_main
from kaldinn.errors import KaldinnError
from kaldinn.train import checkpoint as ckpt
from kaldinn.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from kaldinn.train.config import load_config
from kaldinn.train.trainer import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from full_disk import FullDisk  # noqa: E402
from test_trainer import TINY  # noqa: E402


def run_tiny(exp_dir, log=None, train=None):
    cfg = load_config(None, TINY)
    train = train if train is not None else SyntheticBatches()
    valid = SyntheticBatches(seed=1, shuffle=False)
    return run(cfg, train, valid, exp_dir, 5, 3, log=log if log is not None else (lambda m: None))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return load_checkpoint(run_tiny(tmp_path_factory.mktemp("reference")))["model_state"]


def same_model(state, reference):
    return all(torch.equal(state[k], reference[k]) for k in reference)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    with open(path, "r+b") as f:  # in place: every hard link to it is damaged too
        f.truncate(len(data) // 2)


def flip_weight_bit(path: Path) -> None:
    """Flip one bit inside the stored bytes of the model's first weight matrix."""
    saved = load_checkpoint(path)
    weight = next(t for t in saved["model_state"].values() if t.numel() >= 16)
    raw = path.read_bytes()
    at = raw.index(weight.numpy().tobytes()) + 9
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(bytes([raw[at] ^ 0x10]))


# (crash after this many batches, the file damaged, removed first); 6 batches per epoch,
# a save every 2 steps: fail_at=9 leaves epoch-1.pt and step-8.pt (= last.pt); fail_at=12
# leaves epoch-1.pt and epoch-2.pt (= last.pt). Every case falls back to epoch-1.pt.
CASES = {
    "last": (9, "last.pt", None),
    "step": (9, "step-8.pt", "last.pt"),
    "epoch": (12, "epoch-2.pt", None),
}


@pytest.mark.parametrize("damage", [truncate, flip_weight_bit], ids=["truncated", "bit-flipped"])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_resume_skips_damaged_checkpoints_for_the_newest_intact_one(tmp_path, reference, kind, damage):
    fail_at, victim, removed = CASES[kind]
    with pytest.raises(RuntimeError, match="simulated kill"):
        run_tiny(tmp_path, train=SyntheticBatches(fail_at=fail_at))
    ckpt_dir = tmp_path / "checkpoints"
    if removed:
        (ckpt_dir / removed).unlink()
    damage(ckpt_dir / victim)
    with pytest.raises(CheckpointError, match=str(ckpt_dir / victim)):
        load_checkpoint(ckpt_dir / victim)
    messages = []
    final = run_tiny(tmp_path, log=messages.append)
    resumed = [m for m in messages if m.startswith("resuming from")]
    assert resumed == [f"resuming from {ckpt_dir / 'epoch-1.pt'}: epoch 2, 0 batches done"]
    skipped = next(m for m in messages if m.startswith("WARNING: skipped"))
    assert str(ckpt_dir / victim) in skipped
    if kind != "step":  # last.pt is a hard link to the damaged file: one damage, two names
        assert "the same file as" in skipped
    assert same_model(load_checkpoint(final)["model_state"], reference)


def test_deleting_last_pt_resumes_from_the_newest_step_checkpoint(tmp_path, reference):
    with pytest.raises(RuntimeError, match="simulated kill"):
        run_tiny(tmp_path, train=SyntheticBatches(fail_at=9))
    epoch_1 = (tmp_path / "checkpoints" / "epoch-1.pt").stat().st_ino
    (tmp_path / "checkpoints" / "last.pt").unlink()
    messages = []
    final = run_tiny(tmp_path, log=messages.append)
    assert f"resuming from {tmp_path / 'checkpoints' / 'step-8.pt'}: epoch 2, 2 batches done" in messages
    assert (tmp_path / "checkpoints" / "epoch-1.pt").stat().st_ino == epoch_1  # not rewritten
    assert same_model(load_checkpoint(final)["model_state"], reference)
    assert not list((tmp_path / "checkpoints").glob("step-*.pt"))  # an epoch end removes them


def test_no_loadable_checkpoint_is_an_error_never_a_fresh_start(tmp_path):
    with pytest.raises(RuntimeError, match="simulated kill"):
        run_tiny(tmp_path, train=SyntheticBatches(fail_at=9))
    for path in (tmp_path / "checkpoints").glob("*.pt"):
        truncate(path)
    with pytest.raises(KaldinnError, match="none of the checkpoints .* --restart .*checkpoints.old.1"):
        run_tiny(tmp_path)


def test_any_bit_flip_is_caught_or_harmless(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, {"model_state": {"w": torch.randn(64, 8)}, "trainer_state": {"epoch": 3}})
    original, raw = load_checkpoint(path), path.read_bytes()
    for at in range(0, len(raw), max(1, len(raw) // 97)):
        path.write_bytes(raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :])
        try:
            loaded = load_checkpoint(path)
        except CheckpointError:
            continue
        assert torch.equal(loaded["model_state"]["w"], original["model_state"]["w"]), at
        assert loaded["trainer_state"] == original["trainer_state"], at


def test_a_full_disk_while_checkpointing_is_one_line_and_the_rerun_continues(
    tmp_path, reference, monkeypatch, capsys
):
    real_init, saves = ckpt._RecordingFile.__init__, []

    def third_save_fills_the_disk(self, f):
        saves.append(1)
        real_init(self, FullDisk(f, room=2000) if len(saves) == 3 else f)

    monkeypatch.setattr(ckpt._RecordingFile, "__init__", third_save_fills_the_disk)
    monkeypatch.delenv("KALDINN_DEBUG", raising=False)
    assert run_main(lambda argv: run_tiny(tmp_path), []) == 1
    step_6 = tmp_path / "checkpoints" / "step-6.pt"  # saves: step 2, step 4, (step 6: disk full)
    assert (
        capsys.readouterr()
        .err.strip()
        .splitlines()[-1]
        .endswith(f"ERROR: cannot write {step_6}: No space left on device")
    )
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["last.pt", "step-4.pt"]  # no partial file
    assert load_checkpoint(tmp_path / "checkpoints" / "last.pt")["trainer_state"]["step"] == 4
    monkeypatch.setattr(ckpt._RecordingFile, "__init__", real_init)
    assert same_model(load_checkpoint(run_tiny(tmp_path))["model_state"], reference)
