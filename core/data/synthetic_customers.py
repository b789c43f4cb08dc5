"""Who the customers of the embedded default are: personas and the attributes drawn once per customer.

Each customer is drawn from one of six latent personas (:data:`PERSONAS`); the persona fixes the
centre of every behavioural and balance variable and the probability of holding each product.
Money amounts are log-normal around the persona's centre; shares are beta-distributed. What is
drawn here does not move with the economy (demographics, products, limits, the loan and its
collateral at origination, the customer's own level of utilisation, spending and credit score);
:mod:`core.data.synthetic_panel` moves the rest quarter by quarter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
REGION_NAMES = ("Northeast", "Midwest", "South", "West", "Pacific")
PURPOSE_PRODUCT = {
    "home_purchase": "mortgage", "refinance": "mortgage", "home_improvement": "personal", "car": "auto",
    "card": "revolving", "education": "personal", "debt_consolidation": "personal", "business": "personal",
    "other": "personal",
}
PURPOSES = tuple(PURPOSE_PRODUCT)
PRODUCT_TYPES = ("mortgage", "revolving", "personal", "auto")
EMPLOYMENT = {"student": "student", "young_professional": "employed", "family_mortgage": "employed",
              "affluent_saver": "employed", "retiree": "retired", "small_business": "self_employed"}
EMPLOYMENT_LEVELS = tuple(sorted(set(EMPLOYMENT.values())))
RATE_MARGIN = {"mortgage": 1.8, "auto": 3.0}  # pp over the policy rate; other loans 7.5 and floating

_FIRST = np.array(["James", "Mary", "Wei", "Fatima", "Carlos", "Aisha", "John", "Priya", "Liam", "Sofia", "Noah",
                   "Mia", "Omar", "Yuki", "Elena", "David", "Grace", "Ivan", "Chloe", "Mateo"])
_LAST = np.array(["Smith", "Johnson", "Chen", "Khan", "Garcia", "Okafor", "Brown", "Patel", "Nguyen", "Rossi",
                  "Muller", "Kim", "Silva", "Cohen", "Tanaka", "Lopez", "Walker", "Novak", "Haddad", "Reyes"])


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(median.shape[0]))


@dataclass
class Customers:
    """Arrays of length n, one entry per customer (slot); see :func:`draw_customers`."""

    persona: np.ndarray
    age: np.ndarray  # at the as-of date
    region: np.ndarray
    employment: np.ndarray
    income: np.ndarray  # at the as-of date's earnings level
    tenure: np.ndarray  # months with the bank at the as-of date
    holds: dict[str, np.ndarray]
    checking: np.ndarray
    savings: np.ndarray
    card_limit: np.ndarray
    util: np.ndarray  # the customer's own level of utilisation
    txn_rate: np.ndarray
    spend: np.ndarray
    recency_mean: np.ndarray
    digital: np.ndarray
    score_level: np.ndarray  # persona centre plus the customer's own offset
    delinq_prior: np.ndarray  # delinquencies before the panel starts
    inq_rate: np.ndarray
    purpose: np.ndarray
    product_type: np.ndarray
    loan_amount: np.ndarray
    term: np.ndarray
    property_value: np.ndarray  # at origination (mortgages)
    car_value: np.ndarray
    other_debt: np.ndarray  # yearly, at the as-of date's earnings level
    full_name: np.ndarray
    kind: np.ndarray  # 0 other, 1 mortgage, 2 auto, 3 revolving (product_type as a small int)

    def replace_rows(self, rows: np.ndarray, new: Customers) -> None:
        """Write ``new`` (len(rows) customers) into the slots ``rows``."""
        for name in self.__dataclass_fields__:
            if name == "holds":
                for k, v in new.holds.items():
                    self.holds[k][rows] = v
            else:
                getattr(self, name)[rows] = getattr(new, name)


def draw_customers(rng: np.random.Generator, n: int, persona: np.ndarray | None = None) -> Customers:
    """``n`` customers from the persona mix (or of the given personas); products and loan follow the persona."""
    names = PERSONA_NAMES
    p = np.array([PERSONAS[k]["share"] for k in names])
    persona_idx = rng.choice(len(names), size=n, p=p / p.sum()) if persona is None else np.asarray(persona)

    def per(key: str, j: int | None = None) -> np.ndarray:
        vals = np.array([PERSONAS[k][key] if j is None else PERSONAS[k][key][j] for k in names], dtype=float)
        return vals[persona_idx]

    age = np.clip(per("age", 0) + per("age", 1) * rng.standard_normal(n), per("age", 2), per("age", 3)).round()
    region_idx = rng.integers(0, len(REGION_NAMES), n)
    income = _lognormal(rng, per("income"), 0.35)
    tenure = np.maximum(1, rng.gamma(2.0, per("tenure") / 2.0)).round()
    tenure = np.minimum(tenure, np.maximum(1, (age - 17) * 12))
    holds = {}
    u = rng.random((n, len(PRODUCTS)))
    for j, prod in enumerate(PRODUCTS):
        prob = np.array([PERSONAS[k]["products"][prod] for k in names])[persona_idx]
        holds[prod] = (u[:, j] < prob).astype(np.int8)
    checking = _lognormal(rng, per("checking"), 0.6) * holds["checking"]
    savings = _lognormal(rng, per("savings"), 0.7) * holds["savings"]
    card_limit = (_lognormal(rng, per("limit"), 0.35) / 100).round() * 100 * holds["credit_card"]
    util = rng.beta(per("util", 0), per("util", 1)).clip(0, 0.99)
    txn_rate = per("txn") * rng.gamma(8.0, 1 / 8.0, n)
    spend = _lognormal(rng, per("spend"), 0.45)
    digital = rng.beta(per("digital", 0), per("digital", 1)).round(3)
    delinq = rng.poisson(per("delinq") * (0.6 + 1.2 * util * holds["credit_card"]))
    score_level = per("score") + 45 * rng.standard_normal(n)

    purpose_idx = np.empty(n, dtype=np.int16)
    for i, k in enumerate(names):
        rows = np.flatnonzero(persona_idx == i)
        keys = list(PERSONAS[k]["purposes"])
        w = np.array(list(PERSONAS[k]["purposes"].values()))
        purpose_idx[rows] = np.array([PURPOSES.index(x) for x in keys])[rng.choice(len(keys), rows.size, p=w / w.sum())]
    purpose = np.array(PURPOSES)[purpose_idx]
    product_type = np.array([PURPOSE_PRODUCT[x] for x in PURPOSES])[purpose_idx]
    is_mort, is_auto, is_rev = product_type == "mortgage", product_type == "auto", product_type == "revolving"
    loan_amount = np.select(
        [is_mort, is_auto, is_rev],
        [_lognormal(rng, income * 3.2, 0.3), _lognormal(rng, np.full(n, 28_000.0), 0.35), np.zeros(n)],
        default=_lognormal(rng, np.maximum(income * 0.18, 3_000.0), 0.5),
    ).round(-2)
    term = np.where(is_mort, np.array([180, 240, 300, 360])[rng.integers(0, 4, n)],
                    np.array([12, 24, 36, 48, 60, 72])[rng.integers(0, 6, n)])
    term = np.where(is_rev, 0, term)
    # revolving exposures: the card line; a customer without a card gets one
    card_limit = np.where(is_rev & (card_limit == 0), (per("limit") / 100).round() * 100, card_limit)
    holds["credit_card"] = np.where(is_rev, 1, holds["credit_card"]).astype(np.int8)
    holds["mortgage"] = np.where(is_mort, 1, holds["mortgage"]).astype(np.int8)
    holds["auto_loan"] = np.where(is_auto, 1, holds["auto_loan"]).astype(np.int8)
    holds["personal_loan"] = np.where(product_type == "personal", 1, holds["personal_loan"]).astype(np.int8)
    util = util * holds["credit_card"]
    property_value = loan_amount / rng.uniform(0.55, 0.95, n)
    car_value = loan_amount / rng.uniform(0.7, 1.1, n)
    other_debt = _lognormal(rng, income * 0.10, 0.6)
    first = _FIRST[rng.integers(0, _FIRST.size, n)]
    last = _LAST[rng.integers(0, _LAST.size, n)]
    full_name = np.char.add(np.char.add(first, " "), last).astype(object)
    employment = np.array([EMPLOYMENT[k] for k in names])[persona_idx]
    return Customers(persona_idx, age, region_idx, employment, income, tenure, holds, checking, savings, card_limit,
                     util, txn_rate, spend, per("recency"), digital, score_level, delinq.astype(np.float64),
                     per("inq"), purpose, product_type, loan_amount, term.astype(np.float64), property_value, car_value,
                     other_debt, full_name, np.select([is_mort, is_auto, is_rev], [1, 2, 3], 0).astype(np.int8))
