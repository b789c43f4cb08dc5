"""How numbers and names read wherever an analyst sees them: pages, reports, exports, the CLI's text.

One module so that a default rate is "8.5%" on every page, money never reads "1.2e+06", and a
column called ``txn_amount_90d`` is shown as "Txn amount 90d". Every function accepts ``None`` and
NaN and returns an en dash for them.
"""

from __future__ import annotations

import math
import re
from numbers import Real

DASH = "–"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$>])")


def _missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _fixed(x: float, digits: int) -> str:
    """``x`` with ``digits`` decimals and thousands separators, never in scientific notation."""
    return f"{x:,.{max(digits, 0)}f}"


def number(x: object, digits: int = 2) -> str:
    """A plain number: ``1234.5 -> "1,234.50"``, ``0.000012 -> "<0.01"``, never scientific notation."""
    if _missing(x):
        return DASH
    v = float(x)  # type: ignore[arg-type]
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    smallest = 10.0 ** -digits if digits > 0 else 1.0
    if v != 0 and abs(v) < smallest / 2:
        return f"<{_fixed(smallest, digits)}" if v > 0 else f">-{_fixed(smallest, digits)}"
    return _fixed(v, digits)


def count(n: object) -> str:
    """A whole count with thousands separators: ``50000 -> "50,000"``."""
    if _missing(n):
        return DASH
    return f"{int(round(float(n))):,}"  # type: ignore[arg-type]


def money(x: object, currency: str = "$", digits: int = 0) -> str:
    """An amount of money: ``1234567 -> "$1,234,567"``, ``-50 -> "-$50"``; large amounts keep every digit."""
    if _missing(x):
        return DASH
    v = float(x)  # type: ignore[arg-type]
    sign = "-" if v < 0 else ""
    return f"{sign}{currency}{_fixed(abs(v), digits)}"


def pct(x: object, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.0854 -> "8.5%"``; tiny shares read "<0.1%" rather than "0.0%"."""
    if _missing(x):
        return DASH
    v = float(x) * 100  # type: ignore[arg-type]
    smallest = 10.0 ** -digits if digits > 0 else 1.0
    if v != 0 and abs(v) < smallest / 2:
        return f"<{_fixed(smallest, digits)}%" if v > 0 else f">-{_fixed(smallest, digits)}%"
    return f"{_fixed(v, digits)}%"


def pp(x: object, digits: int = 1) -> str:
    """A difference of two fractions in percentage points, signed: ``0.005 -> "+0.5 pp"``."""
    if _missing(x):
        return DASH
    v = float(x) * 100  # type: ignore[arg-type]
    return f"{'+' if v >= 0 else '-'}{_fixed(abs(v), digits)} pp"


def signed(x: object, digits: int = 2) -> str:
    """A signed number: ``0.209 -> "+0.21"``, ``-1.5 -> "-1.50"``."""
    if _missing(x):
        return DASH
    v = float(x)  # type: ignore[arg-type]
    return f"{'+' if v >= 0 else '-'}{number(abs(v), digits)}"


def ratio(x: object, digits: int = 2) -> str:
    """A multiple: ``1.8 -> "1.80×"``."""
    if _missing(x):
        return DASH
    return f"{number(x, digits)}×"


def is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def plain(text: object) -> str:
    """``text`` made inert for Streamlit markdown: markdown and HTML specials are backslash-escaped.

    Use it for every user-controlled string (a column, segment or file name, copy text, an error
    that quotes them) that goes into ``st.markdown``, a message box, a caption or a widget label,
    so ``![x](http://evil/x.png)`` shows as those characters instead of fetching an image.
    """
    s = "" if text is None else str(text)
    s = s.replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)


_ACRONYMS = {"id", "pd", "lgd", "ead", "ltv", "dti", "apr", "apy", "atm", "cd", "heloc", "ifrs", "kyc", "sms", "url"}


def humanize(column: object) -> str:
    """A readable label for a column name: ``"txn_amount_90d" -> "Txn amount 90d"``, ``"CREDIT_LIMIT" -> "Credit limit"``.

    Splits snake_case, dotted and CamelCase names; keeps known acronyms upper-case (``ead -> EAD``).
    """
    s = str(column).strip()
    s = re.sub(r"[._\-]+", " ", s)
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", s)
    s = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", s)
    words = [w for w in s.split() if w]
    if not words:
        return str(column)
    out = []
    for i, w in enumerate(words):
        low = w.lower()
        if low in _ACRONYMS:
            out.append(low.upper())
        else:
            out.append(low.capitalize() if i == 0 else low)
    return " ".join(out)


# abbreviations bank files use in column names, spelled out for the analyst
_EXPANSIONS = {"prc": "share of", "trx": "transactions", "ct": "count", "amt": "amount", "chng": "change",
               "avg": "average", "bal": "balance", "txn": "transaction", "num": "number of", "freq": "frequency",
               "mos": "months", "mon": "months", "inq": "inquiries", "util": "utilisation", "n": "number of"}


def column_label(column: object) -> str:
    """A column name as an analyst reads it: 'annual_income' -> 'Annual income', 'PRC_FULL_PAYMENT' -> 'Share of full payment'."""
    words = [_EXPANSIONS.get(w.lower(), w) for w in humanize(column).split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else str(column)
