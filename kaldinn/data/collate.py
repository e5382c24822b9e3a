"""Collate dataset examples into a padded :class:`~kaldinn.train.batch.Batch`.

feats (B, T, D) are zero beyond each utterance's length; feat_lens (B,) int64. Targets:
utterance class ids give (B,) int64; token or frame label vectors give (B, S) int64 padded
with 0 plus target_lens (B,). ``pack`` turns a batch into a PackedSequence for RNNs that
take one directly.

Example::

    batch = collate([dataset[i] for i in indices])
    packed = pack(batch)     # PackedSequence over the valid frames only
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from kaldinn.data.dataset import Example
from kaldinn.train.batch import Batch


def pad_matrices(mats: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack (T_i, D) float matrices into (B, max T, D) zero-padded, with lengths (B,)."""
    lens = torch.tensor([len(m) for m in mats], dtype=torch.int64)
    dim = mats[0].shape[1]
    out = torch.zeros(len(mats), int(lens.max()) if len(mats) else 0, dim, dtype=torch.float32)
    for i, mat in enumerate(mats):
        out[i, : len(mat)] = torch.from_numpy(np.ascontiguousarray(mat, dtype=np.float32))
    return out, lens


def pad_vectors(vecs: Sequence[np.ndarray], value: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack int vectors into (B, max S) int64 padded with ``value``, with lengths (B,)."""
    lens = torch.tensor([len(v) for v in vecs], dtype=torch.int64)
    out = torch.full((len(vecs), int(lens.max()) if len(vecs) else 0), value, dtype=torch.int64)
    for i, vec in enumerate(vecs):
        out[i, : len(vec)] = torch.from_numpy(np.asarray(vec, dtype=np.int64))
    return out, lens


def collate(examples: Sequence[Example]) -> Batch:
    """A padded Batch of ``examples`` (all with targets of one kind, or all without)."""
    if not examples:
        raise ValueError("cannot collate an empty batch")
    feats, feat_lens = pad_matrices([ex.feats for ex in examples])
    utt_ids = [ex.utt_id for ex in examples]
    first = examples[0].target
    if first is None:
        targets, target_lens = torch.zeros(len(examples), dtype=torch.int64), None
    elif isinstance(first, np.ndarray):
        targets, target_lens = pad_vectors([ex.target for ex in examples])
    else:
        targets, target_lens = torch.tensor([int(ex.target) for ex in examples], dtype=torch.int64), None
    return Batch(feats, feat_lens, targets, target_lens, utt_ids)


def pack(batch: Batch) -> PackedSequence:
    """The batch's features as a PackedSequence (batch_first input, any length order)."""
    return pack_padded_sequence(batch.feats, batch.feat_lens.cpu(), batch_first=True, enforce_sorted=False)
