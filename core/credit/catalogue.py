"""The reason-code catalogue (``assets/credit/reason_codes.json``): per-feature overrides compliance can edit.

Every entry is optional: a feature without one gets a code, a label and sentences generated from
the schema (:mod:`core.credit.reason_text`). An entry may give a stable ``code``, a ``label``,
``high``/``low`` sentences (numeric), ``levels``/``category`` sentences (categorical), the default
``monotone`` constraint and how an applicant can plausibly ``change`` the feature (with ``order``
for categorical levels).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from core.assets import read_json
from core.formatting import humanize


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, Any]]:
    """Feature -> catalogue entry (keys starting with ``_`` are documentation)."""
    raw = read_json("credit", "reason_codes.json")
    return {k: dict(v) for k, v in raw.items() if not k.startswith("_")}


def entry(feature: str) -> dict[str, Any]:
    return catalogue().get(feature, {})


def label(feature: str) -> str:
    return str(entry(feature).get("label") or humanize(feature))


def code(feature: str) -> str:
    """The catalogue's code, else a stable code made from the feature's name (``other_payment_plans -> OTHER_PAYMENT_PLANS``)."""
    given = entry(feature).get("code")
    if given:
        return str(given)
    return re.sub(r"[^0-9A-Za-z]+", "_", str(feature)).strip("_").upper()[:32] or "FEATURE"


def default_monotone() -> dict[str, int]:
    """Default monotone constraints (+1: a higher value never lowers risk) of the catalogued features."""
    return {f: int(e["monotone"]) for f, e in catalogue().items() if e.get("monotone") in (-1, 1)}
