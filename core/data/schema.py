"""Column roles, meanings and their inference: the one place that says what a column is.

A :class:`Schema` maps every column to one :class:`Role`. PII-flagged columns (names, emails,
phones, account numbers) never reach a model or a prompt: :meth:`Schema.features` leaves them
out, as it leaves out ids, the target, datetimes and ignored columns.

Two further layers say what a column *means* in the bank's domain, for any dataset:

* ``tags`` (column -> set of :class:`Tag`): protected attribute or proxy, macro condition,
  geography, behaviour, balance, income, exposure, collateral, credit history, product holding,
  application terms, relationship, known-only-after-the-outcome. Capabilities read them here and
  nowhere else: the credit model keeps protected attributes out, reasons never cite macro or
  geographic conditions, counterfactuals change only what an applicant can change, segmentation
  picks behaviour and balances, scenarios find their macro drivers.
* ``semantics`` (semantic name -> one column): the columns that play a named part (``ead``,
  ``collateral``, ``product_type``, ``income``, ``unemployment``, ...), so pages find them.

Both are inferred for any file by :func:`core.data.inference.infer_schema`, set explicitly for the embedded default,
editable by the analyst, and serialised with the schema (so they are part of the dataset's
fingerprint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import pandas as pd


class Role(StrEnum):
    ID = "id"
    TARGET = "target"
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    DATETIME = "datetime"
    PII = "pii"
    IGNORE = "ignore"


class Tag(StrEnum):
    """What a column means in the bank's domain (a column may carry several)."""

    PROTECTED = "protected"  # ECOA prohibited basis: age, sex, marital status, race, religion, national origin, ...
    PROXY = "proxy"  # strongly associated with a prohibited basis (first names, postcodes, sex/marital codes)
    MACRO = "macro"  # an economic condition (unemployment, policy rate, house prices)
    GEOGRAPHIC = "geographic"  # where the customer lives (region, state, postcode, regional conditions)
    BEHAVIOUR = "behaviour"  # transactions, activity, channel use
    BALANCE = "balance"  # deposit and card balances, limits, utilisation
    INCOME = "income"  # income and what is measured against it (debt-to-income)
    EXPOSURE = "exposure"  # exposure at default, outstanding, amount requested
    COLLATERAL = "collateral"  # security pledged: property, vehicle, loan-to-value
    HISTORY = "history"  # bureau and repayment history: score, delinquencies, inquiries, past outcomes
    PRODUCT = "product"  # product holdings and product type
    APPLICATION = "application"  # terms of the request: amount, term, purpose
    RELATIONSHIP = "relationship"  # tenure with the bank, number of products
    POST_OUTCOME = "post_outcome"  # known only after the outcome (a target leak)


# Domain meanings a page may look up: semantic name -> column.
SEMANTICS = (
    "ead", "collateral", "product_type", "income", "age", "utilisation", "unemployment",
    "policy_rate", "house_price_change", "recency", "frequency", "monetary", "date",
    "days_past_due", "origination_pd", "debt_to_income", "balance", "limit", "term",
)

# semantic name -> patterns over the snake_case column name, best first (a later pattern is a fallback)
_SEMANTIC_PATTERNS: dict[str, tuple[str, ...]] = {
    "ead": (r"^(ead|exposure|exposure_at_default|outstanding|balance_outstanding|outstanding_balance)$",
            r"^(loan_amount|loan_amnt|credit_amount|funded_amnt|amount)$"),
    "collateral": (r"^(collateral|collateral_value|property_value|security_value)$",),
    "product_type": (r"^(product_type|exposure_type|product|facility_type)$",),
    "income": (r"^(income|annual_income|salary|monthly_income|annual_inc)$",
               r"^(estimated_salary|income_\w+|ann_inc|yearly_income|gross_income|inc)$"),
    "age": (r"^(age|age_years|customer_age)$", r"^(applicant_age|client_age|borrower_age)$"),
    "utilisation": (r"^(card_utilisation|utilisation|utilization|credit_utilization|card_utilization)$",
                    r"^(revol_util|revolving_utilization_of_unsecured_lines|avg_utilization_ratio)$",
                    r"^(util|util_pct|util_rate|card_util|credit_util|utilisation_rate|utilization_rate|utl)$"),
    "unemployment": (r"^(regional_unemployment|unemployment|unemployment_rate)$",),
    "policy_rate": (r"^(policy_rate|base_rate|interest_rate_env)$",),
    "house_price_change": (r"^(house_price_change|hpi_change|house_prices)$",),
    "recency": (r"^(txn_recency_days|recency|days_since_last_txn)$",),
    "frequency": (r"^(txn_count_90d|frequency|purchases_frequency|txn_count)$",),
    "monetary": (r"^(txn_amount_90d|monetary|purchases|spend)$",),
    "date": (r"^(application_date|as_of_date|snapshot_date|observation_date|date)$",),
    # IFRS 9 staging and the stress transmission read these
    "days_past_due": (r"^(days_past_due|dpd|days_in_arrears|arrears_days|days_delinquent)$",),
    "origination_pd": (r"^(origination_pd|pd_at_origination|pd_origination|orig_pd|initial_pd)$",),
    "debt_to_income": (r"^(debt_to_income|dti|debt_ratio|debt_to_income_ratio)$",),
    "balance": (r"^(card_balance|balance|current_balance|revolving_balance|revol_bal)$",
                r"^(card_bal|cur_bal|curr_bal|current_bal|bal|outstanding_bal|os_bal)$"),
    "limit": (r"^(card_limit|credit_limit|limit_bal|limit)$", r"^(card_lim|credit_lim|cred_lim|crd_lmt|card_lmt|lmt)$"),
    "term": (r"^(loan_term_months|term_months|loan_term|term)$",),
}


@dataclass(frozen=True)
class Schema:
    """Roles of a frame's columns, their domain tags and semantics. Immutable: edits return a new one."""

    roles: dict[str, Role]
    semantics: dict[str, str] = field(default_factory=dict)
    positive_label: object = 1  # the target value that means "bad" / positive class
    tags: dict[str, frozenset[Tag]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # numeric column -> unit read from the file ("%", "$", "months")

    # ---- meaning -------------------------------------------------------------------------
    def tags_of(self, column: str) -> frozenset[Tag]:
        return self.tags.get(column, frozenset())

    def has(self, column: str, tag: Tag | str) -> bool:
        return Tag(tag) in self.tags.get(column, frozenset())

    def tagged(self, *tags: Tag | str) -> list[str]:
        """Columns (in frame order) that carry any of ``tags``."""
        wanted = {Tag(t) for t in tags}
        return [c for c in self.roles if self.tags.get(c, frozenset()) & wanted]

    def protected_columns(self) -> list[str]:
        """Protected attributes and their proxies: kept out of decisions, used for fairness testing."""
        return self.tagged(Tag.PROTECTED, Tag.PROXY)

    def with_tags(self, column: str, tags: frozenset[Tag] | set[Tag] | list[Tag | str] | tuple[Tag | str, ...]) -> Schema:
        """A copy with one column's tags replaced."""
        if column not in self.roles:
            raise KeyError(column)
        new = dict(self.tags)
        clean = frozenset(Tag(t) for t in tags)
        if clean:
            new[column] = clean
        else:
            new.pop(column, None)
        return replace(self, tags=new)

    def columns(self, role: Role) -> list[str]:
        return [c for c, r in self.roles.items() if r == role]

    @property
    def id_column(self) -> str | None:
        ids = self.columns(Role.ID)
        return ids[0] if ids else None

    @property
    def target(self) -> str | None:
        t = self.columns(Role.TARGET)
        return t[0] if t else None

    @property
    def numeric(self) -> list[str]:
        return self.columns(Role.NUMERIC)

    @property
    def categorical(self) -> list[str]:
        return self.columns(Role.CATEGORICAL)

    @property
    def pii(self) -> list[str]:
        return self.columns(Role.PII)

    def features(self) -> list[str]:
        """Columns a model or a prompt may see: numeric and categorical, never id/target/PII."""
        return [c for c, r in self.roles.items() if r in (Role.NUMERIC, Role.CATEGORICAL)]

    def with_role(self, column: str, role: Role | str) -> Schema:
        """A copy with one column's role changed; a new target or id demotes the old one."""
        role = Role(role)
        roles = dict(self.roles)
        if column not in roles:
            raise KeyError(column)
        if role in (Role.TARGET, Role.ID):
            for c, r in roles.items():
                if r == role and c != column:
                    roles[c] = Role.IGNORE if role == Role.ID else Role.NUMERIC
        roles[column] = role
        return replace(self, roles=roles)

    def to_dict(self) -> dict:
        return {"roles": {c: r.value for c, r in self.roles.items()}, "semantics": dict(self.semantics),
                "positive_label": self.positive_label if not isinstance(self.positive_label, np.generic)
                else self.positive_label.item(),
                "tags": {c: sorted(t.value for t in tags) for c, tags in self.tags.items() if tags},
                **({"units": dict(self.units)} if self.units else {})}

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        tags = {c: frozenset(Tag(t) for t in ts) for c, ts in d.get("tags", {}).items()}
        return cls({c: Role(r) for c, r in d["roles"].items()}, dict(d.get("semantics", {})), d.get("positive_label", 1),
                   tags, dict(d.get("units", {})))


def infer_semantics(columns: list[str]) -> dict[str, str]:
    """Semantic name -> the column that plays that part, from the names (in any naming habit)."""
    from core.data.naming import snake

    keys = [(c, snake(c), re.sub(r"[^0-9a-z]+", "_", str(c).lower()).strip("_")) for c in columns]
    found = {}
    for sem, patterns in _SEMANTIC_PATTERNS.items():
        for pattern in patterns:
            hit = next((c for c, key, plain in keys if re.match(pattern, key) or re.match(pattern, plain)), None)
            if hit is not None:
                found[sem] = hit
                break
    return found


def guess_positive_label(s: pd.Series) -> object:
    """The value of a binary target that means the event (see :func:`core.data.targets.positive_label`)."""
    from core.data.targets import positive_label

    return positive_label(s)[0]
