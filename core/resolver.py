"""The one answer to "which credit model / scenario generator / segmentation is current for this dataset?".

Every page and every CLI command asks here, so the PD per segment, the scenario's scorer and the
credit page always mean the same model. The answer, in order:

1. the one an analyst chose (:func:`choose`: "Load this model", "Use this generator", a saved
   segmentation reopened) — stored in the workspace, so a fresh browser session, another
   analyst and the CLI see the same choice;
2. else the newest one logged for this dataset fingerprint whose artifact still exists;
3. else ``None`` (the page offers to train one).

A dataset is identified by its :class:`~core.data.dataset.DatasetRef` (name and content
fingerprint), never by a display label.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.data.dataset import Dataset, DatasetRef
from core.errors import InputError, WorkspaceError
from core.runtime.registry import get_registry

if TYPE_CHECKING:
    from core.auth import User

logger = logging.getLogger(__name__)

CREDIT = "credit_model"
GENERATOR = "scenario_generator"
SEGMENTATION = "segmentation"


@dataclass(frozen=True)
class Family:
    """One kind of stored thing the resolver can answer for: the run kind it is logged under and its artifact."""

    run_kind: str
    artifact: str | None  # registry artifact name; None for workspace-only runs (segmentations)
    label: str


# kind -> families, most preferred first (generators: each family of generator has its own artifact)
FAMILIES: dict[str, tuple[Family, ...]] = {
    CREDIT: (Family("credit_model", "credit_model", "credit"),),
    GENERATOR: (Family("scenario_vae", "scenario_vae", "vae"), Family("scenario_gan", "scenario_gan", "gan")),
    SEGMENTATION: (Family("segmentation", None, "segmentation"),),
}


def _ref(dataset: Dataset | DatasetRef) -> DatasetRef:
    return dataset.ref if isinstance(dataset, Dataset) else dataset


def _families(kind: str, family: str | None = None) -> tuple[Family, ...]:
    if kind not in FAMILIES:
        raise InputError(f"Unknown kind '{kind}'.", f"Use one of {', '.join(FAMILIES)}.")
    fams = FAMILIES[kind]
    return tuple(f for f in fams if family is None or f.label == family)


def _exists(fam: Family, ref: str) -> bool:
    if fam.artifact is not None:
        return get_registry().has_artifact(fam.artifact, ref)
    from core.workspace import get_workspace

    try:
        return get_workspace().get_run(ref).kind == fam.run_kind
    except WorkspaceError:
        return False


def family_of(kind: str, ref: str) -> Family | None:
    """Which family a stored fingerprint or run id belongs to (None when it no longer exists)."""
    return next((f for f in _families(kind) if _exists(f, ref)), None)


def _logged(fams: tuple[Family, ...], dataset_fp: str) -> list[tuple[Any, Family, str]]:
    from core.workspace import get_workspace

    rows = []
    runs = get_workspace().runs(dataset_fingerprint=dataset_fp)
    for fam in fams:
        sub = runs[(runs["kind"] == fam.run_kind) & runs["status"].isin(["done", "saved"])]
        for r in sub.itertuples():
            ref = r.run_id if fam.artifact is None else r.model_fingerprint
            if isinstance(ref, str) and ref:
                rows.append((r.created_at, fam, ref))
    rows.sort(key=lambda t: t[0], reverse=True)
    return rows


def current(kind: str, dataset: Dataset | DatasetRef, family: str | None = None) -> str | None:
    """The fingerprint (or run id) of the current ``kind`` for ``dataset``, or ``None``."""
    ref = _ref(dataset)
    fams = _families(kind, family)
    from core.workspace import get_workspace

    try:
        chosen = get_workspace().get_current(kind, ref.fingerprint)
        if chosen and any(_exists(f, chosen) for f in fams):
            return chosen
        for _, fam, r in _logged(fams, ref.fingerprint):
            if _exists(fam, r):
                return r
    except WorkspaceError as exc:  # an unreadable run log must not hide the artifacts
        logger.warning("The run log could not be read (%s); looking at artifacts instead.", exc)
    for fam in fams:
        if fam.artifact is None:
            continue
        for meta in get_registry().list_artifacts(fam.artifact):
            if meta.get("dataset_fingerprint") == ref.fingerprint:
                return str(meta["fingerprint"])
    return None


def choose(kind: str, dataset: Dataset | DatasetRef, ref: str, user: User | None = None) -> None:
    """Make ``ref`` the current ``kind`` for ``dataset`` (recorded with the user who chose it)."""
    from core.workspace import get_workspace

    if family_of(kind, ref) is None:
        raise InputError(f"There is no stored {kind.replace('_', ' ')} '{ref}'.", "Pick one from the list of stored ones.")
    get_workspace().set_current(kind, _ref(dataset).fingerprint, ref, user.id if user is not None else "")


def credit_model(dataset: Dataset | DatasetRef) -> Any:
    """The current credit model of ``dataset`` (a ``core.credit`` model), or ``None``."""
    fp = current(CREDIT, dataset)
    if fp is None:
        return None
    from core.credit.store import load_model

    return load_model(fp)


def segmentation(dataset: Dataset | DatasetRef) -> str | None:
    """The run id of the current segmentation of ``dataset`` (reload it with ``core.segmentation``), or ``None``."""
    return current(SEGMENTATION, dataset)
