"""What a column holds, read from its values: numbers, dates, codes or text, and copies of others.

:func:`read_column` decides, for one raw column, whether it is empty, constant, numbers (plain or
written as text), dates, digit codes with leading zeros, booleans or text, and converts the
values. Mixed columns (mostly numbers with a few text codes such as ``n/a`` or ``XX``) are decided
by the share of numbers, and the decision says why. :func:`duplicates` finds columns that repeat
another value for value (or code for code).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.data.conform import date_note, number_note, sentences, shown_value
from core.data.dates import DateParse, looks_like_dates, named_like_date, parse_dates
from core.data.parse import Distinct, NumberParse, distinct_text, has_leading_zero_codes, parse_numbers, plain_numbers

NUMERIC_SHARE = 0.98  # at least this share of numbers: numeric, the rest missing
MIXED_SHARE = 0.80  # at least this share and few distinct text codes: numeric, codes missing
MAX_CODES = 5  # the most distinct text codes a numeric column may carry


@dataclass(frozen=True)
class ColumnRead:
    """One column as read from its values.

    ``kind`` is one of ``empty``, ``constant``, ``number``, ``date``, ``bool``, ``code`` (digit
    codes with leading zeros) or ``text``; ``values`` are converted for ``number`` and ``date``.
    ``dist`` holds the distinct values of a text column (computed once, reused by every check).
    """

    name: str
    kind: str
    values: pd.Series
    converted: bool = False
    evidence: str = ""
    note: str = ""
    numbers: NumberParse | None = None
    dates: DateParse | None = None
    n_distinct: int = -1
    dist: Distinct | None = field(default=None, repr=False)

    @property
    def distinct(self) -> int:
        return self.n_distinct if self.n_distinct >= 0 else int(self.values.nunique(dropna=True))


def read_column(name: str, s: pd.Series) -> ColumnRead:
    """Read one column (see the module docstring)."""
    present = s.dropna()
    if present.empty:
        return ColumnRead(name, "empty", s, evidence="every value is missing", n_distinct=0)
    text_like = not (pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)
                     or pd.api.types.is_numeric_dtype(s))
    dist = distinct_text(s) if text_like else None
    n_distinct = len(dist.text) if dist is not None else int(present.nunique())
    if n_distinct == 1:
        return ColumnRead(name, "constant", s, evidence=f"every row holds {shown_value(present.iloc[0])}", n_distinct=1)
    if pd.api.types.is_bool_dtype(s):
        return ColumnRead(name, "bool", s, n_distinct=n_distinct)
    if pd.api.types.is_datetime64_any_dtype(s):
        return ColumnRead(name, "date", parse_dates(s).values, evidence="stored as dates", n_distinct=n_distinct)
    if dist is None:
        if named_like_date(name):
            d = parse_dates(s, name)
            if looks_like_dates(d, s):
                return ColumnRead(name, "date", d.values, True, sentences(d.evidence), date_note(name, d), dates=d,
                                  n_distinct=n_distinct)
        return ColumnRead(name, "number", s, n_distinct=n_distinct)
    if n_distinct <= 2 and set(dist.text.str.lower()) <= {"true", "false"}:
        return ColumnRead(name, "bool", s.map(lambda v: str(v).strip().lower() == "true" if pd.notna(v) else v),
                          n_distinct=n_distinct)
    if has_leading_zero_codes(s, dist):
        return ColumnRead(name, "code", s, evidence="digit codes with leading zeros (e.g. "
                          f"{present.astype(str).iloc[0]!r}): kept as text so the zeros are not lost",
                          n_distinct=n_distinct, dist=dist)
    plain = plain_numbers(s, dist)
    if plain is not None:
        return ColumnRead(name, "number", plain, True, "Numbers stored as text.", n_distinct=n_distinct)
    d = parse_dates(s, name, dist)
    if looks_like_dates(d, s, dist):
        plain_iso = not d.evidence and not d.failed and all(f.startswith("ISO") for f in d.formats)
        return ColumnRead(name, "date", d.values, True, sentences(d.evidence) or f"Dates ({', '.join(d.formats)}).",
                          "" if plain_iso else date_note(name, d), dates=d, n_distinct=n_distinct)
    p = parse_numbers(s, dist)
    return replace(_decide_numbers(name, s, p), n_distinct=n_distinct, dist=dist)


def _decide_numbers(name: str, s: pd.Series, p: NumberParse) -> ColumnRead:
    """Numeric or text for a column that is partly numbers written as text."""
    if p.share >= NUMERIC_SHARE or (p.share >= MIXED_SHARE and len(p.failed) <= MAX_CODES):
        why = sentences(p.evidence) or "Numbers written as text."
        if p.failed:
            why += (f" {p.share:.0%} of the values are numbers and the {len(p.failed)} text code"
                    f"{'s' if len(p.failed) > 1 else ''} ({', '.join(repr(v) for v in list(p.failed)[:3])}) "
                    "were read as missing.")
        return ColumnRead(name, "number", p.values, True, why, number_note(name, p), numbers=p)
    if p.share >= 0.5:  # mostly numbers but too much text to drop: say so; mostly text needs no note
        codes = ", ".join(repr(v) for v in list(p.failed)[:3])
        why = (f"{p.share:.0%} of the values are numbers but {1 - p.share:.0%} are text ({codes}); "
               "kept as categorical. Set it to numeric on Home to read the numbers (the text becomes missing).")
        return ColumnRead(name, "text", s, evidence=why, note=f"'{name}' mixes numbers and text: {why}", numbers=p)
    return ColumnRead(name, "text", s)


def _fingerprint(values: pd.Series) -> str:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        arr = values.to_numpy(dtype=float)
        return hashlib.sha1(np.where(np.isnan(arr), np.inf, arr).tobytes()).hexdigest()
    hashed = pd.util.hash_pandas_object(values.astype(str).where(values.notna(), "\0<NA>"), index=False)
    return hashlib.sha1(hashed.to_numpy().tobytes()).hexdigest()


def _code_pattern(values: pd.Series) -> str:
    """Fingerprint of the partition a low-cardinality column makes (same for yes/no and 1/0 of one flag)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.cat.remove_unused_categories()
        raw = values.cat.codes.to_numpy()
        codes = pd.factorize(np.where(raw < 0, np.nan, raw), sort=False)[0]  # first-appearance order, missing -1
    else:
        codes, _ = pd.factorize(values, use_na_sentinel=True, sort=False)
    return hashlib.sha1(codes.astype(np.int64).tobytes()).hexdigest()


def duplicates(reads: dict[str, ColumnRead]) -> dict[str, tuple[str, str]]:
    """Columns that repeat an earlier one: ``{copy: (original, how)}``, in frame order.

    Only columns with the same number of distinct and of missing values can be copies, so only
    those are compared (hashing every long column would cost more than the whole inference).
    """
    groups: dict[tuple[int, int], list[str]] = {}
    for c, r in reads.items():
        if r.kind not in ("empty", "constant"):
            groups.setdefault((r.distinct, int(r.values.isna().sum())), []).append(c)
    out: dict[str, tuple[str, str]] = {}
    text_kinds = ("text", "code", "bool")
    for (n_distinct, _missing), cols in groups.items():
        if len(cols) < 2:
            continue
        seen: dict[str, str] = {}
        coded: dict[str, str] = {}
        for c in cols:
            r = reads[c]
            fp = _fingerprint(r.values)
            if fp in seen:
                out[c] = (seen[fp], "holds the same values as")
                continue
            seen[fp] = c
            if n_distinct > 50 or r.values.notna().sum() < max(20, 2 * n_distinct):
                continue  # a recoding has few levels; columns of (nearly) all-different values share a partition by chance
            pattern = _code_pattern(r.values)
            # a recoding ("north"/"south" and 1/2) pairs a text column with another; two numeric columns
            # only count as copies when their values are equal
            if pattern in coded and (r.kind in text_kinds or reads[coded[pattern]].kind in text_kinds):
                out[c] = (coded[pattern], "codes the same information as")
            else:
                coded.setdefault(pattern, c)
    order = list(reads)
    return dict(sorted(out.items(), key=lambda kv: order.index(kv[0])))
