"""The embedded default: a seeded, vectorised synthetic retail-bank book observed through a macro cycle.

Generating process
==================

1. **Personas** (latent, kept as ground truth in ``truth["persona"]``, never a feature): six
   personas (:data:`PERSONAS`, in :mod:`core.data.synthetic_customers`) fix the centre of every
   behavioural and balance variable and the probability of holding each product.
2. **The cycle** (:mod:`core.data.macro_cycle`): the book is observed quarterly from 2020Q1 to
   2024Q4 through a deep recession (unemployment to 9.6%, house prices -31% y/y, rates cut to
   0.25%) and a rate shock (policy rate to 7.0%). Each customer lives in one of five regions with
   its own unemployment offset. Behaviour moves with the cycle and each customer's own noise;
   accounts fall behind, cure or default, and a defaulted account's slot takes a new customer
   (:mod:`core.data.synthetic_panel` documents every response). :func:`generate_panel` returns the
   customer-quarter rows; the default :class:`Dataset` is the book at the as-of date (one row per
   customer, the last quarter) and carries the panel as ``dataset.history``.
3. **Bureau attributes**: credit score (300-850) centred by persona and lowered by delinquencies,
   utilisation and being 30+ days past due; delinquencies in the last two years (before the panel,
   plus every quarter spent 30+ days past due); inquiries (Poisson, more when unemployment is
   high); debt-to-income from the customer's debt service over income.
4. **Loan and exposure**: purpose by persona, amount and term by purpose; the exposure product
   (``mortgage``, ``revolving``, ``personal``, ``auto``) follows the purpose; EAD is the loan amount
   (revolving: balance plus half the undrawn limit, the credit-conversion factor); collateral is
   the property value (mortgages, following the regional house-price index since origination) or
   the car value, none for unsecured credit. ``origination_pd`` is the PD when the facility was
   written (for IFRS 9 staging).
5. **Default within 12 months**: ``default_12m ~ Bernoulli(sigmoid(z))`` with the ground-truth
   log-odds :func:`true_logit` (in :mod:`core.data.risk_function`)::

       z = -4.30
           + 0.85 s + 0.45 max(s, 0)^2            s = (700 - credit_score) / 60   (convex)
           + 0.9 dti + 3.2 max(dti - 0.40, 0)      (hinge: stress above 40 % DTI)
           + 1.6 util^2                            (non-linear in utilisation)
           + 0.55 log(1 + delinquencies_24m)
           + 0.10 inquiries_6m
           + 2.4 util * max(dti - 0.20, 0) * m     (interaction; m = 1 + 0.35 (unemp - 4))
           + 0.22 (unemp - 4) * e                  (e = 1.6 for small-business owners, else 1)
           + 0.35 (policy_rate - 4.5) * dti        (rate rises bite through debt service)
           + 1.5 max(ltv - 0.80, 0)                (mortgages in negative equity territory)
           - 0.25 log(income / 50k) - 0.12 log(1 + tenure_years)
           + 0.5 [1-29 dpd] + 1.5 [30-59 dpd] + 2.3 [60-89 dpd]   (days past due now)

   In the panel the same z sets each quarter's default hazard, so the history's default rates move
   with the cycle exactly as this function says. :data:`TRUE_DRIVERS` lists the features that
   carry most of the variance of ``z`` on the book, in order.

:func:`generate_portfolio` draws the book; passing a :class:`MacroConditions` draws a *snapshot*
of the same customers (same seed, same history) with the as-of quarter's macro conditions shifted,
which is what the scenario tests compare against. Every function takes ``seed`` as an int or a
sequence of ints, so a large book is drawn in independent chunks (``seed=[s, chunk]``,
``id_offset=chunk * size``) without holding it in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.data.dataset import Dataset
from core.data.macro_cycle import REGION_UNEMPLOYMENT_OFFSET, macro_path
from core.data.risk_function import DPD_LOG_ODDS, TRUE_DRIVERS, true_logit  # noqa: F401  (re-exported)
from core.data.schema import Role, Schema, Tag
from core.data.synthetic_customers import (  # noqa: F401  (re-exported: the public names of the default)
    EMPLOYMENT,
    EMPLOYMENT_LEVELS,
    PERSONA_NAMES,
    PERSONAS,
    PRODUCT_TYPES,
    PRODUCTS,
    PURPOSE_PRODUCT,
    PURPOSES,
    REGION_NAMES,
)

AS_OF = np.datetime64("2025-01-01")
REGIONS = dict(REGION_UNEMPLOYMENT_OFFSET)  # unemployment offset, pp
HISTORY_MAX_ROWS = 2_000_000  # customers above which generate_portfolio leaves the panel out

# Columns the scenario page may pin or shock.
MACRO_COLUMNS = ("regional_unemployment", "policy_rate", "house_price_change")


@dataclass(frozen=True)
class MacroConditions:
    """Shifts applied to the as-of quarter's macro conditions: a snapshot of the book under other conditions."""

    unemployment_shift_pp: float = 0.0
    policy_rate_shift_bp: float = 0.0
    house_price_shift_pct: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.unemployment_shift_pp, self.policy_rate_shift_bp, self.house_price_shift_pct)


def _categoricals(row: dict) -> dict:
    region = row["region"]
    if np.issubdtype(np.asarray(region).dtype, np.integer):
        row["region"] = pd.Categorical.from_codes(np.asarray(region, dtype=np.int64), categories=list(REGION_NAMES))
    row["employment_status"] = pd.Categorical(row["employment_status"], categories=list(EMPLOYMENT_LEVELS))
    row["loan_purpose"] = pd.Categorical(row["loan_purpose"], categories=list(PURPOSES))
    row["product_type"] = pd.Categorical(row["product_type"], categories=list(PRODUCT_TYPES))
    return row


def generate_frame(n: int = 50_000, seed: int | Sequence[int] = 42, macro: MacroConditions | None = None, *,
                   id_offset: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The book at the as-of date for ``n`` customers; returns ``(frame, truth)``.

    ``truth`` holds ``persona``, ``true_logit`` and ``true_pd`` per row. With the same ``seed`` a
    different ``macro`` gives the same customers under other conditions (common random numbers):
    only the macro columns, what they move (collateral, debt service, utilisation, spending) and
    the default draw change.
    """
    frame, truth, _ = _generate(n, seed, macro, keep_history=False, id_offset=id_offset)
    return frame, truth


def generate_panel(n: int = 50_000, seed: int | Sequence[int] = 42, quarters: int | None = None, *,
                   id_offset: int = 0) -> pd.DataFrame:
    """Customer-quarter rows over the cycle (``quarter`` ordered 2020Q1..2024Q4); the last quarter is the book."""
    _, _, history = _generate(n, seed, None, keep_history=True, id_offset=id_offset, quarters=quarters)
    assert history is not None
    return history


def _generate(n: int, seed: int | Sequence[int], macro: MacroConditions | None, *, keep_history: bool,
              id_offset: int = 0, quarters: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    from core.data.synthetic_panel import simulate

    if n < 1:
        raise ValueError("n must be positive")
    macro = macro or MacroConditions()
    res = simulate(n, seed, macro_path(quarters), shift=macro.as_tuple(), keep_history=keep_history, id_offset=id_offset)
    row = _categoricals(dict(res.snapshot))
    full_name = res.full_name.astype(str)
    email = np.char.replace(np.char.add(np.char.lower(full_name), "@example.com"), " ", ".")
    order = ["age", "region", "employment_status", "annual_income", "tenure_months", *[f"has_{p}" for p in PRODUCTS],
             "n_products", "checking_balance", "savings_balance", "card_limit", "card_balance", "card_utilisation",
             "txn_recency_days", "txn_count_90d", "txn_amount_90d", "digital_share", "credit_score", "delinquencies_24m",
             "inquiries_6m", "debt_to_income", "days_past_due", "loan_amount", "loan_term_months", "loan_purpose",
             "product_type", "ead", "collateral_value", "regional_unemployment", "policy_rate", "house_price_change"]
    frame = pd.DataFrame({"customer_id": pd.Series(res.customer_id.astype(str), dtype=object), "full_name": full_name,
                          "email": email, **{c: row[c] for c in order}, "application_date": res.application_date,
                          "origination_pd": res.origination_pd})
    z = true_logit(frame)
    pd_true = 1.0 / (1.0 + np.exp(-z))
    # the default draw uses its own stream so macro snapshots keep the same customers
    seq = [int(seed)] if isinstance(seed, (int, np.integer)) else [int(s) for s in seed]
    u_default = np.random.default_rng([*seq, 1]).random(n)
    frame["default_12m"] = (u_default < pd_true).astype(np.int8)
    truth = pd.DataFrame({"persona": pd.Categorical.from_codes(res.persona, categories=list(PERSONA_NAMES)),
                          "true_logit": z, "true_pd": pd_true})
    history = res.history
    if history is not None:
        last = history["quarter"].cat.codes.to_numpy() == history["quarter"].cat.categories.size - 1
        history.loc[last, "default_12m"] = frame["default_12m"].to_numpy(dtype=np.float32)
    return frame, truth, history


# What each column of the embedded portfolio means (see core.data.schema.Tag).
DEFAULT_TAGS: dict[str, frozenset[Tag]] = {
    "age": frozenset({Tag.PROTECTED}),
    "region": frozenset({Tag.GEOGRAPHIC}),
    "annual_income": frozenset({Tag.INCOME}),
    "tenure_months": frozenset({Tag.RELATIONSHIP}),
    **{f"has_{p}": frozenset({Tag.PRODUCT}) for p in PRODUCTS},
    "n_products": frozenset({Tag.PRODUCT, Tag.RELATIONSHIP}),
    "checking_balance": frozenset({Tag.BALANCE}),
    "savings_balance": frozenset({Tag.BALANCE}),
    "card_limit": frozenset({Tag.BALANCE}),
    "card_balance": frozenset({Tag.BALANCE}),
    "card_utilisation": frozenset({Tag.BALANCE}),
    "txn_recency_days": frozenset({Tag.BEHAVIOUR}),
    "txn_count_90d": frozenset({Tag.BEHAVIOUR}),
    "txn_amount_90d": frozenset({Tag.BEHAVIOUR}),
    "digital_share": frozenset({Tag.BEHAVIOUR}),
    "credit_score": frozenset({Tag.HISTORY}),
    "delinquencies_24m": frozenset({Tag.HISTORY}),
    "inquiries_6m": frozenset({Tag.HISTORY}),
    "days_past_due": frozenset({Tag.HISTORY}),  # repayment status now: the applicant cannot change it today
    "debt_to_income": frozenset({Tag.INCOME}),
    "loan_amount": frozenset({Tag.APPLICATION, Tag.EXPOSURE}),
    "loan_term_months": frozenset({Tag.APPLICATION}),
    "loan_purpose": frozenset({Tag.APPLICATION}),
    "product_type": frozenset({Tag.APPLICATION, Tag.PRODUCT}),
    "ead": frozenset({Tag.EXPOSURE}),
    "collateral_value": frozenset({Tag.COLLATERAL}),
    "regional_unemployment": frozenset({Tag.MACRO, Tag.GEOGRAPHIC}),
    "policy_rate": frozenset({Tag.MACRO}),
    "house_price_change": frozenset({Tag.MACRO, Tag.GEOGRAPHIC}),
    "origination_pd": frozenset({Tag.HISTORY}),  # the bank's PD when the facility was written (IFRS 9)
}


def default_schema(frame: pd.DataFrame) -> Schema:
    """Roles and semantics of the synthetic portfolio's columns."""
    roles = {}
    for c in frame.columns:
        if c == "customer_id":
            roles[c] = Role.ID
        elif c in ("full_name", "email"):
            roles[c] = Role.PII
        elif c == "default_12m":
            roles[c] = Role.TARGET
        elif c == "application_date":
            roles[c] = Role.DATETIME
        elif c == "origination_pd":  # the bank's record for IFRS 9 staging, not a customer attribute
            roles[c] = Role.IGNORE
        elif isinstance(frame[c].dtype, pd.CategoricalDtype):
            roles[c] = Role.CATEGORICAL
        else:
            roles[c] = Role.NUMERIC
    semantics = {
        "ead": "ead", "collateral": "collateral_value", "product_type": "product_type", "income": "annual_income",
        "age": "age", "utilisation": "card_utilisation", "unemployment": "regional_unemployment",
        "policy_rate": "policy_rate", "house_price_change": "house_price_change", "recency": "txn_recency_days",
        "frequency": "txn_count_90d", "monetary": "txn_amount_90d", "date": "application_date",
        "days_past_due": "days_past_due", "origination_pd": "origination_pd", "debt_to_income": "debt_to_income",
        "balance": "card_balance", "limit": "card_limit", "term": "loan_term_months",
    }
    return Schema(roles, {k: v for k, v in semantics.items() if v in frame.columns}, 1,
                  {c: t for c, t in DEFAULT_TAGS.items() if c in frame.columns})


def generate_portfolio(n: int = 50_000, seed: int | Sequence[int] = 42, macro: MacroConditions | None = None, *,
                       with_history: bool | None = None) -> Dataset:
    """The synthetic book as a :class:`Dataset` (truth attached; the panel as ``history`` up to 2M customers)."""
    keep = n <= HISTORY_MAX_ROWS if with_history is None else with_history
    frame, truth, history = _generate(n, seed, macro, keep_history=keep)
    name = "Synthetic portfolio" if macro is None or macro == MacroConditions() else "Synthetic snapshot"
    source = f"synthetic:n={n},seed={seed}" + ("" if macro is None else f",macro={macro.to_dict()}")
    return Dataset.build(name, frame, default_schema(frame), source, truth, history=history)


# Behaviour and balance columns: the default features for segmentation.
BEHAVIOUR_COLUMNS = (
    "age", "annual_income", "tenure_months", "checking_balance", "savings_balance", "card_limit",
    "card_utilisation", "txn_recency_days", "txn_count_90d", "txn_amount_90d", "digital_share", "n_products",
)
