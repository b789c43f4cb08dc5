"""The model registry: one process-wide, thread-safe cache of loaded models.

Each model is loaded once per ``(name, artifact fingerprint, device)`` and shared by every
session; nobody mutates a cached model. Artifacts live on disk under the workspace as a folder
holding weights (a torch ``state_dict`` saved for ``torch.load(..., weights_only=True)``, or the
library's own format such as XGBoost JSON) and a ``meta.json``, so a restart reloads in seconds.

A loader that fails on CUDA with an out-of-memory or driver error is retried on the CPU through
:func:`core.runtime.device.call_on_device`, and the fallback is recorded as a visible warning.
Training and loading from disk go through :mod:`core.runtime.lifecycle`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ModelLoadError
from core.runtime.device import call_on_device, resolve_device

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    """One entry of the registry, as the sidebar lists it."""

    name: str
    fingerprint: str
    device: str
    loaded_at: float
    load_seconds: float
    size_mb: float | None


def fingerprint_of(*parts: Any) -> str:
    """A short, stable fingerprint of JSON-serialisable parts (parameters, dataset ids)."""
    payload = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


class ModelRegistry:
    """Process-wide cache of loaded models plus the on-disk artifact store."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._models: dict[tuple[str, str, str], Any] = {}
        self._info: dict[tuple[str, str, str], LoadedModel] = {}
        self._train_locks: dict[tuple[str, str], threading.Lock] = {}

    # ---- artifacts on disk -------------------------------------------------------------
    def artifact_dir(self, name: str, fingerprint: str) -> Path:
        return self.root / name / fingerprint

    def has_artifact(self, name: str, fingerprint: str) -> bool:
        return (self.artifact_dir(name, fingerprint) / "meta.json").exists()

    def save_artifact(self, name: str, fingerprint: str, write: Callable[[Path], dict]) -> Path:
        """Write an artifact atomically: ``write(tmpdir)`` fills a temp folder and returns metadata.

        The folder is renamed into place only when complete, so a crash never leaves half an
        artifact behind.
        """
        final = self.artifact_dir(name, fingerprint)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{fingerprint}-", dir=final.parent))
        try:
            meta = write(tmp) or {}
            meta = {"name": name, "fingerprint": fingerprint, "saved_at": time.time(), **meta}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
            with self._lock:
                if final.exists():
                    shutil.rmtree(final)
                tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def read_meta(self, name: str, fingerprint: str) -> dict:
        path = self.artifact_dir(name, fingerprint) / "meta.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"The artifact {name}/{fingerprint} cannot be read.", "Retrain the model.") from exc

    def list_artifacts(self, name: str) -> list[dict]:
        folder = self.root / name
        if not folder.exists():
            return []
        metas = []
        for sub in folder.iterdir():
            if (sub / "meta.json").exists():
                try:
                    metas.append(json.loads((sub / "meta.json").read_text()))
                except ValueError:
                    logger.warning("Skipping unreadable artifact %s", sub)
        return sorted(metas, key=lambda m: m.get("saved_at", 0), reverse=True)

    def training_lock(self, name: str, fingerprint: str) -> threading.Lock:
        """One lock per artifact, so sessions asking for the same model at once train it once."""
        with self._lock:
            return self._train_locks.setdefault((name, fingerprint), threading.Lock())

    # ---- loaded models -----------------------------------------------------------------
    def get(self, name: str, fingerprint: str, loader: Callable[[str], Any], device: str | None = None) -> Any:
        """The cached model for ``(name, fingerprint, device)``, loading it once with ``loader(device)``.

        ``loader`` receives the device string. If it fails on CUDA with an out-of-memory or driver
        error, the process falls back to CPU and the model is loaded there.
        """
        device = device or resolve_device()
        key = (name, fingerprint, device)
        with self._lock:
            if key in self._models:
                return self._models[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one loader per key; other keys load in parallel
            with self._lock:
                if key in self._models:
                    return self._models[key]

            start = time.perf_counter()
            try:
                model, used = call_on_device(loader, device)
            except ModelLoadError:
                raise
            except Exception as exc:
                raise ModelLoadError(f"The model '{name}' failed to load: {exc}") from exc
            elapsed = time.perf_counter() - start
            with self._lock:
                key = (name, fingerprint, used)
                self._models[key] = model
                self._info[key] = LoadedModel(name, fingerprint, used, time.time(), elapsed, _size_mb(model))
            return model

    def put(self, name: str, fingerprint: str, model: Any, device: str | None = None) -> None:
        """Register a model that was just fitted in this process."""
        device = device or resolve_device()
        key = (name, fingerprint, device)
        with self._lock:
            self._models[key] = model
            self._info[key] = LoadedModel(name, fingerprint, device, time.time(), 0.0, _size_mb(model))

    def evict(self, name: str | None = None, fingerprint: str | None = None) -> None:
        with self._lock:
            for key in [k for k in self._models if (name is None or k[0] == name)
                        and (fingerprint is None or k[1] == fingerprint)]:
                self._models.pop(key, None)
                self._info.pop(key, None)

    def loaded(self) -> list[LoadedModel]:
        with self._lock:
            return sorted(self._info.values(), key=lambda m: m.loaded_at)


def _size_mb(model: Any) -> float | None:
    try:
        import torch

        if isinstance(model, torch.nn.Module):
            return sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20
    except Exception:  # size is informative only
        return None
    return None


_registry: ModelRegistry | None = None
_registry_lock = threading.Lock()


def get_registry() -> ModelRegistry:
    """The process-wide registry, rooted at the workspace's artifact folder."""
    global _registry
    with _registry_lock:
        if _registry is None:
            from core.settings import get_settings

            _registry = ModelRegistry(get_settings().artifacts_dir)
        return _registry


def _reset_for_tests(root: Path | None = None) -> None:
    global _registry
    with _registry_lock:
        _registry = ModelRegistry(root) if root is not None else None
