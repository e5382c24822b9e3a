"""Checkpoints: atomic saves that carry their config, safe loads, averaging.

A checkpoint is a dict of tensors and plain containers only, so it loads with
``torch.load(weights_only=True)`` (no pickled code runs). Keys: ``format``,
``model_config`` ({name, args, input_dim, num_classes}: enough to rebuild the model),
``config`` (the resolved training config), ``model_state``; resume checkpoints add
``optimizer_state``, ``scheduler_state``, ``scaler_state``, ``trainer_state`` (epoch,
batches done in it, step, history, ...) and ``rng`` (torch, CUDA, Python, NumPy states).

Example::

    ckpt = load_checkpoint("exp/lid_hgru/final.pt")
    model = load_model("exp/lid_hgru/final.pt")  # built from ckpt["model_config"], eval mode
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kaldinn.errors import KaldinnError
from kaldinn.io.atomic import atomic_write

FORMAT = "kaldinn-checkpoint-1"


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (temp file + rename)."""
    with atomic_write(path, "wb") as f:
        torch.save({"format": FORMAT, **payload}, f)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint on CPU with ``weights_only=True``."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise KaldinnError(f"checkpoint {path} does not exist") from err
    except Exception as err:  # torch raises many types for a truncated/foreign file
        raise KaldinnError(
            f"checkpoint {path} cannot be loaded ({type(err).__name__}: {err}); it is not a "
            "kaldinn checkpoint or is damaged: delete it to resume from an earlier one"
        ) from err
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise KaldinnError(f"{path} is not a kaldinn checkpoint (expected format {FORMAT})")
    return ckpt


def load_model(path: str | Path, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Rebuild the model a checkpoint describes, load its weights, put it in eval mode."""
    from kaldinn.models import build_model

    ckpt = load_checkpoint(path)
    spec = ckpt["model_config"]
    model = build_model(spec["name"], spec["args"], spec["input_dim"], spec["num_classes"])
    model.load_state_dict(ckpt["model_state"])
    return model.to(device).eval()


def average_states(paths: list[Path]) -> dict[str, torch.Tensor]:
    """Element-wise mean of the models in ``paths``; integer buffers come from the last one."""
    if not paths:
        raise KaldinnError("no checkpoints to average")
    states = [load_checkpoint(p)["model_state"] for p in paths]
    averaged = {}
    for key, last in states[-1].items():
        if last.is_floating_point():
            averaged[key] = sum(s[key].double() for s in states).div(len(states)).to(last.dtype)
        else:
            averaged[key] = last.clone()  # e.g. BatchNorm's num_batches_tracked
    return averaged


def capture_rng() -> dict[str, Any]:
    """Every random state that can influence training, as tensors and plain lists."""
    py_version, py_state, py_gauss = random.getstate()
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state(legacy=True)
    state = {
        "torch": torch.get_rng_state(),
        "python": [py_version, list(py_state), py_gauss],
        "numpy": [np_kind, torch.from_numpy(np_keys.astype(np.int64)), np_pos, np_has_gauss, np_gauss],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng`."""
    torch.set_rng_state(state["torch"])
    version, py_state, gauss = state["python"]
    random.setstate((version, tuple(py_state), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), Python and NumPy."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
