"""The one model lifecycle: lock, load-or-fit, device with CPU fallback, atomic save, register, log.

Every trained or loaded model of the product (the credit model, the scenario generators, the
language model and the copy classifiers) goes through :func:`load_or_fit`:

1. take the artifact's own lock, so two sessions asking for the same model train it once;
2. return the copy already in the process-wide registry, else load the artifact from disk, else
3. fit it on the process's device — on a CUDA failure or out-of-memory, once more on the CPU,
   with the warning the sidebar shows (:func:`on_device` is the only place this is written);
4. save it atomically (a crash never leaves half an artifact), register it, log the run with
   its parameters, seed, fingerprints and user.

Models are immutable once built: the fingerprint is part of a model's own state (set when it is
constructed), and nobody sets attributes on a registered model. An artifact that cannot be read
is moved aside to ``<artifacts>/<name>/.quarantine/`` (never deleted) and reported as
:class:`CorruptArtifactError`, so the page can offer to retrain.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import ModelLoadError, WorkspaceError
from core.progress import Progress
from core.runtime.device import call_on_device, is_oom
from core.runtime.registry import get_registry

if TYPE_CHECKING:
    from core.auth import User
    from core.data.dataset import Dataset

logger = logging.getLogger(__name__)
M = TypeVar("M")
T = TypeVar("T")
QUARANTINE = ".quarantine"


@dataclass(frozen=True)
class ArtifactKind:
    """A family of artifacts: its folder/registry name, the run kind it logs, its layout version."""

    name: str
    run_kind: str
    version: int = 1


class CorruptArtifactError(ModelLoadError):
    """A stored model could not be read; it was moved aside and can be retrained."""

    def __init__(self, message: str, hint: str = "", *, kind: str = "", fingerprint: str = "",
                 moved_to: Path | None = None) -> None:
        super().__init__(message, hint)
        self.kind = kind
        self.fingerprint = fingerprint
        self.moved_to = moved_to


def on_device(fn: Callable[[str], T], device: str | None = None) -> T:
    """``fn(device)`` with the CPU fallback of :func:`call_on_device`."""
    return call_on_device(fn, device)[0]


def has_artifact(kind: ArtifactKind, fingerprint: str) -> bool:
    return get_registry().has_artifact(kind.name, fingerprint)


def artifact_dir(kind: ArtifactKind, fingerprint: str) -> Path:
    return get_registry().artifact_dir(kind.name, fingerprint)


def quarantine(kind: ArtifactKind, fingerprint: str) -> Path | None:
    """Move an unreadable artifact aside (never delete it); returns where it went."""
    reg = get_registry()
    folder = reg.artifact_dir(kind.name, fingerprint)
    reg.evict(kind.name, fingerprint)
    if not folder.exists():
        return None
    target = folder.parent / QUARANTINE / f"{fingerprint}-{time.strftime('%Y%m%dT%H%M%S')}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(folder), str(target))
    logger.warning("Moved the unreadable artifact %s/%s to %s", kind.name, fingerprint, target)
    return target


def load_artifact(kind: ArtifactKind, fingerprint: str, load: Callable[[Path, str], M],
                  device: str | None = None) -> M:
    """The stored model ``fingerprint`` through the registry (loaded once per process and device).

    Raises :class:`ModelLoadError` when there is no such artifact, and
    :class:`CorruptArtifactError` (after moving it aside) when it cannot be read.
    """
    reg = get_registry()
    if not reg.has_artifact(kind.name, fingerprint):
        raise ModelLoadError(f"There is no stored {kind.name.replace('_', ' ')} {fingerprint}.",
                             "Train it first (or pick another stored one).")
    folder = reg.artifact_dir(kind.name, fingerprint)
    try:
        model = reg.get(kind.name, fingerprint, lambda d: load(folder, d), device)
    except ModelLoadError as exc:
        if isinstance(exc.__cause__, MemoryError) or (exc.__cause__ is not None and is_oom(exc.__cause__)):
            raise
        moved = quarantine(kind, fingerprint)
        raise CorruptArtifactError(
            f"The stored {kind.name.replace('_', ' ')} {fingerprint} cannot be read ({exc.message}).",
            "It was moved aside" + (f" to {moved}" if moved else "") + "; train it again.",
            kind=kind.name, fingerprint=fingerprint, moved_to=moved) from exc
    _check_fingerprint(model, fingerprint, kind)
    return model


def _check_fingerprint(model: Any, fingerprint: str, kind: ArtifactKind) -> None:
    own = getattr(model, "fingerprint", None)
    if own != fingerprint:
        raise ModelLoadError(f"The {kind.name.replace('_', ' ')} carries fingerprint {own!r}, not {fingerprint!r}.",
                             "Its artifact is inconsistent; train it again.")


def load_or_fit(kind: ArtifactKind, fingerprint: str, *, fit: Callable[[str], M], load: Callable[[Path, str], M],
                write: Callable[[M, Path], dict], describe: Callable[[M], dict] | None = None,
                dataset: Dataset | None = None, user: User | None = None, progress: Progress | None = None,
                device: str | None = None) -> M:
    """The model ``fingerprint``: from memory, from its artifact, or fitted now, saved, registered and logged.

    ``fit(device)`` builds the model (its ``fingerprint`` attribute must equal ``fingerprint``);
    ``load(folder, device)`` reads an artifact; ``write(model, folder)`` fills a fresh folder and
    returns extra metadata; ``describe(model)`` returns the run log's ``name``, ``params``,
    ``seed`` and ``result``. ``device`` defaults to the process's device.
    """
    reg = get_registry()
    with reg.training_lock(kind.name, fingerprint):
        if reg.has_artifact(kind.name, fingerprint):
            model = load_artifact(kind, fingerprint, load, device)
            if progress is not None:
                progress(1.0, "Loaded the stored model")
            return model
        model, used = call_on_device(fit, device)
        _check_fingerprint(model, fingerprint, kind)
        path = reg.save_artifact(kind.name, fingerprint, lambda folder: {"version": kind.version, **(write(model, folder) or {})})
        reg.put(kind.name, fingerprint, model, used)
        if describe is not None:
            log_model_run(kind, fingerprint, describe(model), dataset=dataset, user=user, artifact=path)
        return model


def log_model_run(kind: ArtifactKind, fingerprint: str, info: dict, *, dataset: Dataset | None = None,
                  user: User | None = None, artifact: Path | None = None) -> str | None:
    """Record a fitted model in the workspace run log; a failure to log never loses the model."""
    from core.workspace import get_workspace

    try:
        return get_workspace().log_run(
            kind.run_kind, name=info.get("name", ""), params=info.get("params"), seed=info.get("seed"),
            dataset_fingerprint=info.get("dataset_fingerprint") or (dataset.fingerprint if dataset is not None else None),
            model_fingerprint=fingerprint, result=info.get("result"), artifact=str(artifact) if artifact else None,
            user=user.id if user is not None else "")
    except WorkspaceError as exc:
        logger.warning("The %s run could not be logged: %s", kind.run_kind, exc)
        return None
