"""All-pairs verification loss under data-parallel training (SV.md §5).

A verification loss scores every pair of the *global* batch, but each rank holds only
the embeddings of its slice. The scheme: gather all embeddings E (N, D) (no gradient),
compute the loss C(E) and G = dC/dE once on every rank (identical everywhere), take this
rank's rows g_r, and back-propagate the surrogate ``sum(g_r.detach() * e_r)`` through the
local network. DDP averages gradients over W ranks, so the surrogate is scaled by W: the
average is then sum_r g_r de_r/dtheta = dC/dtheta, the single-process gradient. The
loss's own parameters (score calibration) get their gradient from C directly, the same
on every rank.

Example::

    # inside a task's forward, when kaldinn.train.distributed.world_size() > 1:
    ver, total = all_pairs_loss(embedding, labels, lambda e, y: loss_fn(scorer(e), y))
    loss = lam * id_term + (1 - lam) * ver          # ver's value: C on the global batch
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from kaldinn.train.distributed import all_gather_rows, rank, world_size

PairLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor | None]


def all_pairs_loss(
    embedding: torch.Tensor, labels: torch.Tensor, loss_fn: PairLoss, include: bool = True
) -> tuple[torch.Tensor | None, int]:
    """The global-batch value of ``loss_fn(E, labels)`` with the surrogate gradient; and N.

    ``embedding`` (n_r, D) and ``labels`` (n_r,) are this rank's rows; ``include=False``
    (a padding batch) contributes no rows but stays in the autograd graph, as DDP needs.
    Returns (None, N) when ``loss_fn`` returns None (no target or no non-target trial).
    Without gradient mode (validation) only the global value is computed.
    """
    local = embedding if include else embedding[:0]
    gathered, sizes = all_gather_rows(local)
    all_labels, _ = all_gather_rows(labels if include else labels[:0])
    total = sum(sizes)
    if not torch.is_grad_enabled():
        return loss_fn(gathered, all_labels), total
    leaf = gathered.requires_grad_(True)
    loss = loss_fn(leaf, all_labels)
    if loss is None:
        return None, total
    (grad,) = torch.autograd.grad(loss, leaf, retain_graph=True)
    start = sum(sizes[: rank()])
    rows = grad[start : start + local.size(0)]  # (n_r, D) = dC/de_r
    surrogate = (rows.detach() * local).sum() * world_size() + (embedding * 0.0).sum()
    # value: C; gradient: C's for the loss parameters, W * g_r for this rank's embeddings
    return loss + (surrogate - surrogate.detach()), total


def scaled_local_mean(loss: torch.Tensor, count: int, total: int) -> torch.Tensor:
    """A rank's mean loss over its ``count`` items, scaled so DDP's average of gradients is
    the gradient of the mean over all ``total`` items of the global batch."""
    return loss * (world_size() * count / total)
