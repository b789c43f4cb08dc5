"""Dates written in several formats, read with one format per column chosen by the values.

``03/04/2024`` is the 3rd of April in Europe and the 4th of March in the US; one value cannot say
which, but a column can: a value such as ``25/03/2024`` settles it. :func:`parse_dates` tries each
known format on the column, keeps the one that reads the most values (a second format may fill
the rest), and says which it chose and why (:class:`DateParse`). Numbers become dates only when
the column is named like a date (Excel serials such as 45292, ``yyyymmdd`` integers, Unix
seconds): a bare number is an amount, not a day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from core.data.parse import Distinct, distinct_text

# (format, how the analyst would call it); order breaks ties between equally good formats
_FORMATS = (
    ("%Y-%m-%d", "ISO yyyy-mm-dd"), ("%Y-%m-%d %H:%M:%S", "ISO date and time"), ("%Y-%m-%dT%H:%M:%S", "ISO date and time"),
    ("%Y-%m-%d %H:%M", "ISO date and time"), ("%Y/%m/%d", "yyyy/mm/dd"), ("%Y%m%d", "yyyymmdd"),
    ("%d/%m/%Y", "dd/mm/yyyy"), ("%m/%d/%Y", "mm/dd/yyyy"), ("%d.%m.%Y", "dd.mm.yyyy"), ("%d-%m-%Y", "dd-mm-yyyy"),
    ("%m-%d-%Y", "mm-dd-yyyy"), ("%d/%m/%y", "dd/mm/yy"), ("%m/%d/%y", "mm/dd/yy"), ("%d.%m.%y", "dd.mm.yy"),
    ("%d/%m/%Y %H:%M", "dd/mm/yyyy hh:mm"), ("%m/%d/%Y %H:%M", "mm/dd/yyyy hh:mm"),
    ("%b %Y", "Mon yyyy"), ("%B %Y", "Month yyyy"), ("%b-%Y", "Mon-yyyy"), ("%b-%y", "Mon-yy"), ("%Y-%m", "yyyy-mm"),
    ("%d %b %Y", "dd Mon yyyy"), ("%d-%b-%Y", "dd-Mon-yyyy"), ("%d-%b-%y", "dd-Mon-yy"), ("%d %B %Y", "dd Month yyyy"),
    ("%b %d, %Y", "Mon dd, yyyy"), ("%B %d, %Y", "Month dd, yyyy"), ("%d%b%Y", "ddMonyyyy"),
)
_DATE_NAME = re.compile(
    r"(^|_)(date|dt|day|time|timestamp|ts|dob|birth|born|birthday|opened|closed|since|start|end|issued?|"
    r"signed|created|updated|as_?of|valid_?from|valid_?to|maturity|expiry|expires|period)($|_)|(_d|_on|_at)$",
    re.I)
_PLAIN_YEAR = re.compile(r"^\d{4}$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_MIN_SHARE = 0.95
_PROBE_SIZE = 2000  # distinct values on which every format is tried before reading the column with the best


@dataclass(frozen=True)
class DateParse:
    """What :func:`parse_dates` read from one column.

    Attributes:
        values: the dates (``datetime64[ns]``), NaT where missing or unreadable.
        share: share of the non-missing values read as dates.
        formats: the formats used, as the analyst would name them (``["dd/mm/yyyy"]``).
        evidence: one sentence per decision.
        failed: the most common values that could not be read, with their row counts.
    """

    values: pd.Series
    share: float
    formats: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    failed: dict[str, int] = field(default_factory=dict)


def named_like_date(name: str) -> bool:
    """Whether a column name says it holds dates (``open_date``, ``DOB``, ``issue_d``, ``CreatedAt``)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace(".", "_").replace(" ", "_").replace("-", "_")
    return bool(_DATE_NAME.search(snake))


def _try(uniq: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(uniq, format=fmt, errors="coerce")


def _none(s: pd.Series) -> DateParse:
    return DateParse(pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"), 0.0)


def parse_dates(s: pd.Series, name: str = "", dist: Distinct | None = None) -> DateParse:
    """Read ``s`` as dates (see the module docstring); never raises on bad values."""
    if pd.api.types.is_datetime64_any_dtype(s):
        values = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return DateParse(values.astype("datetime64[ns]"), 1.0, ["already dates"])
    present = s.dropna()
    if present.empty or pd.api.types.is_bool_dtype(s):
        return _none(s)
    if pd.api.types.is_numeric_dtype(s):
        return _numeric_dates(s, name)
    dist = dist if dist is not None else distinct_text(s)
    uniq, weight = dist.text, dist.counts
    if len(uniq) > 2 * _PROBE_SIZE:  # a long text column that is not dates (names, codes) is told from a sample
        trial = parse_dates(uniq.sample(_PROBE_SIZE, random_state=0).reset_index(drop=True), name)
        if trial.share < 0.5:
            return _none(s)
    if not uniq.str.contains(r"\d", regex=True).all() or uniq.str.len().max() > 40:
        return _none(s)
    if uniq.str.fullmatch(r"\d+").all():  # digit strings: only yyyymmdd, and only in a date-named column
        if not (named_like_date(name) and uniq.str.len().eq(8).all()):
            return _none(s)
    # score every format on a sample of distinct values, then read the whole column with the few that fit
    probe = uniq if len(uniq) <= _PROBE_SIZE else uniq.sample(_PROBE_SIZE, random_state=0)
    hits = sorted(((int(_try(probe, fmt).notna().sum()), i) for i, (fmt, _lbl) in enumerate(_FORMATS)), key=lambda t: (-t[0], t[1]))
    scored = []
    for n_hit, i in hits[:4]:
        if n_hit == 0:
            break
        fmt, label = _FORMATS[i]
        parsed = _try(uniq, fmt)
        hit = parsed.notna().to_numpy()
        scored.append((float(weight[hit].sum()), fmt, label, parsed))
    if not scored:
        return _none(s)
    scored.sort(key=lambda t: -t[0])  # stable: the earlier format wins a tie
    best_w, best_fmt, best_label, result = scored[0]
    used = [best_label]
    evidence: list[str] = []
    ambiguous = [lbl for w, f, lbl, _p in scored[1:] if w == best_w and _swapped(f, best_fmt)]
    if ambiguous:
        evidence.append(f"no value has a day above 12, so {best_label} and {ambiguous[0]} read the column equally; "
                        f"read as {best_label} — check a known date.")
    else:
        rival = next(((w, lbl) for w, f, lbl, _p in scored[1:] if _swapped(f, best_fmt)), None)
        if rival is not None:
            bad = uniq[result.notna().to_numpy() & _try(uniq, _swap_fmt(best_fmt)).isna().to_numpy()]
            if len(bad):
                evidence.append(f"values such as {bad.iloc[0]!r} only make sense as {best_label}.")
    for _w, fmt, label, parsed in scored[1:]:
        if result.notna().all():
            break
        fill = result.isna() & parsed.notna()
        if fill.any() and weight[fill.to_numpy()].sum() >= 0.01 * weight.sum() and not _swapped(fmt, best_fmt):
            result = result.where(~fill, parsed)
            used.append(label)
    hit = result.notna().to_numpy()
    share = float(weight[hit].sum() / weight.sum())
    if len(used) > 1:
        evidence.append(f"the column mixes {len(used)} date formats ({', '.join(used)}).")
    out = pd.to_datetime(dist.spread(s, result.to_numpy())).astype("datetime64[ns]")
    failed = {str(v): int(c) for v, c, h in zip(uniq, weight, hit, strict=True) if not h}
    return DateParse(out, share, used, evidence, dict(sorted(failed.items(), key=lambda kv: -kv[1])[:8]))


def _swap_fmt(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _swapped(a: str, b: str) -> bool:
    return a != b and _swap_fmt(a) == b


def _numeric_dates(s: pd.Series, name: str) -> DateParse:
    """Numbers as dates, only in a date-named column: yyyymmdd, Excel serials, Unix seconds."""
    if not named_like_date(name):
        return _none(s)
    v = s.dropna().astype(float)
    if not (v % 1 == 0).all():
        return _none(s)
    if v.between(19000101, 21001231).all():
        values = pd.to_datetime(s.astype("Int64").astype(str), format="%Y%m%d", errors="coerce")
        label, why = "yyyymmdd", "integers such as 20240131"
    elif v.between(20_000, 80_000).all():
        values = _EXCEL_EPOCH + pd.to_timedelta(s, unit="D")
        label, why = "Excel serial days", f"numbers between {int(v.min())} and {int(v.max())} (Excel serial days)"
    elif v.between(3e8, 4.2e9).all():
        values = pd.to_datetime(s, unit="s", errors="coerce")
        label, why = "Unix seconds", "numbers of seconds since 1970"
    else:
        return _none(s)
    share = float(values.notna().sum() / max(1, s.notna().sum()))
    return DateParse(values.astype("datetime64[ns]"), share, [label],
                     [f"the name says date and the values are {why}."])


def looks_like_dates(p: DateParse, s: pd.Series, dist: Distinct | None = None) -> bool:
    """Whether a parse result is good enough to call the column a date column."""
    if p.share < _MIN_SHARE:
        return False
    text = (dist if dist is not None else distinct_text(s)).text
    return not (len(text) and text.str.fullmatch(_PLAIN_YEAR).all())

