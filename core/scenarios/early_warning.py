"""Early warning: which customers are likely to deteriorate next quarter, and why.

With the book's history, "deteriorate" means next quarter's days-past-due bucket is worse than
this quarter's (current -> 1-29 -> 30-59 -> 60-89) or the account defaults (leaves the book with
its default flag set). A gradient-boosted model learns that from every customer-quarter pair of
the history: the customer's columns now, their change over one and four quarters, the credit
model's PD and its trend. It is tested out of time (trained on the quarters before the last
transition, tested on the last) and its top decile is compared with the top decile by current PD
(the lift). Each customer's reasons are the model's largest contributions (TreeSHAP), written
with the customer's own values and changes, so a reason always agrees with the numbers beside it.
The generator's anomaly score (how unusual the whole profile is) stays as one more column.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data import Dataset
from core.formatting import humanize, number, pct, signed
from core.runtime.threads import compute_threads
from core.scenarios import loss as L
from core.scenarios.history import PortfolioHistory
from core.scenarios.ifrs9 import dpd_bucket
from core.scenarios.scorer import Scorer

logger = logging.getLogger(__name__)
TREND_TAGS = ("behaviour", "balance", "history", "income")
MAX_TREND_COLUMNS = 10
MAX_TRAIN_PAIRS = 40_000
REASON_ROWS = 500  # customers whose reasons are written out (the top of the list)


@dataclass
class EarlyWarning:
    ranking: pd.DataFrame  # every customer, riskiest first
    lift: dict  # out-of-time test: deterioration rates in the top decile, by this model and by current PD
    importance: pd.Series
    notes: list[str] = field(default_factory=list)

    def top(self, n: int) -> pd.DataFrame:
        return self.ranking.head(n)


def _trend_columns(dataset: Dataset, history: PortfolioHistory) -> list[str]:
    schema = dataset.schema
    num = [c for c in schema.numeric if c in history.frame.columns and history.frame[c].nunique() > 2]
    tagged = [c for c in num if any(str(t) in TREND_TAGS for t in schema.tags.get(c, ()))] or num
    spread = {c: float(np.nanstd(pd.to_numeric(history.frame[c], errors="coerce"))) for c in tagged}
    return [c for c in tagged if spread[c] > 0][:MAX_TREND_COLUMNS]


def _lagged(history: PortfolioHistory, columns: list[str], lag: int, values: dict[str, np.ndarray] | None = None
            ) -> pd.DataFrame:
    """Each row's own values (of ``columns``, or the given arrays) ``lag`` periods earlier (NaN where absent)."""
    f = history.frame
    ids = f[history.id_column]
    codes = ids.cat.codes.to_numpy() if isinstance(ids.dtype, pd.CategoricalDtype) else pd.factorize(ids)[0]
    key = codes.astype(np.int64) * (history.n_periods + 1) + history.period_index
    order = np.argsort(key, kind="stable")
    pos = np.searchsorted(key[order], key - lag)
    pos = np.minimum(pos, key.size - 1)
    hit = key[order][pos] == key - lag
    src = order[pos]
    out = {}
    arrays = values or {c: pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=np.float64) for c in columns}
    for c, x in arrays.items():
        out[c] = np.where(hit, x[src], np.nan)
    return pd.DataFrame(out, index=f.index)


def _features(history: PortfolioHistory, scorer: Scorer, trend: list[str], rows: np.ndarray,
              lag1: pd.DataFrame, lag4: pd.DataFrame, pd_all: np.ndarray, pd_lag4: np.ndarray) -> pd.DataFrame:
    f = history.frame.iloc[rows]
    x = pd.DataFrame(index=f.index)
    for c in scorer.feature_names:
        s = f[c]
        x[c] = s.cat.codes if isinstance(s.dtype, pd.CategoricalDtype) else pd.to_numeric(s, errors="coerce")
    for c in trend:
        now = pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=np.float64)
        x[f"{c} change 1q"] = now - lag1[c].to_numpy()[rows]
        x[f"{c} change 4q"] = now - lag4[c].to_numpy()[rows]
    x["credit model PD"] = pd_all[rows]
    x["PD change 4q"] = pd_all[rows] - pd_lag4[rows]
    return x.reset_index(drop=True)


def _labels(history: PortfolioHistory, dpd_col: str | None) -> tuple[np.ndarray, np.ndarray]:
    """``(label per row, has an outcome)``: next period worse bucket or a default exit."""
    n = len(history.frame)
    now_idx, next_idx = history.next_period_rows()
    label = np.full(n, np.nan)
    if dpd_col:
        b_now = dpd_bucket(history.frame[dpd_col].to_numpy())
        label[now_idx] = (b_now[next_idx] > b_now[now_idx]).astype(float)
    last = history.n_periods - 1
    has_next = np.zeros(n, dtype=bool)
    has_next[now_idx] = True
    t = history.target
    flagged = (pd.to_numeric(history.frame[t], errors="coerce").to_numpy() >= 0.5) if t else np.zeros(n, dtype=bool)
    exit_default = ~has_next & (history.period_index < last) & flagged
    label[exit_default] = 1.0
    return label, np.isfinite(label)


def early_warning(dataset: Dataset, scorer: Scorer, generator=None, *, seed: int = 0) -> EarlyWarning:
    """Rank the book's customers by their risk of deteriorating next quarter (see the module docstring)."""
    from xgboost import XGBClassifier

    history = PortfolioHistory.of(dataset)
    if history is None:
        return _anomaly_only(dataset, scorer, generator)
    dpd_col = dataset.schema.semantics.get("days_past_due")
    trend = _trend_columns(dataset, history)
    lag1, lag4 = _lagged(history, trend, 1), _lagged(history, trend, 4)
    pd_all = np.asarray(scorer.predict_pd(history.frame[list(scorer.feature_names)]), dtype=np.float64)
    pd_lag4 = _lagged(history, [], 4, {"pd": pd_all})["pd"].to_numpy()
    label, known = _labels(history, dpd_col)
    last = history.n_periods - 1
    train = np.flatnonzero(known & (history.period_index <= last - 2))
    test = np.flatnonzero(known & (history.period_index == last - 1))
    rng = np.random.default_rng(seed)
    if train.size > MAX_TRAIN_PAIRS:
        train = np.sort(rng.choice(train, MAX_TRAIN_PAIRS, replace=False))
    x_train = _features(history, scorer, trend, train, lag1, lag4, pd_all, pd_lag4)
    clf = XGBClassifier(n_estimators=120, max_depth=4, learning_rate=0.1, subsample=0.8, colsample_bytree=0.8,
                        tree_method="hist", n_jobs=compute_threads(), random_state=seed, verbosity=0)
    clf.fit(x_train, label[train])
    x_test = _features(history, scorer, trend, test, lag1, lag4, pd_all, pd_lag4)
    lift = _lift(clf.predict_proba(x_test)[:, 1], pd_all[test], label[test])
    if dpd_col:  # where early warning matters: accounts not yet behind
        current = pd.to_numeric(history.frame[dpd_col], errors="coerce").to_numpy()[test] == 0
        sub = _lift(clf.predict_proba(x_test[current])[:, 1], pd_all[test][current], label[test][current])
        lift.update({f"current_accounts_{k}": v for k, v in sub.items()})
    lift["test_period"] = f"{history.period_labels[last - 1]} to {history.period_labels[last]}"
    lift["train_pairs"] = int(train.size)
    now = np.flatnonzero(history.period_index == last)
    x_now = _features(history, scorer, trend, now, lag1, lag4, pd_all, pd_lag4)
    risk = clf.predict_proba(x_now)[:, 1]
    explain = np.argsort(-risk)[:max(REASON_ROWS, 2000)]  # TreeSHAP (log-odds) for the top of the list only
    contrib = np.zeros((len(x_now), x_now.shape[1]))
    contrib[explain] = clf.get_booster().predict(_dmatrix(x_now.iloc[explain]), pred_contribs=True)[:, :-1]
    book = history.frame.iloc[now].reset_index(drop=True)
    ranking = _ranking(dataset, book, x_now, risk, contrib, pd_all[now], pd_lag4[now], generator)
    imp = pd.Series(clf.feature_importances_, index=x_train.columns).sort_values(ascending=False)
    return EarlyWarning(ranking, lift, imp, [f"Deterioration model trained on {train.size:,} customer-quarter pairs; "
                                             f"tested out of time on {lift['test_period']}."])


def _dmatrix(x: pd.DataFrame):
    import xgboost as xgb

    return xgb.DMatrix(x)


def _lift(score: np.ndarray, current_pd: np.ndarray, y: np.ndarray) -> dict:
    n = max(1, int(round(0.1 * y.size)))
    top_model = np.argsort(-score)[:n]
    top_pd = np.argsort(-current_pd)[:n]
    base = float(y.mean())
    rate_model, rate_pd = float(y[top_model].mean()), float(y[top_pd].mean())
    from sklearn.metrics import roc_auc_score

    both = len(np.unique(y)) == 2
    return {"base_rate": base, "top_decile_rate_model": rate_model, "top_decile_rate_current_pd": rate_pd,
            "lift_over_current_pd": rate_model / rate_pd if rate_pd > 0 else float("nan"),
            "lift_over_base": rate_model / base if base > 0 else float("nan"),
            "auc_model": float(roc_auc_score(y, score)) if both else float("nan"),
            "auc_current_pd": float(roc_auc_score(y, current_pd)) if both else float("nan"), "test_pairs": int(y.size)}


def _reason(name: str, row: pd.Series, book_row: pd.Series, value: float) -> str:
    if name == "credit model PD":
        return f"PD {pct(row[name], 1)} ({signed(value, 2)})"
    if name == "PD change 4q":
        return f"PD {'up' if row[name] > 0 else 'down'} {pct(abs(row[name]), 1)} in four quarters ({signed(value, 2)})"
    for suffix, span in ((" change 1q", "last quarter"), (" change 4q", "four quarters")):
        if name.endswith(suffix):
            col = name[: -len(suffix)]
            d = row[name]
            if not np.isfinite(d):
                return f"{humanize(col)}: new customer, no earlier quarter ({signed(value, 2)})"
            way = "up" if d > 0 else "down" if d < 0 else "unchanged"
            return f"{humanize(col)} {number(book_row[col], 2)}, {way} {number(abs(d), 2)} over the {span} ({signed(value, 2)})"
    v = book_row[name] if name in book_row.index else row[name]
    shown = v if isinstance(v, str) or not np.isfinite(float(v)) else number(float(v), 2)
    return f"{humanize(name)} {shown} ({signed(value, 2)})"


def _adverse(value, median, direction: float) -> bool:
    try:
        v, m = float(value), float(median)
    except (TypeError, ValueError):
        return True
    if not np.isfinite(v) or not np.isfinite(m) or direction == 0:
        return False
    return (v - m) * direction > 0


def _ranking(dataset: Dataset, book: pd.DataFrame, x: pd.DataFrame, risk: np.ndarray, contrib: np.ndarray,
             pd_now: np.ndarray, pd_before: np.ndarray, generator, reason_rows: int = REASON_ROWS) -> pd.DataFrame:
    ead, _ = L.exposure(book, dataset.schema)
    order = np.argsort(-risk)
    names = list(x.columns)
    # which way each input raises the risk, read from the model itself: a reason is shown only when the
    # customer's value lies on that side of the book's median (so "0 days past due" never reads as a risk)
    med = x.median(numeric_only=True)
    direction = {}
    explained = np.flatnonzero(np.any(contrib != 0, axis=1))
    for j, c in enumerate(names):
        v = pd.to_numeric(x[c], errors="coerce").iloc[explained]
        ok = v.notna().to_numpy()
        cj = contrib[explained, j][ok]
        direction[c] = float(np.sign(np.corrcoef(v[ok], cj)[0, 1])) if ok.sum() > 2 and v[ok].nunique() > 1 \
            and np.std(cj) > 0 else 0.0
    dpd_col = dataset.schema.semantics.get("days_past_due")
    trend = np.where(np.isfinite(pd_before), [f"PD {pct(a, 1)} to {pct(b, 1)} in four quarters"
                                              for a, b in zip(np.nan_to_num(pd_before), pd_now, strict=True)], "new customer")
    out = pd.DataFrame({"id": book[dataset.schema.id_column].astype(str).to_numpy(), "risk_next_quarter": risk,
                        "pd_12m": pd_now, "exposure": ead,
                        "days_past_due": pd.to_numeric(book[dpd_col], errors="coerce").to_numpy() if dpd_col else np.nan,
                        "pd_trend": trend, "reasons": ""})
    for i in order[:reason_rows]:
        best = [j for j in np.argsort(-contrib[i]) if contrib[i, j] > 0 and _adverse(x.iloc[i][names[j]], med.get(names[j]),
                                                                                       direction[names[j]])][:3]
        out.iat[i, out.columns.get_loc("reasons")] = "; ".join(
            _reason(names[j], x.iloc[i], book.iloc[i], float(contrib[i, j])) for j in best) or "no single factor stands out"
    out = out.iloc[order].reset_index(drop=True)
    if generator is not None:
        out = _with_anomaly(out, dataset, generator)
    return out


def _with_anomaly(ranking: pd.DataFrame, dataset: Dataset, generator) -> pd.DataFrame:
    try:
        frame = dataset.frame[generator.columns].reset_index(drop=True)
        score = generator.anomaly_scores(frame).score
        pct_rank = pd.Series(score).rank(pct=True).to_numpy()
        by_id = dict(zip(dataset.ids().astype(str), pct_rank, strict=False))
        ranking["anomaly_percentile"] = ranking["id"].map(by_id)
    except Exception as exc:  # the anomaly score is one signal among others; its failure loses nothing else
        logger.warning("anomaly score unavailable: %s", exc)
    return ranking


def _anomaly_only(dataset: Dataset, scorer: Scorer, generator) -> EarlyWarning:
    """Without a history: rank by current PD, with the anomaly score beside it."""
    frame = dataset.frame
    pd_now = np.asarray(scorer.predict_pd(frame[list(scorer.feature_names)]), dtype=np.float64)
    ead, _ = L.exposure(frame, dataset.schema)
    ranking = pd.DataFrame({"id": dataset.ids().astype(str).to_numpy(), "risk_next_quarter": np.nan, "pd_12m": pd_now,
                            "exposure": ead, "days_past_due": np.nan, "pd_trend": "no history",
                            "reasons": "ranked by current PD (no history to learn deterioration from)"})
    ranking = ranking.sort_values("pd_12m", ascending=False).reset_index(drop=True)
    if generator is not None:
        ranking = _with_anomaly(ranking, dataset, generator)
    return EarlyWarning(ranking, {}, pd.Series(dtype=float),
                        ["This dataset has no history (customer-period rows), so deterioration cannot be learned; "
                         "customers are ranked by current PD."])
