"""x-vector TDNN, ECAPA-TDNN and the epsilon-gradient ReLU."""

from pathlib import Path

import pytest
import torch

from kaldinn.errors import ConfigError
from kaldinn.losses import LOSSES
from kaldinn.models import MODELS, build_model, enable_gradient_checkpointing
from kaldinn.models.activations import EpsGradReLU, make_relu
from kaldinn.train.batch import Batch
from kaldinn.train.config import load_config

CONF = Path(__file__).resolve().parents[2] / "egs" / "synth" / "s5" / "conf"
SMALL_XVECTOR = {
    "frame_dims": [16, 16, 32],
    "kernel_sizes": [5, 3, 1],
    "dilations": [1, 2, 1],
    "segment_dims": [24, 16],
}
SMALL_ECAPA = {"channels": 16, "mfa_dim": 32, "se_dim": 8, "attention_dim": 8, "embedding_dim": 12}


def test_eps_relu_forward_is_relu_and_backward_revives_dead_units():
    x = torch.tensor([-2.0, -0.5, 0.0, 1.5], requires_grad=True)
    y = EpsGradReLU(0.01)(x)
    assert torch.equal(y, torch.relu(x.detach()))
    y.sum().backward()
    assert torch.allclose(x.grad, torch.tensor([0.01, 0.01, 0.01, 1.01]))
    assert isinstance(make_relu(0.0), torch.nn.ReLU)
    with pytest.raises(ConfigError, match="leaky_grad_eps"):
        EpsGradReLU(-1.0)


@pytest.mark.parametrize(
    ("name", "args", "emb_dim"), [("xvector_tdnn", SMALL_XVECTOR, 24), ("ecapa_tdnn", SMALL_ECAPA, 12)]
)
def test_extractors_give_logits_and_embeddings_for_any_length(name, args, emb_dim):
    assert name in MODELS
    model = build_model(name, args, input_dim=10, num_classes=7).eval()
    out = model(torch.randn(3, 40, 10), torch.tensor([40, 25, 3]))
    assert out.logits.shape == (3, 7) and out.embedding.shape == (3, emb_dim) and out.lens is None
    assert torch.isfinite(out.embedding).all()
    single = model(torch.randn(1, 2, 10), torch.tensor([2]))  # shorter than the TDNN context
    assert single.embedding.shape == (1, emb_dim)


def test_xvector_embedding_before_the_first_segment_layer_is_the_pooled_stats():
    model = build_model("xvector_tdnn", {**SMALL_XVECTOR, "embedding": "pooling"}, 10, 4).eval()
    assert model(torch.randn(2, 30, 10), torch.tensor([30, 30])).embedding.shape == (2, 64)  # 2 x 32


def test_xvector_rejects_mismatched_layer_lists():
    with pytest.raises(ConfigError, match="same non-zero length"):
        build_model("xvector_tdnn", {**SMALL_XVECTOR, "dilations": [1, 2]}, 10, 4)
    with pytest.raises(ConfigError, match="odd"):
        build_model("xvector_tdnn", {**SMALL_XVECTOR, "kernel_sizes": [4, 3, 1]}, 10, 4)


@pytest.mark.parametrize(("name", "args"), [("xvector_tdnn", SMALL_XVECTOR), ("ecapa_tdnn", SMALL_ECAPA)])
def test_gradient_checkpointing_gives_the_same_gradients(name, args):
    feats, lens = torch.randn(4, 30, 10), torch.tensor([30, 30, 20, 30])
    grads = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model = build_model(name, args, 10, 3).train()
        if checkpointing:
            assert enable_gradient_checkpointing(model) >= 1
        model(feats.requires_grad_(), lens).embedding.pow(2).sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]))
    assert torch.allclose(grads[0], grads[1], atol=1e-5)


@pytest.mark.parametrize("config", sorted(CONF.glob("xvector_*.yaml")), ids=lambda p: p.name)
def test_shipped_sv_configs_build_and_one_step_lowers_the_loss(config):
    cfg = load_config(config)
    torch.manual_seed(0)
    model = build_model(cfg.model, cfg.model_args, input_dim=20, num_classes=4)
    task = LOSSES.build(cfg.loss, cfg.loss_args)
    spk = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    feats = torch.randn(8, 60, 20) + spk[:, None, None].float()
    batch = Batch(feats, torch.full((8,), 60), spk)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):
        loss = task(model(batch.feats, batch.feat_lens), batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
