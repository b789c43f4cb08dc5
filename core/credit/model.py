"""The PD model: XGBoost with monotone constraints and native categoricals, calibrated, plus a logistic benchmark.

Everything here is plain data in, plain data out; persistence and the registry live in
:mod:`core.credit.service`. Learned state is JSON-serialisable (the booster has its own JSON
format), so an artifact never needs pickle.

Outputs, and how they relate:

* ``margin`` -- the booster's raw log-odds. SHAP values explain this exactly
  (``base + sum(values) == margin``).
* ``pd`` -- the calibrated probability of default, ``calibrator(margin)``. Calibration is a
  monotone map of the margin fitted on a validation split, so it never changes the ranking of
  applicants nor the sign of any explanation; it only rescales what a margin means as a
  probability.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.errors import DataError, InputError, SchemaError, TargetError

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

# Sensible monotone directions for known columns: +1 = higher value never lowers risk.
DEFAULT_MONOTONE: dict[str, int] = {
    "credit_score": -1,
    "delinquencies_24m": 1,
    "debt_to_income": 1,
    "card_utilisation": 1,
}

# Attributes a lender may not (or should not) use for a decision; used by fairness checks and the
# counterfactual search (which never asks to change them).
_PROTECTED = re.compile(r"^(age|age_years|customer_age|sex|gender|personal_status|marital_status|race|ethnicity|"
                        r"religion|foreign_worker|national_origin|nationality|disability)$", re.I)
LEAKAGE_AUC = 0.95


class LeakageError(DataError):
    """A single feature predicts the target almost perfectly: it probably leaks the outcome."""


def protected_attributes(columns: list[str]) -> list[str]:
    """The columns whose names mark them as protected attributes (age, sex, personal status, ...)."""
    return [c for c in columns if _PROTECTED.match(str(c))]


@dataclass(frozen=True)
class CreditParams:
    """Everything that defines a credit model fit; part of the artifact key.

    ``monotone`` maps feature -> -1/0/+1; ``None`` means :data:`DEFAULT_MONOTONE` for the
    features present. ``exclude`` lists columns kept out of the model (e.g. protected attributes,
    which the fairness check can still use). ``calibration="auto"`` is Platt scaling: smooth and
    strictly monotone, so every what-if edit and counterfactual step moves the PD and ranking is
    untouched; ``"isotonic"`` is more flexible but piecewise constant (and clipped to [0.1%, 99.9%]).
    ``leakage="warn"`` trains anyway and records a warning; ``"error"`` refuses to train.
    """

    n_estimators: int = 400
    learning_rate: float = 0.05
    max_depth: int = 4
    min_child_weight: float = 5.0
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    early_stopping_rounds: int = 50
    monotone: dict[str, int] | None = None
    exclude: tuple[str, ...] = ()
    encoding: Literal["native", "onehot"] = "native"
    calibration: Literal["auto", "isotonic", "platt"] = "auto"
    test_size: float = 0.2
    valid_size: float = 0.2
    split: Literal["auto", "time", "random"] = "auto"
    leakage: Literal["warn", "error"] = "warn"
    seed: int = 42

    def __post_init__(self) -> None:
        if not 0.05 <= self.test_size <= 0.5 or not 0.05 <= self.valid_size <= 0.5:
            raise InputError("Test and validation shares must each lie between 5% and 50%.")
        if self.n_estimators < 1 or self.max_depth < 1 or self.learning_rate <= 0:
            raise InputError("Trees, depth and learning rate must be positive.")
        for f, d in (self.monotone or {}).items():
            if d not in (-1, 0, 1):
                raise InputError(f"The monotone direction of '{f}' must be -1, 0 or +1, not {d!r}.")
        object.__setattr__(self, "exclude", tuple(self.exclude))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["exclude"] = list(self.exclude)
        d["monotone"] = None if self.monotone is None else {k: int(v) for k, v in sorted(self.monotone.items())}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> CreditParams:
        d = dict(d)
        d["exclude"] = tuple(d.get("exclude", ()))
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def monotone_for(self, features: list[str], categorical: set[str]) -> dict[str, int]:
        source = DEFAULT_MONOTONE if self.monotone is None else self.monotone
        return {f: int(source.get(f, 0)) if f not in categorical else 0 for f in features}


# ---- features ----------------------------------------------------------------------------
@dataclass
class FeatureEncoder:
    """Turns a raw frame into the booster's input, with fixed categories and column order.

    ``native`` keeps one column per original feature (categoricals as pandas ``category``,
    which XGBoost splits on natively); ``onehot`` expands categoricals into indicator columns
    whose SHAP values :func:`core.credit.explain.group_explanation` sums back per original column.
    """

    features: list[str]
    categories: dict[str, list[str]]  # categorical feature -> its categories (as strings)
    encoding: str = "native"
    integer: list[str] = field(default_factory=list)  # numeric features whose values are whole numbers

    @classmethod
    def fit(cls, frame: pd.DataFrame, features: list[str], categorical: list[str], encoding: str = "native") -> FeatureEncoder:
        cats = {}
        for c in features:
            if c in categorical:
                s = frame[c]
                if isinstance(s.dtype, pd.CategoricalDtype):
                    values = [str(v) for v in s.cat.categories if (s == v).any()]
                else:
                    values = sorted(map(str, pd.unique(s.dropna())))
                cats[c] = values
        integer = []
        for c in features:
            if c not in cats:
                v = pd.to_numeric(frame[c], errors="coerce").dropna()
                if len(v) and bool((v % 1 == 0).all()):
                    integer.append(c)
        return cls(list(features), cats, encoding, integer)

    @property
    def numeric(self) -> list[str]:
        return [c for c in self.features if c not in self.categories]

    @property
    def columns(self) -> list[str]:
        """Names of the booster's input columns (safe for XGBoost: no brackets or '<')."""
        if self.encoding == "native":
            return list(self.features)
        cols = []
        for c in self.features:
            cols += [f"{c}__{i}" for i in range(len(self.categories[c]))] if c in self.categories else [c]
        return cols

    @property
    def groups(self) -> dict[str, list[int]]:
        """Original feature -> indices of the booster columns it became."""
        out, j = {}, 0
        for c in self.features:
            k = len(self.categories[c]) if (self.encoding == "onehot" and c in self.categories) else 1
            out[c] = list(range(j, j + k))
            j += k
        return out

    def check_columns(self, frame: pd.DataFrame) -> None:
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise InputError(f"The data lacks {len(missing)} column(s) the model needs: {', '.join(missing[:8])}.",
                             "Score data with the same columns the model was trained on.")

    def _codes(self, c: str, s: pd.Series) -> np.ndarray:
        """Category positions of ``s`` in the training categories; -1 for missing or unseen values."""
        cats = pd.Index(self.categories[c])
        if isinstance(s.dtype, pd.CategoricalDtype):
            lookup = cats.get_indexer(s.cat.categories.astype(str))
            codes = s.cat.codes.to_numpy()
            return np.where(codes >= 0, lookup[codes], -1)
        values = s.to_numpy(dtype=object)
        missing = pd.isna(values)
        codes = cats.get_indexer(pd.Index(np.where(missing, "", values).astype(str)))
        return np.where(missing, -1, codes)

    @staticmethod
    def _number(s: pd.Series) -> np.ndarray:
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            return s.to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

    def native_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """(n, p) float64: numerics as numbers, categoricals as category codes (NaN when missing or unseen)."""
        self.check_columns(frame)
        out = np.empty((len(frame), len(self.features)), dtype=np.float64)
        for j, c in enumerate(self.features):
            if c in self.categories:
                codes = self._codes(c, frame[c])
                out[:, j] = np.where(codes >= 0, codes, np.nan)
            else:
                out[:, j] = self._number(frame[c])
        return out

    def raw(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The original features, typed: numeric as float, categoricals with the training categories."""
        x = self.native_matrix(frame)
        return self.raw_from_matrix(x, frame.index)

    def raw_from_matrix(self, x: np.ndarray, index=None) -> pd.DataFrame:
        out = {}
        for j, c in enumerate(self.features):
            if c in self.categories:
                codes = np.where(np.isnan(x[:, j]), -1, x[:, j]).astype(np.int64)
                out[c] = pd.Categorical.from_codes(codes, categories=self.categories[c])
            else:
                out[c] = x[:, j]
        return pd.DataFrame(out, index=index)

    @property
    def feature_types(self) -> list[str]:
        if self.encoding == "native":
            return ["c" if c in self.categories else "q" for c in self.features]
        return ["q"] * len(self.columns)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The booster's input as float32: category codes (native) or indicator columns (one-hot)."""
        return self.matrix_to_input(self.native_matrix(frame))

    def matrix_to_input(self, x: np.ndarray) -> np.ndarray:
        if self.encoding == "native":
            return x.astype(np.float32)
        blocks = []
        for j, c in enumerate(self.features):
            if c in self.categories:
                col = x[:, j]
                block = np.zeros((len(x), len(self.categories[c])), dtype=np.float32)
                ok = ~np.isnan(col)
                block[np.flatnonzero(ok), col[ok].astype(np.int64)] = 1.0
                block[~ok] = np.nan
                blocks.append(block)
            else:
                blocks.append(x[:, j:j + 1].astype(np.float32))
        return np.hstack(blocks) if blocks else np.zeros((len(x), 0), np.float32)

    def dmatrix(self, frame: pd.DataFrame | np.ndarray, nthread: int = -1):
        """An XGBoost DMatrix of a raw frame, or of a :meth:`native_matrix` array."""
        import xgboost as xgb

        x = self.matrix_to_input(frame) if isinstance(frame, np.ndarray) else self.transform(frame)
        return xgb.DMatrix(x, feature_names=self.columns, feature_types=self.feature_types,
                           enable_categorical=self.encoding == "native", nthread=nthread)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FeatureEncoder:
        return cls(list(d["features"]), {k: list(v) for k, v in d["categories"].items()}, d.get("encoding", "native"),
                   list(d.get("integer", [])))


# ---- input checks ------------------------------------------------------------------------
def binary_target(frame: pd.DataFrame, target: str | None, positive_label: object) -> np.ndarray:
    """The target as 0/1, or a :class:`TargetError` saying why it cannot be one."""
    if target is None or target not in frame.columns:
        raise TargetError("This dataset has no target column, so no credit model can be trained.",
                          "Mark the default flag (a yes/no column) as the target on Home.")
    s = frame[target]
    values = pd.unique(s.dropna())
    if s.isna().any():
        raise TargetError(f"The target '{target}' is missing in {int(s.isna().sum())} rows.",
                          "Drop the rows without an outcome, or pick another target.")
    if len(values) == 1:
        raise TargetError(f"The target '{target}' has a single class ({values[0]!r}); a model needs both good and bad outcomes.",
                          "Load data that contains defaults and non-defaults.")
    if len(values) > 2:
        raise TargetError(f"The target '{target}' has {len(values)} distinct values; a PD model needs a binary outcome.",
                          "Pick a yes/no column (default / no default) as the target.")
    y = (s == positive_label).to_numpy(dtype=np.int8)
    if y.min() == y.max():
        raise TargetError(f"No row of '{target}' equals the positive label {positive_label!r}.",
                          "Check which value means 'default' on Home.")
    return y


def check_features(frame: pd.DataFrame, features: list[str]) -> None:
    """Refuse identifiers used as features (a model would memorise customers, not learn risk)."""
    from core.data.validation import looks_like_id

    if not features:
        raise SchemaError("No feature is left for the credit model.", "Mark numeric or categorical columns as features on Home.")
    for c in features:
        s = frame[c]
        id_like = looks_like_id(c, s) if not isinstance(s.dtype, pd.CategoricalDtype) else False
        if not id_like and s.dtype == object and len(s) > 50 and s.nunique(dropna=True) >= 0.95 * s.notna().sum():
            id_like = True
        if id_like:
            raise SchemaError(f"'{c}' looks like an identifier (nearly every value is different), so it cannot be a credit-model feature.",
                              f"Set the role of '{c}' to id or ignore, or exclude it from the model.")


def univariate_auc(x: pd.Series, y: np.ndarray) -> float:
    """AUC of one feature on its own (direction-free: max(AUC, 1-AUC)); categoricals use their bad rate."""
    from core.credit.metrics import auc as fast_auc

    if isinstance(x.dtype, pd.CategoricalDtype) or x.dtype == object or pd.api.types.is_bool_dtype(x) or pd.api.types.is_string_dtype(x):
        key = x.astype(str).fillna("<NA>")
        counts = key.value_counts()
        key = key.where(key.map(counts) >= 20, "<rare>")  # rare levels would memorise the target in-sample
        rate = pd.Series(y).groupby(key.to_numpy()).mean()
        score = key.map(rate).to_numpy(dtype=float)
    else:
        v = pd.to_numeric(x, errors="coerce")
        score = v.fillna(v.median() if v.notna().any() else 0.0).to_numpy(dtype=float)
    if np.all(score == score[0]):
        return 0.5
    a = fast_auc(y, score)
    return float(max(a, 1.0 - a))


def leakage_scan(frame: pd.DataFrame, features: list[str], y: np.ndarray, threshold: float = LEAKAGE_AUC,
                 max_rows: int = 50_000, seed: int = 0) -> dict[str, float]:
    """Features whose univariate AUC exceeds ``threshold`` (suspected target leakage)."""
    idx = np.arange(len(frame))
    if len(idx) > max_rows:
        idx = np.random.default_rng(seed).choice(idx, max_rows, replace=False)
    sub, ys = frame.iloc[idx], y[idx]
    hits = {c: univariate_auc(sub[c], ys) for c in features}
    return {c: a for c, a in sorted(hits.items(), key=lambda kv: -kv[1]) if a > threshold}


# ---- split -------------------------------------------------------------------------------
TRAIN, VALID, TEST = 0, 1, 2


def split_rows(y: np.ndarray, test_size: float, valid_size: float, seed: int,
               dates: pd.Series | None = None) -> tuple[np.ndarray, str]:
    """Label every row train (0), validation (1) or test (2); returns ``(labels, how)``.

    With dates the latest ``test_size`` of rows is the test set and the ``valid_size`` before
    it the validation set (out-of-time); otherwise both are stratified random draws.
    """
    n = len(y)
    labels = np.zeros(n, dtype=np.int8)
    if dates is not None:
        order = np.argsort(pd.to_datetime(dates).to_numpy(), kind="stable")
        n_test, n_valid = int(round(n * test_size)), int(round(n * valid_size))
        labels[order[n - n_test:]] = TEST
        labels[order[n - n_test - n_valid:n - n_test]] = VALID
        if all(len(np.unique(y[labels == k])) == 2 for k in (TRAIN, VALID, TEST)):
            return labels, "time"
        labels[:] = TRAIN
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    strat = y if np.bincount(y, minlength=2).min() >= 3 else None
    rest, test = train_test_split(idx, test_size=test_size, random_state=seed, stratify=strat)
    strat_rest = y[rest] if strat is not None else None
    train, valid = train_test_split(rest, test_size=valid_size / (1 - test_size), random_state=seed, stratify=strat_rest)
    labels[valid] = VALID
    labels[test] = TEST
    return labels, "random"


# ---- calibration -------------------------------------------------------------------------
@dataclass
class Calibrator:
    """A monotone map from raw margin (log-odds) to a calibrated probability."""

    method: str  # "isotonic" | "platt" | "identity"
    x: list[float] = field(default_factory=list)  # isotonic knots (margins)
    y: list[float] = field(default_factory=list)  # isotonic values (probabilities)
    a: float = 1.0  # platt slope
    b: float = 0.0  # platt intercept

    @classmethod
    def fit(cls, margin: np.ndarray, y: np.ndarray, method: str = "auto") -> Calibrator:
        if method == "auto":
            method = "platt"
        if method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            # clipped: a handful of validation rows must not make a PD of exactly 0 or 1
            iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-3, y_max=1 - 1e-3).fit(margin, y)
            return cls("isotonic", x=iso.X_thresholds_.astype(float).tolist(), y=iso.y_thresholds_.astype(float).tolist())
        if method == "platt":
            from sklearn.linear_model import LogisticRegression

            lr = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y)
            return cls("platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
        if method == "identity":
            return cls("identity")
        raise InputError(f"Unknown calibration method '{method}'.", "Use isotonic or platt.")

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        m = np.asarray(margin, dtype=float)
        if self.method == "isotonic":
            return np.interp(m, self.x, self.y)
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a * m + self.b)))
        return 1.0 / (1.0 + np.exp(-m))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Calibrator:
        return cls(**d)


# ---- logistic benchmark ------------------------------------------------------------------
@dataclass
class LogisticBenchmark:
    """Logistic regression on median-imputed, standardised numerics and one-hot categoricals.

    Fitted with scikit-learn, then kept as plain arrays so it serialises to JSON and predicts in
    numpy. ``contributions`` gives each original column's term ``coef * (z - mean z)`` (one-hot
    terms summed per column), an exact additive explanation of the linear model.
    """

    numeric: list[str] = field(default_factory=list)
    medians: list[float] = field(default_factory=list)
    means: list[float] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    coef: list[float] = field(default_factory=list)
    intercept: float = 0.0
    col_means: list[float] = field(default_factory=list)
    C: float = 1.0

    def _design(self, raw: pd.DataFrame) -> np.ndarray:
        x_num = raw[self.numeric].to_numpy(dtype=float) if self.numeric else np.zeros((len(raw), 0))
        x_num = np.where(np.isnan(x_num), np.asarray(self.medians), x_num)
        x_num = (x_num - np.asarray(self.means)) / np.asarray(self.scales)
        blocks = [x_num]
        for c, cats in self.categories.items():
            s = raw[c]
            if isinstance(s.dtype, pd.CategoricalDtype) and list(s.cat.categories) == cats:
                codes = s.cat.codes.to_numpy()
            else:
                codes = pd.Categorical(s.astype(str).where(s.notna()), categories=cats).codes
            block = np.zeros((len(raw), len(cats)))
            ok = codes >= 0
            block[np.flatnonzero(ok), codes[ok]] = 1.0
            blocks.append(block)
        return np.hstack(blocks)

    def groups(self) -> dict[str, list[int]]:
        out = {c: [i] for i, c in enumerate(self.numeric)}
        j = len(self.numeric)
        for c, cats in self.categories.items():
            out[c] = list(range(j, j + len(cats)))
            j += len(cats)
        return out

    def fit(self, raw: pd.DataFrame, y: np.ndarray, categorical: list[str]) -> LogisticBenchmark:
        from sklearn.linear_model import LogisticRegression

        self.numeric = [c for c in raw.columns if c not in categorical]
        num = raw[self.numeric].to_numpy(dtype=float) if self.numeric else np.zeros((len(raw), 0))
        med = np.nanmedian(num, axis=0) if num.shape[1] else np.zeros(0)
        med = np.where(np.isnan(med), 0.0, med)
        filled = np.where(np.isnan(num), med, num)
        sd = filled.std(axis=0)
        self.medians, self.means = med.tolist(), filled.mean(axis=0).tolist()
        self.scales = np.where(sd > 0, sd, 1.0).tolist()
        self.categories = {c: [str(v) for v in raw[c].cat.categories] for c in categorical if c in raw.columns}
        x = self._design(raw)
        lr = LogisticRegression(C=self.C, max_iter=500, solver="newton-cholesky").fit(x, y)
        self.coef, self.intercept = lr.coef_[0].tolist(), float(lr.intercept_[0])
        self.col_means = x.mean(axis=0).tolist()
        return self

    def margin(self, raw: pd.DataFrame) -> np.ndarray:
        return self._design(raw) @ np.asarray(self.coef) + self.intercept

    def predict_pd(self, raw: pd.DataFrame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.margin(raw)))

    def contributions(self, raw: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per-original-column log-odds terms ``(n, p)`` and the base value (margin at the mean)."""
        x = self._design(raw)
        coef = np.asarray(self.coef)
        terms = (x - np.asarray(self.col_means)) * coef
        base = float(self.intercept + np.asarray(self.col_means) @ coef)
        groups = self.groups()
        return np.column_stack([terms[:, idx].sum(axis=1) for idx in groups.values()]), np.full(len(raw), base)

    @property
    def feature_names(self) -> list[str]:
        return list(self.groups())

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> LogisticBenchmark:
        return cls(**d)


# ---- booster -----------------------------------------------------------------------------
def xgb_params(params: CreditParams, encoder: FeatureEncoder, monotone: dict[str, int], device: str) -> dict[str, Any]:
    if encoder.encoding == "native":
        mono = [monotone.get(c, 0) for c in encoder.features]
    else:
        mono = []
        for c in encoder.features:
            mono += [0] * len(encoder.categories[c]) if c in encoder.categories else [monotone.get(c, 0)]
    p = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "eta": params.learning_rate,
        "max_depth": params.max_depth,
        "min_child_weight": params.min_child_weight,
        "subsample": params.subsample,
        "colsample_bytree": params.colsample_bytree,
        "lambda": params.reg_lambda,
        "tree_method": "hist",
        "max_cat_to_onehot": 4,
        "device": "cuda" if device == "cuda" else "cpu",
        "seed": params.seed,
        "verbosity": 0,
    }
    if any(mono):
        p["monotone_constraints"] = "(" + ",".join(str(int(v)) for v in mono) + ")"
    return p


def fit_booster(encoder: FeatureEncoder, raw_train: pd.DataFrame, y_train: np.ndarray, raw_valid: pd.DataFrame,
                y_valid: np.ndarray, params: CreditParams, monotone: dict[str, int], device: str = "cpu",
                progress: Progress | None = None):
    """Train with early stopping on the validation split; returns the booster cut at its best round."""
    import xgboost as xgb

    dtrain, dvalid = encoder.dmatrix(raw_train), encoder.dmatrix(raw_valid)
    dtrain.set_label(y_train)
    dvalid.set_label(y_valid)

    class _Report(xgb.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):  # noqa: D102
            if progress is not None and epoch % 10 == 0:
                progress(min(1.0, (epoch + 1) / params.n_estimators), f"Boosting round {epoch + 1} of up to {params.n_estimators}")
            return False

    booster = xgb.train(xgb_params(params, encoder, monotone, device), dtrain, num_boost_round=params.n_estimators,
                        evals=[(dvalid, "valid")], early_stopping_rounds=params.early_stopping_rounds,
                        verbose_eval=False, callbacks=[_Report()])
    best = getattr(booster, "best_iteration", None)
    if best is not None and best + 1 < booster.num_boosted_rounds():
        booster = booster[: best + 1]
    return booster
