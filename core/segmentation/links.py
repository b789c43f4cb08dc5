"""Links from segments to the rest of the studio: products held, predicted risk.

Product penetration comes from ``has_*`` indicator columns (0/1 or booleans) or, failing those,
from the schema's ``product_type`` column. The next-best product of a segment is the product with
the highest lift (segment penetration over book penetration) among those that the majority of the
segment does not hold yet.

Mean predicted PD per segment comes from the credit page's model when one exists
(:func:`core.credit.service.latest_model`); the credit module is optional here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.segmentation.cluster import NOISE

logger = logging.getLogger(__name__)

NO_CREDIT_MODEL = "No credit model yet: train one on the Credit explanation page to see the mean predicted PD per segment."


def product_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Product name -> 0/1 holding per customer."""
    out = {}
    for c in frame.columns:
        if c.lower().startswith("has_"):
            s = frame[c]
            if pd.api.types.is_bool_dtype(s) or (pd.api.types.is_numeric_dtype(s) and s.dropna().isin([0, 1]).all()):
                out[c[4:]] = s.fillna(0).astype(float)
    return out


def penetration(frame: pd.DataFrame, labels: np.ndarray, product_type: str | None = None) -> pd.DataFrame:
    """Segment x product share of customers holding it, with a final row ``all`` for the book."""
    prods = product_columns(frame)
    if not prods and product_type and product_type in frame.columns:
        s = frame[product_type].astype("object").astype(str)
        prods = {lv: (s == lv).astype(float) for lv in s.value_counts().index[:12]}
    if not prods:
        return pd.DataFrame()
    P = pd.DataFrame(prods, index=frame.index)
    tab = P.groupby(labels).mean()
    tab.loc["all"] = P.mean()
    return tab


def next_best_products(pen: pd.DataFrame, majority: float = 0.5) -> dict[int, dict]:
    """Per segment: the highest-lift product not held by the majority, with its lift and penetration."""
    if pen.empty:
        return {}
    book = pen.loc["all"].replace(0, np.nan)
    out = {}
    for s in pen.index:
        if s == "all" or s == NOISE:
            continue
        row = pen.loc[s]
        lift = (row / book).where(row < majority).dropna()
        if lift.empty:
            out[int(s)] = {"product": None, "lift": None, "penetration": None}
            continue
        p = lift.idxmax()
        out[int(s)] = {"product": str(p), "lift": float(lift[p]), "penetration": float(row[p])}
    return out


@dataclass
class CreditLink:
    """Predicted PD per customer from the latest credit model, or why there is none."""

    pd: np.ndarray | None
    message: str
    model_fingerprint: str | None = None


def credit_link(dataset) -> CreditLink:
    """Ask the credit module for its latest model on ``dataset``; never raises."""
    try:
        from core.credit.service import latest_model  # optional: built by the credit page
    except ImportError:
        return CreditLink(None, NO_CREDIT_MODEL)
    try:
        model = latest_model(dataset)
    except Exception as exc:  # a broken artifact must not take segmentation down
        logger.warning("latest_model failed: %s", exc)
        return CreditLink(None, f"The credit model could not be loaded ({type(exc).__name__}); PD per segment is not shown.")
    if model is None:
        return CreditLink(None, NO_CREDIT_MODEL)
    try:
        pd_hat = np.asarray(model.predict_pd(dataset.frame), dtype=float)
    except Exception as exc:
        logger.warning("predict_pd failed: %s", exc)
        return CreditLink(None, f"The credit model could not score this dataset ({type(exc).__name__}); PD per segment is not shown.")
    if pd_hat.shape[0] != dataset.n_rows:
        return CreditLink(None, "The credit model returned a PD for a different number of customers; PD per segment is not shown.")
    fp = getattr(model, "fingerprint", None)
    return CreditLink(pd_hat, "Mean predicted PD from the latest credit model.", str(fp) if fp else None)


def pd_by_segment(pd_hat: np.ndarray | None, labels: np.ndarray) -> pd.Series | None:
    if pd_hat is None:
        return None
    s = pd.Series(pd_hat).groupby(labels).mean()
    s.loc["all"] = float(np.nanmean(pd_hat))
    return s
