"""Device choice and mixed precision.

The device follows ``CUDA_VISIBLE_DEVICES`` as set by the job runner: CUDA (first visible
card) when it names a device and CUDA works, else CPU. ``train.device`` can force either.
AMP (``bf16``/``fp16``) applies on CUDA only; on CPU it is switched off with a warning, so
one config runs on both. fp16 uses a gradient scaler; bf16 needs none.

Example::

    device = select_device("auto")
    amp = resolve_amp("bf16", device, log=print)
    with autocast(device, amp):
        out = model(feats, feat_lens)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

import torch

from kaldinn.errors import ConfigError

NO_GPU_VALUES = ("", "-1", "NoDevFiles")


def select_device(preference: str = "auto") -> torch.device:
    """``auto``: cuda:0 when CUDA_VISIBLE_DEVICES names a usable GPU, else cpu."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    has_gpu = visible not in NO_GPU_VALUES and torch.cuda.is_available()
    if preference == "cuda":
        if not has_gpu:
            raise ConfigError(
                f"train.device=cuda but no GPU is usable (CUDA_VISIBLE_DEVICES={visible!r}); "
                "run through $cuda_cmd --gpu 1 or set train.device=auto"
            )
        return torch.device("cuda", 0)
    if preference == "auto" and has_gpu:
        return torch.device("cuda", 0)
    return torch.device("cpu")


def resolve_amp(amp: str, device: torch.device, log: Callable[[str], None]) -> str:
    """The AMP mode that will actually be used on ``device``."""
    if amp == "none":
        return amp
    if device.type != "cuda":
        log(f"WARNING: train.amp={amp} needs CUDA; training in float32 on {device}")
        return "none"
    if amp == "bf16" and not torch.cuda.is_bf16_supported():
        raise ConfigError("train.amp=bf16 is not supported by this GPU; use train.amp=fp16")
    return amp


def autocast(device: torch.device, amp: str) -> contextlib.AbstractContextManager:
    """Autocast context for ``amp`` (``none`` gives a no-op context)."""
    if amp == "none":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(device: torch.device, amp: str) -> torch.amp.GradScaler:
    """Loss scaler: active for fp16 only (bf16 and fp32 do not underflow the same way)."""
    return torch.amp.GradScaler(device.type, enabled=amp == "fp16")
