"""IFRS 9 staging and expected credit loss, as a bank's impairment team runs it.

* **Stage 3** (credit-impaired): 90 or more days past due.
* **Stage 2** (significant increase in credit risk since origination, IFRS 9 5.5.3 / B5.5.17):
  the lifetime PD over the remaining life is at least ``ratio`` times the lifetime PD expected at
  origination for the same horizon **and** at least ``floor`` higher in absolute terms (so a
  move from 0.1% to 0.2% is not an increase that matters), or 30 or more days past due (the
  rebuttable backstop of B5.5.19).
* **Stage 1**: the rest.

ECL is the 12-month ECL in stage 1 and the lifetime ECL in stages 2 and 3: marginal default
probabilities year by year under a constant annual hazard (the 12-month PD), times LGD, times the
exposure still outstanding (straight-line amortisation over the remaining term for instalment
loans; revolving lines keep their exposure over a behavioural life), discounted at ``rate``.
Stage 3 exposures are in default (PD = 1): ECL = LGD x EAD. Scenario weights must sum to 1;
weights that do not are refused, never rescaled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError

RATIO = 2.0
FLOOR = 0.01
BACKSTOP_DAYS = 30
IMPAIRED_DAYS = 90
DISCOUNT_RATE = 0.05
REVOLVING_LIFE_YEARS = 3.0
DEFAULT_LIFE_YEARS = 3.0
MAX_LIFE_YEARS = 30


@dataclass(frozen=True)
class Staging:
    """Per-exposure stage (1, 2, 3) and why, with the lifetime PDs the test compared."""

    stage: np.ndarray
    reason: np.ndarray  # "", "PD ratio", "30+ days past due", "90+ days past due"
    lifetime_pd: np.ndarray
    lifetime_pd_origination: np.ndarray


def dpd_bucket(days: np.ndarray) -> np.ndarray:
    """Days past due -> bucket 0 (current), 1 (1-29), 2 (30-59), 3 (60-89), 4 (90+)."""
    d = np.nan_to_num(np.asarray(days, dtype=np.float64))
    return np.searchsorted(np.array([1, 30, 60, 90]), d, side="right").astype(np.int8)


def remaining_years(frame: pd.DataFrame, products: np.ndarray, term_column: str | None, date_column: str | None,
                    as_of: np.datetime64 | None = None) -> np.ndarray:
    """Remaining life in years: the term less the time on book; revolving lines a behavioural life."""
    n = len(frame)
    years = np.full(n, DEFAULT_LIFE_YEARS)
    if term_column and term_column in frame.columns:
        months = pd.to_numeric(frame[term_column], errors="coerce").to_numpy(dtype=np.float64)
        on_book = np.zeros(n)
        if date_column and date_column in frame.columns:
            dates = pd.to_datetime(frame[date_column], errors="coerce")
            ref = pd.Timestamp(as_of) if as_of is not None else dates.max()
            on_book = ((ref - dates).dt.days.to_numpy(dtype=np.float64) / 30.44)
            on_book = np.nan_to_num(on_book, nan=0.0).clip(min=0)
        left = months - on_book
        years = np.where(np.isfinite(left) & (months > 0), np.maximum(left, 3.0) / 12.0, years)
    years = np.where(products == "revolving", REVOLVING_LIFE_YEARS, years)
    return np.clip(years, 0.25, MAX_LIFE_YEARS)


def lifetime_pd(pd_12m: np.ndarray, years: np.ndarray) -> np.ndarray:
    return 1.0 - (1.0 - np.clip(pd_12m, 0.0, 1.0)) ** years


def stage(pd_now: np.ndarray, pd_origination: np.ndarray, years: np.ndarray, days_past_due: np.ndarray | None, *,
          ratio: float = RATIO, floor: float = FLOOR) -> Staging:
    """Stage every exposure against its origination PD (see the module docstring)."""
    life_now = lifetime_pd(pd_now, years)
    life_orig = lifetime_pd(pd_origination, years)
    sicr = (life_now >= ratio * life_orig) & (life_now - life_orig >= floor)
    dpd = np.zeros(pd_now.size) if days_past_due is None else np.nan_to_num(np.asarray(days_past_due, dtype=np.float64))
    late, impaired = dpd >= BACKSTOP_DAYS, dpd >= IMPAIRED_DAYS
    st = np.where(impaired, 3, np.where(sicr | late, 2, 1)).astype(np.int8)
    reason = np.where(impaired, "90+ days past due", np.where(late, "30+ days past due", np.where(sicr, "PD ratio", "")))
    return Staging(st, reason, life_now, life_orig)


def ecl(pd_12m: np.ndarray, lgd: np.ndarray, ead: np.ndarray, years: np.ndarray, stages: np.ndarray,
        revolving: np.ndarray, rate: float = DISCOUNT_RATE) -> tuple[np.ndarray, np.ndarray]:
    """``(ECL used for the stage, 12-month ECL)`` per exposure."""
    p = np.clip(pd_12m, 0.0, 1.0)
    ecl12 = p * lgd * ead
    horizon = int(np.ceil(min(MAX_LIFE_YEARS, float(years.max(initial=1.0)))))
    life = np.zeros(p.size)
    survive = np.ones(p.size)
    for y in range(1, horizon + 1):
        share = np.clip(years - (y - 1), 0.0, 1.0)  # part of year y still within the remaining life
        if not share.any():
            break
        outstanding = np.where(revolving, 1.0, np.clip(1.0 - (y - 1) / np.maximum(years, 1e-9), 0.0, 1.0))
        marginal = survive * (1.0 - (1.0 - p) ** share)
        life += marginal * lgd * ead * outstanding / (1.0 + rate) ** (y - 0.5)
        survive *= (1.0 - p) ** share
    life = np.maximum(life, ecl12)  # a lifetime loss is never below its first year
    used = np.where(stages == 3, lgd * ead, np.where(stages == 2, life, ecl12))
    return used, ecl12


def staging_table(stages: np.ndarray, ead: np.ndarray, ecl_used: np.ndarray) -> pd.DataFrame:
    """Customers, exposure and ECL by stage, with coverage (ECL / exposure)."""
    rows: list[dict[str, object]] = []
    for s in (1, 2, 3):
        m = stages == s
        exp, loss = float(ead[m].sum()), float(ecl_used[m].sum())
        rows.append({"stage": s, "customers": int(m.sum()), "share": float(m.mean()) if m.size else 0.0,
                     "exposure": exp, "ecl": loss, "coverage": loss / exp if exp > 0 else 0.0})
    total_exp, total_loss = float(ead.sum()), float(ecl_used.sum())
    rows.append({"stage": "total", "customers": int(stages.size), "share": 1.0, "exposure": total_exp, "ecl": total_loss,
                 "coverage": total_loss / total_exp if total_exp > 0 else 0.0})
    return pd.DataFrame(rows)


def check_weights(weights: dict[str, float]) -> None:
    """Scenario weights must be non-negative and sum to 1 (within 0.1 pp); otherwise refused."""
    bad = {k: w for k, w in weights.items() if w < 0 or not np.isfinite(w)}
    if bad:
        raise InputError(f"Scenario weights must be 0 or more: {', '.join(f'{k} {v:g}' for k, v in bad.items())}.")
    total = float(sum(weights.values()))
    if abs(total - 1.0) > 1e-3:
        raise InputError(f"The scenario weights add up to {total * 100:.1f}%, not 100%.",
                         "Adjust them so they sum to exactly 100%; they are never rescaled for you.")


def probability_weighted(rows: list[dict]) -> dict:
    """Weighted ECL over scenarios; ``rows`` hold ``name``, ``weight``, ``ecl``, ``ecl_12m``, ``stage2_share``."""
    weights = {r["name"]: float(r["weight"]) for r in rows}
    check_weights(weights)
    return {"weighted_ecl": sum(r["weight"] * r["ecl"] for r in rows),
            "weighted_ecl_12m": sum(r["weight"] * r["ecl_12m"] for r in rows),
            "weighted_stage2_share": sum(r["weight"] * r.get("stage2_share", 0.0) for r in rows), "weights": weights}


def sides(semantics: dict, base_rows: pd.DataFrame, rows: pd.DataFrame, products: np.ndarray,
          base: tuple[np.ndarray, np.ndarray, np.ndarray], stressed: tuple[np.ndarray, np.ndarray, np.ndarray],
          kept: dict | None = None) -> dict:
    """Staging tables and ECL of a baseline and a stressed book (``(pd, lgd, ead)`` per side), keys ``baseline_*`` and ``*``.

    ``kept``: a dict the caller keeps for one unchanging baseline (its half is computed once and kept there).
    """
    orig_col, dpd_col = semantics.get("origination_pd"), semantics.get("days_past_due")
    has_orig = bool(orig_col and orig_col in base_rows.columns)
    out: dict = {"origination": "origination PD column" if has_orig else
                 "no origination PD in the data: staged against today's baseline PD (an approximation)",
                 "backstop": "days past due" if dpd_col in rows.columns else "no days-past-due column: no 30-day backstop"}
    if kept is not None and "pd_orig" in kept:
        pd_orig, years, baseline = kept["pd_orig"], kept["years"], kept["baseline"]
    else:
        pd_orig = pd.to_numeric(base_rows[orig_col], errors="coerce").fillna(pd.Series(base[0])).to_numpy() if has_orig \
            else base[0]
        years = remaining_years(base_rows, products, semantics.get("term"), semantics.get("date"))
        baseline = _side("baseline_", base, base_rows, dpd_col, pd_orig, years, products == "revolving")
        if kept is not None:
            kept.update(pd_orig=pd_orig, years=years, baseline=baseline)
    out.update(baseline)
    out.update(_side("", stressed, rows, dpd_col, pd_orig, years, products == "revolving"))
    return out


def _side(tag: str, side: tuple[np.ndarray, np.ndarray, np.ndarray], frame: pd.DataFrame, dpd_col: str | None,
          pd_orig: np.ndarray, years: np.ndarray, revolving: np.ndarray) -> dict:
    pd_, lgd, ead = side
    dpd = frame[dpd_col].to_numpy() if dpd_col and dpd_col in frame.columns else None
    st = stage(pd_, pd_orig, years, dpd)
    used, e12 = ecl(pd_, lgd, ead, years, st.stage, revolving)
    return {f"{tag}table": staging_table(st.stage, ead, used), f"{tag}ecl": float(used.sum()),
            f"{tag}ecl_12m": float(e12.sum()), f"{tag}stage2_share": float(np.mean(st.stage == 2)),
            f"{tag}stage3_share": float(np.mean(st.stage == 3))}
