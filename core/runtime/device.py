"""Device selection: CUDA, else Apple MPS, else CPU; ``STUDIO_DEVICE`` overrides.

The choice is made once per process. When CUDA fails at run time (out of memory, a driver error),
:func:`fallback_to_cpu` records a warning that the sidebar shows and switches the process to CPU.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")

_lock = threading.Lock()
_state: dict[str, Any] = {"device": None, "warnings": []}


@dataclass(frozen=True)
class DeviceInfo:
    """What the sidebar shows about the compute device."""

    name: str  # "cuda", "mps" or "cpu"
    label: str  # human-readable, e.g. "NVIDIA H100 (80 GiB)"
    memory_total_gb: float | None = None
    memory_used_gb: float | None = None
    warnings: list[str] = field(default_factory=list)


def _detect(requested: str) -> str:
    import torch

    if requested == "cuda":
        if torch.cuda.is_available():
            return "cuda"
        _warn("STUDIO_DEVICE=cuda but no CUDA device is available; using CPU.")
        return "cpu"
    if requested == "mps":
        if torch.backends.mps.is_available():
            return "mps"
        _warn("STUDIO_DEVICE=mps but MPS is not available; using CPU.")
        return "cpu"
    if requested == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _warn(message: str) -> None:
    logger.warning(message)
    warnings = _state["warnings"]
    assert isinstance(warnings, list)
    if message not in warnings:
        warnings.append(message)


def resolve_device() -> str:
    """The device this process computes on: ``"cuda"``, ``"mps"`` or ``"cpu"``."""
    with _lock:
        if _state["device"] is None:
            from core.settings import get_settings

            _state["device"] = _detect(get_settings().device.lower())
        return str(_state["device"])


def cuda_or_cpu() -> str:
    """The device for libraries that use CUDA but not Apple MPS (XGBoost, the tabular VAE)."""
    return "cuda" if resolve_device() == "cuda" else "cpu"


def fallback_to_cpu(reason: str) -> str:
    """Switch the process to CPU after an accelerator failure; returns ``"cpu"``."""
    with _lock:
        if _state["device"] != "cpu":
            _warn(f"The GPU failed ({reason}); computing on the CPU from now on.")
        _state["device"] = "cpu"
    return "cpu"


def is_oom(exc: BaseException) -> bool:
    """Whether an exception is an accelerator out-of-memory error."""
    import torch

    if isinstance(exc, torch.OutOfMemoryError):
        return True
    text = str(exc).lower()
    return "out of memory" in text or "cuda error" in text or "cudaerror" in text


def device_info() -> DeviceInfo:
    """Device name, label and memory use, for display."""
    import torch

    name = resolve_device()
    warnings = list(_state["warnings"])
    if name == "cuda":
        props = torch.cuda.get_device_properties(0)
        total = props.total_memory / 2**30
        used = torch.cuda.memory_allocated(0) / 2**30
        return DeviceInfo("cuda", f"{props.name} ({total:.0f} GiB)", total, used, warnings)
    if name == "mps":
        return DeviceInfo("mps", "Apple GPU (MPS)", None, None, warnings)
    import psutil

    vm = psutil.virtual_memory()
    label = f"CPU ({os.cpu_count()} cores)"
    return DeviceInfo("cpu", label, vm.total / 2**30, (vm.total - vm.available) / 2**30, warnings)


def _reset_for_tests() -> None:
    from core.settings import get_settings

    get_settings.cache_clear()
    with _lock:
        _state["device"] = None
        _state["warnings"] = []


def int8_linear(model: Any) -> Any:
    """``model`` with its Linear layers in int8 for the CPU (dynamic quantisation: int8 weights, float activations).

    The one place models are quantised. Activations are scaled per batch, so a model whose outputs must
    not depend on what is batched with them should not use it.
    """
    import warnings

    import torch

    with warnings.catch_warnings():  # torch's notice that its quantized tensor API will move
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def call_on_device(fn: Callable[[str], T], device: str | None = None) -> tuple[T, str]:
    """``(fn(device), device used)``; a CUDA/MPS failure or OOM is retried once on the CPU.

    The fallback switches the whole process to CPU and records the warning the sidebar shows.
    """
    device = device or resolve_device()
    try:
        return fn(device), device
    except Exception as exc:
        if device == "cpu" or not is_oom(exc):
            raise
        cpu = fallback_to_cpu(str(exc))
        return fn(cpu), cpu
