"""Saved segmentation runs in the workspace: save (with the user), list, reload, rename.

A run keeps its parameters, seed, preprocessing choices, the sweep, the profile table, the
analyst's names and the id -> segment table. Saving makes the run the dataset's current
segmentation for :mod:`core.resolver`, so a fresh session and the CLI find it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core import resolver
from core.auth import LOCAL_USER, User
from core.data.dataset import Dataset
from core.data.schema import Role
from core.errors import WorkspaceError
from core.segmentation import features as features_mod
from core.segmentation.links import credit_view, pd_by_segment, penetration, segment_exclusions, segment_offers
from core.segmentation.offers.catalogue import default_catalogue
from core.segmentation.profile import profile_segments
from core.segmentation.result import SegmentationParams, SegmentationResult
from core.segmentation.sweep import SweepResult

RUN_KIND = "segmentation"


def _ws(workspace):
    if workspace is not None:
        return workspace
    from core.workspace import get_workspace

    return get_workspace()


def save_run(result: SegmentationResult, name: str = "", workspace=None, user: User = LOCAL_USER) -> str:
    """Log the run (parameters, seed, summary, assignments, profile) in one transaction; returns its id.

    The result is not modified (it may be shared through a cache): use ``replace(result, run_id=...)``.
    """
    ws = _ws(workspace)
    profile = result.profile_table().reset_index(names="segment")
    profile["segment"] = profile["segment"].astype(str)
    run_id = ws.log_run(
        RUN_KIND, name=name or f"{result.dataset_name}: {result.params.method} k={result.k}",
        params=result.params.to_dict(), seed=result.params.seed, dataset_fingerprint=result.dataset_fingerprint,
        model_fingerprint=result.credit.model_fingerprint, status="saved", result=result.summary(),
        tables={"assignments": result.assignments(), "profile": profile}, user=user.id,
    )
    if workspace is None:
        from core.data.dataset import DatasetRef

        resolver.choose(resolver.SEGMENTATION, DatasetRef(result.dataset_name, result.dataset_fingerprint), run_id, user)
    return run_id


def list_runs(dataset_fingerprint: str | None = None, workspace=None) -> pd.DataFrame:
    return _ws(workspace).runs(kind=RUN_KIND, dataset_fingerprint=dataset_fingerprint)


def load_run(run_id: str, dataset: Dataset, workspace=None) -> SegmentationResult:
    """Rebuild a saved run on its dataset: the saved assignments and names, profiles recomputed."""
    ws = _ws(workspace)
    rec = ws.get_run(run_id)
    if rec.kind != RUN_KIND:
        raise WorkspaceError(f"Run {run_id} is a '{rec.kind}' run, not a segmentation.")
    if rec.dataset_fingerprint != dataset.fingerprint:
        raise WorkspaceError("This run was made on another dataset (or the same data with other column roles).",
                             f"Pick the dataset '{rec.result.get('dataset', '?')}' in the sidebar to reload it.")
    p = rec.params
    params = SegmentationParams(tuple(p.get("features", ())), p.get("method", "kmeans"), p.get("k"), int(p.get("seed", 42)))
    assign = ws.run_table(run_id, "assignments")
    if len(assign) != dataset.n_rows:
        raise WorkspaceError("The saved assignments do not match this dataset's rows.")
    labels = assign["segment"].to_numpy(dtype=np.int32)
    numeric = [c for c in params.features if dataset.schema.roles.get(c) == Role.NUMERIC]
    categorical = [c for c in params.features if dataset.schema.roles.get(c) == Role.CATEGORICAL]
    credit = credit_view(dataset)
    mean_pd = pd_by_segment(credit.pd, labels)
    saved = rec.result
    names = {int(s): n for s, n in saved.get("names", {}).items()}
    prof = profile_segments(dataset.frame, labels, numeric, categorical, dataset.schema.semantics, seed=params.seed,
                            describe_columns=features_mod.describe_columns(dataset, params.features), pd_mean=mean_pd,
                            inherit_names={int(s): n for s, n in saved.get("auto_names", {}).items()})
    catalogue = default_catalogue()
    pen = penetration(dataset, labels, catalogue)
    cutoff = credit.cutoff if credit.cutoff is not None else catalogue.pd_cutoff
    excluded = segment_exclusions(prof.means, dataset.schema.semantics, catalogue, mean_pd, cutoff, pen)
    sw = SweepResult.from_dict(saved["sweep"], params.seed) if saved.get("sweep") else None
    res = SegmentationResult(
        params=params, dataset_name=dataset.name, dataset_fingerprint=dataset.fingerprint,
        id_column=dataset.schema.id_column or "row", ids=dataset.ids().reset_index(drop=True), labels=labels,
        profile=prof, names={**prof.auto_names, **names}, metrics=saved.get("metrics", {}),
        preprocessing=saved.get("preprocessing", {}), sweep=sw, notes=list(saved.get("notes", [])),
        penetration=pen, next_best=segment_offers(pen, catalogue, excluded), mean_pd=mean_pd, credit=credit,
        run_id=run_id, warning=saved.get("warning", ""),
    )
    prof.descriptions = {s: res.description(s) for s in res.segments}
    return res


def rename_run(run_id: str, result: SegmentationResult, workspace=None) -> None:
    """Store the analyst's current names on a saved run."""
    ws = _ws(workspace)
    ws.update_run(run_id, result=result.summary(), tables={"assignments": result.assignments()})


def with_run_id(result: SegmentationResult, run_id: str) -> SegmentationResult:
    return replace(result, run_id=run_id)
