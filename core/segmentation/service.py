"""Segmentation as a service: one call for a batch job, step-by-step calls for the page.

:func:`run_segmentation` does everything (the CLI's ``studio segment`` calls it). The page calls
the steps separately so that each can be cached on its own key: :func:`prepare` (dataset,
features, seed) -> :func:`run_sweep` (+ method; scores every k and names the segments of every k)
-> :func:`segment` (+ k, the credit model). Changing k re-runs only :func:`segment`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from core.data.dataset import Dataset
from core.data.schema import Role
from core.errors import DataError, InputError
from core.progress import Progress, no_progress, scaled
from core.segmentation import features as features_mod
from core.segmentation.cluster import METHODS, NOISE, Segmenter
from core.segmentation.links import (
    CreditView,
    credit_view,
    pd_by_segment,
    penetration,
    segment_exclusions,
    segment_offers,
)
from core.segmentation.offers.catalogue import default_catalogue
from core.segmentation.preprocess import Preprocessor
from core.segmentation.profile import NOISE_NAME, profile_segments
from core.segmentation.result import Prepared, SegmentationParams, SegmentationResult
from core.segmentation.stable_names import inherited_names, name_chain
from core.segmentation.sweep import SweepResult, sweep_k

logger = logging.getLogger(__name__)

RUN_KIND = "segmentation"
DEFAULT_K = 6


def default_features(dataset: Dataset) -> list[str]:
    """Behaviour, balances, income, relationship and products, from the schema's tags."""
    return features_mod.default_features(dataset)


def usable_features(dataset: Dataset) -> list[str]:
    """Every column the analyst may pick: numeric and categorical, never an id, PII, the target or dates."""
    return features_mod.usable_features(dataset)


def prepare(dataset: Dataset, features: list[str] | tuple[str, ...] | None = None, seed: int = 42) -> Prepared:
    """Check the features, then impute, transform and scale them (fitted on a sample)."""
    schema = dataset.schema
    features = list(features) if features else default_features(dataset)
    notes = []
    allowed = set(usable_features(dataset))
    for c in [c for c in features if c not in allowed]:
        role = schema.roles.get(c)
        if role is None:
            why = "it is not in the data"
        elif c in schema.features():
            why = "every value is a distinct whole number, like a customer number (mark it as the id on Home)"
        else:
            why = f"its role is '{role.value}' (ids, personal data and the target never enter a segmentation)"
        notes.append(f"'{c}' was left out because {why}.")
    features = [c for c in dict.fromkeys(features) if c in allowed]
    if not features:
        raise DataError("No usable feature is selected." + (" " + " ".join(notes) if notes else ""),
                        "Pick behaviour or balance columns (ids, personal data and the target cannot be used).")
    if dataset.n_rows < 2:
        raise DataError(f"The dataset has {dataset.n_rows} row; a segmentation needs many customers.",
                        "Load a dataset with more rows.")
    numeric = [c for c in features if schema.roles[c] == Role.NUMERIC]
    categorical = [c for c in features if schema.roles[c] == Role.CATEGORICAL]
    pre = Preprocessor(numeric, categorical, seed=seed).fit(dataset.frame)
    X = pre.transform(dataset.frame)
    if schema.id_column is None:
        notes.append("This dataset has no id column: exports identify customers by row number.")
    return Prepared(dataset.fingerprint, tuple(features), pre.used_numeric, [s.column for s in pre.categorical_steps_],
                    X, pre, notes + list(pre.notes_), tuple(features_mod.describe_columns(dataset, features)))


def run_sweep(prepared: Prepared, method: str = "kmeans", seed: int = 42, ks: range | list[int] = range(2, 13),
              dataset: Dataset | None = None, progress: Progress | None = None) -> SweepResult:
    """Score every k; with the dataset, also name the segments of every k (so names are stable across k)."""
    say = progress or no_progress
    if method not in METHODS:
        raise InputError(f"Unknown method '{method}'.", f"Use one of {', '.join(METHODS)}.")
    say(0.0, f"Comparing {min(ks)} to {max(ks)} segments")
    sw = sweep_k(prepared.X, method=method, ks=ks, seed=seed)
    if dataset is not None and method == "kmeans":
        if dataset.fingerprint != prepared.dataset_fingerprint:
            raise DataError("The prepared features belong to another dataset.", "Run the segmentation again.")
        say(0.9, "Naming the segments of every k")
        sw = replace(sw, chain=name_chain(dataset.frame, prepared.X, prepared.numeric, prepared.categorical,
                                          sw.centers, dataset.schema.semantics, seed=seed))
    say(1.0, "Sweep done")
    return sw


def _metrics(X: np.ndarray, labels: np.ndarray, seed: int, seg: Segmenter) -> dict:
    rng = np.random.default_rng(seed)
    keep = np.flatnonzero(labels != NOISE)
    out: dict = {"fit_rows": int(seg.fit_rows_), "n_segments": int(seg.n_segments_)}
    if getattr(seg, "inertia_", None) is not None:
        out["inertia"] = float(seg.inertia_)
    if getattr(seg, "bic_", None) is not None:
        out["bic"] = float(seg.bic_)
    out["noise_share"] = float(1 - keep.size / max(1, labels.size))
    if np.unique(labels[keep]).size < 2:
        return out
    sub = rng.choice(keep, min(keep.size, 20_000), replace=False)
    S, L = np.asarray(X[sub], dtype=np.float64), labels[sub]
    sil = sub[:3_000]
    if np.unique(labels[sil]).size > 1:
        out["silhouette"] = float(silhouette_score(np.asarray(X[sil], dtype=np.float64), labels[sil]))
    out["calinski_harabasz"] = float(calinski_harabasz_score(S, L))
    out["davies_bouldin"] = float(davies_bouldin_score(S, L))
    out["metrics_rows"] = int(sub.size)
    return out


def segment(dataset: Dataset, prepared: Prepared, method: str = "kmeans", k: int | None = None, seed: int = 42,
            sweep: SweepResult | None = None, credit: CreditView | None = None,
            progress: Progress | None = None) -> SegmentationResult:
    """Fit, assign every customer, profile, name and link the segments."""
    say = progress or no_progress
    t0 = time.perf_counter()
    if method not in METHODS:
        raise InputError(f"Unknown method '{method}'.", f"Use one of {', '.join(METHODS)}.")
    if prepared.dataset_fingerprint != dataset.fingerprint:
        raise DataError("The prepared features belong to another dataset.", "Run the segmentation again.")
    k = int(k if k is not None else (sweep.suggested_k if sweep is not None else DEFAULT_K))
    if method != "hdbscan" and dataset.n_rows < k:
        raise InputError(f"There are only {dataset.n_rows} customers, fewer than the {k} segments asked for.",
                         f"Choose k ≤ {max(2, dataset.n_rows)} or load more data.")
    init = sweep.centers.get(k) if sweep is not None and method != "hdbscan" and sweep.method == method else None
    say(0.05, f"Fitting {k} segments")
    seg = Segmenter(method, k, seed, init=init).fit(prepared.X)
    labels = seg.predict(prepared.X)
    notes = list(prepared.notes)
    if method == "hdbscan":
        notes.append(f"HDBSCAN found {seg.n_segments_} dense segments on a {seg.fit_rows_:,}-row sample; "
                     f"{(labels == NOISE).mean():.1%} of customers fit none and are shown as '{NOISE_NAME}'.")
    if np.unique(labels[labels != NOISE]).size < (2 if method != "hdbscan" else 1):
        raise DataError("The data does not split into segments on these features (every customer looks alike).",
                        "Pick features that vary between customers.")
    say(0.4, "Scoring the segments")
    metrics = _metrics(prepared.X, labels, seed, seg)
    credit = credit if credit is not None else credit_view(dataset)
    mean_pd = pd_by_segment(credit.pd, labels)
    inherit = inherited_names(sweep.chain, k, labels) if sweep is not None and sweep.method == method else {}
    say(0.6, "Profiling and naming")
    prof = profile_segments(dataset.frame, labels, prepared.numeric, prepared.categorical, dataset.schema.semantics,
                            seed=seed, X_numeric=prepared.X[:, :len(prepared.numeric)],
                            describe_columns=list(prepared.describe), pd_mean=mean_pd, inherit_names=inherit)
    catalogue = default_catalogue()
    pen = penetration(dataset, labels, catalogue)
    cutoff = credit.cutoff if credit.cutoff is not None else catalogue.pd_cutoff
    excluded = segment_exclusions(prof.means, dataset.schema.semantics, catalogue, mean_pd, cutoff, pen)
    params = SegmentationParams(tuple(prepared.features), method, int(seg.n_segments_) if method == "hdbscan" else k, seed)
    warning = sweep.warning if sweep is not None and method != "hdbscan" else ""
    result = SegmentationResult(
        params=params, dataset_name=dataset.name, dataset_fingerprint=dataset.fingerprint,
        id_column=dataset.schema.id_column or "row", ids=dataset.ids().reset_index(drop=True), labels=labels,
        profile=prof, names=dict(prof.auto_names), metrics=metrics, preprocessing=prepared.choices, sweep=sweep,
        notes=notes, penetration=pen, next_best=segment_offers(pen, catalogue, excluded), mean_pd=mean_pd,
        credit=credit, warning=warning,
    )
    prof.descriptions = {s: result.description(s) for s in result.segments}
    say(1.0, "Segments ready")
    return replace(result, seconds=time.perf_counter() - t0)


def run_segmentation(dataset: Dataset, params: SegmentationParams | None = None, *, sweep: bool | None = None,
                     progress: Progress | None = None) -> SegmentationResult:
    """Everything in one call: prepare, sweep (when k is not given, or when asked), segment."""
    params = params or SegmentationParams()
    prepared = prepare(dataset, params.features or None, params.seed)
    do_sweep = params.k is None if sweep is None else sweep
    sw = run_sweep(prepared, params.method, params.seed, dataset=dataset, progress=scaled(progress, 0.0, 0.7)) \
        if do_sweep else None
    return segment(dataset, prepared, params.method, params.k, params.seed, sweep=sw,
                   progress=scaled(progress, 0.7 if do_sweep else 0.0, 1.0))
