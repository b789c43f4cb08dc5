"""Bring a frame's values to what its schema says: the one place a role becomes a dtype.

When inference or the analyst says a text column is numeric (``83.70%``, ``$1,234.50``,
``36 months``), :func:`conform` stores the parsed numbers, so the role reaches every model; a
text column set to datetime stores dates. Home, the CLI and every loader go through here, so an
override never stays a label on a column of strings. Values that cannot be read become missing,
and the analyst is told which and how many; a column that is mostly unreadable for its role is
refused with a plain message instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.data.dates import DateParse, parse_dates
from core.data.parse import NumberParse, parse_numbers, plain_numbers
from core.data.schema import Role, Schema
from core.errors import SchemaError

_MIN_SHARE = 0.5  # below this share of readable values, a role override is refused


@dataclass(frozen=True)
class Conformed:
    """The frame with every column in its role's type, the units found, and what was done."""

    frame: pd.DataFrame
    schema: Schema
    notes: list[str] = field(default_factory=list)
    conversions: dict[str, str] = field(default_factory=dict)


def _examples(failed: dict[str, int], k: int = 3) -> str:
    return ", ".join(repr(v) for v in list(failed)[:k])


def shown_value(value: object) -> str:
    """A value as an analyst reads it in a note: text quoted, numbers plain (never ``np.int64(4)``)."""
    if isinstance(value, str):
        return repr(value)
    item = getattr(value, "item", None)
    return str(item() if callable(item) else value)


def sentences(items: list[str]) -> str:
    """Evidence items as one paragraph: each a capitalised sentence ending in a full stop."""
    out = []
    for item in items:
        item = item.strip()
        if item:
            out.append(item[0].upper() + item[1:] + ("" if item.endswith((".", "!", "?")) else "."))
    return " ".join(out)


def number_note(name: str, p: NumberParse) -> str:
    """One sentence saying how a text column was read as numbers."""
    kinds = set(p.kinds)
    if "percent" in kinds:
        main = "percentages"
    elif "currency" in kinds:
        main = f"amounts in {p.unit}"
    elif "time unit" in kinds:
        main = "durations"
    elif "unit" in kinds:
        main = f"values in {p.unit}"
    else:
        main = "numbers written as text"
    extras = [x for k, x in (("European decimals", "a decimal comma"), ("thousands separators", "thousands separators"),
                             ("parentheses negatives", "negatives in parentheses"),
                             ("trailing minus", "a trailing minus for negatives"),
                             ("debit/credit markers", "DR/CR markers (DR negative, CR positive)")) if k in kinds]
    text = f"'{name}' holds {main}" + (f" with {' and '.join(extras)}" if extras else "")
    text += f" (e.g. {p.example!r})" if p.example else ""
    if "percent" in kinds:
        text += (f"; stored as fractions ({p.example} becomes {p.example_value:.6g})." if p.example
                 else "; stored as fractions.")
    elif "time unit" in kinds:
        text += f"; read as {p.unit}."
    else:
        text += "; read as numbers."
    if p.failed:
        text += f" {p.n_failed:,} values that are not numbers ({_examples(p.failed)}) became missing."
    return text


def date_note(name: str, p: DateParse) -> str:
    text = f"'{name}' read as dates ({', '.join(p.formats)})."
    if p.evidence:
        text += " " + sentences(p.evidence)
    if p.failed:
        text += f" {sum(p.failed.values()):,} values that are not dates ({_examples(p.failed)}) became missing."
    return text


def to_numbers(name: str, s: pd.Series) -> tuple[pd.Series, str | None, NumberParse | None]:
    """``s`` as numbers for the numeric role: (values, unit, parse) or a :class:`SchemaError`."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype(np.int8), None, None
    if pd.api.types.is_datetime64_any_dtype(s):
        raise SchemaError(f"'{name}' holds dates, which cannot be a numeric feature.",
                          f"Set the role of '{name}' to datetime, or derive a number (e.g. months since) first.")
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    plain = plain_numbers(s)
    if plain is not None:
        return plain, None, None
    p = parse_numbers(s)
    if p.share < _MIN_SHARE:
        raise SchemaError(
            f"'{name}' cannot be numeric: only {p.share:.0%} of its values are numbers "
            f"(others look like {_examples(p.failed)}).",
            f"Keep '{name}' categorical, or clean the column and load it again.")
    return p.values, p.unit, p


def to_dates(name: str, s: pd.Series) -> tuple[pd.Series, DateParse]:
    """``s`` as dates for the datetime role, or a :class:`SchemaError`."""
    p = parse_dates(s, name)
    if p.share < _MIN_SHARE and not pd.api.types.is_numeric_dtype(s):
        raise SchemaError(f"'{name}' cannot be a date column: only {p.share:.0%} of its values read as dates.",
                          f"Set '{name}' to categorical or ignore, or write its dates as yyyy-mm-dd.")
    if p.share < _MIN_SHARE:
        raise SchemaError(f"'{name}' holds numbers that do not read as dates.",
                          "Numbers become dates only as Excel serial days, yyyymmdd or Unix seconds.")
    return p.values, p


def conform(frame: pd.DataFrame, schema: Schema, done: dict[str, pd.Series] | None = None) -> Conformed:
    """Convert every numeric and datetime column to its type; ``done`` holds columns already converted."""
    out = frame.copy(deep=False)
    units = dict(schema.units)
    notes: list[str] = []
    conversions: dict[str, str] = {}
    done = done or {}
    for c, role in schema.roles.items():
        if c not in frame.columns:
            continue
        s = frame[c]
        if c in done:
            out[c] = done[c]
            continue
        if role == Role.NUMERIC and not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            values, unit, p = to_numbers(c, s)
            out[c] = values
            if unit:
                units[c] = unit
            if p is not None:
                conversions[c] = number_note(c, p)
                notes.append(conversions[c])
        elif role == Role.DATETIME and not pd.api.types.is_datetime64_any_dtype(s):
            values, dp = to_dates(c, s)
            out[c] = values
            conversions[c] = date_note(c, dp)
            notes.append(conversions[c])
    for c, role in schema.roles.items():
        if role == Role.NUMERIC and c in out.columns:
            out[c], note = _finite(c, out[c])
            if note:
                notes.append(note)
            out[c], note = _sentinels(c, out[c])
            if note:
                notes.append(note)
    units = {c: u for c, u in units.items() if schema.roles.get(c) == Role.NUMERIC}
    return Conformed(out, replace(schema, units=units), notes, conversions)


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _finite(name: str, s: pd.Series) -> tuple[pd.Series, str]:
    """``s`` with infinite values and values past float32's range (``inf``, ``1e308``: no measurement) as missing.

    Models hold features as float32, where such a value is infinite and stops training; a missing
    value is what every model here already handles.
    """
    if not pd.api.types.is_float_dtype(s):
        return s, ""
    x = s.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isinf(x) | (np.abs(np.nan_to_num(x)) > FLOAT32_MAX)
    if not bad.any():
        return s, ""
    n = int(bad.sum())
    kinds = sorted({"inf" if np.isinf(v) else f"{v:.3g}" for v in x[bad][:1000]})[:3]
    return (s.mask(bad), f"'{name}' held {n:,} infinite or overflowing value{'s' if n != 1 else ''} ({', '.join(kinds)}), "
                         f"which no model can use; {'they' if n != 1 else 'it'} became missing.")


_SENTINEL_GAP = 5.0  # a code sits at least this many times past every real value


def _sentinels(name: str, s: pd.Series) -> tuple[pd.Series, str]:
    """``s`` with missing-value codes (``9999999``, ``999``, ``-999``) as missing.

    Mainframe and SAS exports write "unknown" as a run of nines. A value counts as such a code
    only when it is all nines (three digits or more) and lies far past every other value: at
    least five times the largest (``9,999,999`` beside incomes up to 673,500, ``999`` beside ages
    up to 85), or negative in a column otherwise never below zero (``-999``). A 999 among
    balances that reach 950 stays a balance.
    """
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s, ""
    x = s.to_numpy(dtype=np.float64, na_value=np.nan)
    present = x[~np.isnan(x)]
    if present.size < 10:
        return s, ""
    codes = []
    for v in {float(present.max()), float(present.min())}:  # a code is the column's extreme; O(n), no sort
        if abs(v) < 999 or v != int(v) or set(str(int(abs(v)))) != {"9"}:
            continue
        rest = present[present != v]
        if rest.size == 0:
            continue
        if v > 0 and np.abs(rest).max() * _SENTINEL_GAP <= v:
            codes.append(v)
        elif v < 0 and rest.min() >= 0:
            codes.append(v)
    if not codes:
        return s, ""
    bad = np.isin(x, codes)
    n = int(bad.sum())
    rest = present[~np.isin(present, codes)]
    shown = " and ".join(f"{v:,.0f}" for v in codes)
    return (s.mask(bad), f"'{name}' holds {shown} in {n:,} row{'s' if n != 1 else ''}, far outside every other value "
                         f"({rest.min():,.6g} to {rest.max():,.6g}): a code for a missing value, read as missing.")
