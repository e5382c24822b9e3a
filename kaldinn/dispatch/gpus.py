"""GPU discovery and per-job device slots for the local runner.

Kaldi's run.pl never sets ``CUDA_VISIBLE_DEVICES``, so concurrent GPU jobs all land on
GPU 0. kaldinn's local runner splits the visible devices into slots of ``--gpu N``
devices; each concurrently running job owns one slot. Devices come from the caller's
``CUDA_VISIBLE_DEVICES`` when it is set (an empty value means "no GPUs"), else from the
``GPU <i>:`` lines of ``nvidia-smi -L``, else there are none.

Example::

    devices, source = discover_gpus(os.environ)   # (["3", "5"], "CUDA_VISIBLE_DEVICES=3,5")
    gpu_slots(devices, 1, source)                  # [["3"], ["5"]]
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping

from kaldinn.errors import DispatchError

_NVIDIA_SMI_GPU_RE = re.compile(r"^GPU (\d+):")


def discover_gpus(env: Mapping[str, str]) -> tuple[list[str], str]:
    """The usable device ids and a description of where they came from."""
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        devices = [d.strip() for d in visible.split(",") if d.strip()]
        return devices, f"CUDA_VISIBLE_DEVICES={visible}"
    return _nvidia_smi_devices()


def _nvidia_smi_devices() -> tuple[list[str], str]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return [], "CUDA_VISIBLE_DEVICES is unset and nvidia-smi is not installed"
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return [], f"nvidia-smi -L failed ({err})"
    devices = [m.group(1) for line in out.stdout.splitlines() if (m := _NVIDIA_SMI_GPU_RE.match(line))]
    if out.returncode != 0:
        return [], f"nvidia-smi -L exited with code {out.returncode}"
    return devices, f"nvidia-smi -L ({len(devices)} GPUs)"


def gpu_slots(devices: list[str], per_job: int, source: str) -> list[list[str]]:
    """Split ``devices`` into disjoint groups of ``per_job``; error if not even one fits."""
    if per_job < 1:
        raise ValueError("gpu_slots needs per_job >= 1")
    if len(devices) < per_job:
        found = ", ".join(devices) if devices else "none"
        raise DispatchError(
            f"--gpu {per_job} asks for {per_job} GPU(s) per job but {len(devices)} found "
            f"(devices: {found}; from {source}); ask for fewer, use --gpu 0 to run on CPU, "
            "or set CUDA_VISIBLE_DEVICES"
        )
    return [devices[i : i + per_job] for i in range(0, len(devices) - per_job + 1, per_job)]
