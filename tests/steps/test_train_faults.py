"""steps/train.py under faults: a second run on a busy exp dir, --restart, damaged final.pt.

Each error message's advice is followed and must work.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kaldinn.cli import run_main
from kaldinn.errors import KaldinnError
from kaldinn.io.lock import HELD_ENV, LOCK_NAME
from kaldinn.steps import train
from kaldinn.train.checkpoint import CheckpointError, load_checkpoint
from tests.data.feats_dir_factory import make_feats_dir

REPO = Path(__file__).resolve().parents[2]
CONFIG = """\
model: rnn_classifier
model_args: {cell: gru, hidden_size: 8, num_layers: 1, dropout: 0.0}
optim_args: {lr: 0.01}
train: {epochs: 2, seed: 3, average_last: 2}
data: {labels: utt2lang, max_frames: 20, min_frames: 5, batch_size: 4}
"""
# steps/train.py that takes the exp-dir lock as usual, then hangs instead of training.
HANGING = """
import sys, time
from kaldinn.cli import run_main
from kaldinn.steps import train

def hang(*args):
    print("training", flush=True)
    time.sleep(600)

train.train_ranks = hang
sys.exit(run_main(train.main, sys.argv[1:]))
"""


@pytest.fixture
def argv(tmp_path):
    train_dir = make_feats_dir(tmp_path, "train", speakers=4, seed=1)
    valid_dir = make_feats_dir(tmp_path, "dev", speakers=2, seed=2)
    conf = tmp_path / "conf.yaml"
    conf.write_text(CONFIG)
    return ["--config", str(conf), str(train_dir), str(valid_dir), str(tmp_path / "exp")]


def test_a_second_run_on_a_busy_exp_dir_fails_at_once_naming_the_first(argv, tmp_path, capsys):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop(HELD_ENV, None)
    first = subprocess.Popen(
        [sys.executable, "-c", HANGING, *argv], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout.readline().strip() == "training"
        start = time.monotonic()
        assert run_main(train.main, argv) == 1
        assert time.monotonic() - start < 10
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert f": ERROR: {tmp_path / 'exp'} is in use by another job" in err
        assert f"pid {first.pid} since " in err and f"steps/train.py --config {argv[1]}" in err
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert train.main(argv) == 0  # kill -9 left no stale lock
    assert load_checkpoint(tmp_path / "exp" / "final.pt")["averaged_epochs"] == [1, 2]


def test_unloadable_checkpoints_advise_restart_which_keeps_them(argv, tmp_path, capsys):
    assert train.main(argv) == 0
    ckpt_dir = tmp_path / "exp" / "checkpoints"
    damaged = {}
    for path in sorted(ckpt_dir.glob("*.pt")):
        path.write_bytes(path.read_bytes()[:100])  # a new file: last.pt no longer a link
        damaged[path.name] = path.read_bytes()
    assert run_main(train.main, argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "none of the checkpoints" in err and "rerun steps/train.py with --restart" in err
    assert train.main(["--restart", *argv]) == 0  # the advice works
    old = tmp_path / "exp" / "checkpoints.old.1"
    assert {p.name: p.read_bytes() for p in old.glob("*.pt") if p.name != "final.pt"} == damaged
    assert (old / "final.pt").is_file() and (old / "config.yaml").is_file() and (old / "labels.txt").is_file()
    assert load_checkpoint(tmp_path / "exp" / "final.pt")["averaged_epochs"] == [1, 2]
    assert "moved the old checkpoints" in capsys.readouterr().err


def test_a_changed_config_advises_restart(argv, tmp_path, capsys):
    assert train.main(argv) == 0
    changed = [*argv[:2], "--set", "optim_args.lr=0.5", *argv[2:]]
    assert run_main(train.main, changed) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "changed: optim_args.lr" in err and "--restart" in err and "checkpoints.old.1" in err
    assert train.main(["--restart", *changed]) == 0
    assert (tmp_path / "exp" / "checkpoints.old.1" / "epoch-2.pt").is_file()
    assert load_checkpoint(tmp_path / "exp" / "final.pt")["config"]["optim_args"]["lr"] == 0.5


def test_a_damaged_final_pt_names_the_rerun_that_rewrites_it(argv, tmp_path):
    assert train.main(argv) == 0
    final = tmp_path / "exp" / "final.pt"
    final.write_bytes(final.read_bytes()[:-50])
    with pytest.raises(
        CheckpointError, match=f"rerun the last training command in {tmp_path / 'exp'}/command.txt"
    ):
        load_checkpoint(final)
    command = (tmp_path / "exp" / "command.txt").read_text().splitlines()[-1]
    assert command.startswith("steps/train.py")
    assert train.main(command.split()[1:]) == 0  # the advice works
    assert load_checkpoint(final)["averaged_epochs"] == [1, 2]


def test_the_lock_is_released_after_a_failed_run(argv, tmp_path, monkeypatch):
    def fails(*args):
        raise KaldinnError("simulated failure")

    monkeypatch.setattr(train, "train_rank", fails)
    assert run_main(train.main, argv) == 1
    assert (tmp_path / "exp" / LOCK_NAME).read_text() == "" and HELD_ENV not in os.environ
    monkeypatch.undo()
    assert train.main(argv) == 0
