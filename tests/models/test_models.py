"""Model families: output shapes, padding invariance, pooling and splicing behaviour."""

import pytest
import torch

from kaldinn.errors import ConfigError
from kaldinn.models import MODELS, build_model, build_pooling, enable_gradient_checkpointing
from kaldinn.models.mlp import splice
from kaldinn.models.rnn import RecurrentStack

SMALL = {
    "mlp": {"hidden_dims": [16, 16], "dropout": 0.0},
    "rnn_classifier": {"hidden_size": 8, "bidirectional": True, "pooling": "attention", "dropout": 0.0},
    "rnn_frame_classifier": {"hidden_size": 8, "cell": "gru", "dropout": 0.0},
    "hgru_lid": {"segment_frames": 4, "frame_hidden": 8, "segment_hidden": 8, "dropout": 0.0},
}


def test_rnn_family_is_registered():
    # Other families (x-vector, ECAPA, CTC encoders) are covered by their own test files.
    assert set(SMALL) <= set(MODELS.names())


@pytest.mark.parametrize("name", sorted(SMALL))
def test_output_is_independent_of_padding_and_batch_mates(name):
    torch.manual_seed(0)
    model = build_model(name, SMALL[name], input_dim=3, num_classes=4).eval()
    short = torch.randn(1, 7, 3)
    alone = model(short, torch.tensor([7]))
    padded = torch.cat([short, torch.randn(1, 6, 3)], dim=1)  # garbage beyond the length
    batch = torch.cat([padded, torch.randn(1, 13, 3)])
    together = model(batch, torch.tensor([7, 13]))
    if alone.lens is None:
        assert together.logits.shape == (2, 4)
        torch.testing.assert_close(together.logits[0], alone.logits[0], atol=1e-5, rtol=1e-5)
    else:
        assert together.logits.shape == (2, 13, 4)
        assert together.lens.tolist() == [7, 13]
        torch.testing.assert_close(together.logits[0, :7], alone.logits[0], atol=1e-5, rtol=1e-5)


def test_frame_stacking_subsamples_lengths():
    model = build_model(
        "rnn_frame_classifier", {"hidden_size": 4, "subsample": 3}, input_dim=2, num_classes=5
    )
    out = model(torch.randn(2, 10, 2), torch.tensor([10, 6]))
    assert out.logits.shape == (2, 4, 5) and out.lens.tolist() == [4, 2]


def test_attention_weights_sum_to_one_and_ignore_padding():
    model = build_model("hgru_lid", SMALL["hgru_lid"], input_dim=3, num_classes=2)
    model(torch.randn(2, 20, 3), torch.tensor([20, 9]))
    weights = model.attention_weights()
    assert weights.shape == (2, 5)  # 20 frames / 4 per segment
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    assert torch.all(weights[1, 3:] == 0)  # 9 frames -> 3 segments


def test_mean_std_pooling_matches_direct_computation():
    pool = build_pooling("mean_std", input_dim=2, bidirectional=False)
    x = torch.randn(2, 6, 2)
    out = pool(x, torch.tensor([6, 4]))
    expected = torch.cat([x[1, :4].mean(0), x[1, :4].std(0, unbiased=False)])
    torch.testing.assert_close(out[1], expected, atol=1e-4, rtol=1e-4)


def test_last_state_pooling_matches_final_hidden_states():
    torch.manual_seed(0)
    rnn = RecurrentStack(3, hidden_size=4, num_layers=1, cell="gru", bidirectional=True)
    x, lens = torch.randn(2, 6, 3), torch.tensor([6, 3])
    pooled = build_pooling("last", 8, bidirectional=True)(rnn(x, lens), lens)
    _, h_n = rnn.layers[0](x[1:, :3])  # the short utterance alone, unpadded
    torch.testing.assert_close(pooled[1], torch.cat([h_n[0, 0], h_n[1, 0]]), atol=1e-5, rtol=1e-5)


def test_splice_repeats_edge_frames_within_each_length():
    feats = torch.arange(5.0).reshape(1, 5, 1)
    out = splice(feats, torch.tensor([3]), left=1, right=1)
    assert out[0, :3].tolist() == [[0, 0, 1], [0, 1, 2], [1, 2, 2]]


def test_gradient_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    model = build_model("rnn_classifier", SMALL["rnn_classifier"], input_dim=3, num_classes=2)
    x, lens = torch.randn(2, 5, 3), torch.tensor([5, 3])
    model(x, lens).logits.sum().backward()
    plain = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    assert enable_gradient_checkpointing(model) == 1
    model(x, lens).logits.sum().backward()
    for a, p in zip(plain, model.parameters(), strict=True):
        torch.testing.assert_close(a, p.grad)


def test_bad_model_arguments_list_the_valid_keys():
    with pytest.raises(ConfigError, match="valid keys: .*hidden_size"):
        build_model("rnn_classifier", {"hiden_size": 3}, input_dim=3, num_classes=2)
    with pytest.raises(ConfigError, match="valid choices: rnn, lstm, gru"):
        build_model("rnn_classifier", {"cell": "transformer"}, input_dim=3, num_classes=2)
    with pytest.raises(ConfigError, match="valid choices: .*attention"):
        build_model("rnn_classifier", {"pooling": "max"}, input_dim=3, num_classes=2)
