"""Which columns become model features, and a recorded reason for every column that does not.

Defaults that keep a bank safe, each overridable only explicitly and with a reason (both are
part of :class:`~core.credit.params.CreditParams`, so of the model's fingerprint and run log):

* **Regulation B**: protected attributes and their proxies (``schema.protected_columns()``: age,
  sex, marital status, national origin, personal-status codes, postcodes, ...) never enter the
  features; they are used only to test fairness. ``include_protected={col: reason}`` lets one in.
* **Leakage**: a column the scan flags (:mod:`core.credit.leakage`) is left out with a warning
  (``leakage="exclude"``) unless ``keep_flagged={col: reason}`` keeps it.
* Ids, PII, dates, the target and ignored columns are never features (the schema's roles).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.credit.leakage import LeakageError, leakage_scan
from core.credit.metadata import ColumnDecision
from core.credit.params import CreditParams
from core.data import Dataset, Role
from core.data.schema import Tag
from core.errors import InputError

_ROLE_REASON = {
    Role.ID: "an identifier: a model would memorise customers, not learn risk",
    Role.PII: "personal data (PII): never used by a model",
    Role.DATETIME: "a date: used for the out-of-time split, not as a feature",
    Role.IGNORE: "set aside (empty, constant or marked ignore)",
}


@dataclass(frozen=True)
class FeatureSelection:
    """The model's features, which are categorical, every decision, and the warnings to show."""

    features: list[str]
    categorical: list[str]
    decisions: tuple[ColumnDecision, ...]
    warnings: tuple[str, ...] = ()
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)


def is_categorical(dataset: Dataset, column: str) -> bool:
    s = dataset.frame[column]
    return dataset.schema.roles.get(column) == Role.CATEGORICAL or not (
        pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def _protected_reason(dataset: Dataset, column: str) -> str:
    if dataset.schema.has(column, Tag.PROTECTED):
        return ("a protected attribute (ECOA / Regulation B prohibited basis): kept out of the model and used only to "
                "test fairness")
    return ("a likely proxy of a protected attribute: kept out of the model and used only to test fairness "
            "(include it only with a documented business necessity)")


def select_features(dataset: Dataset, params: CreditParams, y: np.ndarray | None = None) -> FeatureSelection:
    """Apply the schema's roles, the analyst's exclusions, Regulation B and the leakage scan."""
    schema = dataset.schema
    decisions: list[ColumnDecision] = []
    warnings: list[str] = []
    for c, role in schema.roles.items():
        if role in _ROLE_REASON:
            decisions.append(ColumnDecision(c, "not_a_feature", _ROLE_REASON[role]))
    candidates = schema.features()
    protected = set(schema.protected_columns())
    unknown = [c for c in params.include_protected if c not in protected]
    if unknown:
        raise InputError(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a protected attribute or "
                         "proxy of this dataset, so there is nothing to override.",
                         "Name only columns the schema marks protected or proxy.")
    excluded = set(params.exclude)
    features = []
    for c in candidates:
        if c in excluded:
            decisions.append(ColumnDecision(c, "analyst", "kept out of the model by the analyst"))
        elif c in protected and c not in params.include_protected:
            decisions.append(ColumnDecision(c, "protected", _protected_reason(dataset, c)))
        else:
            if c in protected:
                reason = params.include_protected[c]
                decisions.append(ColumnDecision(c, "protected_override", f"protected attribute included on purpose: {reason}"))
                warnings.append(f"'{c}' is a protected attribute or proxy and is in the model by an explicit override "
                                f"({reason}). Its effect is never given as a reason to an applicant.")
            features.append(c)
    if y is not None and features:
        kept = []
        findings = {f.column: f for f in leakage_scan(dataset.frame, features, y, schema.tags, seed=params.seed)}
        if findings and params.leakage == "error":
            undecided = [f for c, f in findings.items() if c not in params.keep_flagged]
            if undecided:
                raise LeakageError(" ".join(f"'{f.column}': {f.reason}" for f in undecided),
                                   "Leave these columns out, or keep each with a reason if it is known at application time.")
        for c in features:
            f = findings.get(c)
            if f is None:
                kept.append(c)
            elif c in params.keep_flagged:
                decisions.append(ColumnDecision(c, "leakage_kept", f"flagged but kept: {params.keep_flagged[c]}", f.auc))
                kept.append(c)
            elif params.leakage == "warn":
                decisions.append(ColumnDecision(c, "leakage_kept", "flagged, kept (leakage policy: warn)", f.auc))
                warnings.append(f"'{c}': {f.reason} It was kept; check that it is known at application time.")
                kept.append(c)
            else:
                decisions.append(ColumnDecision(c, "leakage", f.reason + " Left out of the model.", f.auc))
                warnings.append(f"'{c}' was left out of the model. {f.reason} Keep it with a reason if it is known at "
                                "application time.")
        features = kept
    categorical = [c for c in features if is_categorical(dataset, c)]
    tags = {c: tuple(sorted(t.value for t in schema.tags_of(c))) for c in features}
    return FeatureSelection(features, categorical, tuple(decisions), tuple(warnings), tags)


def leakage_preview(dataset: Dataset, params: CreditParams) -> list:
    """The columns the leakage scan would flag for these parameters (before any decision), strongest first."""
    from core.credit.checks import binary_target

    y = binary_target(dataset.frame, dataset.schema.target, dataset.schema.positive_label)
    base = select_features(dataset, params)  # without the outcome: roles, exclusions and Regulation B only
    return leakage_scan(dataset.frame, base.features, y, dataset.schema.tags, seed=params.seed)
