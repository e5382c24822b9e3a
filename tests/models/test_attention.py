"""The ``las`` attention model and the ``attention`` loss: shapes, padding, learning, config errors."""

import pytest
import torch

from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.losses import LOSSES
from kaldinn.models import build_model
from kaldinn.train.batch import Batch
from kaldinn.train.trainer import model_output

SMALL = {"hidden_size": 16, "num_layers": 2, "decoder_size": 16, "conv_channels": 2, "attention_dim": 8}


def fixed_batch(seed: int = 0) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(3, 48, 6, generator=gen)
    lens = torch.tensor([48, 37, 20])
    targets = torch.randint(1, 7, (3, 6), generator=gen)
    target_lens = torch.tensor([6, 4, 2])
    targets[2, 2:] = 0  # padding, as collate makes it
    targets[1, 4:] = 0
    return Batch(
        feats * (torch.arange(48)[None, :, None] < lens[:, None, None]),
        lens,
        targets,
        target_lens,
        ["a", "b", "c"],
    )


@pytest.mark.parametrize("reduction,subsample", [("conv", 4), ("conv", 1), ("pyramid", 2), ("pyramid", 4)])
def test_teacher_forcing_shapes_and_encoder_lengths(reduction, subsample):
    args = {**SMALL, "num_layers": 3, "reduction": reduction, "subsample": subsample, "ctc_branch": True}
    model = build_model("las", args, input_dim=6, num_classes=7).eval()
    batch = fixed_batch()
    with torch.no_grad():
        out = model(batch.feats, batch.feat_lens, batch.targets, batch.target_lens)
    assert out.logits.shape == (3, 7, 7)  # S + 1 steps
    assert out.lens.tolist() == [7, 5, 3]
    assert out.ctc_lens.tolist() == [-(-n // subsample) for n in (48, 37, 20)]
    assert out.ctc_logits.shape == (3, out.ctc_lens.max(), 7)
    weights = out.attention  # (B, S + 1, T'): rows sum to 1 over each utterance's own frames
    assert torch.allclose(weights.sum(2), torch.ones(3, 7), atol=1e-5)
    assert float(weights[2, :, int(out.ctc_lens[2]) :].abs().sum()) == 0.0


def test_an_utterance_decodes_the_same_alone_and_padded_in_a_batch():
    torch.manual_seed(0)
    model = build_model("las", SMALL, input_dim=6, num_classes=7).eval()
    batch = fixed_batch()
    out = model(batch.feats, batch.feat_lens, batch.targets, batch.target_lens)
    alone = model(batch.feats[2:, :20], batch.feat_lens[2:], batch.targets[2:, :2], batch.target_lens[2:])
    assert torch.allclose(out.logits[2, :3], alone.logits[0], atol=1e-5)


@pytest.mark.parametrize("args,loss_args", [
    ({}, {"label_smoothing": 0.1}),
    ({"ctc_branch": True, "reduction": "pyramid", "subsample": 2}, {"ctc_weight": 0.3}),
    ({"sampling_rate": 0.3, "attention": "content"}, {}),
])  # fmt: skip
def test_teacher_forced_loss_decreases_on_a_fixed_batch(args, loss_args):
    torch.manual_seed(0)
    model = build_model("las", {**SMALL, **args}, input_dim=6, num_classes=7)
    task = LOSSES.build("attention", loss_args)
    batch = fixed_batch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        result = task(model_output(model, model, batch), batch)  # the trainer's call
        opt.zero_grad()
        result.loss.backward()
        opt.step()
        losses.append(result.loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert 0.0 <= result.sums["acc"] <= 3.0 and result.weight == 3.0


def test_loss_is_the_weighted_sum_of_ctc_and_attention_terms():
    torch.manual_seed(0)
    model = build_model("las", {**SMALL, "ctc_branch": True}, input_dim=6, num_classes=7).eval()
    batch = fixed_batch()
    out = model(batch.feats, batch.feat_lens, batch.targets, batch.target_lens)
    result = LOSSES.build("attention", {"ctc_weight": 0.25})(out, batch)
    att, ctc = result.sums["att_loss"] / 3, result.sums["ctc_loss"] / 3
    assert result.loss.item() == pytest.approx(0.25 * ctc + 0.75 * att, rel=1e-5)
    # attention term by hand: -log p of y_1..y_S <eos> summed per utterance, averaged
    logp = out.logits.log_softmax(2)
    want = 0.0
    for b, n in enumerate(batch.target_lens.tolist()):
        seq = [*batch.targets[b, :n].tolist(), 0]
        want -= sum(logp[b, i, t].item() for i, t in enumerate(seq))
    assert att == pytest.approx(want / 3, rel=1e-5)


def test_mismatched_ctc_weight_and_branch_are_config_errors():
    batch = fixed_batch()
    plain = build_model("las", SMALL, input_dim=6, num_classes=7)
    with pytest.raises(ConfigError, match="ctc_branch: true"):
        LOSSES.build("attention", {"ctc_weight": 0.3})(model_output(plain, plain, batch), batch)
    joint = build_model("las", {**SMALL, "ctc_branch": True}, input_dim=6, num_classes=7)
    with pytest.raises(ConfigError, match="untrained"):
        LOSSES.build("attention", {})(model_output(joint, joint, batch), batch)
    with pytest.raises(ConfigError, match="pyramid"):
        build_model("las", {**SMALL, "reduction": "pyramid", "subsample": 4}, input_dim=6, num_classes=7)
    with pytest.raises(ConfigError, match="sampling_rate"):
        build_model("las", {**SMALL, "sampling_rate": 1.5}, input_dim=6, num_classes=7)
    with pytest.raises(KaldinnError, match="target_lens"):
        plain(batch.feats, batch.feat_lens, batch.targets, None)


def test_without_targets_the_decoder_runs_greedily_until_eos():
    torch.manual_seed(0)
    model = build_model("las", SMALL, input_dim=6, num_classes=7).eval()
    batch = fixed_batch()
    out = model(batch.feats, batch.feat_lens)
    assert out.logits.shape[0] == 3 and out.logits.shape[2] == 7
    for b, n in enumerate(out.lens.tolist()):
        best = out.logits[b, :n].argmax(1).tolist()
        assert 0 not in best[:-1]  # <eos> only at the end (or the step limit reached)
