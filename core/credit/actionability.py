"""What an applicant can plausibly change, and which way: the rules the counterfactual search obeys.

A feature is *actionable* only if its meaning allows it (schema tags recorded with the model):

* never: protected attributes and proxies, macro and geographic conditions, credit and repayment
  history (it is the past), behaviour already observed, product holdings, relationship tenure,
  post-outcome columns, and exposure already granted (``EXPOSURE`` that is not a term of the
  request);
* numeric features move in one plausible direction: the catalogue's ``change`` if it has one
  ("more savings", "lower utilisation", "ask for less"), else more collateral, else the side the
  monotone constraint says lowers risk (a feature constrained ``+1`` may only go down); a numeric
  feature with none of these is not suggested, because nothing says which change is plausible;
* categorical features change only where the catalogue (or the levels themselves, when they are
  numeric bands such as ``<100`` / ``100<=X<500`` / ``>=1000``) gives an order and a direction:
  the applicant may move to a higher band (hold more savings, add a guarantor, pledge property),
  and from an unordered level such as "no checking" to any band (open an account) -- never back.

Moves stay within the observed training range (1st to 99th percentile for numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.credit import catalogue as C
from core.data.schema import Tag

NEVER = (Tag.PROTECTED, Tag.PROXY, Tag.MACRO, Tag.GEOGRAPHIC, Tag.HISTORY, Tag.BEHAVIOUR, Tag.PRODUCT,
         Tag.RELATIONSHIP, Tag.POST_OUTCOME)


@dataclass(frozen=True)
class ChangeRule:
    """How one feature may change: ``direction`` +1 (up) or -1 (down); ``levels`` for categoricals (low to high)."""

    feature: str
    direction: int
    levels: tuple[str, ...] = ()  # ordered targets (categorical only)

    def targets(self, current: str | None) -> list[str]:
        """Levels a categorical may move to from ``current`` (later levels; any level from an unordered one)."""
        if current in self.levels:
            i = self.levels.index(current)
            return list(self.levels[i + 1:] if self.direction > 0 else self.levels[:i][::-1])
        return list(self.levels)


def _band_key(level: str) -> float | None:
    """A sortable number for band labels such as '<0', '0<=X<200', '>=200', '100<=X<500'; None otherwise."""
    s = level.replace(" ", "")
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)<=X<(-?\d+(?:\.\d+)?)", s)
    if m:
        return float(m.group(1))
    m = re.fullmatch(r"(<=?|>=?)(-?\d+(?:\.\d+)?)", s)
    if m:
        v = float(m.group(2))
        return v - 1e9 if m.group(1).startswith("<") else v
    return None


def band_order(levels: list[str]) -> tuple[str, ...]:
    """Levels that are numeric bands, sorted low to high (unordered levels such as 'no checking' left out)."""
    keyed = [(k, lv) for lv in levels if (k := _band_key(lv)) is not None]
    return tuple(lv for _, lv in sorted(keyed)) if len(keyed) >= 2 else ()


def blocked_by(tags: tuple[str, ...] | list[str]) -> str | None:
    """The tag that makes a feature immutable, or None."""
    ts = set(tags)
    if Tag.EXPOSURE.value in ts and Tag.APPLICATION.value not in ts:
        return "exposure already granted"
    for t in NEVER:
        if t.value in ts:
            return t.value.replace("_", " ")
    return None


def change_rule(feature: str, tags: tuple[str, ...] | list[str], monotone: int, categories: list[str] | None
                ) -> ChangeRule | None:
    """The rule for ``feature``, or None when an applicant cannot plausibly change it."""
    entry = C.entry(feature)
    stated = entry.get("change")
    if stated == "none" or blocked_by(tags):
        return None
    direction = {"up": 1, "down": -1}.get(str(stated), 0)
    if categories is not None:
        order = tuple(lv for lv in entry.get("order", ()) if lv in categories) or band_order(categories)
        if not order:
            return None
        if direction == 0:
            # bands of a balance or collateral: holding more is the plausible change
            direction = 1 if {Tag.BALANCE.value, Tag.COLLATERAL.value} & set(tags) else 0
        return ChangeRule(feature, direction, order) if direction else None
    if direction == 0 and Tag.COLLATERAL.value in tags:
        direction = 1
    if direction == 0 and monotone:
        direction = -int(monotone)
    return ChangeRule(feature, direction) if direction else None


def change_rules(model) -> dict[str, ChangeRule]:
    """Every actionable feature of ``model`` with its rule."""
    out = {}
    for f in model.feature_names:
        cats = model.encoder.categories.get(f)
        rule = change_rule(f, model.meta.tags.get(f, ()), model.monotone.get(f, 0), cats)
        if rule is None:
            continue
        if cats is None:
            lo, hi = model.bounds.get(f, (0.0, 0.0))
            if not hi > lo:
                continue
        out[f] = rule
    return out


def why_fixed(model, feature: str) -> str:
    """A short reason a feature is never changed by the search (for the page)."""
    tags = model.meta.tags.get(feature, ())
    blocked = blocked_by(tags)
    if blocked:
        return blocked
    if C.entry(feature).get("change") == "none":
        return "not something an applicant can change now"
    if feature in model.encoder.categories:
        return "no order of its values says which change is an improvement"
    return "no plausible direction of change is known (set a monotone constraint to allow one)"
