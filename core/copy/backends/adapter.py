"""The fine-tuned adapter of the embedded copy model: where it is kept, and merging it at load.

:mod:`core.copy.tuning` trains it; the local model backend merges it (:func:`adapter_for`). Each
layer's weight gets ``scale * B @ A`` added before the CPU's int8 step, so inference costs what the
base model costs and needs no fine-tuning library. An adapter that is unreadable or does not fit
the model is refused with the reason, and the base model serves.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from core.copy.catalogue import ASSETS_DIR
from core.errors import ModelLoadError

logger = logging.getLogger(__name__)

ADAPTERS = ASSETS_DIR / "tuning" / "adapters"
ADAPTER_FILE = "adapter.safetensors"


def adapter_dir(base_fingerprint: str) -> Path:
    return ADAPTERS / base_fingerprint


def find_adapter(base_fingerprint: str) -> Path | None:
    """The shipped adapter trained on this base model, if there is one."""
    d = adapter_dir(base_fingerprint)
    return d if (d / ADAPTER_FILE).exists() and (d / "training.json").exists() else None


def merge_adapter(model: Any, folder: Path) -> dict:
    """Add the adapter's low-rank updates to ``model``'s Linear weights in place; returns its training record.

    Raises:
        ModelLoadError: the file is unreadable or does not fit the model (another base, another shape).
    """
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        meta = json.loads((folder / "training.json").read_text())
        tensors = load_file(str(folder / ADAPTER_FILE))
        scale = float(meta["alpha"]) / float(meta["rank"])
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, ZeroDivisionError, SafetensorError) as exc:
        raise ModelLoadError(f"The copy model's adapter in {folder} cannot be read: {exc}",
                             "Delete the folder to use the base model with few-shot prompts.") from exc
    modules = dict(model.named_modules())
    merged = 0
    with torch.no_grad():
        for key, a in tensors.items():
            if not key.endswith(".lora_A"):
                continue
            name = key[: -len(".lora_A")]
            b = tensors.get(name + ".lora_B")
            layer = modules.get(name)
            if b is None or layer is None or not hasattr(layer, "weight"):
                raise ModelLoadError(f"The copy model's adapter does not fit this model (no layer {name}).",
                                     "Retrain it (python -m core.copy.tuning) or delete it.")
            w = layer.weight
            delta = (b.to(torch.float32) @ a.to(torch.float32)) * scale
            if delta.shape != w.shape:
                raise ModelLoadError(f"The copy model's adapter does not fit layer {name} ({tuple(delta.shape)} "
                                     f"vs {tuple(w.shape)}).", "Retrain it (python -m core.copy.tuning) or delete it.")
            w.add_(delta.to(device=w.device, dtype=w.dtype))
            merged += 1
    if merged == 0:
        raise ModelLoadError(f"The copy model's adapter in {folder} holds no layer.", "Retrain it or delete it.")
    return {**meta, "merged_layers": merged}


def adapter_for(model: Any, base_fingerprint: str) -> tuple[dict | None, str]:
    """Merge the shipped adapter trained on this base model, if any: (its record, "") or (None, why not)."""
    folder = find_adapter(base_fingerprint)
    if folder is None:
        return None, ""
    try:
        return merge_adapter(model, folder), ""
    except ModelLoadError as exc:
        logger.warning("The copy model's adapter was not used: %s", exc.message)
        return None, f"{exc.message} The base model writes with few-shot prompts."
