"""steps/train.py with data.augment: training examples from augmented audio, validation on feats.scp."""

import json

import yaml

from kaldinn.steps import train
from tests.data.audio_dir_factory import make_audio_dir, make_noise_tree

CONFIG = """\
model: rnn_classifier
model_args: {cell: gru, hidden_size: 8, num_layers: 1, dropout: 0.0}
optim_args: {lr: 0.01}
train: {epochs: 2, seed: 3, average_last: 1}
data:
  labels: utt2lang
  cmvn: utterance
  vad: true
  max_frames: 40
  batch_size: 4
  spec_augment: true
  augment:
    feat_conf: conf/fbank.conf
    musan: corpus/musan            # relative to the recipe dir, the working directory of train.py
    rirs: corpus/RIRS_NOISES
    prob: 0.8
    kinds: {reverb: 1, noise: 1, music: 1, babble: 1}
"""


def test_a_tiny_training_run_with_augmentation(tmp_path, monkeypatch, capsys):
    make_audio_dir(tmp_path, "data/train", speakers=4, seed=1)
    make_audio_dir(tmp_path, "data/dev", speakers=2, seed=2)
    make_noise_tree(tmp_path / "corpus")
    (tmp_path / "conf" / "train.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    argv = ["--config", "conf/train.yaml", "--set", "data.num_workers=1", "data/train", "data/dev", "exp/aug"]
    assert train.main(argv) == 0
    exp = tmp_path / "exp" / "aug"
    saved = yaml.safe_load((exp / "config.yaml").read_text())
    assert saved["data"]["augment"]["musan"] == "corpus/musan" and saved["data"]["augment"]["prob"] == 0.8
    rows = [json.loads(line) for line in (exp / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2] and (exp / "final.pt").is_file()
    err = capsys.readouterr().err
    assert "training features from audio with conf/fbank.conf; augmented: reverb 20%" in err
    assert "MUSAN speech 8" in err and "RIRs mediumroom 4" in err
