"""In-memory synthetic batches for trainer tests: random tensors with a learnable label."""

from __future__ import annotations

import torch

from kaldinn.train.batch import Batch


class SyntheticBatches:
    """Utterances whose class is the sign pattern of their mean feature; seeded order per epoch.

    ``fail_at`` raises RuntimeError when that many batches have been drawn in total
    (simulates a job killed mid-epoch).
    """

    def __init__(self, num_utts=24, batch_size=4, dim=5, num_classes=3, seed=0, shuffle=True, fail_at=None):
        gen = torch.Generator().manual_seed(seed)
        self.lens = torch.randint(4, 13, (num_utts,), generator=gen)
        self.targets = torch.randint(0, num_classes, (num_utts,), generator=gen)
        self.feats = torch.randn(num_utts, 12, dim, generator=gen) * 0.5
        self.feats[:, :, 0] += self.targets[:, None].float()  # make the class learnable
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle
        self.epoch, self.fail_at, self.drawn = 0, fail_at, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return -(-len(self.lens) // self.batch_size)

    def __iter__(self):
        order = torch.arange(len(self.lens))
        if self.shuffle:
            order = torch.randperm(
                len(self.lens), generator=torch.Generator().manual_seed(self.seed + self.epoch)
            )
        for start in range(0, len(order), self.batch_size):
            if self.fail_at is not None and self.drawn == self.fail_at:
                raise RuntimeError("simulated kill")
            self.drawn += 1
            idx = order[start : start + self.batch_size]
            lens = self.lens[idx]
            feats = self.feats[idx, : int(lens.max())].clone()
            feats[torch.arange(feats.size(1))[None, :] >= lens[:, None]] = 0.0
            yield Batch(feats, lens, self.targets[idx], None, [f"utt{int(i):03d}" for i in idx])
