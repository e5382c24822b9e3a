"""Training config: YAML + --set overrides, with errors that list the valid choices."""

import pytest

from kaldinn.errors import ConfigError
from kaldinn.train.config import dump_config, load_config

YAML = """
model: rnn_classifier
model_args: {hidden_size: 32, pooling: attention}
optim_args: {lr: 1e-3}
train: {epochs: 2}
"""


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "conf.yaml"
    path.write_text(YAML)
    return path


def test_yaml_values_overrides_and_defaults(conf):
    cfg = load_config(conf, ["train.epochs=5", "optim_args.lr=5e-4", "optim_args.betas=[0.8, 0.9]"])
    assert cfg.train.epochs == 5 and cfg.train.seed == 777
    assert cfg.optim_args == {"lr": 5e-4, "betas": (0.8, 0.9)}  # "5e-4" is a string in YAML 1.1
    assert cfg.model_args == {"hidden_size": 32, "pooling": "attention"}


def test_printed_config_loads_back_to_the_same_config(conf, tmp_path):
    cfg = load_config(conf, ["train.amp=bf16", "data.batch_size=8"])
    printed = tmp_path / "printed.yaml"
    printed.write_text(dump_config(cfg))
    assert load_config(printed) == cfg


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.epcohs=3", "unknown key 'epcohs'; valid keys: epochs, seed"),
        ("trian.epochs=3", "unknown key 'trian'; valid keys: model, model_args"),
        ("model_args.hiden_size=3", "unknown key 'hiden_size'; valid keys: cell, hidden_size"),
        ("model_args.input_dim=3", "'input_dim' is derived from the data"),
        ("train.epochs=many", "'epochs': expected int, got 'many'"),
        ("train.grad_checkpointing=1", "expected bool"),
        ("train.amp=fp8", "valid choices: none, bf16, fp16"),
        ("model=transformer", "unknown model 'transformer'; valid choices: .*hgru_lid, .*mlp, "),
        ("loss=hinge", "unknown loss 'hinge'; valid choices: .*cross_entropy, ctc, frame_cross_entropy"),
        ("optim=lion", "unknown optim 'lion'; valid choices: adam, adamw, sgd"),
        ("scheduler_args.patience=0.5", "'patience': expected int"),
        ("train.keep_checkpoints=2", "keep_checkpoints"),
        ("epochs", "expected key.path=value"),
    ],
)
def test_config_errors_name_the_key_and_the_valid_choices(conf, override, message):
    extra = ["train.average_last=3"] if "keep_checkpoints" in override else []
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(conf, [override, *extra])


def test_unknown_key_in_the_yaml_file_is_reported_with_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: mlp\ntrain: {epoch: 3}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: train: unknown key 'epoch'; valid keys: epochs"):
        load_config(path)
    path.write_text("model_args: {}\n")
    with pytest.raises(ConfigError, match="missing required key 'model'"):
        load_config(path)
    path.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(path)
