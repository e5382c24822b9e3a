"""Saliency maps: the input's shape, zero on padding, and guided backpropagation / deconvnet
differing from the vanilla gradient only by the ReLU backward rule (hand-computed on a tiny net)."""

import numpy as np
import pytest
import torch
from torch import nn

from kaldinn.errors import KaldinnError
from kaldinn.models import build_model
from kaldinn.models.registry import ModelOutput
from kaldinn.models.saliency import event_log_odds, input_saliency, relu_rule


class TinyNet(nn.Module):
    """Flattened (T * D) input -> affine -> ReLU -> affine -> ReLU -> affine (2 logits)."""

    def __init__(self, inputs: int, hidden: int = 7, functional: bool = False):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = (
            nn.Linear(inputs, hidden),
            nn.Linear(hidden, hidden),
            nn.Linear(hidden, 2),
        )
        # functional: torch.relu calls instead of nn.ReLU modules (what guided must refuse)
        self.act1, self.act2 = (torch.relu, torch.relu) if functional else (nn.ReLU(), nn.ReLU())

    def forward(self, feats, feat_lens):
        h = self.act1(self.fc1(feats.flatten(1)))
        return ModelOutput(self.fc3(self.act2(self.fc2(h))))


def hand_gradients(net: TinyNet, x: np.ndarray) -> dict[str, np.ndarray]:
    """d(logit1 - logit0)/dx under each backward rule, in float64 numpy."""
    w1, b1, w2, b2, w3 = (p.detach().double().numpy() for p in (net.fc1.weight, net.fc1.bias, net.fc2.weight,
                                                                net.fc2.bias, net.fc3.weight))  # fmt: skip
    z1 = w1 @ x + b1
    z2 = w2 @ np.maximum(z1, 0) + b2
    top = w3[1] - w3[0]  # d log-odds / d a2
    rules = {
        "vanilla": lambda g, z: g * (z > 0),
        "guided": lambda g, z: np.maximum(g, 0) * (z > 0),
        "deconvnet": lambda g, z: np.maximum(g, 0),
    }
    return {name: w1.T @ rule(w2.T @ rule(top, z2), z1) for name, rule in rules.items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_method_is_the_gradient_with_its_relu_rule(seed):
    torch.manual_seed(seed)
    net = TinyNet(inputs=3 * 4)
    feats = torch.randn(1, 3, 4)
    expected = hand_gradients(net, feats.flatten().double().numpy())
    for method, grad in expected.items():
        got, p = input_saliency(net, feats, torch.tensor([3]), event_index=1, method=method)
        np.testing.assert_allclose(got.flatten().numpy(), grad, rtol=1e-4, atol=1e-6)
        logits = net(feats, None).logits
        torch.testing.assert_close(p, torch.softmax(logits, 1)[:, 1].detach())
    assert not np.allclose(expected["vanilla"], expected["guided"])  # the rule matters on this net


def test_hooks_are_removed_after_the_block():
    torch.manual_seed(0)
    net = TinyNet(inputs=6)
    feats = torch.randn(1, 2, 3)
    vanilla, _ = input_saliency(net, feats, torch.tensor([2]), 1, "vanilla")
    input_saliency(net, feats, torch.tensor([2]), 1, "guided")
    again, _ = input_saliency(net, feats, torch.tensor([2]), 1, "vanilla")
    torch.testing.assert_close(again, vanilla)
    assert all(not m._forward_hooks for m in net.modules())


def test_functional_relu_is_refused_for_guided_but_vanilla_works():
    net = TinyNet(inputs=6, functional=True)
    feats = torch.randn(1, 2, 3)
    input_saliency(net, feats, torch.tensor([2]), 1, "vanilla")
    with pytest.raises(KaldinnError, match="no nn.ReLU modules.*--method vanilla"):
        input_saliency(net, feats, torch.tensor([2]), 1, "guided")
    with pytest.raises(KaldinnError, match="unknown saliency method"):
        with relu_rule(net, "smoothgrad"):
            pass


@pytest.mark.parametrize("name", ["cnn", "resnet", "densenet"])
def test_maps_have_the_input_shape_and_are_zero_on_padding(name):
    torch.manual_seed(0)
    model = build_model(name, {}, input_dim=10, num_classes=2).train()
    feats, lens = torch.randn(2, 40, 10), torch.tensor([40, 33])
    for method in ("vanilla", "guided"):
        maps, p = input_saliency(model, feats, lens, event_index=1, method=method)
        assert maps.shape == feats.shape and p.shape == (2,)
        assert torch.all(maps[1, 33:] == 0) and torch.any(maps[1, :33] != 0)
    assert model.training  # the caller's mode is restored
    model.eval()
    x = feats[1:2, :33].clone().requires_grad_(True)  # vanilla == autograd of the clip alone
    event_log_odds(model(x, lens[1:2]).logits, 1).sum().backward()
    maps, _ = input_saliency(model, feats, lens, 1, "vanilla")
    torch.testing.assert_close(maps[1, :33], x.grad[0], atol=1e-5, rtol=1e-4)


def test_log_odds_of_one_class_against_the_rest():
    logits = torch.tensor([[0.5, 2.0, -1.0]])
    expected = 2.0 - torch.logsumexp(torch.tensor([0.5, -1.0]), 0)
    torch.testing.assert_close(event_log_odds(logits, 1), expected[None])
    with pytest.raises(KaldinnError, match="outside"):
        event_log_odds(logits, 3)
