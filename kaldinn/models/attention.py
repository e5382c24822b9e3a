"""``las``: a listen-attend-spell encoder-decoder with an optional joint CTC branch.

Listener: a BiLSTM stack over time-reduced features, either convolutional subsampling
(``reduction: conv``, x1/x2/x4, ``kaldinn.models.subsampling``) or a pyramid (``pyramid``:
pairs of frames concatenated after each of the first log2(subsample) BiLSTM layers, as in
Chan et al. 2016). Speller: ``kaldinn.models.attention_decoder`` (LSTM with location-aware
attention). Id 0 of the token table (the CTC ``<blk>``) is the decoder's ``<sos>``/``<eos>``,
so a model trains on the same ``labels.txt`` as a CTC model. With ``ctc_branch`` a linear
layer on the encoder gives CTC logits (class 0 blank) for joint CTC/attention training
(loss ``attention``) and joint decoding.

The forward pass needs the targets (the trainer passes them to models with
``takes_targets``): teacher forcing feeds ``<sos> y_1 .. y_S`` and returns logits for
``y_1 .. y_S <eos>``; in training mode each utterance's input at a step is, with probability
``sampling_rate``, the model's own previous best token instead (scheduled sampling).
Without targets the decoder runs greedily on its own outputs until every row has emitted
``<eos>`` (at most as many steps as encoder frames).

Example::

    model = build_model("las", {"hidden_size": 64, "ctc_branch": True}, input_dim=40, num_classes=30)
    out = model(feats, feat_lens, targets, target_lens)
    out.logits      # (B, S + 1, 30) teacher-forced decoder logits
    out.ctc_logits  # (B, T', 30), out.ctc_lens (B,)
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import nn

from kaldinn.errors import ConfigError, KaldinnError
from kaldinn.models.attention_decoder import SOS_EOS, AttentionDecoder, Memory
from kaldinn.models.registry import MODELS
from kaldinn.models.rnn import RecurrentStack, run_packed, stack_frames
from kaldinn.models.subsampling import ConvSubsampling


class AttentionOutput(NamedTuple):
    """logits (B, S, V) of the decoder steps, lens (B,) valid steps; CTC logits (B, T', V) and
    their lengths when the model has a CTC branch; attention (B, S, T') weights of each step."""

    logits: torch.Tensor
    lens: torch.Tensor
    embedding: None = None
    ctc_logits: torch.Tensor | None = None
    ctc_lens: torch.Tensor | None = None
    attention: torch.Tensor | None = None


class PyramidEncoder(nn.Module):
    """BiLSTM layers; after each of the first ``log2(subsample)`` layers, frame pairs are stacked."""

    def __init__(self, input_dim: int, hidden_size: int, num_layers: int, subsample: int, dropout: float):
        super().__init__()
        steps = subsample.bit_length() - 1
        if subsample < 1 or 2**steps != subsample or steps >= num_layers:
            raise ConfigError(
                f"model_args: a pyramid encoder needs subsample = 2^k with k < num_layers "
                f"({num_layers}), got subsample={subsample}"
            )
        self.steps, self.output_dim = steps, 2 * hidden_size
        dims = [input_dim] + [2 * hidden_size * (2 if i < steps else 1) for i in range(num_layers - 1)]
        self.layers = nn.ModuleList(
            nn.LSTM(d, hidden_size, batch_first=True, bidirectional=True) for d in dims
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, lens: torch.Tensor):
        for i, layer in enumerate(self.layers):
            x = run_packed(layer, self.dropout(x) if i else x, lens)  # (B, T_i, 2H)
            if i < self.steps:
                x, lens = stack_frames(x, lens, 2)  # (B, ceil(T_i / 2), 4H)
        return x, lens


@MODELS.register("las")
class ListenAttendSpell(nn.Module):
    """Time reduction -> BiLSTM listener -> attention LSTM speller (+ optional CTC layer)."""

    takes_targets = True

    def __init__(
        self,
        input_dim: int,
        num_classes: int,
        hidden_size: int = 256,
        num_layers: int = 3,
        reduction: Literal["conv", "pyramid"] = "conv",
        subsample: int = 4,
        conv_channels: int = 32,
        dropout: float = 0.1,
        decoder_size: int = 256,
        decoder_layers: int = 1,
        embed_dim: int = 64,
        attention_dim: int = 128,
        attention: Literal["location", "content"] = "location",
        location_channels: int = 10,
        location_kernel: int = 31,
        sampling_rate: float = 0.0,
        ctc_branch: bool = False,
    ):
        super().__init__()
        if not 0.0 <= sampling_rate <= 1.0:
            raise ConfigError(f"model_args: sampling_rate must be in [0, 1], got {sampling_rate}")
        self.subsample, self.sampling_rate = subsample, sampling_rate
        self.frontend = None
        if reduction == "conv":
            self.frontend = ConvSubsampling(input_dim, hidden_size, subsample, conv_channels)
            self.encoder = RecurrentStack(hidden_size, hidden_size, num_layers, "lstm", True, dropout)
        else:
            self.encoder = PyramidEncoder(input_dim, hidden_size, num_layers, subsample, dropout)
        enc_dim = self.encoder.output_dim
        self.dropout = nn.Dropout(dropout)
        self.decoder = AttentionDecoder(
            num_classes, enc_dim, decoder_size, decoder_layers, embed_dim, attention_dim,
            attention == "location", location_channels, location_kernel, dropout,
        )  # fmt: skip
        self.ctc = nn.Linear(enc_dim, num_classes) if ctc_branch else None

    def encode(self, feats: torch.Tensor, feat_lens: torch.Tensor):
        """Encoder states (B, T', E) and their lengths (B,)."""
        lens = feat_lens.to(feats.device)
        if self.frontend is not None:
            x, lens = self.frontend(feats, lens)  # (B, T', H)
            return self.dropout(self.encoder(x, lens)), lens
        x, lens = self.encoder(feats, lens)
        return self.dropout(x), lens

    def ctc_logits(self, enc: torch.Tensor) -> torch.Tensor | None:
        return None if self.ctc is None else self.ctc(enc)  # (B, T', V)

    def forward(
        self,
        feats: torch.Tensor,
        feat_lens: torch.Tensor,
        targets: torch.Tensor | None = None,
        target_lens: torch.Tensor | None = None,
    ) -> AttentionOutput:
        enc, enc_lens = self.encode(feats, feat_lens)
        memory = self.decoder.memory(enc, enc_lens)
        if targets is None:
            logits, lens, weights = self.free_run(memory, int(enc_lens.max()))
        else:
            if target_lens is None:
                raise KaldinnError("las: targets need target_lens (token sequences padded in a batch)")
            logits, weights = self.teacher_force(memory, targets.to(enc.device), target_lens.to(enc.device))
            lens = target_lens.to(enc.device) + 1
        return AttentionOutput(logits, lens, None, self.ctc_logits(enc), enc_lens, weights)

    def teacher_force(self, memory: Memory, targets: torch.Tensor, target_lens: torch.Tensor):
        """Decoder logits (B, S + 1, V) and attention (B, S + 1, T') for ``<sos> y_1 .. y_S``."""
        batch, steps = targets.shape
        inputs = torch.cat([targets.new_full((batch, 1), SOS_EOS), targets], dim=1)  # (B, S + 1)
        sample = self.training and self.sampling_rate > 0
        state = self.decoder.initial_state(memory)
        features, logits, weights = [], [], []
        for i in range(steps + 1):
            prev = inputs[:, i]
            if sample and i > 0:
                mine = logits[-1].detach().argmax(1)  # the model's own previous best token
                prev = torch.where(torch.rand(batch, device=prev.device) < self.sampling_rate, mine, prev)
            feat, state = self.decoder.recur(memory, state, prev)
            weights.append(state.alpha)
            if sample:
                logits.append(self.decoder.output(feat))
            else:
                features.append(feat)
        if not sample:  # one matrix product for all steps
            logits = list(self.decoder.output(torch.stack(features, 1)).unbind(1))
        return torch.stack(logits, 1), torch.stack(weights, 1)  # (B, S + 1, V), (B, S + 1, T')

    def free_run(self, memory: Memory, max_steps: int):
        """Greedy decoding on the model's own outputs: logits (B, S, V), steps until <eos> (B,)."""
        batch = memory.values.size(0)
        device = memory.values.device
        prev = torch.full((batch,), SOS_EOS, dtype=torch.long, device=device)
        lens = torch.full((batch,), max_steps, dtype=torch.long, device=device)
        state = self.decoder.initial_state(memory)
        logits, weights = [], []
        for i in range(max(max_steps, 1)):
            step_logits, state = self.decoder.step(memory, state, prev)
            logits.append(step_logits)
            weights.append(state.alpha)
            prev = step_logits.argmax(1)
            lens = torch.where((prev == SOS_EOS) & (lens == max_steps), i + 1, lens)
            if bool((lens < max_steps).all()):
                break
        return torch.stack(logits, 1), lens.clamp(max=len(logits)), torch.stack(weights, 1)
