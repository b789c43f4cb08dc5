"""Segmentation as a service: one call for a batch job, step-by-step calls for the page.

:func:`run_segmentation` does everything. The page calls the steps separately so that each can be
cached on its own key: :func:`prepare` (dataset, features, seed) → :func:`run_sweep` (+ method)
→ :func:`segment` (+ k). Changing k re-runs only :func:`segment`.

A run is saved in the workspace with its parameters, seed, preprocessing choices, the sweep, the
profile table, the analyst's names and the id → segment table, and can be reloaded.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from core.briefs import SegmentBrief
from core.data.dataset import Dataset
from core.data.schema import Role
from core.errors import DataError, InputError, WorkspaceError
from core.segmentation.cluster import METHODS, NOISE, Segmenter, compute_threads
from core.segmentation.links import CreditLink, credit_link, next_best_products, pd_by_segment, penetration
from core.segmentation.preprocess import Preprocessor
from core.segmentation.profile import NOISE_NAME, SegmentProfile, describe, profile_segments
from core.segmentation.stable_names import inherited_names, name_chain
from core.segmentation.sweep import SweepResult, sweep_k

logger = logging.getLogger(__name__)

RUN_KIND = "segmentation"
MACRO_SEMANTICS = ("unemployment", "policy_rate", "house_price_change")
MAX_MAP_POINTS = 20_000


@dataclass(frozen=True)
class SegmentationParams:
    """What the analyst chose. ``k=None`` takes the sweep's suggestion."""

    features: tuple[str, ...] = ()
    method: str = "kmeans"
    k: int | None = None
    seed: int = 42

    def to_dict(self) -> dict:
        d = asdict(self)
        d["features"] = list(self.features)
        return d


@dataclass
class Prepared:
    """The scaled matrix of a dataset's chosen features, and the choices that made it."""

    dataset_fingerprint: str
    features: tuple[str, ...]
    numeric: list[str]
    categorical: list[str]
    X: np.ndarray = field(repr=False)  # (n_rows, n_columns_out) float32
    preprocessor: Preprocessor = field(repr=False)
    notes: list[str] = field(default_factory=list)

    @property
    def choices(self) -> dict:
        return self.preprocessor.choices_


@dataclass
class Embedding:
    """2-D coordinates of a sample of rows (``index`` into the dataset) for the map."""

    index: np.ndarray
    coords: np.ndarray  # (n, 2)
    method: str
    explained: float | None = None  # PCA: share of variance the two axes hold


@dataclass
class SegmentationResult:
    """A finished segmentation: who is where, what each segment is, and how sure we are."""

    params: SegmentationParams
    dataset_name: str
    dataset_fingerprint: str
    id_column: str
    ids: pd.Series = field(repr=False)
    labels: np.ndarray = field(repr=False)
    profile: SegmentProfile = field(repr=False)
    names: dict[int, str]
    metrics: dict
    preprocessing: dict
    sweep: SweepResult | None = None
    notes: list[str] = field(default_factory=list)
    penetration: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    next_best: dict[int, dict] = field(default_factory=dict)
    mean_pd: pd.Series | None = None
    credit_message: str = ""
    run_id: str | None = None
    seconds: float = 0.0

    @property
    def k(self) -> int:
        return int(self.params.k or 0)

    @property
    def segments(self) -> list[int]:
        return self.profile.segments

    def description(self, segment: int) -> str:
        extra = []
        nb = self.next_best.get(segment, {})
        if nb.get("product"):
            extra.append(f"Next-best product: {nb['product'].replace('_', ' ')} ({nb['lift']:.1f}× the book's holding rate, "
                         f"held by {nb['penetration']:.0%} of the segment).")
        if self.mean_pd is not None and segment in self.mean_pd.index:
            extra.append(f"Mean predicted PD {self.mean_pd[segment]:.1%} vs {self.mean_pd['all']:.1%} for the book.")
        return describe(segment, self.names.get(segment, str(segment)), self.profile,
                        self.profile.rfm_cells.get(segment), extra)

    def with_names(self, names: dict[int, str]) -> SegmentationResult:
        """A copy with the analyst's names (blank names keep the automatic one)."""
        merged = dict(self.names)
        for s, n in names.items():
            n = str(n).strip() if n is not None else ""
            if n and int(s) in merged:
                merged[int(s)] = n[:80]
        return replace(self, names=merged)

    def names_table(self) -> pd.DataFrame:
        sizes = self.profile.sizes
        return pd.DataFrame({
            "segment": [int(s) for s in sizes.index],
            "name": [self.names.get(int(s), str(s)) for s in sizes.index],
            "customers": sizes["size"].astype(int).to_numpy(),
            "share": sizes["share"].to_numpy(),
            "rfm_cell": [self.profile.rfm_cells.get(int(s), "") for s in sizes.index],
            "rule": [self.profile.rules[int(s)].text if int(s) in self.profile.rules else "" for s in sizes.index],
        })

    def profile_table(self, columns: list[str] | None = None) -> pd.DataFrame:
        t = self.profile.table(self.names, columns)
        if self.mean_pd is not None:
            t["mean_pd"] = [self.mean_pd.get(i, np.nan) for i in t.index]
        return t

    def assignments(self) -> pd.DataFrame:
        """Customer id → segment number and name."""
        name_lut = {s: self.names.get(s, str(s)) for s in self.segments}
        return pd.DataFrame({
            self.id_column: self.ids.to_numpy(),
            "segment": self.labels.astype(int),
            "segment_name": pd.Series(self.labels).map(name_lut).to_numpy(),
        })

    def brief(self, segment: int) -> SegmentBrief:
        """The aggregate-only brief the copy page receives (no customer-level data)."""
        segment = int(segment)
        if segment not in self.segments:
            raise InputError(f"There is no segment {segment} in this run.")
        sizes = self.profile.sizes
        means = self.profile.means
        aggregates = {c: float(means.loc[segment, c]) for c in means.columns if np.isfinite(means.loc[segment, c])}
        held = {}
        if not self.penetration.empty and segment in self.penetration.index:
            held = {str(p): float(v) for p, v in self.penetration.loc[segment].items()}
        nb = self.next_best.get(segment, {}).get("product")
        pd_mean = None
        if self.mean_pd is not None and segment in self.mean_pd.index:
            pd_mean = float(self.mean_pd[segment])
        return SegmentBrief(
            name=self.names.get(segment, str(segment)), size=int(sizes.loc[segment, "size"]),
            share=float(sizes.loc[segment, "share"]), description=self.description(segment),
            traits=tuple(self.profile.traits.get(segment, [])), aggregates=aggregates, products_held=held,
            next_best_product=nb, mean_pd=pd_mean, source_run_id=self.run_id,
        )

    def summary(self) -> dict:
        """What the run log stores as the result (JSON-serialisable)."""
        sizes = self.profile.sizes
        return {
            "dataset": self.dataset_name,
            "k": self.k,
            "n_segments": int((sizes.index != NOISE).sum()),
            "names": {str(s): n for s, n in self.names.items()},
            "auto_names": {str(s): n for s, n in self.profile.auto_names.items()},
            "sizes": {str(s): int(v) for s, v in sizes["size"].items()},
            "rules": {str(s): r.to_dict() for s, r in self.profile.rules.items()},
            "rfm_cells": {str(s): v for s, v in self.profile.rfm_cells.items()},
            "metrics": self.metrics,
            "preprocessing": self.preprocessing,
            "sweep": self.sweep.to_dict() if self.sweep else None,
            "notes": self.notes,
            "next_best": {str(s): v for s, v in self.next_best.items()},
            "credit": self.credit_message,
            "seconds": round(self.seconds, 3),
        }


# ---- steps -------------------------------------------------------------------------------------
def default_features(dataset: Dataset) -> list[str]:
    """Behaviour and balance columns: never ids, PII, the target, dates, flags or macro drivers."""
    from core.data.synthetic import BEHAVIOUR_COLUMNS

    frame, schema = dataset.frame, dataset.schema
    if all(c in frame.columns and schema.roles.get(c) == Role.NUMERIC for c in BEHAVIOUR_COLUMNS):
        return list(BEHAVIOUR_COLUMNS)
    macro = {schema.semantics.get(m) for m in MACRO_SEMANTICS}
    out = []
    for c in schema.numeric:
        if c in macro or c.lower().startswith("has_"):
            continue
        if frame[c].nunique(dropna=True) <= 2:  # flags describe holdings (see links), not behaviour
            continue
        out.append(c)
    return out


def usable_features(dataset: Dataset) -> list[str]:
    """Every column the analyst may pick: numeric and categorical, never id, PII, target or dates."""
    return dataset.schema.features()


def prepare(dataset: Dataset, features: list[str] | tuple[str, ...] | None = None, seed: int = 42) -> Prepared:
    """Check the features, then impute, transform and scale them (fitted on a sample)."""
    schema = dataset.schema
    features = list(features) if features else default_features(dataset)
    notes = []
    allowed = set(schema.features())
    blocked = [c for c in features if c not in allowed]
    for c in blocked:
        role = schema.roles.get(c)
        why = "it is not in the data" if role is None else f"its role is '{role.value}' (ids, PII and the target never enter a segmentation)"
        notes.append(f"'{c}' was left out because {why}.")
    features = [c for c in dict.fromkeys(features) if c in allowed]
    if not features:
        raise DataError("No usable feature is selected.",
                        "Pick numeric behaviour or balance columns (ids, personal data and the target cannot be used).")
    if dataset.n_rows < 2:
        raise DataError(f"The dataset has {dataset.n_rows} row; a segmentation needs many customers.",
                        "Load a dataset with more rows.")
    numeric = [c for c in features if schema.roles[c] == Role.NUMERIC]
    categorical = [c for c in features if schema.roles[c] == Role.CATEGORICAL]
    pre = Preprocessor(numeric, categorical, seed=seed).fit(dataset.frame)
    X = pre.transform(dataset.frame)
    if schema.id_column is None:
        notes.append("This dataset has no id column: exports identify customers by row number.")
    return Prepared(dataset.fingerprint, tuple(features), pre.used_numeric,
                    [s.column for s in pre.categorical_steps_], X, pre, notes + list(pre.notes_))


def run_sweep(prepared: Prepared, method: str = "kmeans", seed: int = 42, ks: range | list[int] = range(2, 13),
              dataset: Dataset | None = None) -> SweepResult:
    """Score every k; with the dataset, also name the segments of every k (names stable across k)."""
    sw = sweep_k(prepared.X, method=method, ks=ks, seed=seed)
    if dataset is not None and method == "kmeans":
        if dataset.fingerprint != prepared.dataset_fingerprint:
            raise DataError("The prepared features belong to another dataset.", "Run the segmentation again.")
        sw = replace(sw, chain=name_chain(dataset.frame, prepared.X, prepared.numeric, prepared.categorical,
                                          sw.centers, dataset.schema.semantics, seed=seed))
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
            sweep: SweepResult | None = None, credit: CreditLink | None = None) -> SegmentationResult:
    """Fit, assign every customer, profile, name and link the segments."""
    t0 = time.perf_counter()
    if method not in METHODS:
        raise InputError(f"Unknown method '{method}'.", f"Use one of {', '.join(METHODS)}.")
    if prepared.dataset_fingerprint != dataset.fingerprint:
        raise DataError("The prepared features belong to another dataset.", "Run the segmentation again.")
    if k is None:
        k = sweep.suggested_k if sweep is not None else 6
    k = int(k)
    n = dataset.n_rows
    if method != "hdbscan" and n < k:
        raise InputError(f"There are only {n} customers, fewer than the {k} segments asked for.",
                         f"Choose k ≤ {max(2, n)} or load more data.")
    init = None
    if sweep is not None and method != "hdbscan" and sweep.method == method:
        init = sweep.centers.get(k)
    seg = Segmenter(method, k, seed, init=init).fit(prepared.X)
    labels = seg.predict(prepared.X)
    notes = list(prepared.notes)
    if method == "hdbscan":
        notes.append(f"HDBSCAN found {seg.n_segments_} dense segments on a {seg.fit_rows_:,}-row sample; "
                     f"{(labels == NOISE).mean():.1%} of customers fit none and are shown as '{NOISE_NAME}'.")
    if np.unique(labels[labels != NOISE]).size < (2 if method != "hdbscan" else 1):
        raise DataError("The data does not split into segments on these features (every customer looks alike).",
                        "Pick features that vary between customers.")
    with compute_threads(20_000):
        metrics = _metrics(prepared.X, labels, seed, seg)
    credit = credit if credit is not None else credit_link(dataset)
    mean_pd = pd_by_segment(credit.pd, labels)
    inherit = inherited_names(sweep.chain, k, labels) if sweep is not None and sweep.method == method else {}
    prof = profile_segments(dataset.frame, labels, prepared.numeric, prepared.categorical,
                            dataset.schema.semantics, seed=seed, X_numeric=prepared.X[:, :len(prepared.numeric)],
                            pd_mean=mean_pd, inherit_names=inherit)
    names = dict(prof.auto_names)
    pen = penetration(dataset.frame, labels, dataset.schema.semantics.get("product_type"))
    nbp = next_best_products(pen)
    ids = dataset.ids()
    id_col = dataset.schema.id_column or "row"
    params = SegmentationParams(tuple(prepared.features), method, int(seg.n_segments_) if method == "hdbscan" else k, seed)
    result = SegmentationResult(
        params=params, dataset_name=dataset.name, dataset_fingerprint=dataset.fingerprint, id_column=id_col,
        ids=ids.reset_index(drop=True), labels=labels, profile=prof, names=names, metrics=metrics,
        preprocessing=prepared.choices, sweep=sweep, notes=notes, penetration=pen, next_best=nbp, mean_pd=mean_pd,
        credit_message=credit.message,
    )
    result.profile.descriptions = {s: result.description(s) for s in result.segments}
    result.seconds = time.perf_counter() - t0
    return result


def embed(prepared: Prepared, method: str = "pca", seed: int = 42, max_points: int = MAX_MAP_POINTS) -> Embedding:
    """2-D map of a sample (≤ 20k rows): PCA by default, UMAP when asked (slower)."""
    n = prepared.X.shape[0]
    cap = min(max_points, MAX_MAP_POINTS)
    idx = np.arange(n) if n <= cap else np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))
    S = np.asarray(prepared.X[idx], dtype=np.float64)
    if S.shape[1] == 1:
        return Embedding(idx, np.column_stack([S[:, 0], np.random.default_rng(seed).normal(0, 0.05, len(idx))]),
                         "1 feature (jittered)", None)
    if method == "umap":
        try:
            import umap  # optional and slow to import
        except ImportError as exc:
            raise InputError("UMAP is not installed here.", "Use the PCA map, or install umap-learn.") from exc
        coords = umap.UMAP(n_components=2, random_state=seed, n_neighbors=15, min_dist=0.1).fit_transform(S)
        return Embedding(idx, np.asarray(coords), "umap")
    pca = PCA(n_components=2, random_state=seed).fit(S)
    return Embedding(idx, pca.transform(S), "pca", float(pca.explained_variance_ratio_.sum()))


def run_segmentation(dataset: Dataset, params: SegmentationParams | None = None, *, sweep: bool | None = None) -> SegmentationResult:
    """Everything in one call: prepare, sweep (when k is not given, or when asked), segment."""
    params = params or SegmentationParams()
    prepared = prepare(dataset, params.features or None, params.seed)
    do_sweep = params.k is None if sweep is None else sweep
    sw = run_sweep(prepared, params.method, params.seed, dataset=dataset) if do_sweep else None
    return segment(dataset, prepared, params.method, params.k, params.seed, sweep=sw)


# ---- exports -------------------------------------------------------------------------------------
def to_csv_bytes(result: SegmentationResult) -> bytes:
    return result.assignments().to_csv(index=False).encode("utf-8")


def to_parquet_bytes(result: SegmentationResult) -> bytes:
    buf = io.BytesIO()
    result.assignments().to_parquet(buf, index=False)
    return buf.getvalue()


# ---- workspace runs ----------------------------------------------------------------------------------
def _ws(workspace):
    if workspace is not None:
        return workspace
    from core.workspace import get_workspace

    return get_workspace()


def save_run(result: SegmentationResult, name: str = "", workspace=None) -> str:
    """Log the run (parameters, seed, summary, assignments, profile) in one transaction; returns its id.

    The result is not modified (it may be shared through a cache): use ``replace(result, run_id=...)``.
    """
    ws = _ws(workspace)
    profile = result.profile_table().reset_index(names="segment")
    profile["segment"] = profile["segment"].astype(str)
    run_id = ws.log_run(
        RUN_KIND, name=name or f"{result.dataset_name}: {result.params.method} k={result.k}",
        params=result.params.to_dict(), seed=result.params.seed, dataset_fingerprint=result.dataset_fingerprint,
        status="saved", result=result.summary(),
        tables={"assignments": result.assignments(), "profile": profile},
    )
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
    prepared_numeric = [c for c in params.features if dataset.schema.roles.get(c) == Role.NUMERIC]
    prepared_cat = [c for c in params.features if dataset.schema.roles.get(c) == Role.CATEGORICAL]
    prof = profile_segments(dataset.frame, labels, prepared_numeric, prepared_cat, dataset.schema.semantics, seed=params.seed)
    saved = rec.result
    names = {int(s): n for s, n in saved.get("names", {}).items()}
    pen = penetration(dataset.frame, labels, dataset.schema.semantics.get("product_type"))
    sw = None
    if saved.get("sweep"):
        s = saved["sweep"]
        table = pd.DataFrame(s["table"]).apply(pd.to_numeric, errors="coerce")
        table["k"] = table["k"].astype(int)
        sw = SweepResult(s["method"], table, s.get("knee_k"), s["suggested_k"], s["reason"],
                         s.get("sample_rows", 0), s.get("seed", params.seed))
    credit = credit_link(dataset)
    res = SegmentationResult(
        params=params, dataset_name=dataset.name, dataset_fingerprint=dataset.fingerprint,
        id_column=dataset.schema.id_column or "row", ids=dataset.ids().reset_index(drop=True), labels=labels,
        profile=prof, names={**prof.auto_names, **names}, metrics=saved.get("metrics", {}),
        preprocessing=saved.get("preprocessing", {}), sweep=sw, notes=list(saved.get("notes", [])),
        penetration=pen, next_best=next_best_products(pen), mean_pd=pd_by_segment(credit.pd, labels),
        credit_message=credit.message, run_id=run_id,
    )
    res.profile.descriptions = {s: res.description(s) for s in res.segments}
    return res


def rename_run(run_id: str, result: SegmentationResult, workspace=None) -> None:
    """Store the analyst's current names on a saved run."""
    ws = _ws(workspace)
    ws.update_run(run_id, result=result.summary(), tables={"assignments": result.assignments()})
