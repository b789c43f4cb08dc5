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
from core.formatting import count, money, number, pct

CURRENCIES = ("$", "€", "£", "¥", "zł")


def value_text(v: object, unit: str | None = None) -> str:
    """A value as an analyst reads it: 14,300 (not 1.43e+04), 0.35, 2; text as it is.

    ``unit`` is the unit the file wrote the column in (``Schema.units``): a percent column holds
    fractions and reads ``26.5%``, a currency column ``$14,300``, others ``36 months``.
    """
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
    if unit == "%":
        return pct(x, 0 if abs(x) >= 0.995 else 1 if abs(x) >= 0.00995 else 2)
    if unit in CURRENCIES:
        return money(x, unit if unit != "zł" else "zł ", 0 if abs(x) >= 100 or x.is_integer() else 2)
    if x.is_integer() or abs(x) >= 100:
        text = count(x)
    else:
        text = number(x, 2 if abs(x) >= 0.1 else 3)
    return f"{text} {unit}" if unit else text


def _fill(template: str, label: str, value: object, typical: object, unit: str | None = None) -> str:
    text = template.format(label=label, value=value_text(value, unit), typical=value_text(typical, unit), feature=label)
    return text[:1].upper() + text[1:]


def numeric_sentence(feature: str, value: object, typical: float | None, unit: str | None = None) -> str:
    label = C.label(feature)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    if math.isnan(x):
        return f"{label} is not known."
    entry = C.entry(feature)
    if typical is None or math.isnan(typical):
        return _fill(entry.get("high") or "{label} ({value}) raises the risk in this model.", label, x, typical, unit)
    above = x > typical
    override = entry.get("high" if above else "low")
    if override:
        return _fill(override, label, x, typical, unit)
    if x == typical:
        return _fill("{label} ({value}) raises the risk in this model.", label, x, typical, unit)
    word = "higher" if above else "lower"
    return _fill(f"{{label}} is {word} than typical ({{value}}; typical {{typical}}).", label, x, typical, unit)


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


def sentence(feature: str, value: object, typical: float | None, categorical: bool,
             unit: str | None = None) -> tuple[str, str]:
    """``(code, sentence)`` for a feature that raises the applicant's risk (``unit`` from the schema)."""
    text = categorical_sentence(feature, value) if categorical else numeric_sentence(feature, value, typical, unit)
    return C.code(feature), text
