"""Column roles and their inference.

A :class:`Schema` maps every column to one :class:`Role`. PII-flagged columns (names, emails,
phones, account numbers) never reach a model or a prompt: :meth:`Schema.features` leaves them
out, as it leaves out ids, the target, datetimes and ignored columns. ``semantics`` names the
columns that play a known part in the bank's domain (exposure, collateral, product type, macro
drivers, ...) so pages can find them in any dataset.
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


# Domain meanings a page may look up: semantic name -> column.
SEMANTICS = (
    "ead", "collateral", "product_type", "income", "age", "utilisation", "unemployment",
    "policy_rate", "house_price_change", "recency", "frequency", "monetary", "date",
)

_PII_NAME = re.compile(r"(^|_)(name|first_?name|last_?name|surname|full_?name|email|e_?mail|phone|mobile|tel|"
                       r"ssn|social_security|iban|account_?(no|num|number)|card_?number|address|street|postcode|zip)($|_)", re.I)
_ID_NAME = re.compile(r"(^|_)(id|identifier|key|uuid|cust_?id|customer_?id|client_?id|applicant_?id)$", re.I)
_TARGET_NAME = re.compile(r"^(default|default_flag|default_12m|target|label|class|y|bad|is_bad|churn|response|outcome)$", re.I)
_TARGET_PRIORITY = ("target", "label", "default_12m", "class", "y", "outcome", "response", "bad", "is_bad",
                    "default_flag", "churn", "default")
_EMAIL_VALUE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
_PHONE_VALUE = re.compile(r"^\+?[\d\s().-]{7,}$")

_SEMANTIC_PATTERNS = {
    "ead": r"^(ead|exposure|exposure_at_default|outstanding|balance_outstanding)$",
    "collateral": r"^(collateral|collateral_value|property_value|security_value)$",
    "product_type": r"^(product_type|exposure_type|product|facility_type)$",
    "income": r"^(income|annual_income|salary|monthly_income)$",
    "age": r"^(age|age_years|customer_age)$",
    "utilisation": r"^(card_utilisation|utilisation|utilization|credit_utilization|card_utilization)$",
    "unemployment": r"^(regional_unemployment|unemployment|unemployment_rate)$",
    "policy_rate": r"^(policy_rate|base_rate|interest_rate_env)$",
    "house_price_change": r"^(house_price_change|hpi_change|house_prices)$",
    "recency": r"^(txn_recency_days|recency|days_since_last_txn)$",
    "frequency": r"^(txn_count_90d|frequency|purchases_frequency|txn_count)$",
    "monetary": r"^(txn_amount_90d|monetary|purchases|spend)$",
}


@dataclass(frozen=True)
class Schema:
    """Roles of a frame's columns, plus domain semantics. Immutable: edits return a new one."""

    roles: dict[str, Role]
    semantics: dict[str, str] = field(default_factory=dict)
    positive_label: object = 1  # the target value that means "bad" / positive class
    units: dict[str, str] = field(default_factory=dict)  # numeric column -> unit read from the file ("%", "$", "months")

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
                **({"units": dict(self.units)} if self.units else {})}

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        return cls({c: Role(r) for c, r in d["roles"].items()}, dict(d.get("semantics", {})), d.get("positive_label", 1),
                   units=dict(d.get("units", {})))


def _looks_like_pii_values(s: pd.Series) -> bool:
    sample = s.dropna().astype(str).head(200)
    if sample.empty:
        return False
    if sample.str.match(_EMAIL_VALUE).mean() > 0.8:
        return True
    digits = sample.str.replace(r"\D", "", regex=True).str.len()
    return bool(sample.str.match(_PHONE_VALUE).mean() > 0.9 and (digits >= 9).mean() > 0.9 and not pd.api.types.is_numeric_dtype(s))


def infer_role(name: str, s: pd.Series, n_rows: int) -> Role:
    """Best guess of one column's role from its name and values."""
    nunique = s.nunique(dropna=True)
    if _PII_NAME.search(name) or (s.dtype == object and _looks_like_pii_values(s)):
        return Role.PII
    if pd.api.types.is_datetime64_any_dtype(s):
        return Role.DATETIME
    if _ID_NAME.search(name) and nunique >= 0.95 * max(1, s.notna().sum()):
        return Role.ID
    if _TARGET_NAME.match(name) and nunique == 2:
        return Role.TARGET
    if pd.api.types.is_bool_dtype(s):
        return Role.CATEGORICAL
    if pd.api.types.is_numeric_dtype(s):
        return Role.NUMERIC
    if s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s):
        if s.dtype == object and nunique > 0 and n_rows > 20:
            parsed = pd.to_datetime(s.dropna().head(100), errors="coerce", format="mixed")
            if parsed.notna().mean() > 0.9 and not s.dropna().head(100).astype(str).str.fullmatch(r"\d+").all():
                return Role.DATETIME
        if nunique >= 0.95 * max(1, s.notna().sum()) and n_rows > 50:
            return Role.ID if _ID_NAME.search(name) or nunique == s.notna().sum() else Role.IGNORE
        return Role.CATEGORICAL
    return Role.IGNORE


def infer_semantics(columns: list[str]) -> dict[str, str]:
    found = {}
    for sem, pattern in _SEMANTIC_PATTERNS.items():
        for c in columns:
            if re.match(pattern, c, re.I):
                found[sem] = c
                break
    return found


def infer_schema(frame: pd.DataFrame, target: str | None = None, id_column: str | None = None) -> Schema:
    """Infer every column's role; ``target`` and ``id_column`` force those roles when given."""
    n = len(frame)
    roles = {str(c): infer_role(str(c), frame[c], n) for c in frame.columns}
    # keep at most one inferred target (by name priority) and one inferred id (the first)
    for role in (Role.TARGET, Role.ID):
        seen = [c for c, r in roles.items() if r == role]
        if role == Role.TARGET:
            seen.sort(key=lambda c: _TARGET_PRIORITY.index(c.lower()) if c.lower() in _TARGET_PRIORITY else 99)
        for extra in seen[1:]:
            roles[extra] = Role.NUMERIC if pd.api.types.is_numeric_dtype(frame[extra]) else Role.CATEGORICAL
    schema = Schema(roles, infer_semantics(list(roles)))
    if target is not None:
        schema = schema.with_role(target, Role.TARGET)
    if id_column is not None:
        schema = schema.with_role(id_column, Role.ID)
    if schema.target is not None:
        schema = replace(schema, positive_label=guess_positive_label(frame[schema.target]))
    return schema


def guess_positive_label(s: pd.Series) -> object:
    """The value of a binary target that means the event (default, bad, yes, 1)."""
    values = list(pd.unique(s.dropna()))
    for v in values:
        if str(v).strip().lower() in ("1", "1.0", "true", "yes", "y", "bad", "default", "defaulted", "positive"):
            return v.item() if isinstance(v, np.generic) else v
    if len(values) == 2 and all(isinstance(v, (int, float, np.integer, np.floating)) for v in values):
        return max(values).item() if isinstance(max(values), np.generic) else max(values)
    if values:
        counts = s.value_counts()
        v = counts.index[-1]  # the rarer class is usually the event
        return v.item() if isinstance(v, np.generic) else v
    return 1
