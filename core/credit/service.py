"""The credit model as a shared, persisted object: train once per (dataset, parameters), load anywhere.

Public API (other pages code against it)::

    from core.credit.service import train_or_load, latest_model, CreditParams
    model = train_or_load(dataset, CreditParams())   # trains, or loads the artifact for this key
    model = latest_model(dataset)                     # newest model of this dataset, or None
    model.feature_names; model.predict_pd(frame); model.explain(frame); model.fingerprint

An artifact is a folder under the registry root: ``booster.json`` (XGBoost's JSON format),
``reference.npz`` (numeric arrays, read with ``allow_pickle=False``) and ``meta.json`` holding the
encoder, the calibrator, the logistic benchmark's coefficients, the parameters and the test
metrics. Nothing is pickled. Each trained model is logged as a workspace run of kind
``credit_model``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.credit import metrics as M
from core.credit.explain import Explanation, tree_shap
from core.credit.model import (
    TEST,
    TRAIN,
    VALID,
    Calibrator,
    CreditParams,
    FeatureEncoder,
    LeakageError,
    LogisticBenchmark,
    Progress,
    binary_target,
    check_features,
    fit_booster,
    leakage_scan,
    protected_attributes,
    split_rows,
)
from core.data import Dataset, Role
from core.errors import ModelLoadError, WorkspaceError
from core.runtime.device import cuda_or_cpu
from core.runtime.registry import fingerprint_of, get_registry

__all__ = ["CreditModel", "CreditParams", "latest_model", "load_model", "train_or_load", "fit_credit_model"]

logger = logging.getLogger(__name__)
ARTIFACT = "credit_model"
RUN_KIND = "credit_model"
SMALL_BATCH = 4096  # rows up to which scoring runs on one thread
VERSION = 2  # bump when the artifact layout or the training recipe changes


class CreditModel:
    """A fitted PD model: calibrated booster, its encoder, the logistic benchmark, and metadata.

    Immutable once built and shared across sessions through the registry: never mutate it.
    """

    def __init__(self, booster, encoder: FeatureEncoder, calibrator: Calibrator, benchmark: LogisticBenchmark,
                 meta: dict, reference: dict[str, np.ndarray], device: str = "cpu") -> None:
        self.booster = booster
        # small batches (one applicant, a counterfactual grid) run single-threaded: thread start-up
        # costs more than it saves there, and on a busy CPU an oversubscribed OpenMP team is far slower
        self._booster_1t = booster.copy()
        self._booster_1t.set_param({"nthread": 1})
        self.encoder = encoder
        self.calibrator = calibrator
        self.benchmark = benchmark
        self.meta = meta
        self.reference = reference
        self.device = device

    # ---- identity and metadata ---------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        return self.meta["model_fingerprint"]

    @property
    def dataset_fingerprint(self) -> str:
        return self.meta["dataset_fingerprint"]

    @property
    def feature_names(self) -> list[str]:
        return list(self.encoder.features)

    @property
    def categorical(self) -> list[str]:
        return list(self.encoder.categories)

    @property
    def params(self) -> CreditParams:
        return CreditParams.from_dict(self.meta["params"])

    @property
    def monotone(self) -> dict[str, int]:
        return dict(self.meta.get("monotone", {}))

    @property
    def metrics(self) -> dict:
        return dict(self.meta.get("metrics", {}))

    @property
    def warnings(self) -> list[str]:
        return list(self.meta.get("warnings", []))

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """Per numeric feature, the 1st and 99th training percentiles: the realistic range for edits."""
        return {k: (float(v[0]), float(v[1])) for k, v in self.meta.get("bounds", {}).items()}

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        """Per numeric feature, the smallest and largest training value: edits outside are clipped."""
        return {k: (float(v[0]), float(v[1])) for k, v in self.meta.get("ranges", {}).items()}

    @property
    def split_labels(self) -> np.ndarray:
        """Per training-dataset row: 0 train, 1 validation, 2 test."""
        return self.reference["split"]

    # ---- scoring -----------------------------------------------------------------------------
    def raw(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's features of ``frame``, typed as in training (extra columns dropped)."""
        return self.encoder.raw(frame)

    def predict_margin(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw booster output in log-odds (what SHAP explains)."""
        return self.margin_from_matrix(self.encoder.native_matrix(frame))

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of default in [0, 1]."""
        return np.clip(self.calibrator(self.predict_margin(frame)), 0.0, 1.0)

    def pd_from_margin(self, margin: np.ndarray) -> np.ndarray:
        return np.clip(self.calibrator(margin), 0.0, 1.0)

    def predict_benchmark_pd(self, frame: pd.DataFrame) -> np.ndarray:
        """PD of the logistic-regression benchmark."""
        return self.benchmark.predict_pd(self.encoder.raw(frame))

    def explain(self, frame: pd.DataFrame) -> Explanation:
        """Exact TreeSHAP in log-odds per original feature; ``base + sum == predict_margin``."""
        x = self.encoder.native_matrix(frame)
        groups = self.encoder.groups if self.encoder.encoding == "onehot" else None
        small = len(x) <= SMALL_BATCH
        return tree_shap(self._booster_1t if small else self.booster, self.encoder.dmatrix(x, nthread=1 if small else -1),
                         self.encoder.raw_from_matrix(x), self.feature_names, groups)

    def margin_from_matrix(self, x: np.ndarray) -> np.ndarray:
        """Margins of rows given as :meth:`FeatureEncoder.native_matrix` arrays (the fast path for search)."""
        small = len(x) <= SMALL_BATCH
        booster = self._booster_1t if small else self.booster
        return booster.predict(self.encoder.dmatrix(x, nthread=1 if small else -1), output_margin=True,
                               validate_features=False).astype(np.float64)

    def explain_benchmark(self, frame: pd.DataFrame) -> Explanation:
        """Exact additive explanation of the logistic benchmark (one-hot terms grouped per column)."""
        raw = self.encoder.raw(frame)
        values, base = self.benchmark.contributions(raw)
        return Explanation(values, base, raw.reset_index(drop=True), self.benchmark.feature_names)

    # ---- persistence ------------------------------------------------------------------------
    def write(self, folder: Path) -> dict:
        self.booster.save_model(str(folder / "booster.json"))
        np.savez_compressed(folder / "reference.npz", **self.reference)
        return {**self.meta, "encoder": self.encoder.to_dict(), "calibrator": self.calibrator.to_dict(),
                "benchmark": self.benchmark.to_dict()}

    @classmethod
    def load(cls, folder: Path, device: str = "cpu") -> CreditModel:
        import xgboost as xgb

        folder = Path(folder)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            booster = xgb.Booster()
            booster.load_model(str(folder / "booster.json"))
            with np.load(folder / "reference.npz", allow_pickle=False) as z:
                reference = {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError, xgb.core.XGBoostError) as exc:
            raise ModelLoadError(f"The credit model in {folder} cannot be read ({exc}).", "Train the model again.") from exc
        booster.set_param({"device": "cuda" if device == "cuda" else "cpu", "nthread": 0})
        encoder = FeatureEncoder.from_dict(meta.pop("encoder"))
        calibrator = Calibrator.from_dict(meta.pop("calibrator"))
        benchmark = LogisticBenchmark.from_dict(meta.pop("benchmark"))
        return cls(booster, encoder, calibrator, benchmark, meta, reference, device)


# ---- training ------------------------------------------------------------------------------
def model_features(dataset: Dataset, params: CreditParams) -> tuple[list[str], list[str]]:
    """(features, categorical) the model may use: schema features minus exclusions; never ids or PII."""
    schema = dataset.schema
    feats = [f for f in schema.features() if f not in set(params.exclude)]
    cats = []
    for f in feats:
        s = dataset.frame[f]
        if schema.roles.get(f) == Role.CATEGORICAL or not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            cats.append(f)
    return feats, cats


def model_key(dataset: Dataset, params: CreditParams) -> str:
    return fingerprint_of(ARTIFACT, VERSION, dataset.fingerprint, params.to_dict())


def fit_credit_model(dataset: Dataset, params: CreditParams | None = None, device: str = "cpu",
                     progress: Progress | None = None) -> CreditModel:
    """Check the data, split it, fit booster + calibrator + benchmark, and measure them on the test split."""
    params = params or CreditParams()
    say = progress or (lambda f, m: None)
    t0 = time.perf_counter()
    frame = dataset.frame
    say(0.02, "Checking the data")
    y = binary_target(frame, dataset.schema.target, dataset.schema.positive_label)
    features, categorical = model_features(dataset, params)
    check_features(frame, features)
    warnings: list[str] = []
    leaks = leakage_scan(frame, features, y)
    if leaks:
        text = ", ".join(f"'{c}' (AUC {a:.3f})" for c, a in leaks.items())
        if params.leakage == "error":
            raise LeakageError(f"{text} predict the target almost perfectly on their own: probably target leakage "
                               "(information only known after the outcome).",
                               "Exclude these columns from the model, or train anyway if you are sure they are known at application time.")
        warnings.append(f"Possible target leakage: {text} predict the target almost perfectly on their own. "
                        "Check that they are known at application time, or exclude them.")
    encoder = FeatureEncoder.fit(frame, features, categorical, params.encoding)
    raw = encoder.raw(frame)

    date_col = dataset.schema.semantics.get("date")
    use_time = params.split != "random" and date_col in frame.columns
    split, how = split_rows(y, params.test_size, params.valid_size, params.seed, frame[date_col] if use_time else None)
    if params.split == "time" and how != "time":
        warnings.append("A time-based split was asked for but the data has no usable date; a stratified random split was used.")
    tr, va, te = (np.flatnonzero(split == k) for k in (TRAIN, VALID, TEST))
    monotone = params.monotone_for(features, set(categorical))

    from core.runtime.device import fallback_to_cpu, is_oom

    xgb_device = "cuda" if device == "cuda" else "cpu"
    try:
        booster = fit_booster(encoder, raw.iloc[tr], y[tr], raw.iloc[va], y[va], params, monotone, xgb_device,
                              lambda f, m: say(0.05 + 0.75 * f, m))
    except Exception as exc:  # a CUDA failure falls back to the CPU, never takes the page down
        if xgb_device != "cuda" or not is_oom(exc):
            raise
        xgb_device = fallback_to_cpu(str(exc))
        booster = fit_booster(encoder, raw.iloc[tr], y[tr], raw.iloc[va], y[va], params, monotone, "cpu",
                              lambda f, m: say(0.05 + 0.75 * f, m))
    say(0.82, "Calibrating on the validation split")
    margin = booster.predict(encoder.dmatrix(raw), output_margin=True, validate_features=False).astype(np.float64)
    calibrator = Calibrator.fit(margin[va], y[va], params.calibration)
    pd_all = np.clip(calibrator(margin), 0, 1)

    say(0.88, "Fitting the logistic-regression benchmark")
    benchmark = LogisticBenchmark().fit(raw.iloc[tr], y[tr], categorical)
    lr_pd = benchmark.predict_pd(raw.iloc[te])

    say(0.95, "Measuring on the test split")
    test_metrics = M.summary(y[te], pd_all[te])
    test_metrics["auc_raw_margin"] = M.auc(y[te], margin[te])
    model_metrics = {
        "xgboost": test_metrics,
        "logistic": M.summary(y[te], lr_pd),
        "train_auc": M.auc(y[tr], margin[tr]),
        "psi_train_vs_test": M.psi(pd_all[tr], pd_all[te]),
    }
    bounds, ranges, medians = {}, {}, {}
    for c in encoder.numeric:
        v = raw[c].to_numpy()[tr]
        v = v[~np.isnan(v)]
        if len(v):
            bounds[c] = [float(np.percentile(v, 1)), float(np.percentile(v, 99))]
            ranges[c] = [float(v.min()), float(v.max())]
            medians[c] = float(np.median(v))
    rng = np.random.default_rng(params.seed)
    ref_rows = tr if len(tr) <= 20_000 else np.sort(rng.choice(tr, 20_000, replace=False))
    reference = {"split": split, "train_pd": pd_all[ref_rows].astype(np.float32),
                 "train_margin": margin[ref_rows].astype(np.float32)}
    fp = model_key(dataset, params)
    meta = {
        "model_fingerprint": fp, "dataset_fingerprint": dataset.fingerprint, "dataset_name": dataset.name,
        "dataset_source": dataset.source, "n_rows": int(len(frame)), "target": dataset.schema.target,
        "positive_label": dataset.schema.positive_label, "params": params.to_dict(), "monotone": monotone,
        "split": how, "split_sizes": {"train": int(len(tr)), "valid": int(len(va)), "test": int(len(te))},
        "date_column": date_col if how == "time" else None, "n_trees": int(booster.num_boosted_rounds()),
        "calibration": calibrator.method, "metrics": model_metrics, "warnings": warnings, "leakage": leaks,
        "bounds": bounds, "ranges": ranges, "medians": medians, "excluded": list(params.exclude),
        "protected": protected_attributes(list(frame.columns)), "device": xgb_device,
        "train_seconds": round(time.perf_counter() - t0, 3), "version": VERSION,
        "xgboost_version": __import__("xgboost").__version__,
    }
    say(1.0, "Done")
    return CreditModel(booster, encoder, calibrator, benchmark, meta, reference, xgb_device)


# ---- registry and workspace -----------------------------------------------------------------


def load_model(fingerprint: str) -> CreditModel:
    """The model stored under ``fingerprint`` (loaded once per process through the registry)."""
    reg = get_registry()
    if not reg.has_artifact(ARTIFACT, fingerprint):
        raise ModelLoadError(f"There is no stored credit model {fingerprint}.", "Train the model first.")
    return reg.get(ARTIFACT, fingerprint, lambda device: CreditModel.load(reg.artifact_dir(ARTIFACT, fingerprint),
                                                                            "cuda" if device == "cuda" else "cpu"))


def train_or_load(dataset: Dataset, params: CreditParams | None = None, progress: Progress | None = None,
                  log_run: bool = True) -> CreditModel:
    """The model for ``(dataset, params)``: from memory, from its artifact, or trained now and stored."""
    params = params or CreditParams()
    fp = model_key(dataset, params)
    reg = get_registry()
    with reg.training_lock(ARTIFACT, fp):  # two sessions asking for the same model train it once
        if reg.has_artifact(ARTIFACT, fp):
            if progress:
                progress(1.0, "Loaded the stored model")
            return load_model(fp)
        device = cuda_or_cpu()
        model = fit_credit_model(dataset, params, device, progress)
        path = reg.save_artifact(ARTIFACT, fp, model.write)
        model.meta["artifact"] = str(path)
        reg.put(ARTIFACT, fp, model, device)
        if log_run:
            _log_run(dataset, model, path)
        return model


def _log_run(dataset: Dataset, model: CreditModel, path: Path) -> None:
    from core.workspace import get_workspace

    m = model.metrics
    result = {"auc": m["xgboost"]["auc"], "gini": m["xgboost"]["gini"], "ks": m["xgboost"]["ks"],
              "brier": m["xgboost"]["brier"], "logistic_auc": m["logistic"]["auc"], "n_trees": model.meta["n_trees"],
              "features": model.feature_names, "split": model.meta["split"], "warnings": model.warnings}
    try:
        get_workspace().log_run(RUN_KIND, name=f"Credit model on {dataset.name}", params=model.meta["params"],
                                seed=model.params.seed, dataset_fingerprint=dataset.fingerprint,
                                model_fingerprint=model.fingerprint, result=result, artifact=str(path))
    except WorkspaceError as exc:  # the model is stored; a missing log line must not lose it
        logger.warning("The credit model run could not be logged: %s", exc)


def latest_model(dataset: Dataset) -> CreditModel | None:
    """The newest stored credit model trained on this dataset fingerprint, or ``None``."""
    reg = get_registry()
    try:
        from core.workspace import get_workspace

        runs = get_workspace().runs(kind=RUN_KIND, dataset_fingerprint=dataset.fingerprint)
        for fp in runs["model_fingerprint"].dropna().tolist():
            if reg.has_artifact(ARTIFACT, fp):
                return load_model(fp)
    except WorkspaceError as exc:
        logger.warning("The run log could not be read (%s); looking at artifacts instead.", exc)
    for meta in reg.list_artifacts(ARTIFACT):
        if meta.get("dataset_fingerprint") == dataset.fingerprint:
            return load_model(meta["fingerprint"])
    return None


def model_runs(dataset: Dataset) -> pd.DataFrame:
    """The workspace's credit-model runs for this dataset, newest first."""
    from core.workspace import get_workspace

    return get_workspace().runs(kind=RUN_KIND, dataset_fingerprint=dataset.fingerprint)


def cross_validate(dataset: Dataset, params: CreditParams | None = None, folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """Stratified k-fold AUC of the boosted model (early stopping on an inner 20% split) and the logistic benchmark.

    Returns one row per fold plus a ``mean`` row; columns ``auc_xgboost`` and ``auc_logistic``.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    params = params or CreditParams()
    y = binary_target(dataset.frame, dataset.schema.target, dataset.schema.positive_label)
    features, categorical = model_features(dataset, params)
    check_features(dataset.frame, features)
    encoder = FeatureEncoder.fit(dataset.frame, features, categorical, params.encoding)
    raw = encoder.raw(dataset.frame)
    monotone = params.monotone_for(features, set(categorical))
    rows = []
    for k, (train, test) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(raw, y)):
        inner, valid = train_test_split(train, test_size=0.2, random_state=seed, stratify=y[train])
        booster = fit_booster(encoder, raw.iloc[inner], y[inner], raw.iloc[valid], y[valid], params, monotone, cuda_or_cpu())
        margin = booster.predict(encoder.dmatrix(raw.iloc[test]), output_margin=True, validate_features=False)
        lr = LogisticBenchmark().fit(raw.iloc[train], y[train], categorical)
        rows.append({"fold": str(k + 1), "auc_xgboost": M.auc(y[test], margin),
                     "auc_logistic": M.auc(y[test], lr.margin(raw.iloc[test])), "n_trees": booster.num_boosted_rounds()})
    out = pd.DataFrame(rows)
    mean = {"fold": "mean", **out.drop(columns="fold").mean().to_dict()}
    return pd.concat([out, pd.DataFrame([mean])], ignore_index=True)
