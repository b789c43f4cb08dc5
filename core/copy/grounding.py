"""Claim grounding against the catalogue: each number bound to the fact it is attached to, each feature real.

Three checks run on every claim (:mod:`core.copy.claims`):

- **G1, number not in the catalogue**: a number the catalogue never states for the product.
- **G3, number bound to the wrong fact**: a catalogue number used for another fact ("Earn a $1,000
  bonus" when $1,000 is the spending threshold and the bonus is $200; "if you spend $200" when the
  threshold is $1,000; "from 24.99% APR" when 24.99% is the top of the range). A number's *role*
  (bonus, spend, APR, APY, fee, minimum deposit, period in months/days/years, ...) is read from the
  words next to it with the cues of ``assets/copy/grounding.json``; the same reader runs over the
  product's own catalogue texts, so the catalogue needs no extra markup.
- **G4, unsupported feature**: a feature (cash back, points, an intro rate, an ATM network, ...)
  that none of the product's catalogue texts mention.

A number whose role cannot be read is checked by value only (G1), so an unusual wording never
blocks a true number.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from core.copy.catalogue import ASSETS_DIR, Number, Product, _strings, locate_numbers
from core.errors import StudioError

_LOW, _HIGH = "low", "high"


@dataclass(frozen=True)
class BoundNumber:
    """A number in a claim with the fact it is attached to."""

    number: Number
    role: str | None  # bonus, spend, apr, apy, fee, minimum, period_months, ... or None when unknown
    qualifier: str | None  # "low" (from, starting at), "high" (up to) or None

    @property
    def key(self) -> tuple[str, str, Decimal]:
        return (self.role or "", self.number.kind, self.number.value)


class GroundingSpec:
    """The compiled cues of ``grounding.json``."""

    def __init__(self, raw: dict) -> None:
        flags = re.IGNORECASE
        try:
            self.after = {lang: [(role, re.compile(spec["after"][lang], flags)) for role, spec in raw["roles"].items()
                                 if lang in spec.get("after", {})] for lang in ("en", "zh")}
            self.before = {lang: [(role, re.compile(r"(?:" + spec["before"][lang] + r")", flags))
                                  for role, spec in raw["roles"].items() if lang in spec.get("before", {})]
                           for lang in ("en", "zh")}
            self.periods = {lang: re.compile(p, flags) for lang, p in raw["periods"].items()}
            self.qualifiers = {q: {lang: re.compile(p, flags) for lang, p in by.items()}
                               for q, by in raw["qualifiers"].items()}
            self.features = {fid: (spec.get("label", fid), {lang: re.compile(spec[lang], flags)
                                                              for lang in ("en", "zh") if lang in spec})
                             for fid, spec in raw["features"].items()}
        except (KeyError, re.error, TypeError) as exc:
            raise StudioError(f"assets/copy/grounding.json is malformed: {exc}", "Fix the file's roles, periods, "
                              "qualifiers and features.") from exc


_spec: GroundingSpec | None = None
_lock = threading.Lock()


def grounding_spec() -> GroundingSpec:
    """The grounding cues, read once per process."""
    global _spec
    with _lock:
        if _spec is None:
            try:
                raw = json.loads((ASSETS_DIR / "grounding.json").read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise StudioError(f"assets/copy/grounding.json cannot be read: {exc}", "Check the file.") from exc
            _spec = GroundingSpec(raw)
        return _spec


_FILLER_EN = re.compile(r"^\s*(?:(?:a|an|the|in|of|on|your|our|first|new|extra)\s+){0,3}", re.IGNORECASE)
_UNIT = {"month": "months", "months": "months", "year": "years", "years": "years", "day": "days", "days": "days",
         "个月": "months", "年": "years", "天": "days", "日": "days"}


def _after_role(after: str, language: str, spec: GroundingSpec) -> str | None:
    if language == "en":
        head = after[:40].lstrip(" -")
        stripped = _FILLER_EN.sub("", head)
        for candidate in (head, stripped):
            for role, pat in spec.after["en"]:
                if pat.match(candidate):
                    return role
        return None
    head = after[:12]
    for role, pat in spec.after["zh"]:
        if pat.match(head):
            return role
    return None


def _before_role(before: str, language: str, spec: GroundingSpec) -> str | None:
    tail = before[-40:] if language == "en" else before[-8:]
    for role, pat in spec.before[language]:
        if pat.search(tail) and re.search(pat.pattern + r"\Z" if not pat.pattern.endswith("$)") else pat.pattern,
                                          tail, re.IGNORECASE):
            return role
    return None


_RANGE = re.compile(r"^\s*(?:-|–|to|至|到)\s*[$£€¥]?\d[\d,]*(?:\.\d+)?\s?%?")


def _role_at(text: str, start: int, end: int, n: Number, lang: str, spec: GroundingSpec) -> str | None:
    after, before = text[end:], text[:start]
    if n.kind != "percent":
        m = spec.periods[lang].match(after)
        if m:
            return "period_" + _UNIT.get(m.group(1).lower(), m.group(1).lower())
    return _after_role(after, lang, spec) or _before_role(before, lang, spec)


def bind_numbers(text: str, language: str = "en") -> list[BoundNumber]:
    """Every number of ``text`` with the role the words around it give it.

    The two ends of a range ("$2,000 to $40,000", "19.49%-28.49% variable APR") share one role:
    the one the words around the whole range give.
    """
    spec = grounding_spec()
    lang = "zh" if language == "zh" else "en"
    located = locate_numbers(text)
    roles: list[str | None] = [None] * len(located)
    for i, (n, start, end) in enumerate(located):
        roles[i] = _role_at(text, start, end, n, lang, spec)
    for i in range(len(located) - 1):
        n, start, end = located[i]
        n2, start2, end2 = located[i + 1]
        if _RANGE.match(text[end:]) and start2 - end <= 4:
            # a range: both ends take the role of the range as a whole
            shared = roles[i + 1] or roles[i] or _before_role(text[:start], lang, spec)
            roles[i] = roles[i + 1] = shared
    out = []
    for (n, start, _end), role in zip(located, roles, strict=True):
        before = text[:start]
        qualifier = None
        for q in (_LOW, _HIGH):
            if spec.qualifiers[q][lang].search(before[-30:]):
                qualifier = q
        out.append(BoundNumber(n, role, qualifier))
    return out


@dataclass(frozen=True)
class ProductFacts:
    """What the catalogue states for one product: bound numbers and features."""

    by_role: dict[str, frozenset[tuple[str, Decimal]]]
    features: frozenset[str]

    def values(self, role: str, kind: str) -> list[Decimal]:
        return sorted(v for k, v in self.by_role.get(role, frozenset()) if k == kind)


def _catalogue_texts(product: Product) -> dict[str, list[str]]:
    en = list(product.facts.values()) + [b.get("en", "") for b in product.benefits] + [
        product.headline_fact.get("en", ""), product.label("en")]
    zh = [b.get("zh", "") for b in product.benefits] + [product.headline_fact.get("zh", ""), product.label("zh")]
    zh += [t for k, d in product.disclosures.items() for lang, t in d.items() if lang == "zh"]
    en += [t for k, d in product.disclosures.items() for lang, t in d.items() if lang == "en"]
    return {"en": [t for t in en if t], "zh": [t for t in zh if t]}


@lru_cache(maxsize=64)
def _facts_cached(product_id: str, payload: str) -> ProductFacts:
    texts = json.loads(payload)
    spec = grounding_spec()
    by_role: dict[str, set[tuple[str, Decimal]]] = {}
    for lang, items in texts.items():
        for t in items:
            for b in bind_numbers(t, lang):
                if b.role:
                    by_role.setdefault(b.role, set()).add((b.number.kind, b.number.value))
    features = {fid for fid, (_, pats) in spec.features.items()
                if any(pats[lang].search(t) for lang, items in texts.items() if lang in pats for t in items)}
    return ProductFacts({k: frozenset(v) for k, v in by_role.items()}, frozenset(features))


_by_object: dict[int, tuple[Product, ProductFacts]] = {}


def product_facts(product: Product) -> ProductFacts:
    """The product's bound numbers and features, read from its catalogue texts (cached per product)."""
    hit = _by_object.get(id(product))
    if hit is not None and hit[0] is product:
        return hit[1]
    texts = _catalogue_texts(product)
    facts = _facts_cached(product.id, json.dumps(texts, sort_keys=True, ensure_ascii=False))
    _by_object[id(product)] = (product, facts)
    return facts


@dataclass(frozen=True)
class GroundingIssue:
    """One grounding problem in a claim."""

    rule_id: str  # G1, G3 or G4
    claim: str
    matched: str
    message: str


def _role_label(role: str) -> str:
    return role.replace("_", " ").replace("period ", "period in ").replace("apr", "APR").replace("apy", "APY")


# a deposit yield is paid on the balance: one tied to spending ("4.10% APY on every dollar you spend") is a
# number bound to the wrong fact, unless the catalogue itself ties it so
_SPENDING = {"en": re.compile(r"\b(?:spend|spends|spending|spent|purchases?|buy|buying|shop|shopping|swipe)\b",
                              re.IGNORECASE),
             "zh": re.compile(r"消费|购物|刷卡|花费")}
_BALANCE_ONLY = ("apy",)


def check_numbers(claim: str, product: Product, language: str) -> list[GroundingIssue]:
    """G1 and G3 for one claim."""
    facts = product_facts(product)
    allowed = product.allowed_numbers()
    lang = "zh" if language == "zh" else "en"
    issues: list[GroundingIssue] = []
    for b in bind_numbers(claim, language):
        n = b.number
        if n.key not in allowed:
            issues.append(GroundingIssue("G1", claim, n.text, f"{n.text} is not a number the catalogue states for "
                                         f"{product.label()}."))
            continue
        if not b.role:
            continue
        values = facts.values(b.role, n.kind)
        if not values:
            continue  # the catalogue states no such fact in this form: the value check above is all we can do
        if (b.role in _BALANCE_ONLY and _SPENDING[lang].search(claim)
                and not any(_SPENDING[lang].search(t) for t in _catalogue_texts(product)[lang])):
            issues.append(GroundingIssue("G3", claim, n.text, f"{n.text} {_role_label(b.role)} is paid on the "
                                         "balance, not on spending: the catalogue never ties it to purchases."))
            continue
        if n.value not in values:
            said = ", ".join(_fmt(v, n) for v in values)
            issues.append(GroundingIssue("G3", claim, n.text, f"{n.text} is given as the {_role_label(b.role)}, "
                                         f"but the catalogue's {_role_label(b.role)} is {said}."))
        elif b.qualifier == _LOW and n.value != values[0] and b.role in ("apr", "apy", "loan_amount", "intro_apr"):
            issues.append(GroundingIssue("G3", claim, n.text, f"'from {n.text}' must be the lowest "
                                         f"{_role_label(b.role)} of the product ({_fmt(values[0], n)})."))
        elif b.qualifier == _HIGH and n.value != values[-1] and b.role in ("apr", "loan_amount"):
            issues.append(GroundingIssue("G3", claim, n.text, f"'up to {n.text}' must be the highest "
                                         f"{_role_label(b.role)} of the product ({_fmt(values[-1], n)})."))
    return issues


def _fmt(value: Decimal, like: Number) -> str:
    if like.kind == "percent":
        return f"{value}%"
    if like.kind == "money":
        return f"${value:,}"
    return f"{value:,}"


def check_features(claim: str, product: Product, language: str) -> list[GroundingIssue]:
    """G4 for one claim: features the product's catalogue never mentions."""
    spec = grounding_spec()
    facts = product_facts(product)
    lang = "zh" if language == "zh" else "en"
    issues = []
    for fid, (label, pats) in spec.features.items():
        pat = pats.get(lang)
        if pat is None or fid in facts.features:
            continue
        m = pat.search(claim)
        if m:
            issues.append(GroundingIssue("G4", claim, m.group(0), f"{product.label()} does not offer {label}."))
    return issues


def catalogue_strings(product: Product) -> list[str]:
    """Every string of the product's catalogue entry (for tests and the planner)."""
    return _strings(product.to_dict())
