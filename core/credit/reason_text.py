"""Reason sentences for any dataset: generated from the schema, direction-aware, with the catalogue as override.

A reason is always a feature that *raises* this applicant's risk (positive SHAP contribution). Its
sentence says which way the applicant differs from the reference population, with the numbers:

* numeric, above the reference median: "Debt-to-income ratio is higher than typical (0.62; typical 0.31)."
* numeric, below: "Credit score is lower than typical (540; typical 702)."
* missing: "Credit score is not known."
* categorical: "Other instalment plans is 'bank', a value the model associates with higher risk."

The catalogue (:mod:`core.credit.catalogue`) overrides the wording per feature (``high``/``low``)
or per level (``levels``); a level it does not list falls back to its ``category`` sentence, else
to the generated one. Labels are the catalogue's or the humanised column name.
"""

from __future__ import annotations

import math

from core.credit import catalogue as C
from core.formatting import count, number


def value_text(v: object) -> str:
    """A value as an analyst reads it: 14,300 (not 1.43e+04), 0.35, 2; text as it is."""
    if v is None:
        return "missing"
    if isinstance(v, bool):
        return "yes" if v else "no"
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "missing"
    if x.is_integer() or abs(x) >= 100:
        return count(x)
    return number(x, 2 if abs(x) >= 0.1 else 3)


def _fill(template: str, label: str, value: object, typical: object) -> str:
    text = template.format(label=label, value=value_text(value), typical=value_text(typical), feature=label)
    return text[:1].upper() + text[1:]


def numeric_sentence(feature: str, value: object, typical: float | None) -> str:
    label = C.label(feature)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    if math.isnan(x):
        return f"{label} is not known."
    entry = C.entry(feature)
    if typical is None or math.isnan(typical):
        return _fill(entry.get("high") or "{label} ({value}) raises the risk in this model.", label, x, typical)
    above = x > typical
    override = entry.get("high" if above else "low")
    if override:
        return _fill(override, label, x, typical)
    if x == typical:
        return _fill("{label} ({value}) raises the risk in this model.", label, x, typical)
    word = "higher" if above else "lower"
    return _fill(f"{{label}} is {word} than typical ({{value}}; typical {{typical}}).", label, x, typical)


def categorical_sentence(feature: str, value: object) -> str:
    label = C.label(feature)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{label} is not known."
    entry = C.entry(feature)
    level = str(value)
    by_level = entry.get("levels") or {}
    if level in by_level:
        return _fill(by_level[level], label, level, None)
    if entry.get("category"):
        return _fill(entry["category"], label, level, None)
    return f"{label} is '{level}', a value the model associates with higher risk."


def sentence(feature: str, value: object, typical: float | None, categorical: bool) -> tuple[str, str]:
    """``(code, sentence)`` for a feature that raises the applicant's risk."""
    text = categorical_sentence(feature, value) if categorical else numeric_sentence(feature, value, typical)
    return C.code(feature), text
