"""The embedded default: a seeded, vectorised synthetic retail-bank portfolio.

Generating process
==================

1. **Personas** (latent, kept as ground truth in ``truth["persona"]``, never a feature). Each
   customer is drawn from one of six personas with the shares in :data:`PERSONAS`:
   ``student``, ``young_professional``, ``family_mortgage``, ``affluent_saver``, ``retiree``,
   ``small_business``. A persona fixes the centre of every behavioural and balance variable
   (age, income, balances, card limit and utilisation, transaction recency/frequency/monetary
   figures, digital share) and the probability of holding each product. Money amounts are
   log-normal around the persona's centre; shares are beta-distributed.
2. **Region and time**: each customer lives in one of five regions and applied for a loan on a
   date in the two years before :data:`AS_OF`. The national macro path (unemployment, policy
   rate, house-price growth) moves month by month over those two years; a region adds its own
   unemployment offset. Macro columns therefore vary across customers, so a model can learn them.
3. **Bureau attributes**: credit score (300-850) centred by persona and lowered by past
   delinquencies; delinquencies (Poisson, more for revolvers), inquiries (Poisson), and
   debt-to-income from the customer's debt service over income.
4. **Loan application and exposure**: purpose by persona, amount and term by purpose; the exposure
   product (``mortgage``, ``revolving``, ``personal``, ``auto``) follows the purpose; EAD is the
   loan amount (revolving: balance plus half the undrawn limit, the credit-conversion factor);
   collateral is the property value (mortgage, moved by house-price change) or the car value
   (auto, depreciating), none for unsecured credit.
5. **Default within 12 months**: ``default_12m ~ Bernoulli(sigmoid(z))`` with the ground-truth
   log-odds :func:`true_logit`::

       z = -4.80
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

   The interaction's strength depends on the macro state through ``m``: the same stretched
   revolver is riskier when regional unemployment is high. :data:`TRUE_DRIVERS` lists the
   features that carry most of the variance of ``z`` on the default portfolio, in order;
   :func:`true_logit` is public so tests can check that models recover it.

:func:`generate_portfolio` draws the whole book; passing a :class:`MacroConditions` draws a
*snapshot* of the same customers (same seed, same people) under shifted macro conditions, which
is what the scenario page compares against.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.data.dataset import Dataset
from core.data.schema import Role, Schema, Tag

AS_OF = np.datetime64("2025-01-01")
MONTHS = 24

PERSONAS: dict[str, dict] = {
    # share, age (mean, sd, min, max), income median, checking, savings, card limit medians,
    # utilisation beta (a, b), txn count/90d mean, txn amount/90d median, recency mean days,
    # digital-share beta (a, b), score mean, delinquency rate, inquiry rate, tenure mean months,
    # product probabilities, loan purposes with weights.
    "student": dict(
        share=0.12, age=(21, 2.0, 18, 27), income=14_000, checking=900, savings=300, limit=1_500,
        util=(4.0, 4.0), txn=95, spend=1_400, recency=3, digital=(12, 1.5), score=625, delinq=0.25,
        inq=1.6, tenure=22,
        products=dict(checking=0.97, savings=0.35, credit_card=0.65, personal_loan=0.15, auto_loan=0.05,
                      mortgage=0.0, heloc=0.0, cd=0.02),
        purposes={"education": 0.55, "card": 0.25, "other": 0.20},
    ),
    "young_professional": dict(
        share=0.22, age=(29, 3.5, 22, 40), income=68_000, checking=4_500, savings=7_000, limit=8_000,
        util=(3.0, 4.0), txn=140, spend=7_500, recency=2, digital=(9, 2), score=690, delinq=0.35,
        inq=1.1, tenure=55,
        products=dict(checking=0.98, savings=0.6, credit_card=0.85, personal_loan=0.3, auto_loan=0.35,
                      mortgage=0.1, heloc=0.0, cd=0.05),
        purposes={"car": 0.35, "debt_consolidation": 0.3, "card": 0.2, "other": 0.15},
    ),
    "family_mortgage": dict(
        share=0.24, age=(41, 6.0, 28, 60), income=92_000, checking=6_000, savings=12_000, limit=12_000,
        util=(2.5, 4.5), txn=110, spend=10_000, recency=4, digital=(4, 3), score=715, delinq=0.3,
        inq=0.6, tenure=110,
        products=dict(checking=0.99, savings=0.7, credit_card=0.8, personal_loan=0.2, auto_loan=0.4,
                      mortgage=0.92, heloc=0.2, cd=0.1),
        purposes={"home_purchase": 0.45, "refinance": 0.2, "home_improvement": 0.2, "car": 0.15},
    ),
    "affluent_saver": dict(
        share=0.14, age=(56, 7.0, 35, 80), income=175_000, checking=25_000, savings=140_000, limit=30_000,
        util=(1.0, 11.0), txn=75, spend=18_000, recency=5, digital=(5, 4), score=790, delinq=0.05,
        inq=0.3, tenure=190,
        products=dict(checking=0.99, savings=0.95, credit_card=0.9, personal_loan=0.05, auto_loan=0.15,
                      mortgage=0.35, heloc=0.15, cd=0.55),
        purposes={"home_improvement": 0.35, "refinance": 0.25, "car": 0.25, "other": 0.15},
    ),
    "retiree": dict(
        share=0.16, age=(73, 5.5, 63, 92), income=36_000, checking=5_500, savings=48_000, limit=5_000,
        util=(1.2, 9.0), txn=35, spend=2_600, recency=9, digital=(2, 6), score=765, delinq=0.08,
        inq=0.2, tenure=260,
        products=dict(checking=0.99, savings=0.85, credit_card=0.6, personal_loan=0.05, auto_loan=0.1,
                      mortgage=0.1, heloc=0.1, cd=0.45),
        purposes={"home_improvement": 0.4, "car": 0.3, "other": 0.3},
    ),
    "small_business": dict(
        share=0.12, age=(45, 8.0, 25, 72), income=105_000, checking=32_000, savings=20_000, limit=22_000,
        util=(5.0, 4.0), txn=220, spend=42_000, recency=1, digital=(6, 3), score=675, delinq=0.6,
        inq=1.3, tenure=120,
        products=dict(checking=0.99, savings=0.5, credit_card=0.9, personal_loan=0.4, auto_loan=0.3,
                      mortgage=0.45, heloc=0.3, cd=0.1),
        purposes={"business": 0.55, "debt_consolidation": 0.25, "car": 0.2},
    ),
}
PERSONA_NAMES = tuple(PERSONAS)
PRODUCTS = ("checking", "savings", "credit_card", "personal_loan", "auto_loan", "mortgage", "heloc", "cd")
REGIONS = {"Northeast": 0.1, "Midwest": -0.2, "South": -0.4, "West": 0.3, "Pacific": 0.8}  # unemployment offset, pp
PURPOSE_PRODUCT = {
    "home_purchase": "mortgage", "refinance": "mortgage", "home_improvement": "personal", "car": "auto",
    "card": "revolving", "education": "personal", "debt_consolidation": "personal", "business": "personal",
    "other": "personal",
}
PURPOSES = tuple(PURPOSE_PRODUCT)
EMPLOYMENT = {"student": "student", "young_professional": "employed", "family_mortgage": "employed",
              "affluent_saver": "employed", "retiree": "retired", "small_business": "self_employed"}

# Features that carry most of the variance of the true log-odds, most important first.
TRUE_DRIVERS = ("credit_score", "debt_to_income", "card_utilisation")
# Columns the scenario page may pin or shock.
MACRO_COLUMNS = ("regional_unemployment", "policy_rate", "house_price_change")

_FIRST = np.array(["James", "Mary", "Wei", "Fatima", "Carlos", "Aisha", "John", "Priya", "Liam", "Sofia", "Noah",
                   "Mia", "Omar", "Yuki", "Elena", "David", "Grace", "Ivan", "Chloe", "Mateo"])
_LAST = np.array(["Smith", "Johnson", "Chen", "Khan", "Garcia", "Okafor", "Brown", "Patel", "Nguyen", "Rossi",
                  "Muller", "Kim", "Silva", "Cohen", "Tanaka", "Lopez", "Walker", "Novak", "Haddad", "Reyes"])


@dataclass(frozen=True)
class MacroConditions:
    """Shifts applied to the baseline macro path: a snapshot of the book under other conditions."""

    unemployment_shift_pp: float = 0.0
    policy_rate_shift_bp: float = 0.0
    house_price_shift_pct: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _macro_path(months: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """National unemployment (%), policy rate (%) and house-price change (%, y/y) by month index."""
    t = months / (MONTHS - 1)
    unemployment = 3.6 + 0.9 * t + 0.25 * np.sin(2 * np.pi * t * 1.5)
    policy_rate = 4.5 + 0.75 * np.sin(np.pi * t)
    hpc = 6.0 - 7.5 * t + 1.0 * np.cos(2 * np.pi * t)
    return unemployment, policy_rate, hpc


def true_logit(frame: pd.DataFrame) -> np.ndarray:
    """The ground-truth 12-month default log-odds of each row (see the module docstring)."""
    score = frame["credit_score"].to_numpy(dtype=float)
    dti = frame["debt_to_income"].to_numpy(dtype=float)
    util = frame["card_utilisation"].to_numpy(dtype=float)
    delinq = frame["delinquencies_24m"].to_numpy(dtype=float)
    inq = frame["inquiries_6m"].to_numpy(dtype=float)
    unemp = frame["regional_unemployment"].to_numpy(dtype=float)
    rate = frame["policy_rate"].to_numpy(dtype=float)
    income = frame["annual_income"].to_numpy(dtype=float)
    tenure = frame["tenure_months"].to_numpy(dtype=float)
    self_emp = (frame["employment_status"].astype(str).to_numpy() == "self_employed")
    is_mortgage = frame["product_type"].astype(str).to_numpy() == "mortgage"
    collateral = frame["collateral_value"].to_numpy(dtype=float)
    ltv = np.where(is_mortgage & (collateral > 0), frame["ead"].to_numpy(dtype=float) / np.maximum(collateral, 1.0), 0.0)

    s = (700.0 - score) / 60.0
    m = 1.0 + 0.35 * (unemp - 4.0)
    return (
        -4.80
        + 0.85 * s + 0.45 * np.maximum(s, 0.0) ** 2
        + 0.9 * dti + 3.2 * np.maximum(dti - 0.40, 0.0)
        + 1.6 * util**2
        + 0.55 * np.log1p(delinq)
        + 0.10 * inq
        + 2.4 * util * np.maximum(dti - 0.20, 0.0) * m
        + 0.22 * (unemp - 4.0) * np.where(self_emp, 1.6, 1.0)
        + 0.35 * (rate - 4.5) * dti
        + 1.5 * np.maximum(ltv - 0.80, 0.0)
        - 0.25 * np.log(np.maximum(income, 5_000.0) / 50_000.0)
        - 0.12 * np.log1p(tenure / 12.0)
    )


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(median.shape[0]))


def generate_frame(n: int = 50_000, seed: int = 42, macro: MacroConditions | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw ``n`` customers; returns ``(frame, truth)``.

    ``truth`` holds ``persona``, ``true_logit`` and ``true_pd`` per row. With the same ``seed`` a
    different ``macro`` gives the same customers under other conditions (common random numbers):
    only the macro columns, what they move (collateral, debt service) and the default draw change.
    """
    if n < 1:
        raise ValueError("n must be positive")
    macro = macro or MacroConditions()
    rng = np.random.default_rng(seed)
    names = PERSONA_NAMES
    p = np.array([PERSONAS[k]["share"] for k in names])
    persona_idx = rng.choice(len(names), size=n, p=p / p.sum())

    def per(key: str, j: int | None = None) -> np.ndarray:
        vals = np.array([PERSONAS[k][key] if j is None else PERSONAS[k][key][j] for k in names], dtype=float)
        return vals[persona_idx]

    # demographics ------------------------------------------------------------------------
    age = np.clip(per("age", 0) + per("age", 1) * rng.standard_normal(n), per("age", 2), per("age", 3)).round()
    region_names = np.array(list(REGIONS))
    region_idx = rng.integers(0, len(region_names), n)
    income = _lognormal(rng, per("income"), 0.35).round(-2)
    tenure = np.maximum(1, rng.gamma(2.0, per("tenure") / 2.0)).round()
    tenure = np.minimum(tenure, np.maximum(1, (age - 17) * 12))

    # products ------------------------------------------------------------------------------
    holds = {}
    u = rng.random((n, len(PRODUCTS)))
    for j, prod in enumerate(PRODUCTS):
        prob = np.array([PERSONAS[k]["products"][prod] for k in names])[persona_idx]
        holds[prod] = (u[:, j] < prob).astype(np.int8)

    # balances and behaviour ------------------------------------------------------------
    checking = _lognormal(rng, per("checking"), 0.6).round(2) * holds["checking"]
    savings = _lognormal(rng, per("savings"), 0.7).round(2) * holds["savings"]
    card_limit = (_lognormal(rng, per("limit"), 0.35) / 100).round() * 100 * holds["credit_card"]
    util = rng.beta(per("util", 0), per("util", 1)).clip(0, 0.99) * holds["credit_card"]
    card_balance = (card_limit * util).round(2)
    txn_count = rng.poisson(per("txn") * rng.gamma(8.0, 1 / 8.0, n))
    spend = (_lognormal(rng, per("spend"), 0.45) * (txn_count > 0)).round(2)
    recency = np.where(txn_count > 0, rng.exponential(per("recency")), 90).round().clip(0, 90)
    digital = rng.beta(per("digital", 0), per("digital", 1)).round(3)

    # bureau ----------------------------------------------------------------------------------
    delinq = rng.poisson(per("delinq") * (0.6 + 1.2 * util))
    inquiries = rng.poisson(per("inq"))
    score = np.clip(per("score") + 45 * rng.standard_normal(n) - 28 * delinq - 40 * (util - 0.3), 300, 850).round()

    # loan application and exposure -------------------------------------------------------
    purpose_idx = np.empty(n, dtype=np.int16)
    for i, k in enumerate(names):
        rows = np.flatnonzero(persona_idx == i)
        keys = list(PERSONAS[k]["purposes"])
        w = np.array(list(PERSONAS[k]["purposes"].values()))
        purpose_idx[rows] = np.array([PURPOSES.index(x) for x in keys])[rng.choice(len(keys), rows.size, p=w / w.sum())]
    purpose = np.array(PURPOSES)[purpose_idx]
    product_type = np.array([PURPOSE_PRODUCT[x] for x in PURPOSES])[purpose_idx]
    is_mort = product_type == "mortgage"
    is_auto = product_type == "auto"
    is_rev = product_type == "revolving"
    loan_amount = np.select(
        [is_mort, is_auto, is_rev],
        [_lognormal(rng, income * 3.2, 0.3), _lognormal(rng, np.full(n, 28_000.0), 0.35), card_limit * 0.0],
        default=_lognormal(rng, np.maximum(income * 0.18, 3_000.0), 0.5),
    ).round(-2)
    term_choices_m = np.array([180, 240, 300, 360])
    term_choices_o = np.array([12, 24, 36, 48, 60, 72])
    term = np.where(is_mort, term_choices_m[rng.integers(0, 4, n)], term_choices_o[rng.integers(0, 6, n)])
    term = np.where(is_rev, 0, term)
    # revolving exposures: the card line; a customer without a card gets a new one
    card_limit = np.where(is_rev & (card_limit == 0), (per("limit") / 100).round() * 100, card_limit)
    holds["credit_card"] = np.where(is_rev, 1, holds["credit_card"]).astype(np.int8)
    holds["mortgage"] = np.where(is_mort, 1, holds["mortgage"]).astype(np.int8)
    holds["auto_loan"] = np.where(is_auto, 1, holds["auto_loan"]).astype(np.int8)
    holds["personal_loan"] = np.where(product_type == "personal", 1, holds["personal_loan"]).astype(np.int8)
    card_balance = (card_limit * util).round(2)
    ead = np.where(is_rev, card_balance + 0.5 * (card_limit - card_balance), loan_amount).round(2)
    property_base = loan_amount / rng.uniform(0.55, 0.95, n)
    car_value = loan_amount / rng.uniform(0.7, 1.1, n)

    # time and macro ------------------------------------------------------------------------
    month = rng.integers(0, MONTHS, n)
    app_date = AS_OF - np.timedelta64(MONTHS * 30, "D") + (month * 30 + rng.integers(0, 30, n)).astype("timedelta64[D]")
    nat_u, nat_r, nat_h = _macro_path(month.astype(float))
    region_offset = np.array(list(REGIONS.values()))[region_idx]
    unemployment = (nat_u + region_offset + macro.unemployment_shift_pp).round(2)
    policy_rate = (nat_r + macro.policy_rate_shift_bp / 100.0).round(2)
    hpc = (nat_h + region_offset * -1.5 + macro.house_price_shift_pct).round(2)
    collateral = np.select([is_mort, is_auto], [property_base * (1 + hpc / 100.0), car_value * 0.85], default=0.0).round(-2)

    # debt service over income: mortgage/loan payments at the policy-rate-linked rate + card minimums
    annual_rate = (policy_rate + np.select([is_mort, is_auto], [1.8, 3.0], default=7.5)) / 100.0
    r_m = annual_rate / 12.0
    n_pay = np.maximum(term, 1)
    installment = np.where(is_rev, 0.0, loan_amount * r_m / (1 - (1 + r_m) ** -n_pay))
    other_debt = _lognormal(rng, income * 0.10, 0.6)
    dti = ((installment * 12 + card_balance * 0.03 * 12 + other_debt) / np.maximum(income, 1.0)).clip(0, 2.5).round(3)

    first = _FIRST[rng.integers(0, _FIRST.size, n)]
    last = _LAST[rng.integers(0, _LAST.size, n)]
    full_name = np.char.add(np.char.add(first, " "), last)
    email = np.char.add(np.char.add(np.char.lower(full_name).astype(str), "@example.com"), "")
    email = np.char.replace(email, " ", ".")

    frame = pd.DataFrame({
        "customer_id": pd.Series(np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 7))),
        "full_name": full_name,
        "email": email,
        "age": age.astype(np.int16),
        "region": pd.Categorical.from_codes(region_idx, categories=list(region_names)),
        "employment_status": pd.Categorical(np.array([EMPLOYMENT[k] for k in names])[persona_idx],
                                            categories=sorted(set(EMPLOYMENT.values()))),
        "annual_income": income,
        "tenure_months": tenure.astype(np.int32),
        **{f"has_{prod}": holds[prod] for prod in PRODUCTS},
        "n_products": np.sum([holds[prod] for prod in PRODUCTS], axis=0).astype(np.int8),
        "checking_balance": checking,
        "savings_balance": savings,
        "card_limit": card_limit,
        "card_balance": card_balance,
        "card_utilisation": util.round(4),
        "txn_recency_days": recency.astype(np.int16),
        "txn_count_90d": txn_count.astype(np.int32),
        "txn_amount_90d": spend,
        "digital_share": digital,
        "credit_score": score.astype(np.int16),
        "delinquencies_24m": delinq.astype(np.int16),
        "inquiries_6m": inquiries.astype(np.int16),
        "debt_to_income": dti,
        "loan_amount": loan_amount,
        "loan_term_months": term.astype(np.int16),
        "loan_purpose": pd.Categorical(purpose, categories=list(PURPOSES)),
        "product_type": pd.Categorical(product_type, categories=["mortgage", "revolving", "personal", "auto"]),
        "ead": ead,
        "collateral_value": collateral,
        "regional_unemployment": unemployment,
        "policy_rate": policy_rate,
        "house_price_change": hpc,
        "application_date": app_date.astype("datetime64[ns]"),
    })
    z = true_logit(frame)
    pd_true = 1.0 / (1.0 + np.exp(-z))
    # the default draw uses its own stream so macro snapshots keep the same customers
    u_default = np.random.default_rng([seed, 1]).random(n)
    frame["default_12m"] = (u_default < pd_true).astype(np.int8)
    truth = pd.DataFrame({"persona": pd.Categorical.from_codes(persona_idx, categories=list(names)),
                          "true_logit": z, "true_pd": pd_true})
    return frame, truth


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
        elif isinstance(frame[c].dtype, pd.CategoricalDtype):
            roles[c] = Role.CATEGORICAL
        else:
            roles[c] = Role.NUMERIC
    semantics = {
        "ead": "ead", "collateral": "collateral_value", "product_type": "product_type", "income": "annual_income",
        "age": "age", "utilisation": "card_utilisation", "unemployment": "regional_unemployment",
        "policy_rate": "policy_rate", "house_price_change": "house_price_change", "recency": "txn_recency_days",
        "frequency": "txn_count_90d", "monetary": "txn_amount_90d", "date": "application_date",
    }
    return Schema(roles, semantics, 1, {c: t for c, t in DEFAULT_TAGS.items() if c in frame.columns})


def generate_portfolio(n: int = 50_000, seed: int = 42, macro: MacroConditions | None = None) -> Dataset:
    """The synthetic portfolio as a :class:`Dataset` (truth attached)."""
    frame, truth = generate_frame(n, seed, macro)
    name = "Synthetic portfolio" if macro is None or macro == MacroConditions() else "Synthetic snapshot"
    source = f"synthetic:n={n},seed={seed}" + ("" if macro is None else f",macro={macro.to_dict()}")
    return Dataset.build(name, frame, default_schema(frame), source, truth)


# Behaviour and balance columns: the default features for segmentation.
BEHAVIOUR_COLUMNS = (
    "age", "annual_income", "tenure_months", "checking_balance", "savings_balance", "card_limit",
    "card_utilisation", "txn_recency_days", "txn_count_90d", "txn_amount_90d", "digital_share", "n_products",
)
