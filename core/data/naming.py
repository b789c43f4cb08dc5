"""Column names as words: ``SeriousDlqin2yrs``, ``default.payment.next.month`` and ``Attrition_Flag``.

Real files name columns in every habit at once: dotted phrases, CamelCase, spaces, upper case.
:func:`snake` brings a name to ``lower_snake_case`` with word breaks at case changes and digits,
so one pattern reads them all (``serious_dlqin_2_yrs``, ``default_payment_next_month``).
"""

from __future__ import annotations

import re
import unicodedata

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_SEP = re.compile(r"[^0-9A-Za-z]+")


def snake(name: str) -> str:
    """``"SeriousDlqin2yrs"`` -> ``"serious_dlqin_2_yrs"``; ``"CUST_ID"`` -> ``"cust_id"``."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", str(name)) if not unicodedata.combining(c))
    text = _SEP.sub("_", folded)  # accents folded first: "numéro" is "numero", not "num_ro"
    text = _DIGIT.sub("_", _CAMEL.sub("_", text))
    return re.sub("_+", "_", text).strip("_").lower()


def tokens(name: str) -> list[str]:
    """The words of a column name (see :func:`snake`)."""
    s = snake(name)
    return s.split("_") if s else []


def matches(pattern: re.Pattern[str], name: str) -> bool:
    """Whether ``pattern`` (written for snake_case) matches the name, as typed or word-split.

    Both forms are tried because word-splitting breaks some names apart that a pattern knows
    whole (``CLIENTNUM`` stays ``clientnum``, ``SeriousDlqin2yrs`` becomes ``serious_dlqin_2_yrs``).
    """
    plain = _SEP.sub("_", str(name)).strip("_").lower()
    return bool(pattern.search(snake(name)) or pattern.search(plain))
