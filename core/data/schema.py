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

Both are inferred for any file by :func:`infer_schema`, set explicitly for the embedded default,
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
    """Roles of a frame's columns, their domain tags and semantics. Immutable: edits return a new one."""

    roles: dict[str, Role]
    semantics: dict[str, str] = field(default_factory=dict)
    positive_label: object = 1  # the target value that means "bad" / positive class
    tags: dict[str, frozenset[Tag]] = field(default_factory=dict)

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
                "tags": {c: sorted(t.value for t in tags) for c, tags in self.tags.items() if tags}}

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        tags = {c: frozenset(Tag(t) for t in ts) for c, ts in d.get("tags", {}).items()}
        return cls({c: Role(r) for c, r in d["roles"].items()}, dict(d.get("semantics", {})), d.get("positive_label", 1),
                   tags)


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
    schema = Schema(roles, infer_semantics(list(roles)), tags=infer_tags(frame, roles))
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


# ---- tags ------------------------------------------------------------------------------------
_TAG_PATTERNS: dict[Tag, str] = {
    Tag.PROTECTED: r"(^|_)(age|age_years|customer_age|applicant_age|age_at_application|sex|gender|marital|"
                   r"marital_status|personal_status|race|ethnicity|ethnic_group|religion|national_origin|nationality|"
                   r"citizenship|foreign_worker|foreign|disability|public_assistance|pregnan\w*)($|_)",
    Tag.PROXY: r"(^|_)(first_?name|given_name|forename|language|mother_tongue|birth_?place|country_of_birth|"
               r"post_?code|zip|zip_?code|postal_?code)($|_)",
    Tag.MACRO: r"(unemploy|policy_rate|base_rate|bank_rate|interest_rate_env|house_price|hpi|gdp|inflation|"
               r"(^|_)cpi($|_)|euribor|cons_price|cons_conf|emp_var_rate|nr_employed)",
    Tag.GEOGRAPHIC: r"(^|_)(region|regional|state|county|city|town|post_?code|zip|zip_?code|postal_?code|country|"
                    r"district|province|area_code|msa|location|geo\w*)($|_)",
    Tag.BEHAVIOUR: r"(txn|transaction|purchase|spend|recency|frequency|digital|login|activity|cash_?advance|"
                   r"oneoff|one_off|installments_purchases|payments|prc_full_payment|trx|ct_chng|amt_chng|"
                   r"contacts_count|inactive)",
    Tag.BALANCE: r"(balance|(^|_)limit|credit_limit|savings|checking|deposit|utili[sz]ation|open_to_buy|"
                 r"revolving_bal|minimum_payments)",
    Tag.INCOME: r"(income|salary|earnings|wage|debt_to_income|(^|_)dti($|_)|installment_commitment|instalment_rate)",
    Tag.EXPOSURE: r"((^|_)ead($|_)|exposure|outstanding|loan_amount|credit_amount|loan_amnt|amount_requested)",
    Tag.COLLATERAL: r"(collateral|property_value|property_magnitude|security_value|(^|_)ltv($|_)|loan_to_value|"
                    r"vehicle_value|car_value)",
    Tag.HISTORY: r"(credit_score|fico|bureau|delinq|(^|_)dpd|days_past_due|past_due|late_pay|times_late|"
                 r"bankrupt|inquir|enquir|credit_history|poutcome|(^|_)pdays($|_)|(^|_)previous($|_)|"
                 r"existing_credits|num_of_late|pay_[0-9]+$|(^|_)pay_?status|derog|public_rec|charge_off_history)",
    Tag.PRODUCT: r"((^|_)has_|product|(^|_)n_products($|_)|(^|_)loan($|_)|(^|_)housing($|_)|card_category|"
                 r"total_relationship_count)",
    Tag.APPLICATION: r"(purpose|(^|_)term($|_)|loan_term|loan_purpose|amount_requested|loan_amount|credit_amount|"
                     r"(^|_)duration($|_))",
    Tag.RELATIONSHIP: r"(tenure|months_on_book|customer_since|relationship|(^|_)n_products($|_)|total_relationship|"
                      r"residence_since|years_at)",
    Tag.POST_OUTCOME: r"(recover|collection|charge_?off(?!_history)|write_?off|settlement|last_pymnt|total_rec|"
                      r"out_prncp|after_default|post_default|outcome_date|_after$)",
}
_COMPILED_TAGS = {tag: re.compile(p, re.I) for tag, p in _TAG_PATTERNS.items()}
_SEX_VALUES = {"m", "f", "male", "female", "man", "woman", "men", "women", "mr", "mrs", "ms", "miss"}


def _snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return re.sub(r"[^0-9a-zA-Z]+", "_", s).strip("_").lower()


def infer_tags(frame: pd.DataFrame, roles: dict[str, Role]) -> dict[str, frozenset[Tag]]:
    """Domain tags of every column, from its name (snake_case, dotted or CamelCase) and a few value checks."""
    columns = list(roles)
    lowered = {_snake(c) for c in columns}
    marketing = bool(lowered & {"campaign", "pdays", "poutcome", "contact"})
    out: dict[str, frozenset[Tag]] = {}
    for c in columns:
        if roles.get(c) in (Role.ID, Role.TARGET):
            continue
        name = _snake(c)
        tags = {tag for tag, rx in _COMPILED_TAGS.items() if rx.search(name)}
        if name == "duration" and marketing:
            # in a campaign file "duration" is the length of the last call: known only after the outcome
            tags = {Tag.POST_OUTCOME}
        if Tag.MACRO in tags and name.startswith("regional"):
            tags.add(Tag.GEOGRAPHIC)
        s = frame[c] if c in frame.columns else None
        if s is not None and not pd.api.types.is_numeric_dtype(s):
            values = {str(v).strip().lower() for v in pd.unique(s.dropna())[:50]}
            if values and len(values) <= 4 and values <= _SEX_VALUES:
                tags.add(Tag.PROTECTED)
            if any(("female" in v or "male" in v) for v in values):
                tags.add(Tag.PROTECTED)
        if tags:
            out[c] = frozenset(tags)
    return out
