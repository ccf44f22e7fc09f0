"""Device, dtype and GPU choices shared by the torch backends (sam3, sam3-hf).

torch is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from robomask._optional import require
from robomask.config import Config, Stage
from robomask.errors import BackendError


def pick_device(name: str = "auto") -> Any:
    """The torch device for a config's ``device`` value.

    Args:
        name: ``"auto"`` (cuda, else mps, else cpu), ``"cuda"``, ``"cuda:N"``, ``"mps"``
            or ``"cpu"``.

    Raises:
        BackendError: The device is not present on this machine.
    """
    torch = require("torch", "hf", purpose="a torch backend")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise BackendError(f"config key 'device': expected auto, cuda, cuda:N, mps or cpu, "
                           f"got {name!r}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BackendError(f"config key 'device': expected a CUDA GPU for {name!r}, got none "
                           "on this machine", hint="set device: auto (or cpu)")
    if device.type == "cuda" and device.index is not None \
            and device.index >= torch.cuda.device_count():
        raise BackendError(f"config key 'device': expected cuda:0..cuda:"
                           f"{torch.cuda.device_count() - 1}, got {name!r}")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise BackendError("config key 'device': expected an Apple GPU for 'mps', got none",
                           hint="set device: auto (or cpu)")
    return device


def pick_dtype(name: str, device: Any) -> Any:
    """The torch dtype for a config's ``dtype``: ``auto`` = bfloat16 on CUDA, else float32."""
    torch = require("torch", "hf", purpose="a torch backend")
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, name)


def gpu_indices(config: Config, stage: Stage) -> list[int]:
    """GPU indices (as this process numbers them) for ``cuda_visible_devices_{stage}``.

    The config names physical GPUs, as the notebooks did with ``CUDA_VISIBLE_DEVICES``.
    robomask does not change the environment (that would only work before CUDA starts,
    and the arm and gripper stages may run in one process on different GPUs): when
    ``CUDA_VISIBLE_DEVICES`` is already set, the configured GPUs are looked up in it.

    Raises:
        BackendError: A configured GPU is not visible to this process.
    """
    torch = require("torch", "sam3", purpose="the sam3 backend")
    wanted = config.cuda_devices(stage)
    key = f"cuda_visible_devices_{stage}"
    if not wanted:
        raise BackendError(f"config key '{key}': expected at least one GPU number, got none")
    visible_env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible_env:
        visible = [v.strip() for v in visible_env.split(",") if v.strip()]
        missing = [g for g in wanted if str(g) not in visible]
        if missing:
            raise BackendError(f"config key '{key}': expected GPUs among CUDA_VISIBLE_DEVICES="
                               f"{visible_env}, got {missing}",
                               hint="unset CUDA_VISIBLE_DEVICES or include these GPUs")
        wanted = [visible.index(str(g)) for g in wanted]
    count = torch.cuda.device_count()
    bad = [g for g in wanted if not 0 <= g < count]
    if bad:
        raise BackendError(f"config key '{key}': expected GPU numbers 0..{count - 1}, got {bad}")
    return sorted(set(wanted))


def release_memory() -> None:
    """Return cached GPU memory to the driver once its tensors are unreferenced.

    Only with CUDA: on the CPU reference counting frees the tensors, and a full
    ``gc.collect()`` would only cost time.
    """
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        gc.collect()
        torch.cuda.empty_cache()


def cuda_problem() -> str | None:
    """Why CUDA cannot be used here (None when it can), without raising."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        built = torch.version.cuda
        return ("no CUDA GPU visible" + (f" (torch built for CUDA {built})" if built
                                          else " (torch is a CPU-only build)"))
    return None
