"""How close generated rows are to the real ones.

* **Column shapes**: 1 - Kolmogorov-Smirnov statistic for numeric columns, 1 - total variation
  distance for categorical ones (SDMetrics' KSComplement / TVComplement).
* **Pair trends**: 1 - |Spearman(real) - Spearman(synthetic)| / 2 over numeric column pairs.
* **SDMetrics QualityReport** (MIT; pinned in requirements.txt): its overall score, column shapes
  and column pair trends, when asked for.
* **Detection**: classifiers trying to tell real rows from generated ones (cross-validated ROC
  AUC; 0.5 = indistinguishable). ``detection_score = 1 - (2 max(AUC, 0.5) - 1)`` as in SDMetrics.
* **TSTR**: a model trained on synthetic rows and tested on held-out real rows, against the same
  model trained on real rows (TRTR); needs a binary target among the generated columns.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


@dataclass
class FidelityReport:
    column_shapes: pd.DataFrame  # column, kind, score
    pair_trends: pd.DataFrame  # column_a, column_b, real, synthetic, score
    scores: dict = field(default_factory=dict)  # shapes, pair_trends, quality_report, detection_auc, tstr_auc, ...
    notes: list[str] = field(default_factory=list)


def _is_num(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def column_shapes(real: pd.DataFrame, syn: pd.DataFrame, categorical: set[str]) -> pd.DataFrame:
    from scipy.stats import ks_2samp

    rows = []
    for c in real.columns:
        if c not in syn.columns:
            continue
        if c in categorical or not _is_num(real[c]):
            p = real[c].astype(str).value_counts(normalize=True)
            q = syn[c].astype(str).value_counts(normalize=True)
            tv = 0.5 * p.subtract(q, fill_value=0).abs().sum()
            rows.append({"column": c, "kind": "categorical", "metric": "TVComplement", "score": float(1 - tv)})
        else:
            a = pd.to_numeric(real[c], errors="coerce").dropna().to_numpy()
            b = pd.to_numeric(syn[c], errors="coerce").dropna().to_numpy()
            stat = ks_2samp(a, b).statistic if a.size and b.size else 1.0
            rows.append({"column": c, "kind": "numeric", "metric": "KSComplement", "score": float(1 - stat)})
    return pd.DataFrame(rows)


def pair_trends(real: pd.DataFrame, syn: pd.DataFrame, categorical: set[str], max_columns: int = 40) -> pd.DataFrame:
    num = [c for c in real.columns if c in syn.columns and c not in categorical and _is_num(real[c])
           and real[c].nunique() > 1][:max_columns]
    if len(num) < 2:
        return pd.DataFrame(columns=["column_a", "column_b", "real", "synthetic", "score"])
    cr = real[num].rank().corr().to_numpy()
    cs = syn[num].apply(pd.to_numeric, errors="coerce").rank().corr().fillna(0).to_numpy()
    i, j = np.triu_indices(len(num), 1)
    return pd.DataFrame({"column_a": np.array(num)[i], "column_b": np.array(num)[j], "real": cr[i, j], "synthetic": cs[i, j],
                         "score": 1 - np.abs(cr[i, j] - cs[i, j]) / 2})


def _encode(frames: list[pd.DataFrame], categorical: set[str]) -> list[np.ndarray]:
    """Ordinal codes for categoricals (shared across frames), numbers as they are."""
    cols = list(frames[0].columns)
    out = [np.empty((len(f), len(cols))) for f in frames]
    for j, c in enumerate(cols):
        if c in categorical or not _is_num(frames[0][c]):
            cats = pd.Index(pd.unique(pd.concat([f[c].astype(str) for f in frames])))
            for k, f in enumerate(frames):
                out[k][:, j] = cats.get_indexer(f[c].astype(str))
        else:
            for k, f in enumerate(frames):
                out[k][:, j] = pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=np.float64)
    return out


def detection(real: pd.DataFrame, syn: pd.DataFrame, categorical: set[str], seed: int = 0) -> dict:
    """Cross-validated AUC of classifiers separating real from synthetic rows."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    n = min(len(real), len(syn))
    r = real.sample(n, random_state=seed) if len(real) > n else real
    s = syn.sample(n, random_state=seed) if len(syn) > n else syn
    xr, xs = _encode([r, s[r.columns]], categorical)
    x = np.vstack([xr, xs])
    y = np.r_[np.zeros(len(xr)), np.ones(len(xs))]
    cat_idx = [j for j, c in enumerate(r.columns) if c in categorical or not _is_num(r[c])]
    num_idx = [j for j in range(x.shape[1]) if j not in cat_idx]
    gbm = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, categorical_features=cat_idx or None,
                                         random_state=seed)
    prep = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), num_idx),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), cat_idx)])
    logit = make_pipeline(prep, LogisticRegression(max_iter=500))
    out = {}
    for name, clf in (("gbm", gbm), ("logistic", logit)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = cross_val_predict(clf, x, y, cv=3, method="predict_proba")[:, 1]
        auc = float(roc_auc_score(y, p))
        out[f"detection_auc_{name}"] = auc
        out[f"detection_score_{name}"] = float(1 - (2 * max(auc, 0.5) - 1))
    return out


def tstr(real_train: pd.DataFrame, real_test: pd.DataFrame, syn: pd.DataFrame, target: str, positive,
         categorical: set[str], seed: int = 0) -> dict:
    """Train-on-synthetic, test-on-real ROC AUC, beside train-on-real (same model, same test rows)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    feats = [c for c in real_train.columns if c != target]
    cat_idx = [j for j, c in enumerate(feats) if c in categorical or not _is_num(real_train[c])]
    xtr, xte, xs = _encode([real_train[feats], real_test[feats], syn[feats]], categorical)

    def y_of(f):
        return (f[target].astype(str) == str(positive)).to_numpy().astype(int)

    ytr, yte, ys = y_of(real_train), y_of(real_test), y_of(syn)
    out = {}
    for name, (x, y) in (("tstr_auc", (xs, ys)), ("trtr_auc", (xtr, ytr))):
        if len(np.unique(y)) < 2 or len(np.unique(yte)) < 2:
            out[name] = float("nan")
            continue
        clf = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, categorical_features=cat_idx or None,
                                             random_state=seed).fit(x, y)
        out[name] = float(roc_auc_score(yte, clf.predict_proba(xte)[:, 1]))
    return out


def quality_report(real: pd.DataFrame, syn: pd.DataFrame, categorical: set[str]) -> dict:
    """SDMetrics' QualityReport: overall score, column shapes and pair trends."""
    from sdmetrics.reports import QualityReport

    columns = {c: {"sdtype": "categorical" if (c in categorical or not _is_num(real[c])) else "numerical"} for c in real.columns}
    meta = {"tables": {"portfolio": {"columns": columns}}}
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate({"portfolio": real}, {"portfolio": syn[real.columns]}, meta, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {"quality_report": float(report.get_score()), "qr_column_shapes": float(props.get("Column Shapes", np.nan)),
            "qr_column_pair_trends": float(props.get("Column Pair Trends", np.nan))}


def fidelity_report(real: pd.DataFrame, syn: pd.DataFrame, categorical: list[str] | None = None, *,
                    target: str | None = None, positive=1, real_holdout: pd.DataFrame | None = None,
                    with_quality_report: bool = True, with_detection: bool = True, max_rows: int = 5000,
                    seed: int = 0) -> FidelityReport:
    """Every fidelity figure on at most ``max_rows`` rows of each side."""
    cats = set(categorical or [])
    real = real.sample(max_rows, random_state=seed) if len(real) > max_rows else real
    syn = syn.sample(max_rows, random_state=seed) if len(syn) > max_rows else syn
    syn = syn[[c for c in real.columns if c in syn.columns]]
    shapes = column_shapes(real, syn, cats)
    pairs = pair_trends(real, syn, cats)
    scores = {"column_shapes": float(shapes["score"].mean()) if len(shapes) else float("nan"),
              "pair_trends": float(pairs["score"].mean()) if len(pairs) else float("nan"),
              "rows_compared": int(min(len(real), len(syn)))}
    notes = []
    if with_quality_report:
        try:
            scores.update(quality_report(real, syn, cats))
        except Exception as exc:  # an optional view: a failure is a note, not a crash
            notes.append(f"SDMetrics QualityReport unavailable: {exc}")
    from threadpoolctl import threadpool_limits

    # small fits: one thread avoids OpenMP oversubscription, many times faster on a busy machine
    with threadpool_limits(1):
        if with_detection:
            scores.update(detection(real, syn, cats, seed))
        if target and target in real.columns and target in syn.columns:
            if real_holdout is not None and len(real_holdout) >= 50:
                scores.update(tstr(real, real_holdout, syn, target, positive, cats, seed))
            else:
                notes.append("TSTR needs held-out real rows; none were given.")
    return FidelityReport(shapes, pairs, scores, notes)
