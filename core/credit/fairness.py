"""Fairness by group: approval rate, AUC, false-positive and false-negative rates, adverse-impact ratio.

A *positive* is a decline (``pd >= cutoff``). The false-positive rate is the share of good
applicants declined; the false-negative rate the share of bad applicants approved. The
adverse-impact ratio of a group is its approval rate divided by the highest group approval rate;
below 0.8 fails the four-fifths rule of thumb (US EEOC Uniform Guidelines, used in fair-lending
reviews as a screen, not a verdict). Protected attributes may be left out of the model and still
be grouped on here: this module only needs the column values, not the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.credit import metrics as M
from core.data.schema import Schema

AGE_BANDS = (0, 25, 35, 50, 65, 200)
AGE_LABELS = ("under 25", "25-34", "35-49", "50-64", "65+")
FOUR_FIFTHS = 0.8
MIN_GROUP = 20


def age_bands(age: pd.Series) -> pd.Series:
    return pd.cut(pd.to_numeric(age, errors="coerce"), bins=list(AGE_BANDS), labels=list(AGE_LABELS), right=False)


def sex_from_personal_status(s: pd.Series) -> pd.Series:
    """German credit's ``personal_status`` mixes sex and marital status ('male single', 'female div/dep/mar')."""
    first = s.astype(str).str.strip().str.split().str[0].str.lower()
    return first.where(first.isin(["male", "female"]) & s.notna())


def group_columns(frame: pd.DataFrame, schema: Schema, extra: list[str] | None = None) -> dict[str, pd.Series]:
    """Grouping variables: every protected attribute and proxy of the schema, plus ``extra`` columns.

    The schema's age column (semantics ``age``) is cut into age bands, other many-valued numbers
    into quartiles; a column whose values name a sex ("male single", "female div/dep/mar") also
    gives a derived sex group.
    """
    out: dict[str, pd.Series] = {}
    age_col = schema.semantics.get("age")
    for c in [*schema.protected_columns(), *(extra or [])]:
        if c not in frame.columns or c in out:
            continue
        s = frame[c]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if numeric and c == age_col:
            out["age band"] = age_bands(s)
        elif numeric and s.nunique() > 10:
            out[f"{c} (quartile)"] = pd.qcut(s, 4, duplicates="drop").astype(str).where(s.notna())
        else:
            out[c] = s.astype(str).where(s.notna())
            sex = sex_from_personal_status(s) if not numeric else None
            if sex is not None and sex.notna().mean() > 0.5 and sex.dropna().nunique() == 2:
                out[f"sex (from {c})"] = sex
    return out


def group_table(y: np.ndarray, pd_values: np.ndarray, groups: pd.Series, cutoff: float) -> pd.DataFrame:
    """One row per group: size, default rate, approval rate, AUC, FPR, FNR, mean PD, adverse-impact ratio."""
    y = np.asarray(y).astype(int)
    p = np.asarray(pd_values, float)
    g = pd.Series(groups).reset_index(drop=True)
    rows = []
    for name in [v for v in pd.unique(g.dropna())]:
        mask = (g == name).to_numpy()
        if mask.sum() == 0:
            continue
        c = M.confusion(y[mask], p[mask], cutoff)
        rows.append({"group": str(name), "n": int(mask.sum()), "default_rate": float(y[mask].mean()),
                     "mean_pd": float(p[mask].mean()), "approval_rate": c.approval_rate,
                     "auc": M.auc(y[mask], p[mask]), "fpr": c.fpr, "fnr": c.fnr})
    df = pd.DataFrame(rows, columns=["group", "n", "default_rate", "mean_pd", "approval_rate", "auc", "fpr", "fnr"])
    if df.empty:
        return df.assign(adverse_impact_ratio=[], four_fifths_flag=[], small_group=[])
    if isinstance(g.dtype, pd.CategoricalDtype):
        order = {str(v): i for i, v in enumerate(g.cat.categories)}
        df = df.sort_values("group", key=lambda s: s.map(order)).reset_index(drop=True)
    else:
        df = df.sort_values("n", ascending=False).reset_index(drop=True)
    eligible = df.loc[df["n"] >= MIN_GROUP, "approval_rate"]
    top = eligible.max() if len(eligible) else df["approval_rate"].max()
    df["adverse_impact_ratio"] = df["approval_rate"] / top if top and top > 0 else np.nan
    df["four_fifths_flag"] = df["adverse_impact_ratio"] < FOUR_FIFTHS
    df["small_group"] = df["n"] < MIN_GROUP
    return df


def fairness_report(frame: pd.DataFrame, y: np.ndarray, pd_values: np.ndarray, cutoff: float, schema: Schema,
                    extra: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """A :func:`group_table` for every grouping variable of :func:`group_columns`."""
    groups = group_columns(frame, schema, extra)
    return {name: group_table(y, pd_values, s.reset_index(drop=True), cutoff) for name, s in groups.items()}
