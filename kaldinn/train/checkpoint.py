"""Checkpoints: atomic saves that carry their config, safe loads, averaging.

A checkpoint is a dict of tensors and plain containers only, so it loads with
``torch.load(weights_only=True)`` (no pickled code runs). Keys: ``format``,
``model_config`` ({name, args, input_dim, num_classes}: enough to rebuild the model),
``config`` (the resolved training config), ``model_state``; resume checkpoints add
``optimizer_state``, ``scheduler_state``, ``scaler_state``, ``trainer_state`` (epoch,
batches done in it, step, history, ...) and ``rng`` (torch, CUDA, Python, NumPy states).
``crc32`` checks every tensor and value on load, so a bit flip in the weights is caught.

Example::

    ckpt = load_checkpoint("exp/lid_hgru/final.pt")
    model = load_model("exp/lid_hgru/final.pt")  # built from ckpt["model_config"], eval mode
"""

from __future__ import annotations

import random
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kaldinn.errors import KaldinnError, WriteError
from kaldinn.io.atomic import WRITE_ERRNOS, atomic_write

FORMAT = "kaldinn-checkpoint-1"


class CheckpointError(KaldinnError):
    """A checkpoint is missing, damaged or not a kaldinn checkpoint."""


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (temp file + rename) with a checksum of its contents.

    A refused write (full disk, ...) raises WriteError naming ``path``; the previous file stays.
    """
    payload = {"format": FORMAT, **payload}
    payload["crc32"] = content_crc(payload)
    with atomic_write(path, "wb") as f:
        recorder = _RecordingFile(f)
        try:
            torch.save(payload, recorder)
        except Exception as err:  # torch turns a failed write into RuntimeError("unexpected pos ...")
            if recorder.error is not None and recorder.error.errno in WRITE_ERRNOS:
                raise WriteError(path, recorder.error) from err
            raise


class _RecordingFile:
    """A binary file that remembers the OSError of a failed write (torch.save hides it)."""

    def __init__(self, f: Any):
        self._f, self.error = f, None

    def write(self, data: Any) -> int:
        try:
            return self._f.write(data)
        except OSError as err:
            self.error = err
            raise

    def flush(self) -> None:
        self._f.flush()


def content_crc(tree: Any, crc: int = 0) -> int:
    """CRC-32 of every tensor's bytes and every plain value in ``tree`` (dicts in key order)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key != "crc32":
                crc = content_crc(value, zlib.crc32(repr(key).encode(), crc))
        return crc
    if isinstance(tree, list | tuple):
        for value in tree:
            crc = content_crc(value, crc)
        return crc
    if isinstance(tree, torch.Tensor):
        data = tree.detach().cpu().contiguous().reshape(-1)
        return zlib.crc32(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"", crc)
    return zlib.crc32(repr(tree).encode(), crc)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint on CPU with ``weights_only=True``; CheckpointError when it is damaged."""
    path = Path(path)
    advice = rewrite_advice(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise CheckpointError(f"checkpoint {path} does not exist{advice}") from err
    except Exception as err:  # torch raises many types for a truncated/foreign file
        cause = " ".join(f"{type(err).__name__}: {err}".split())[:200]
        raise CheckpointError(
            f"checkpoint {path} cannot be loaded ({cause}); it is damaged or not a kaldinn checkpoint{advice}"
        ) from err
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a kaldinn checkpoint (expected format {FORMAT}){advice}")
    if "crc32" in ckpt and ckpt["crc32"] != content_crc(ckpt):
        raise CheckpointError(
            f"checkpoint {path} is damaged: its contents do not match the checksum saved with it{advice}"
        )
    return ckpt


def rewrite_advice(path: Path) -> str:
    """How to get a damaged final.pt back: the training rerun averages the epoch checkpoints again."""
    exp_dir = path.parent
    if path.name != "final.pt" or not (exp_dir / "command.txt").is_file():
        return ""
    if not any((exp_dir / "checkpoints").glob("epoch-*.pt")):
        return ""
    return f"; rerun the last training command in {exp_dir / 'command.txt'} to write it again"


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
