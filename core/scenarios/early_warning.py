"""Early warning: the customers whose profiles the VAE finds most unusual, and what is unusual.

The anomaly score is the negative ELBO of a customer's full row (reconstruction negative
log-likelihood plus KL to the prior). Each column's share is standardised against the training
rows; the columns with the largest excess are "what is unusual", shown with the customer's value
beside the portfolio's typical value (median, or most frequent category).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data import Dataset
from core.scenarios.generator import TabularVAE


@dataclass
class EarlyWarning:
    scores: pd.DataFrame  # id, score, percentile (every row)
    top: pd.DataFrame  # id, score, percentile, unusual (text), columns
    threshold_99: float


def _typical(frame: pd.DataFrame) -> dict:
    out = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[c] = float(s.median())
        else:
            vc = s.astype(str).value_counts()
            out[c] = vc.index[0] if len(vc) else ""
    return out


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    return str(v)


def early_warning(vae: TabularVAE, dataset: Dataset, top: int = 20, n_reasons: int = 3) -> EarlyWarning:
    """Score every row of ``dataset`` and list the ``top`` most unusual with their reasons."""
    frame = dataset.frame[vae.columns].reset_index(drop=True)
    a = vae.anomaly_scores(frame)
    ids = dataset.ids().reset_index(drop=True)
    pct = pd.Series(a.score).rank(pct=True).to_numpy() * 100
    scores = pd.DataFrame({"id": ids, "score": a.score, "recon": a.recon, "kl": a.kl, "percentile": pct})
    order = np.argsort(-a.score)[:top]
    typical = _typical(frame)
    excess = a.column_excess.to_numpy()
    cols = list(a.column_excess.columns)
    rows = []
    for i in order:
        best = np.argsort(-excess[i])[:n_reasons]
        reasons = [f"{cols[j]} = {_fmt(frame.iloc[i][cols[j]])} (typical {_fmt(typical[cols[j]])}, {excess[i, j]:.1f} sd)"
                   for j in best if excess[i, j] > 1.0]
        rows.append({"id": ids.iloc[i], "score": float(a.score[i]), "percentile": float(pct[i]),
                     "unusual": "; ".join(reasons) or "no single column stands out: an unusual combination",
                     "columns": [cols[j] for j in best]})
    return EarlyWarning(scores, pd.DataFrame(rows), float(np.quantile(a.score, 0.99)))
