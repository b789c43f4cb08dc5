"""The embedded default through the cycle: the same book observed quarterly, 2020Q1-2024Q4.

One *slot* per customer of the book. Every quarter (after a four-quarter burn-in at the first
quarter's conditions) the simulation

1. sets each customer's macro conditions from :mod:`core.data.macro_cycle` (regional
   unemployment, the policy rate, regional house-price growth, average earnings);
2. moves behaviour with them: incomes follow average earnings; card utilisation rises 2 pp per
   point of unemployment above 4.4%; spending (-3%), current accounts (-1.5%) and savings (-3%)
   fall per point; inquiries rise 10% per point; mortgage collateral follows the regional
   house-price index since origination; personal loans float with the policy rate (mortgages and
   auto loans are fixed at origination); debt-to-income is recomputed from all of it. Each of
   these has the customer's own AR(1) noise (persistence 0.7);
3. scores the row with the documented risk function :func:`core.data.risk_function.true_logit`
   (which includes the days-past-due state) to a 12-month PD, and turns it into a quarterly
   default hazard ``h = 1 - (1 - PD)^(1/4)``;
4. moves the days-past-due state one quarter (current -> 1-29 with ``(0.02 + 2h) x strain``, -> 30-59
   with ``1.2h x strain``, where ``strain = exp((u - s) / sqrt(2) - 0.5)`` (mean 1) grows with the
   customer's own utilisation noise ``u`` and falls with their savings noise ``s``, both standardised:
   hidden strain an early-warning model can only read from trends; delinquent accounts cure, stay
   or roll with fixed rates, see :data:`ROLL`), or, with
   probability ``h``, defaults: the account leaves the book and its slot takes a new customer
   (a new loan, drawn from the same persona mix) the same quarter.

Each history row's ``default_12m`` is 1 when that account defaulted in the four quarters after
it (missing where the window reaches past the as-of date and no default was seen, as in a real
panel); the book at the as-of date draws its own 12-month outcome from its PD (a separate random
stream, so macro snapshots keep the same customers). ``origination_pd`` is the PD of the quarter
the current facility was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.macro_cycle import REGION_UNEMPLOYMENT_OFFSET, MacroPath, macro_path
from core.data.risk_function import true_logit
from core.data.synthetic_customers import (
    EMPLOYMENT_LEVELS,
    PRODUCT_TYPES,
    PRODUCTS,
    PURPOSES,
    RATE_MARGIN,
    REGION_NAMES,
    Customers,
    draw_customers,
)

AS_OF = np.datetime64("2025-01-01")
BURN_IN = 2
# the quarterly default hazard is this share of 1 - (1 - PD)^(1/4): falling behind raises the hazard
# within the year, and this scale keeps a year's realised defaults at the documented PD on average
HAZARD_SCALE = 0.62
RHO = 0.7
UNEMPLOYMENT_ANCHOR = 4.4  # behaviour is at the customer's own level when unemployment is here
# one quarter of the days-past-due chain for accounts already behind (rows: 1-29, 30-59, 60-89);
# columns: to current, 1-29, 30-59, 60-89
ROLL = np.array([[0.65, 0.15, 0.20, 0.00],
                 [0.45, 0.10, 0.20, 0.25],
                 [0.35, 0.00, 0.15, 0.50]])
BUCKET_DAYS = ((0, 1), (1, 30), (30, 60), (60, 90))
HISTORY_EXCLUDE = ("full_name", "email", "application_date", "origination_pd")


def _seed(seed: int | Sequence[int], *tail: int) -> list[int]:
    base = [int(seed)] if isinstance(seed, (int, np.integer)) else [int(s) for s in seed]
    return [*base, *tail]


def bucket_of(days: np.ndarray) -> np.ndarray:
    """Days past due -> bucket 0 (current), 1 (1-29), 2 (30-59), 3 (60-89), 4 (90+)."""
    d = np.asarray(days, dtype=np.float64)
    return np.searchsorted(np.array([1, 30, 60, 90]), d, side="right").astype(np.int8)


@dataclass
class _State:
    dpd: np.ndarray
    ring: np.ndarray  # (n, 8) quarters 30+ days past due, last two years
    e_util: np.ndarray
    e_inc: np.ndarray
    e_spend: np.ndarray
    e_bal: np.ndarray
    e_score: np.ndarray
    orig_q: np.ndarray
    orig_pd: np.ndarray
    generation: np.ndarray

    @classmethod
    def fresh(cls, rng: np.random.Generator, n: int, orig_q: np.ndarray) -> _State:
        def ar(sd: float) -> np.ndarray:
            return sd * rng.standard_normal(n)

        return cls(np.zeros(n, np.int16), np.zeros((n, 8), bool), ar(0.04), ar(0.03), ar(0.15), ar(0.10), ar(8.0),
                   orig_q.astype(np.int64), np.full(n, np.nan), np.zeros(n, np.int64))

    def reset_rows(self, rows: np.ndarray, rng: np.random.Generator, quarter: int) -> None:
        fresh = _State.fresh(rng, rows.size, np.full(rows.size, quarter))
        for name in ("dpd", "ring", "e_util", "e_inc", "e_spend", "e_bal", "e_score", "orig_q", "orig_pd"):
            getattr(self, name)[rows] = getattr(fresh, name)
        self.generation[rows] += 1

    def step_noise(self, rng: np.random.Generator) -> None:
        k = np.sqrt(1 - RHO**2)
        for name, sd in (("e_util", 0.04), ("e_inc", 0.03), ("e_spend", 0.15), ("e_bal", 0.10), ("e_score", 8.0)):
            arr = getattr(self, name)
            arr *= RHO
            arr += (sd * k) * rng.standard_normal(arr.size, dtype=np.float32)


def _regional_hpi(path: MacroPath, offsets: np.ndarray) -> np.ndarray:
    """(quarters, regions) house-price level, 1 at the as-of date."""
    hpc = path.house_prices[:, None] - 1.5 * offsets[None, :]
    level = np.cumprod((1 + hpc / 100.0) ** 0.25, axis=0)
    return level / level[-1]


def quarter_row(c: Customers, s: _State, path: MacroPath, t: int, rng: np.random.Generator,
                rng_behaviour: np.random.Generator | None, shift: tuple[float, float, float] = (0.0, 0.0, 0.0),
                hpi: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The columns of quarter ``t`` for the current customers (``shift``: unemployment pp, rate bp, HPC pp).

    Without ``rng_behaviour`` only the risk function's inputs are computed (a quarter nobody keeps).
    """
    offsets = np.array([REGION_UNEMPLOYMENT_OFFSET[r] for r in REGION_NAMES])
    tq = min(max(t, 0), path.as_of)
    off = offsets[c.region]
    back = path.as_of - t  # quarters before the as-of date
    unemp = path.unemployment[tq] + off + shift[0]
    rate = np.full(c.region.size, max(0.0, path.policy_rate[tq] + shift[1] / 100.0))
    hpc = path.house_prices[tq] - 1.5 * off + shift[2]
    earn = path.earnings[tq] / 100.0
    gap = unemp - UNEMPLOYMENT_ANCHOR
    card = c.holds["credit_card"]
    income = (c.income * earn * np.exp(s.e_inc)).round(-2)
    util = np.clip(c.util + (0.02 * gap + s.e_util) * card, 0, 0.99) * card
    balance = (c.card_limit * util).round(2)
    inquiries = rng.poisson(c.inq_rate * np.clip(1 + 0.1 * gap, 0.2, 3.0))
    delinq = c.delinq_prior + s.ring.sum(axis=1)
    late = s.dpd >= 30
    score = np.clip(c.score_level - 28 * delinq - 40 * (util - 0.3) - 35 * late + s.e_score, 300, 850).round()
    is_mort, is_auto, is_rev = c.kind == 1, c.kind == 2, c.kind == 3
    hpi = _regional_hpi(path, offsets) if hpi is None else hpi
    o = np.clip(s.orig_q, 0, path.as_of)
    hpi_now = hpi[tq, c.region] * (1 + shift[2] / 100.0)
    collateral = np.select([is_mort, is_auto], [c.property_value * hpi_now / hpi[o, c.region], c.car_value * 0.85],
                           default=0.0).round(-2)
    margin = np.where(is_mort, RATE_MARGIN["mortgage"], RATE_MARGIN["auto"])
    annual_rate = np.where(is_mort | is_auto, path.policy_rate[o] + margin, rate + 7.5) / 100.0
    r_m = annual_rate / 12.0
    installment = np.where(is_rev, 0.0, c.loan_amount * r_m / (1 - (1 + r_m) ** -np.maximum(c.term, 1)))
    dti = ((installment * 12 + balance * 0.36 + c.other_debt * earn) / np.maximum(income, 1.0)).clip(0, 2.5).round(3)
    ead = np.where(is_rev, balance + 0.5 * (c.card_limit - balance), c.loan_amount).round(2)
    row = {
        "age": np.maximum(18, c.age - back // 4).astype(np.int16), "region": c.region, "employment_status": c.employment,
        "annual_income": income, "tenure_months": np.maximum(1, c.tenure - 3 * back).astype(np.int32),
        "card_limit": c.card_limit, "card_balance": balance, "card_utilisation": util.round(4),
        "credit_score": score.astype(np.int16), "delinquencies_24m": delinq.astype(np.int16),
        "inquiries_6m": inquiries.astype(np.int16), "debt_to_income": dti, "days_past_due": s.dpd.copy(),
        "loan_amount": c.loan_amount, "loan_term_months": c.term.astype(np.int16), "loan_purpose": c.purpose,
        "product_type": c.product_type, "ead": ead, "collateral_value": collateral,
        "regional_unemployment": unemp.round(2), "policy_rate": rate.round(2), "house_price_change": hpc.round(2),
    }
    if rng_behaviour is None:
        return row
    r = rng_behaviour
    txn = r.poisson(c.txn_rate * np.clip(1 - 0.02 * gap, 0.5, 1.5))
    spend = (c.spend * earn * np.clip(1 - 0.03 * gap, 0.4, 1.5) * np.exp(s.e_spend) * (txn > 0)).round(2)
    recency = np.where(txn > 0, r.exponential(c.recency_mean), 90).round().clip(0, 90)
    checking = (c.checking * earn * np.exp(s.e_bal) * np.clip(1 - 0.015 * gap, 0.5, 1.5)).round(2)
    savings = (c.savings * np.exp(s.e_bal) * np.clip(1 - 0.03 * gap, 0.4, 1.5)).round(2)
    holds = {f"has_{p}": c.holds[p] for p in PRODUCTS}
    row.update(holds)
    row.update({"n_products": np.sum(list(holds.values()), axis=0).astype(np.int8), "checking_balance": checking,
                "savings_balance": savings, "txn_recency_days": recency.astype(np.int16),
                "txn_count_90d": txn.astype(np.int32), "txn_amount_90d": spend, "digital_share": c.digital})
    return row


def _transition(s: _State, pd12: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move the days-past-due chain one quarter; returns the rows that defaulted."""
    n = pd12.size
    h = HAZARD_SCALE * (1 - (1 - np.clip(pd12, 0, 1 - 1e-12)) ** 0.25)
    u_def, u_move, u_days = rng.random(n), rng.random(n), rng.random(n)
    default = u_def < h
    b = bucket_of(s.dpd).clip(0, 3)
    new = b.copy()
    cur = b == 0
    # hidden financial strain (the customer's own utilisation and savings swings, standardised) makes
    # falling behind likelier than the PD alone says: what an early-warning model can read in trends
    strain = np.exp((s.e_util / 0.04 - s.e_bal / 0.10) / np.sqrt(2) - 0.5)
    p1, p2 = np.minimum(0.4, (0.02 + 2.0 * h) * strain), np.minimum(0.3, 1.2 * h * strain)
    new[cur] = np.where(u_move[cur] < p2[cur], 2, np.where(u_move[cur] < p1[cur] + p2[cur], 1, 0))
    for k in (1, 2, 3):
        rows = b == k
        cum = np.cumsum(ROLL[k - 1])
        new[rows] = np.searchsorted(cum, u_move[rows], side="right").clip(0, 3)
    lo = np.array([d[0] for d in BUCKET_DAYS])[new]
    hi = np.array([d[1] for d in BUCKET_DAYS])[new]
    s.dpd[:] = (lo + np.floor(u_days * (hi - lo))).astype(np.int16)
    return np.flatnonzero(default)


@dataclass
class PanelResult:
    snapshot: dict[str, np.ndarray]
    persona: np.ndarray
    customer_id: np.ndarray
    full_name: np.ndarray
    application_date: np.ndarray
    origination_pd: np.ndarray
    history: pd.DataFrame | None


def simulate(n: int, seed: int | Sequence[int], path: MacroPath | None = None, *,
             shift: tuple[float, float, float] = (0.0, 0.0, 0.0), keep_history: bool = False,
             id_offset: int = 0) -> PanelResult:
    """Run the cycle for ``n`` slots; the last quarter (optionally shifted by ``shift``) is the book."""
    path = path or macro_path()
    T = path.as_of
    c = draw_customers(np.random.default_rng(_seed(seed)), n)
    rng0 = np.random.default_rng(_seed(seed, 4))
    orig_q = T - rng0.integers(0, min(8, T + 1), n)  # the current facility was written in the last two years
    orig_day = rng0.integers(0, 90, n)
    s = _State.fresh(rng0, n, orig_q)
    base_ids = np.char.add("C", np.char.zfill((np.arange(n) + 1 + id_offset).astype(str), 7))
    ids = base_ids.astype(object)
    hist: list[dict] = []
    hpi = _regional_hpi(path, np.array([REGION_UNEMPLOYMENT_OFFSET[r] for r in REGION_NAMES]))
    for t in range(-BURN_IN, T + 1):
        rng = np.random.default_rng(_seed(seed, 2, t + BURN_IN))
        kept = t == T or (keep_history and t >= 0)
        rng_b = np.random.default_rng(_seed(seed, 5, t + BURN_IN)) if kept else None
        row = quarter_row(c, s, path, t, rng, rng_b, shift if t == T else (0.0, 0.0, 0.0), hpi)
        pd12 = 1 / (1 + np.exp(-true_logit(row)))
        new_orig = (s.orig_q == t) & np.isnan(s.orig_pd)
        s.orig_pd[new_orig] = pd12[new_orig]
        if keep_history and t >= 0:
            hist.append({"row": _compact(row), "slot_gen": s.generation * n + np.arange(n),
                         "default": np.full(n, 0.0 if t <= T - 4 else np.nan, dtype=np.float32)})
        if t == T:
            break
        defaulted = _transition(s, pd12, rng)
        if keep_history:  # the account's last four observed quarters saw it default within a year
            for k in range(max(0, t - 3), t + 1):
                hist[k]["default"][defaulted] = 1.0
        s.ring[:, (t + BURN_IN) % 8] = s.dpd >= 30
        s.step_noise(rng)
        if defaulted.size:
            new_rng = np.random.default_rng(_seed(seed, 3, t + BURN_IN))
            c.replace_rows(defaulted, draw_customers(new_rng, defaulted.size, c.persona[defaulted]))
            s.reset_rows(defaulted, new_rng, t + 1)
            suffix = np.char.add("R", s.generation[defaulted].astype(str))
            ids[defaulted] = np.char.add(base_ids[defaulted], suffix).astype(object)
    q_start = np.array([np.datetime64(f"{lab[:4]}-{3 * int(lab[-1]) - 2:02d}-01", "D") for lab in path.labels])
    app_date = q_start[np.clip(s.orig_q, 0, T)] + np.minimum(orig_day, 89).astype("timedelta64[D]")
    history = _history_frame(hist, path, base_ids) if keep_history else None
    return PanelResult(row, c.persona.copy(), ids, c.full_name.copy(), app_date.astype("datetime64[ns]"),
                       s.orig_pd.round(6), history)


def _compact(row: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A history row: category codes instead of strings (the frame is built once, at the end)."""
    # copies: a row holds the customers' own arrays, which later replacements overwrite in place
    out = {k: np.array(v, copy=True) for k, v in row.items() if k not in HISTORY_EXCLUDE}
    for col, cats in _CATEGORIES.items():
        if col != "region":
            out[col] = np.searchsorted(np.sort(np.array(cats)), row[col]).astype(np.int8)
        else:
            out[col] = np.asarray(row[col], dtype=np.int8)
    return out


_CATEGORIES = {"region": REGION_NAMES, "employment_status": EMPLOYMENT_LEVELS, "loan_purpose": PURPOSES,
               "product_type": PRODUCT_TYPES}


def _history_frame(hist: list[dict], path: MacroPath, base_ids: np.ndarray) -> pd.DataFrame:
    n = base_ids.size
    key = np.concatenate([h["slot_gen"] for h in hist])
    uniq, inv = np.unique(key, return_inverse=True)
    gen, slot = uniq // n, uniq % n
    names = np.where(gen == 0, base_ids[slot], np.char.add(np.char.add(base_ids[slot], "R"), gen.astype(str)))
    cols = {"customer_id": pd.Categorical.from_codes(inv.astype(np.int32), categories=names.astype(str)),
            "quarter": pd.Categorical.from_codes(np.repeat(np.arange(len(hist)), n), categories=list(path.labels),
                                                 ordered=True)}
    for col in hist[0]["row"]:
        values = np.concatenate([h["row"][col] for h in hist])
        if col in _CATEGORIES:
            cats = list(_CATEGORIES[col])
            if col != "region":
                cats = sorted(cats)
            cols[col] = pd.Categorical.from_codes(values.astype(np.int64), categories=cats)
        else:
            cols[col] = values
    cols["default_12m"] = np.concatenate([h["default"] for h in hist])
    frame = pd.DataFrame(cols)
    for col, cats in _CATEGORIES.items():  # the snapshot's category order
        frame[col] = frame[col].cat.reorder_categories(list(cats)) if col != "region" else frame[col]
    return frame
