"""data.augment in training configs: nested keys checked, overrides, null, round trip."""

import pytest
import yaml

from kaldinn.augment.config import AugmentConfig
from kaldinn.errors import ConfigError
from kaldinn.train.config import dump_config, load_config

YAML = """\
model: rnn_classifier
data:
  augment:
    feat_conf: conf/fbank.conf
    musan: corpus/musan
    rirs: corpus/RIRS_NOISES
    kinds: {reverb: 1, noise: 2}
"""


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(YAML)
    return path


def test_the_section_is_read_with_defaults_and_overrides(conf):
    cfg = load_config(conf, ["data.augment.prob=0.25", "data.augment.noise_snr=[5, 10]"])
    augment = cfg.data.augment
    assert isinstance(augment, AugmentConfig)
    assert (augment.prob, augment.noise_snr, augment.music_snr) == (0.25, (5.0, 10.0), (5.0, 15.0))
    assert augment.kind_weights() == pytest.approx({"reverb": 1 / 3, "noise": 2 / 3})
    assert load_config(conf, ["data.augment=null"]).data.augment is None
    assert load_config(None, ["model=rnn_classifier"]).data.augment is None


def test_the_resolved_config_round_trips(conf, tmp_path):
    cfg = load_config(conf)
    saved = tmp_path / "saved.yaml"
    saved.write_text(dump_config(cfg))
    assert yaml.safe_load(saved.read_text())["data"]["augment"]["rir_sets"] == ["smallroom", "mediumroom"]
    assert load_config(saved) == cfg


@pytest.mark.parametrize(
    "override, message",
    [
        ("data.augment.snr=3", "augment: unknown key 'snr'; valid keys: feat_conf, feat_type, musan"),
        ("data.augment.prob=often", "augment: 'prob': expected float"),
        ("data.augment.feat_type=plp", "invalid value 'plp'; valid choices: fbank, mfcc"),
        ("data.augment.kinds={reverb: 1, echo: 1}", "unknown kind 'echo'"),
        ("data.augment.rirs=''", "data.augment.rirs .* is required with kinds.reverb > 0"),
        ("data.augment=[1, 2]", "augment: expected a mapping"),
    ],
)
def test_mistakes_are_errors_that_name_the_key(conf, override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(conf, [override])
