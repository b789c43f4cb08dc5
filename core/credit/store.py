"""Train-or-load of credit models through the one lifecycle (:mod:`core.runtime.lifecycle`), and the stored models.

:func:`train_or_load` returns the model for ``(dataset, params)``: from memory, from its artifact, or
fitted now (on the process's device, with the CPU fallback), saved atomically, registered and
logged as a ``credit_model`` run with its parameters -- including every column decision (Regulation B
overrides, leakage decisions with their reasons) -- and the user. A corrupt artifact is moved aside
and reported as :class:`~core.runtime.lifecycle.CorruptArtifactError`, so the page can offer to retrain.
Which model is *current* for a dataset is the resolver's answer (:func:`core.resolver.credit_model`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.credit.artifact import load_model_folder, read_meta, write_model
from core.credit.metadata import ModelMeta
from core.credit.model import CreditModel
from core.credit.params import CreditParams
from core.credit.training import ARTIFACT_VERSION, fit_credit_model, model_key
from core.data import Dataset
from core.errors import ModelLoadError, WorkspaceError
from core.progress import Progress
from core.runtime.lifecycle import ArtifactKind, load_artifact, load_or_fit
from core.runtime.registry import get_registry

if TYPE_CHECKING:
    from core.auth import User

logger = logging.getLogger(__name__)
ARTIFACT = "credit_model"
KIND = ArtifactKind(ARTIFACT, "credit_model", ARTIFACT_VERSION)


def describe(model: CreditModel) -> dict[str, Any]:
    """What the run log records about a fitted model."""
    meta = model.meta
    m = meta.metrics
    return {"name": f"Credit model on {meta.dataset.name}", "params": meta.params.to_dict(), "seed": meta.params.seed,
            "dataset_fingerprint": meta.dataset.fingerprint,
            "result": {"auc": m.xgboost.auc, "gini": m.xgboost.gini, "ks": m.xgboost.ks, "brier": m.xgboost.brier,
                       "logistic_auc": m.logistic.auc, "train_auc": m.train_auc, "n_trees": meta.n_trees,
                       "depth": meta.depth, "features": model.feature_names, "split": meta.split.how,
                       "excluded": meta.excluded, "overrides": meta.overrides, "leakage": meta.leakage,
                       "warnings": model.warnings}}


def train_or_load(dataset: Dataset, params: CreditParams | None = None, progress: Progress | None = None,
                  user: User | None = None) -> CreditModel:
    """The model for ``(dataset, params)``: from memory, from its artifact, or trained now and stored."""
    params = params or CreditParams()
    return load_or_fit(KIND, model_key(dataset, params),
                       fit=lambda device: fit_credit_model(dataset, params, device, progress),
                       load=load_model_folder, write=write_model, describe=describe, dataset=dataset, user=user,
                       progress=progress)


def load_model(fingerprint: str) -> CreditModel:
    """The stored model ``fingerprint`` (loaded once per process through the registry)."""
    return load_artifact(KIND, fingerprint, load_model_folder)


def stored_models() -> list[ModelMeta]:
    """Metadata of every readable stored credit model, newest first (unreadable ones are skipped)."""
    reg = get_registry()
    out = []
    for info in reg.list_artifacts(ARTIFACT):
        try:
            out.append(read_meta(reg.artifact_dir(ARTIFACT, str(info["fingerprint"]))))
        except (ModelLoadError, KeyError):
            logger.warning("Skipping an unreadable credit model artifact %s", info.get("fingerprint"))
    return out


def model_runs(dataset: Dataset) -> pd.DataFrame:
    """The workspace's credit-model runs for this dataset, newest first (empty when the log is unreadable)."""
    from core.workspace import get_workspace

    try:
        return get_workspace().runs(kind=KIND.run_kind, dataset_fingerprint=dataset.fingerprint)
    except WorkspaceError as exc:
        logger.warning("The run log could not be read: %s", exc)
        return pd.DataFrame()


def logged_params(fingerprint: str) -> CreditParams | None:
    """The parameters a stored (or lost) model was trained with, from the run log; None when not logged."""
    from core.workspace import get_workspace

    try:
        runs = get_workspace().runs(kind=KIND.run_kind)
        hit = runs[runs["model_fingerprint"] == fingerprint]
        if hit.empty:
            return None
        return CreditParams.from_dict(get_workspace().get_run(str(hit["run_id"].iloc[0])).params)
    except (WorkspaceError, TypeError, ValueError) as exc:
        logger.warning("The parameters of %s could not be read from the run log: %s", fingerprint, exc)
        return None
