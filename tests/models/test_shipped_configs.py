"""Every shipped training config (egs/*/*/conf/*.yaml and conf/large/*.yaml with a `model:` key)
builds on CPU."""

from pathlib import Path

import pytest
import torch
import yaml

from kaldinn.losses import LOSSES
from kaldinn.models import build_model
from kaldinn.train.config import load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    path
    for pattern in ("egs/*/*/conf/*.yaml", "egs/*/*/conf/large/*.yaml")
    for path in ROOT.glob(pattern)
    if isinstance(data := yaml.safe_load(path.read_text()), dict) and "model" in data
)


def test_the_synthetic_recipe_ships_its_three_configs():
    names = {p.name for p in CONFIGS if p.parts[-4:-2] == ("synth", "s5")}
    assert {"lid_hgru.yaml", "phone_lstm.yaml", "word_gru.yaml"} <= names


def test_the_synthetic_recipe_ships_the_three_event_detection_configs():
    names = {p.name for p in CONFIGS if p.parts[-4:-2] == ("synth", "s5")}
    assert {"events_cnn.yaml", "events_resnet.yaml", "events_densenet.yaml"} <= names


def test_the_large_event_densenet_has_the_references_depth_and_size():
    cfg = load_config(ROOT / "egs" / "synth" / "s5" / "conf" / "large" / "events_densenet.yaml")
    model = build_model(cfg.model, cfg.model_args, input_dim=80, num_classes=2)
    weight_layers = sum(isinstance(m, torch.nn.Conv2d | torch.nn.Linear) for m in model.modules())
    params = sum(p.numel() for p in model.parameters())
    assert weight_layers == 74 and 300_000 < params < 360_000  # reference: 74 layers, 328K


def test_the_synthetic_recipe_has_a_large_config_for_each_small_one():
    synth = ROOT / "egs" / "synth" / "s5" / "conf"
    small = {p.name for p in CONFIGS if p.parent == synth}
    assert small and small == {p.name for p in CONFIGS if p.parent == synth / "large"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_builds_its_model_and_loss(path):
    cfg = load_config(path)
    model = build_model(cfg.model, cfg.model_args, input_dim=13, num_classes=7).eval()
    LOSSES.build(cfg.loss, cfg.loss_args)
    out = model(torch.randn(2, 120, 13), torch.tensor([120, 64]))
    assert out.logits.shape[0] == 2 and out.logits.shape[-1] == 7
