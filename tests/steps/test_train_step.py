"""steps/train.py end to end on tiny generated data dirs: exp-dir layout, resume, errors."""

import json

import pytest
import torch
import yaml

from kaldinn.data.labels import load_label_map
from kaldinn.steps import train
from kaldinn.train import trainer
from kaldinn.train.checkpoint import load_checkpoint
from tests.data.feats_dir_factory import make_feats_dir

CONFIG = """\
model: rnn_classifier
model_args: {cell: gru, hidden_size: 8, num_layers: 1, dropout: 0.0}
optim_args: {lr: 0.01}
train: {epochs: 2, seed: 3, average_last: 2}
data: {labels: utt2lang, cmvn: speaker, vad: true, max_frames: 20, min_frames: 5, batch_size: 4,
       spec_augment: true}
"""


@pytest.fixture
def dirs(tmp_path):
    train_dir = make_feats_dir(tmp_path, "train", speakers=4, short=("spk1-utt02",), seed=1)
    valid_dir = make_feats_dir(tmp_path, "dev", speakers=2, seed=2)
    conf = tmp_path / "conf.yaml"
    conf.write_text(CONFIG)
    return conf, train_dir, valid_dir, tmp_path / "exp"


def test_trains_and_writes_the_experiment_dir(dirs, capsys):
    conf, train_dir, valid_dir, exp = dirs
    assert (
        train.main(
            ["--config", str(conf), "--set", "data.num_workers=1", str(train_dir), str(valid_dir), str(exp)]
        )
        == 0
    )
    for name in (
        "config.yaml",
        "command.txt",
        "labels.txt",
        "metrics.jsonl",
        "final.pt",
        "checkpoints/epoch-2.pt",
    ):
        assert (exp / name).is_file(), name
    saved = yaml.safe_load((exp / "config.yaml").read_text())
    assert saved["data"]["num_workers"] == 1 and "num_classes" not in saved["model_args"]
    assert "--set data.num_workers=1" in (exp / "command.txt").read_text()
    assert load_label_map(exp).labels == ["en", "fr"]
    rows = [json.loads(line) for line in (exp / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    final = load_checkpoint(exp / "final.pt")
    assert final["model_config"]["input_dim"] == 6 and final["model_config"]["num_classes"] == 2
    err = capsys.readouterr().err
    assert "skipped 1 of 16 utterances" in err and "spk1-utt02" in err


def test_resume_after_interruption_matches_an_uninterrupted_run(dirs, monkeypatch):
    conf, train_dir, valid_dir, exp = dirs
    argv = ["--config", str(conf), "--set", "train.save_every_steps=1", str(train_dir), str(valid_dir)]
    assert train.main([*argv, str(exp.with_name("whole"))]) == 0
    real_step, calls = trainer.train_step, []

    def killed_mid_epoch_2(setup, batch):
        calls.append(1)
        if len(calls) == 7:  # 4 batches per epoch: the 3rd of epoch 2
            raise KeyboardInterrupt
        return real_step(setup, batch)

    monkeypatch.setattr(trainer, "train_step", killed_mid_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        train.main([*argv, str(exp)])
    monkeypatch.setattr(trainer, "train_step", real_step)
    state = load_checkpoint(exp / "checkpoints" / "last.pt")["trainer_state"]
    assert (state["epoch"], state["batches_done"]) == (2, 2)
    assert train.main([*argv, str(exp)]) == 0
    whole, resumed = (load_checkpoint(d / "final.pt")["model_state"] for d in (exp.with_name("whole"), exp))
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)


def test_print_config_and_usage_errors(dirs, capsys):
    conf, train_dir, valid_dir, exp = dirs
    assert train.main(["--config", str(conf), "--print-config"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["data"]["labels"] == "utt2lang"
    from kaldinn.cli import run_main

    assert run_main(train.main, ["--config", str(conf), str(train_dir)]) == 2
    assert run_main(train.main, ["--config", str(conf), "--set", "data.bogus=1", "--print-config"]) == 1
    (valid_dir / "feats.scp").unlink()
    assert run_main(train.main, ["--config", str(conf), str(train_dir), str(valid_dir), str(exp)]) == 1
    assert "steps/make_feats.py" in capsys.readouterr().err


def test_frame_and_ctc_configs_train_from_ali_and_text(dirs):
    conf, train_dir, valid_dir, exp = dirs
    base = ["model=rnn_frame_classifier", "train.epochs=1", "train.average_last=1", "data.vad=false"]
    for loss, subsample in (("frame_cross_entropy", 1), ("ctc", 2)):
        argv = [f"loss={loss}", f"model_args.subsample={subsample}", "data.max_frames=0", "data.labels=auto"]
        sets = [arg for item in (*base, *argv) for arg in ("--set", item)]
        out = exp.with_name(loss)
        assert train.main(["--config", str(conf), *sets, str(train_dir), str(valid_dir), str(out)]) == 0
        labels = load_label_map(out).labels
        assert labels == (
            ["<eps>", "SIL", "A", "B"] if loss != "ctc" else ["<blk>", "<unk>", "one", "three", "two"]
        )
