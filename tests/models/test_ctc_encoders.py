"""CTC encoders: exact subsampled lengths, padding invariance, registry and config use."""

import pytest
import torch

from kaldinn.errors import ConfigError
from kaldinn.models import MODELS, build_model
from kaldinn.models.subsampling import ConvSubsampling, subsampled_lengths

DIM, CLASSES = 9, 6
SMALL = {
    "ctc_rnn": {"hidden_size": 12, "num_layers": 1, "conv_channels": 4},
    "ctc_conformer": {"d_model": 16, "num_heads": 2, "num_layers": 2, "conv_kernel": 5, "conv_channels": 4},
}
VARIANTS = [
    ("ctc_rnn", {"subsample": 1, "cell": "gru"}),
    ("ctc_rnn", {"subsample": 2}),
    ("ctc_rnn", {"subsample": 4, "cell": "lstm"}),
    ("ctc_conformer", {"subsample": 4}),
    ("ctc_conformer", {"subsample": 2, "positions": "sinusoidal"}),
    ("ctc_conformer", {"subsample": 4, "block": "transformer"}),
]


def make(name: str, args: dict) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(name, {**SMALL[name], **args}, DIM, CLASSES).eval()


def test_both_encoders_are_registered():
    assert {"ctc_rnn", "ctc_conformer"} <= set(MODELS.names())


@pytest.mark.parametrize("factor", [1, 2, 4])
def test_subsampling_lengths_are_exact_for_every_input_length(factor):
    sub = ConvSubsampling(DIM, 8, factor, channels=2).eval()
    lens = torch.arange(1, 42)
    out, out_lens = sub(torch.randn(len(lens), 41, DIM), lens)
    expected = torch.tensor([-(-n // factor) for n in range(1, 42)])
    assert torch.equal(out_lens, expected)
    assert torch.equal(subsampled_lengths(lens, factor), expected)
    assert out.shape == (len(lens), -(-41 // factor), 8)


@pytest.mark.parametrize(("name", "args"), VARIANTS, ids=lambda v: str(v))
def test_output_lengths_match_the_logits_and_padding_does_not_change_them(name, args):
    model = make(name, args)
    factor = args["subsample"]
    lens = [37, 1, 20, 4, 23]
    feats = torch.randn(len(lens), 50, DIM)
    with torch.inference_mode():
        out = model(feats, torch.tensor(lens))
        assert out.lens.tolist() == [-(-n // factor) for n in lens]
        assert out.logits.shape == (len(lens), -(-50 // factor), CLASSES)
        for i, n in enumerate(lens):  # alone and unpadded, each utterance gives the same frames
            alone = model(feats[i : i + 1, :n], torch.tensor([n]))
            k = int(out.lens[i])
            assert alone.logits.shape[1] == k
            assert torch.allclose(alone.logits[0], out.logits[i, :k], atol=1e-4)


def test_garbage_in_the_padding_does_not_leak_into_valid_frames():
    model = make("ctc_conformer", {"subsample": 4})
    feats = torch.randn(2, 40, DIM)
    noisy = feats.clone()
    noisy[1, 17:] = 1e3
    lens = torch.tensor([40, 17])
    with torch.inference_mode():
        a, b = model(feats, lens), model(noisy, lens)
    assert torch.allclose(a.logits[1, :5], b.logits[1, :5], atol=1e-4)


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="subsample must be one of 1, 2, 4"):
        build_model("ctc_rnn", {"subsample": 3}, DIM, CLASSES)
    with pytest.raises(ConfigError, match="multiple of num_heads"):
        build_model("ctc_conformer", {"d_model": 10, "num_heads": 4}, DIM, CLASSES)
    with pytest.raises(ConfigError, match="conv_kernel must be odd"):
        build_model("ctc_conformer", {"d_model": 16, "conv_kernel": 4}, DIM, CLASSES)


def test_one_training_step_lowers_the_ctc_loss():
    from kaldinn.losses import LOSSES
    from kaldinn.train.batch import Batch

    model = make("ctc_conformer", {"subsample": 2, "positions": "relative"}).train()
    model.apply(lambda m: setattr(m, "p", 0.0) if isinstance(m, torch.nn.Dropout) else None)
    torch.manual_seed(1)
    batch = Batch(
        torch.randn(3, 30, DIM), torch.tensor([30, 24, 18]), torch.tensor([[1, 2, 3], [4, 5, 0], [2, 2, 0]]),
        torch.tensor([3, 2, 2]), ["a", "b", "c"],
    )  # fmt: skip
    loss = LOSSES.build("ctc", {})
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = loss(model(batch.feats, batch.feat_lens), batch).loss
    first.backward()
    opt.step()
    assert loss(model(batch.feats, batch.feat_lens), batch).loss.item() < first.item()
