"""Numbers written as text: percent, currency, thousands separators, European decimals, units.

Bank exports rarely hold clean numbers. :func:`parse_numbers` reads a text column whose values
look like ``83.70%``, ``$1,234.50``, ``€ 1.234,50``, ``1 234,50 zł``, ``(1,200)``, ``36 months``
or ``12kg`` and returns the numbers with what it did (:class:`NumberParse`): the unit it found,
the decimal separator it chose and why, and the values it could not read. Decisions are made per
column, not per value, so ``1.234`` means the same thing in every row of one column.

Percentages become fractions (``83.70%`` -> 0.837) with the unit ``%`` recorded, so
``core.formatting.pct`` shows them as the analyst typed them. Time units are brought to the
column's most common unit (``3 yrs`` in a column of months -> 36 months).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# symbol or code -> the unit recorded for the column
_CURRENCIES = {
    "$": "$", "us$": "$", "usd": "$", "€": "€", "eur": "€", "£": "£", "gbp": "£", "zł": "zł", "zl": "zł",
    "pln": "zł", "chf": "CHF", "fr.": "CHF", "kr": "kr", "sek": "kr", "nok": "kr", "dkk": "kr", "¥": "¥",
    "jpy": "¥", "₹": "₹", "inr": "₹", "rs": "₹", "rs.": "₹", "r$": "R$", "brl": "R$", "kč": "Kč", "czk": "Kč",
    "ft": "Ft", "huf": "Ft",
}
_TIME_UNITS = {
    "d": "days", "day": "days", "days": "days", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "mo": "months", "mos": "months", "mon": "months", "mth": "months", "mths": "months", "month": "months",
    "months": "months", "y": "years", "yr": "years", "yrs": "years", "year": "years",
    "years": "years",
}
_MULTIPLIERS = {"k": 1e3, "m": 1e6, "mn": 1e6, "mio": 1e6, "bn": 1e9}  # after a currency: "$5m", "€2.5k"
_BARE_MULTIPLIERS = {"k", "mn", "mio", "bn"}  # also without one ("45k"); a bare "m" may be metres
_IN_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}
_OTHER_UNITS = {"kg": "kg", "g": "g", "km": "km", "mi": "mi", "lbs": "lbs", "lb": "lbs", "sqm": "m²", "m2": "m²",
                "m²": "m²", "sqft": "sqft", "x": "×", "×": "×", "pts": "points", "bp": "bp", "bps": "bp"}

_SPLIT = re.compile(
    r"^(?P<sign>[-−+]?)\s*(?P<pre>[^\d\s.,()+−-]{0,4}\.?)\s*(?P<sign2>[-−]?)\s*"
    r"(?P<num>\d[\d.,'\s\u00a0\u202f]*\d|\d)(?P<trail>-?)\s*(?P<plus>\+?)\s*(?P<post>[^\d\s].{0,11})?$"
)
_GROUP_SPACE = re.compile(r"(?<=\d)[\s\u00a0\u202f'](?=\d{3}(?:\D|$))")
_LEADING_ZERO = re.compile(r"^[-+]?0\d")
_PROBE = 2000  # distinct values sampled before reading a long column in full


@dataclass(frozen=True)
class NumberParse:
    """What :func:`parse_numbers` read from one text column.

    Attributes:
        values: the numbers (float), NaN where the value was missing or could not be read.
        share: share of the non-missing values that were read as numbers (0..1).
        unit: the unit recorded for the column (``%``, ``$``, ``€``, ``months``, ``kg``) or ``None``.
        decimal: the decimal separator the column uses (``.`` or ``,``).
        kinds: what was found, e.g. ``["percent", "thousands separators"]``.
        failed: the most common values that could not be read, with their row counts.
        evidence: one sentence per decision, for the inference report.
        example: one value as written in the file that shows what was read.
    """

    values: pd.Series
    share: float
    unit: str | None = None
    decimal: str = "."
    kinds: list[str] = field(default_factory=list)
    failed: dict[str, int] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    example: str = ""  # one value as written in the file, showing what was read (e.g. "($1,976.23)")
    example_value: float = float("nan")  # what ``example`` was read as

    @property
    def n_failed(self) -> int:
        return int(sum(self.failed.values()))


def _unit_of(token: str) -> tuple[str, str] | None:
    """(kind, unit) for a prefix/suffix token, or None when it is not a unit this module knows."""
    t = token.strip().lower().rstrip(".") if token.strip().lower() not in ("fr.", "rs.") else token.strip().lower()
    if not t:
        return None
    if t == "%":
        return "percent", "%"
    if t in _CURRENCIES:
        return "currency", _CURRENCIES[t]
    if t in _TIME_UNITS:
        return "time", _TIME_UNITS[t]
    if t in _OTHER_UNITS:
        return "unit", _OTHER_UNITS[t]
    return None


_ZERO_WHOLE = re.compile(r"[-+]?0[.,]")


def _decimal_votes(nums: pd.Series) -> tuple[int, int, int]:
    """Votes (comma-decimal, dot-decimal, ambiguous) from the digit parts of one column."""
    comma_dec = dot_dec = ambiguous = 0
    for s in nums:
        n_comma, n_dot = s.count(","), s.count(".")
        if n_comma and n_dot:
            if s.rfind(",") > s.rfind("."):
                comma_dec += 1
            else:
                dot_dec += 1
        elif n_comma > 1:
            dot_dec += 1  # 1,234,567: commas group thousands
        elif n_dot > 1:
            comma_dec += 1  # 1.234.567: dots group thousands
        elif n_comma == 1:  # '0,204' is a decimal: a thousands group never follows a lone 0
            if len(s) - s.rfind(",") - 1 == 3 and s.rfind(",") <= 3 and not _ZERO_WHOLE.match(s):
                ambiguous += 1
            else:
                comma_dec += 1
        elif n_dot == 1:
            if len(s) - s.rfind(".") - 1 == 3 and s.rfind(".") <= 3 and not _ZERO_WHOLE.match(s):
                ambiguous += 1
            else:
                dot_dec += 1
    return comma_dec, dot_dec, ambiguous


_DOT_GROUPED = re.compile(r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+")
_BARE_INT = re.compile(r"[-+]?\d+")


def dots_group_thousands(text: pd.Series) -> bool:
    """Whether the dots of a column's numbers group thousands (``1.169`` is 1,169), from the column alone.

    True when every dotted value has the shape of a grouped whole number (``1.169``, ``18.424``,
    ``1.234.567``) and the values written without a dot sit where the grouped reading puts them:
    the smallest of them is at least ten times the largest dotted value read as a decimal. German
    and Dutch exports write ``870`` and ``1.169`` in one column of amounts; read with a decimal
    point, ``1.169`` would sit beside ``870`` as a number 700 times smaller. A column of rates
    (``4.125``, ``4``) keeps its decimal point, since there the bare values are not larger.
    """
    text = text.astype(str)
    dotted = text[text.str.contains(".", regex=False)]
    if dotted.empty or not dotted.str.fullmatch(_DOT_GROUPED).all():
        return False
    bare = pd.to_numeric(text[text.str.fullmatch(_BARE_INT)], errors="coerce").abs()
    bare = bare[bare > 0]
    as_decimal = pd.to_numeric(dotted, errors="coerce").abs().max()
    if bare.empty:
        return False
    return bool(np.isnan(as_decimal) or bare.min() >= 10 * as_decimal)


def _to_float(num: str, decimal: str) -> float:
    thousands = "," if decimal == "." else "."
    if num.count(decimal) > 1:
        return np.nan
    whole, _, frac = num.partition(decimal)
    if thousands in whole:
        groups = whole.split(thousands)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return np.nan
        whole = "".join(groups)
    if not whole.isdigit() or (frac and not frac.isdigit()):
        return np.nan
    return float(f"{whole}.{frac}" if frac else whole)


def _probe(dist: Distinct) -> pd.Series | None:
    """A seeded sample of a long column's distinct values, to reject it cheaply; None when the column is short."""
    if len(dist.text) <= _PROBE:
        return None
    return dist.text.sample(_PROBE, random_state=0)


def parse_numbers(s: pd.Series, dist: Distinct | None = None, decimal_hint: str | None = None) -> NumberParse:
    """Read numbers written as text in ``s`` (see the module docstring); never raises on bad values.

    ``decimal_hint`` is the file's decimal separator when the file shows it elsewhere (``,`` for a
    semicolon-separated file with decimal commas): it settles values such as ``1.169`` that the
    column alone leaves open.
    """
    dist = dist if dist is not None else distinct_text(s)
    n = int(dist.counts.sum())
    if n == 0:
        return NumberParse(pd.Series(np.nan, index=s.index, dtype=float), 0.0)
    probe = _probe(dist)
    if probe is not None:  # most long text columns (names, codes) are not numbers: say so from a sample
        trial = parse_numbers(probe.reset_index(drop=True), decimal_hint=decimal_hint)
        if trial.share < 0.5:
            return NumberParse(pd.Series(np.nan, index=s.index, dtype=float), trial.share, failed=trial.failed,
                               evidence=[f"a sample of {_PROBE:,} distinct values is {trial.share:.0%} numbers"])
    uniq = dist.text
    weight = dist.counts
    paren = uniq.str.fullmatch(r"\(.*\)").to_numpy(dtype=bool)
    body = uniq.where(~paren, uniq.str.slice(1, -1).str.strip()).str.replace("\u2212", "-", regex=False)
    parts = body.str.extract(_SPLIT).fillna("")
    grouped = parts["num"].map(lambda x: _GROUP_SPACE.sub("", x))
    spaced = (grouped != parts["num"]).to_numpy(dtype=bool)
    parts["num"] = grouped
    pre = parts["pre"].map(_unit_of)
    mult = np.array([_MULTIPLIERS.get(b.strip().lower(), 1.0)
                     if (a is not None and a[0] == "currency") or b.strip().lower() in _BARE_MULTIPLIERS else 1.0
                     for a, b in zip(pre, parts["post"], strict=True)])
    parts.loc[mult != 1.0, "post"] = ""
    marker = parts["post"].str.strip().str.lower().str.rstrip(".")
    debit = marker.eq("dr").to_numpy()  # bank-statement markers: "1,234.56 DR" / "1,234.56 CR"
    credit = marker.eq("cr").to_numpy()
    parts.loc[debit | credit, "post"] = ""
    post = parts["post"].map(_unit_of)
    ok = (parts["num"].ne("") & ~parts["num"].str.contains(r"\s", regex=True)
          & (parts["pre"].eq("") | pre.map(lambda u: u is not None and u[0] == "currency"))
          & (parts["post"].eq("") | post.notna())).to_numpy(dtype=bool)
    unit_of_value = [a if a is not None else b for a, b in zip(pre, post, strict=True)]
    comma_dec, dot_dec, ambiguous = _decimal_votes(parts.loc[ok, "num"])
    decimal = "," if comma_dec > dot_dec else "."
    nums = parts.loc[ok, "num"]
    evidence: list[str] = []
    kinds: list[str] = []
    money = any(u is not None and u[0] == "currency" for u in pre) or any(
        u is not None and u[0] == "currency" for u in post)
    dotted_only = ambiguous and not (comma_dec or dot_dec) and not nums.str.contains(",", regex=False).any()
    if dotted_only and (money or decimal_hint == "," or dots_group_thousands(nums)):
        # '1.169' with no decimal comma or point anywhere else: a grouped whole number when the column
        # is money (amounts do not carry three decimals), the file writes decimal commas, or the
        # column's bare values sit where the grouped reading puts them
        decimal = ","
        why = ("amounts in a currency do not carry three decimals" if money
               else "the file writes decimal commas elsewhere" if decimal_hint == ","
               else "the values written without a dot are as large as the grouped reading makes the dotted ones")
        ex = str(nums[nums.str.contains(".", regex=False)].iloc[0])
        evidence.append(f"values such as {ex!r} were read with '.' as a thousands separator "
                        f"({ex} is {_to_float(ex, ','):,.0f}): {why}.")
    thousands = "." if decimal == "," else ","
    if comma_dec and dot_dec:
        evidence.append(f"{comma_dec} distinct values use a decimal comma and {dot_dec} a decimal point; "
                        f"read with a decimal {'comma' if decimal == ',' else 'point'} (the majority).")
    elif comma_dec and not nums.str.contains(",", regex=False).any():
        evidence.append(f"values such as {_example(uniq[ok], '.')!r} use dots to group thousands.")
    elif comma_dec:
        kinds.append("European decimals")
        evidence.append(f"values such as {_example(uniq[ok], ',')!r} use a decimal comma.")
    elif ambiguous and decimal == "." and nums.str.contains(",", regex=False).any():
        evidence.append(f"values such as {_example(uniq[ok], ',')!r} were read with ',' as a thousands "
                        "separator (no value shows a decimal comma).")
    elif ambiguous and decimal == ".":
        evidence.append(f"values such as {_example(uniq[ok], '.')!r} were read with '.' as a decimal point "
                        "(nothing in the column shows the dot grouping thousands).")
    if nums.str.contains(thousands, regex=False).any() or spaced[ok].any():
        kinds.append("thousands separators")
    values = np.array([_to_float(x, decimal) if good else np.nan for x, good in zip(parts["num"], ok, strict=True)])
    trailing = parts["trail"].eq("-").to_numpy() & ok
    negative = parts["sign"].eq("-").to_numpy() | parts["sign2"].eq("-").to_numpy() | paren | trailing | debit
    values = np.where(negative, -values, values) * mult
    if (mult != 1.0).any():
        evidence.append(f"amounts such as {uniq[mult != 1.0].iloc[0]!r} were multiplied out (k, m, bn).")
    if (paren & ok).any():
        kinds.append("parentheses negatives")
        evidence.append(f"values in parentheses such as {uniq[paren & ok].iloc[0]!r} were read as negative.")
    if trailing.any():
        kinds.append("trailing minus")
        evidence.append(f"values with a trailing minus such as {uniq[trailing].iloc[0]!r} were read as negative "
                        "(the SAP and mainframe way of writing a negative amount).")
    if ((debit | credit) & ok).any():
        kinds.append("debit/credit markers")
        ex = uniq[(debit if debit.any() else credit) & ok].iloc[0]
        evidence.append(f"values marked DR (e.g. {ex!r}) were read as negative and those marked CR as positive, "
                        "the bank-statement convention; if this column is a balance the customer owes, its sign is "
                        "the other way round.")
    plus = parts["plus"].eq("+").to_numpy() & ok
    if plus.any():
        evidence.append(f"open-ended values such as {uniq[plus].iloc[0]!r} were read as their lower bound.")
    by_unit: dict[tuple[str, str], int] = {}
    for u, w, good in zip(unit_of_value, weight, ok, strict=True):
        if u is not None and good:
            by_unit[u] = by_unit.get(u, 0) + int(w)
    unit = None
    if by_unit:
        (kind, unit), _ = max(by_unit.items(), key=lambda kv: kv[1])
        same_kind = sorted({u for (k, u) in by_unit if k == kind})
        other_kind = np.array([u is not None and u[0] != kind for u in unit_of_value])
        if other_kind.any():  # "5%" in a column of "$" amounts cannot be read as an amount
            ok &= ~other_kind
            values = np.where(other_kind, np.nan, values)
        ex_i = _telling(np.flatnonzero(np.array([u is not None for u in unit_of_value]) & ok), values)
        example = uniq.iloc[ex_i]
        if kind == "percent":
            values = np.round(values / 100.0, 12)
            kinds.append("percent")
            evidence.append(f"values such as {example!r} are percentages; stored as fractions "
                            f"({example} becomes {values[ex_i]:.6g}) with the unit '%'.")
            bare = ok & np.array([u is None for u in unit_of_value])
            if bare.any():
                evidence.append(f"{int(weight[bare].sum())} values without a '%' sign (e.g. {uniq[bare].iloc[0]!r}) "
                                "were read as percentages too.")
        elif kind == "time":
            factor = np.array([_IN_DAYS[u[1]] / _IN_DAYS[unit] if u is not None else 1.0 for u in unit_of_value])
            values = values * factor
            kinds.append("time unit")
            if len(same_kind) > 1:
                evidence.append(f"values in {', '.join(same_kind)} were brought to {unit}.")
            else:
                evidence.append(f"values carry the unit {unit} (e.g. {example!r}).")
        else:
            kinds.append("currency" if kind == "currency" else "unit")
            evidence.append(f"values carry the {'currency' if kind == 'currency' else 'unit'} {unit} (e.g. {example!r}).")
            if len(same_kind) > 1:
                evidence.append(f"the column mixes {', '.join(same_kind)}; amounts were not converted.")
    good = ~np.isnan(values)
    out = dist.spread(s, values).astype(float)
    failed = {str(v): int(c) for v, c, g in zip(uniq, weight, good, strict=True) if not g}
    share = float(weight[good].sum() / n)
    top_failed = dict(sorted(failed.items(), key=lambda kv: -kv[1])[:8])
    rich = ok & (uniq.str.contains(r"[^\d.\-]", regex=True).to_numpy() | trailing | debit)
    if "thousands separators" in kinds:  # the example shows the separator ('$5,375', not '$563')
        grouped = parts["num"].str.contains(thousands, regex=False).to_numpy() | spaced
        rich = rich | (ok & grouped) if not (rich & good & grouped).any() else rich & grouped
    pick = np.flatnonzero(rich & good) if (rich & good).any() else np.flatnonzero(good)
    first = _telling(pick, values) if len(pick) else -1
    example, example_value = (str(uniq.iloc[first]), float(values[first])) if first >= 0 else ("", float("nan"))
    return NumberParse(out, share, unit, decimal, kinds, top_failed, evidence, example, example_value)


def _telling(candidates: np.ndarray, values: np.ndarray) -> int:
    """The first candidate whose value is not zero ("0.0%" becomes 0 says little of how a column was read)."""
    nonzero = candidates[values[candidates] != 0]
    return int(nonzero[0] if nonzero.size else candidates[0])


def _example(values: pd.Series, chars: str) -> str:
    hit = values[values.str.contains("[" + re.escape(chars) + "]", regex=True)]
    return str(hit.iloc[0]) if len(hit) else str(values.iloc[0])


@dataclass(frozen=True)
class Distinct:
    """The distinct values of a column as stripped text, with their row counts.

    Checks run once per distinct value (``text``), then :meth:`spread` maps the results back to
    the rows, so long columns with few values cost little.
    """

    text: pd.Series  # distinct stripped strings (object dtype), positionally aligned with ``counts``
    counts: np.ndarray
    lookup: pd.Series  # original value -> stripped text

    def spread(self, s: pd.Series, results: np.ndarray | pd.Series | list) -> pd.Series:
        """Per-row results of ``s`` from results aligned with ``text``."""
        by_text = pd.Series(list(results) if not isinstance(results, np.ndarray) else results,
                            index=self.text.to_numpy())
        return s.map(self.lookup.map(by_text))


def distinct_text(s: pd.Series) -> Distinct:
    """The distinct values of ``s`` as stripped text, cheap on long columns (see :class:`Distinct`)."""
    vc = s.value_counts(dropna=True)
    if vc.empty:
        return Distinct(pd.Series([], dtype=object), np.zeros(0, dtype=np.int64), pd.Series([], dtype=object))
    stripped = pd.Index(vc.index.astype(str)).str.strip()
    lookup = pd.Series(stripped.to_numpy(dtype=object), index=vc.index)
    if stripped.has_duplicates:  # " a" and "a": one value once stripped
        counts = pd.Series(vc.to_numpy(), index=stripped).groupby(level=0, sort=False).sum()
        counts = counts.sort_values(ascending=False, kind="stable")
        return Distinct(pd.Series(counts.index.to_numpy(dtype=object), dtype=object), counts.to_numpy(), lookup)
    return Distinct(pd.Series(stripped.to_numpy(dtype=object), dtype=object), vc.to_numpy(), lookup)


def plain_numbers(s: pd.Series, dist: Distinct | None = None) -> pd.Series | None:
    """``s`` as plain numbers when every present value is one (``1.5``, ``-3``, ``1e5``), else None.

    Values with a leading zero (``007``, ``01234``) keep the column as text: they are codes
    (postcodes, account numbers), and reading them as numbers would lose the zeros.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s
    dist = dist if dist is not None else distinct_text(s)
    if dist.text.empty:
        return None
    probe = _probe(dist)
    if probe is not None and pd.to_numeric(probe, errors="coerce").isna().any():
        return None
    text = dist.text
    values = pd.to_numeric(text, errors="coerce")
    if values.isna().any():
        return None
    if text.str.match(_LEADING_ZERO).any() and not text.str.contains(r"[.eE]", regex=True).any():
        return None
    if dots_group_thousands(text):  # '870' and '1.169': grouped whole numbers, read (with evidence) by parse_numbers
        return None
    mapped = dist.spread(s, values.to_numpy(dtype=float)).astype(float)
    if ((values % 1) == 0).all() and values.abs().max() < 2**53 and mapped.notna().all():
        return mapped.astype(np.int64)
    return mapped


def has_leading_zero_codes(s: pd.Series, dist: Distinct | None = None) -> bool:
    """Whether a text column holds digit codes with leading zeros (``00123``): text, not numbers."""
    dist = dist if dist is not None else distinct_text(s)
    if dist.text.empty:
        return False
    probe = _probe(dist)
    if probe is not None and probe.str.fullmatch(r"\d+").mean() < 0.9:
        return False
    text, counts = dist.text, dist.counts
    digits = text.str.fullmatch(r"\d+").to_numpy()
    return bool(counts[digits].sum() > 0.95 * counts.sum()) and bool(text[digits].str.match(_LEADING_ZERO).any())
