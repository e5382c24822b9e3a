"""Trainer: a step lowers the loss, exact resume after a kill, halving, early stopping, outputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from synthetic_batches import SyntheticBatches

from kaldinn.errors import ConfigError
from kaldinn.losses import LOSSES
from kaldinn.models import build_model
from kaldinn.train.batch import Batch
from kaldinn.train.checkpoint import load_checkpoint, load_model
from kaldinn.train.config import load_config
from kaldinn.train.setup import build_setup
from kaldinn.train.trainer import run, train_step

TINY = [
    "model=rnn_classifier",
    "model_args={hidden_size: 8, num_layers: 2, dropout: 0.3, pooling: mean_std}",
    "optim_args.lr=1e-2",
    "train.epochs=3",
    "train.save_every_steps=2",
    "train.average_last=2",
]
REPO = Path(__file__).resolve().parents[2]


def quiet(message: str) -> None:
    pass


def train_tiny(exp_dir, overrides=(), train=None):
    cfg = load_config(None, TINY + list(overrides))
    train = train if train is not None else SyntheticBatches()
    return run(cfg, train, SyntheticBatches(seed=1, shuffle=False), exp_dir, 5, 3, log=quiet)


def frame_batch(num_classes, frames_per_label=1):
    gen = torch.Generator().manual_seed(3)
    lens = torch.tensor([9, 6])
    targets = torch.randint(1, num_classes, (2, 9 // frames_per_label), generator=gen)
    feats = torch.randn(2, 9, 4, generator=gen)
    feats[1, 6:] = 0
    target_lens = lens if frames_per_label == 1 else torch.tensor([3, 2])
    return Batch(feats, lens, targets, target_lens, ["a", "b"])


CASES = {
    "rnn_classifier": ("cross_entropy", lambda: Batch(torch.randn(3, 6, 4), torch.tensor([6, 4, 2]),
                                                      torch.tensor([0, 1, 2]))),
    "hgru_lid": ("cross_entropy", lambda: Batch(torch.randn(3, 6, 4), torch.tensor([6, 4, 2]),
                                                torch.tensor([0, 1, 2]))),
    "mlp": ("frame_cross_entropy", lambda: frame_batch(3)),
    "rnn_frame_classifier": ("ctc", lambda: frame_batch(3, frames_per_label=3)),
}  # fmt: skip


@pytest.mark.parametrize("model_name", sorted(CASES))
def test_one_training_step_lowers_the_loss_on_a_fixed_batch(model_name, tmp_path):
    loss_name, make_batch = CASES[model_name]
    args = ["train.grad_clip=1.0", "optim_args.lr=3e-3", f"loss={loss_name}", f"model={model_name}"]
    if model_name == "hgru_lid":
        args.append("model_args={segment_frames: 2, dropout: 0.0}")
    else:
        args.append("model_args={dropout: 0.0}")
    setup = build_setup(load_config(None, args), tmp_path, 4, 3, log=quiet)
    batch = make_batch()

    def eval_loss():
        setup.model.eval()
        with torch.no_grad():
            return setup.task(setup.model(batch.feats, batch.feat_lens), batch).loss.item()

    before = eval_loss()
    setup.model.train()
    assert train_step(setup, batch) is not None
    assert eval_loss() < before


def test_resume_after_a_crash_reaches_the_same_final_model(tmp_path):
    reference = load_checkpoint(train_tiny(tmp_path / "a"))
    # 6 batches per epoch: the crash comes in epoch 2 after 9 batches, one after the last save.
    with pytest.raises(RuntimeError, match="simulated kill"):
        train_tiny(tmp_path / "b", train=SyntheticBatches(fail_at=9))
    assert load_checkpoint(tmp_path / "b/checkpoints/last.pt")["trainer_state"]["batches_done"] == 2
    resumed = load_checkpoint(train_tiny(tmp_path / "b"))
    for key, value in reference["model_state"].items():
        assert torch.equal(value, resumed["model_state"][key]), key
    assert history(tmp_path / "a") == history(tmp_path / "b")


def history(exp_dir):
    """Per-epoch metrics without the wall-clock time."""
    rows = [json.loads(line) for line in (exp_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


KILLER = """
import os, signal, sys
sys.path[:0] = [{tests!r}]
from synthetic_batches import SyntheticBatches
from test_trainer import train_tiny

class Killed(SyntheticBatches):
    def __iter__(self):
        for batch in super().__iter__():
            if self.drawn == 9:
                os.kill(os.getpid(), signal.SIGKILL)
            yield batch

train_tiny({exp!r}, train=Killed())
"""


def test_kill_minus_9_mid_epoch_then_rerun_matches_uninterrupted_run(tmp_path):
    code = KILLER.format(tests=str(Path(__file__).parent), exp=str(tmp_path / "b"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    resumed = load_checkpoint(train_tiny(tmp_path / "b"))
    reference = load_checkpoint(train_tiny(tmp_path / "a"))
    for key, value in reference["model_state"].items():
        assert torch.equal(value, resumed["model_state"][key]), key


def test_outputs_checkpoints_and_final_average(tmp_path):
    final = train_tiny(tmp_path, ["train.metrics_format=csv"], train=SyntheticBatches())
    ckpt = load_checkpoint(final)
    assert ckpt["model_config"] == {"name": "rnn_classifier", "args": ckpt["config"]["model_args"],
                                    "input_dim": 5, "num_classes": 3}  # fmt: skip
    assert ckpt["averaged_epochs"] == [2, 3]
    epochs = [load_checkpoint(tmp_path / f"checkpoints/epoch-{e}.pt")["model_state"] for e in (2, 3)]
    key = "head.0.weight"
    torch.testing.assert_close(ckpt["model_state"][key], (epochs[0][key] + epochs[1][key]) / 2)
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,lr,seconds,train_loss,train_acc,valid_loss,valid_acc") and len(rows) == 4
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert "epochs: 3" in (tmp_path / "config.yaml").read_text()
    model = load_model(final)
    assert not model.training and model(torch.randn(1, 4, 5), torch.tensor([4])).logits.shape == (1, 3)


def test_early_stopping_ends_training_when_validation_stops_improving(tmp_path):
    # lr 0: the validation loss never improves after epoch 1, so epoch 3 is the last.
    overrides = ["optim_args.lr=0.0", "train.epochs=10", "train.early_stop_patience=2",
                 "scheduler_args={patience: 1, factor: 0.5, min_lr: 0.0}"]  # fmt: skip
    train_tiny(tmp_path, overrides)
    rows = history(tmp_path)
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert [row["lr"] for row in rows] == [0.0, 0.0, 0.0]
    state = load_checkpoint(tmp_path / "checkpoints/last.pt")["trainer_state"]
    assert state["stopped"] is True


def test_halving_scheduler_halves_after_patience_and_respects_min_lr():
    from kaldinn.train.schedule import SCHEDULERS

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = SCHEDULERS.build("halving", {"patience": 2, "min_lr": 0.3}, optimizer=opt, epochs=5, mode="min")
    lrs = []
    for loss in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95]:
        sched.step(loss)
        lrs.append(sched.lr())
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.3, 0.3]


def test_rerun_with_a_changed_config_is_refused(tmp_path):
    train_tiny(tmp_path)
    with pytest.raises(ConfigError, match="changed: optim_args.lr"):
        train_tiny(tmp_path, ["optim_args.lr=5e-3"])
    train_tiny(tmp_path, ["train.epochs=4"])  # extending the run is allowed
    assert load_checkpoint(tmp_path / "final.pt")["averaged_epochs"] == [3, 4]


def test_frame_labels_must_match_model_frames():
    loss = LOSSES.build("frame_cross_entropy")
    model = build_model("mlp", {"hidden_dims": [4]}, input_dim=4, num_classes=3)
    batch = frame_batch(3)
    batch.target_lens = torch.tensor([9, 5])
    with pytest.raises(Exception, match="utterance b: the model outputs 6 frames but the alignment has 5"):
        loss(model(batch.feats, batch.feat_lens), batch)
