"""cnn / resnet / densenet clip classifiers: shapes, padding never changes a clip's output,
dense-block growth, clear errors, and a tiny net learns a tiny detection set."""

import pytest
import torch

from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.models import build_model
from kaldinn.models.detection import DenseNet

SMALL = {
    "cnn": {"channels": [4, 8], "convs_per_stage": 2},
    "resnet": {"stem_channels": 4, "channels": [4, 8], "blocks_per_stage": 2},
    "densenet": {"growth_rate": 4, "block_layers": [2, 2], "stem_channels": 6, "stem_pool": 1},
    "densenet_bottleneck": {"growth_rate": 4, "block_layers": [2, 3], "bottleneck": True, "pooling": "max"},
}


def build(key: str, input_dim: int = 12, num_classes: int = 2):
    torch.manual_seed(0)
    return build_model(key.split("_")[0], SMALL[key], input_dim=input_dim, num_classes=num_classes)


@pytest.mark.parametrize("key", SMALL)
def test_padding_never_changes_a_clips_logits(key):
    model = build(key).eval()
    feats = torch.randn(3, 41, 12)
    lens = torch.tensor([41, 29, 16])
    batch = model(feats, lens).logits
    assert batch.shape == (3, 2)
    for row in range(3):
        alone = model(feats[row : row + 1, : lens[row]], lens[row : row + 1]).logits
        torch.testing.assert_close(batch[row], alone[0], atol=1e-5, rtol=1e-5)
    garbage = feats.clone()
    garbage[1, 29:] = 1e3  # whatever lies in the padding is ignored
    torch.testing.assert_close(model(garbage, lens).logits, batch, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("key", SMALL)
def test_multi_class_output_and_pooled_embedding(key):
    out = build(key, input_dim=7, num_classes=5).eval()(torch.randn(2, 32, 7), torch.tensor([32, 20]))
    assert out.logits.shape == (2, 5) and out.lens is None and out.embedding.shape[0] == 2


def test_dense_blocks_grow_by_the_growth_rate_and_transitions_compress():
    model = DenseNet(input_dim=16, num_classes=2, growth_rate=5, block_layers=[3, 2], stem_channels=8,
                     stem_pool=0, compression=0.5)  # fmt: skip
    assert model.blocks[0].out_channels == 8 + 3 * 5
    assert model.transitions[0].conv.out_channels == (8 + 15) // 2
    assert model.blocks[1].out_channels == 11 + 2 * 5
    assert model.min_frames == 2


def test_too_short_clip_and_bad_arguments_are_clear_errors():
    model = build("densenet").eval()  # one stem pool + one transition: 4 frames at least
    with pytest.raises(KaldinnError, match="shorter than the 4 frames.*data.min_frames"):
        model(torch.randn(1, 3, 12), torch.tensor([3]))
    with pytest.raises(ConfigError, match="growth_rate must be > 0"):
        build_model("densenet", {"growth_rate": 0}, input_dim=12, num_classes=2)
    with pytest.raises(ConfigError, match="global_pool"):
        build_model("cnn", {"global_pool": "median"}, input_dim=12, num_classes=2)
    with pytest.raises(ConfigError, match="compression"):
        build_model("densenet", {"compression": 1.5}, input_dim=12, num_classes=2)


def test_models_use_relu_modules_only():
    for key in SMALL:
        relus = [m for m in build(key).modules() if isinstance(m, torch.nn.ReLU)]
        assert relus and not any(r.inplace for r in relus)


def test_a_tiny_densenet_learns_a_tiny_detection_set():
    torch.manual_seed(0)
    feats = torch.randn(32, 24, 12)
    labels = torch.arange(32) % 2
    for i in range(0, 32, 2):  # positives: a bright patch at a varying place
        t, f = 3 + (i * 5) % 14, 1 + (i * 3) % 7
        feats[i + 1, t : t + 5, f : f + 4] += 3.0
    lens = torch.full((32,), 24)
    model = build("densenet")
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(40):
        loss = torch.nn.functional.cross_entropy(model(feats, lens).logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    assert (model(feats, lens).logits.argmax(1) == labels).float().mean() == 1.0
