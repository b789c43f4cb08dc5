"""Plan, then write: choose the grounded claims a candidate will make before any model phrases them.

For each candidate the planner picks, from the product's catalogue, the benefits that fit the
segment best (the sentence encoder's similarity between each benefit and the segment's name,
description and traits: sense, not shared keywords) and one trait of the segment to speak to.
Candidates rotate through the ranked benefits and traits, so a batch covers several angles. The
model then only phrases the plan in the chosen tone; every number it may use is in the plan.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.briefs import SegmentBrief
from core.copy.catalogue import Product


@dataclass(frozen=True)
class Plan:
    """What one candidate is asked to say."""

    claims: tuple[str, ...]  # catalogue benefit texts, in the copy's language
    trait: str  # the segment trait the copy speaks to ("" when the segment has none)
    audience: str  # the segment as the prompt names it

    @property
    def say(self) -> str:
        return "; ".join(self.claims)

    def to_dict(self) -> dict:
        return asdict(self)


_RATIO = re.compile(r"^(?P<what>.*?)\s+(?P<x>\d+(?:\.\d+)?)\s*[×x]\s+the book\b", re.IGNORECASE)


def plain_trait(trait: str) -> str:
    """A trait in words only: ``"savings balance 0.2× the book (8.0k vs 37k)"`` -> ``"low savings balance"``.

    The model tends to copy numbers it sees, and a number that is not in the catalogue blocks the
    variant, so prompts get traits without digits. Returns "" when nothing readable is left.
    """
    t = re.sub(r"\([^)]*\d[^)]*\)", "", trait)
    m = _RATIO.match(t)
    if m:
        what, high = m.group("what").strip(), float(m.group("x")) >= 1
        t = ("older" if high else "younger") if what.lower() == "age" else ("high " if high else "low ") + what
    t = " ".join(w for w in t.split() if not re.search(r"\d", w))
    t = re.sub(r"\s+", " ", t).strip(" ,;:-")
    return t if len(re.findall(r"[^\W\d_]{2,}", t)) >= (1 if m else 2) else ""


def _rank(items: list[str], query: str, encoder: Any) -> list[int]:
    if encoder is None or not items or not query.strip():
        return list(range(len(items)))
    vecs = encoder.encode([query, *items])
    sims = vecs[1:] @ vecs[0]
    return [int(i) for i in np.argsort(-sims, kind="stable")]


def make_plans(product: Product, segment: SegmentBrief, channel: str, language: str, n: int, seed: int,
               encoder: Any = None) -> list[Plan]:
    """``n`` plans for a batch (deterministic for a seed)."""
    benefits = product.benefit_texts(language) or [product.headline_fact.get(language) or product.label(language)]
    en_benefits = product.benefit_texts("en") or benefits
    traits = [t for t in (plain_trait(t) for t in segment.traits) if t] or [""]
    query = " ".join([segment.name, segment.description, *traits])
    order = _rank(en_benefits, query, encoder)
    trait_order = _rank(traits, " ".join(en_benefits[:2]), encoder) if traits != [""] else [0]
    per = 2 if channel == "email_body" else 1
    rng = random.Random(seed)
    plans = []
    for i in range(n):
        first = order[i % len(order)]
        picked = [benefits[first]]
        if per > 1 and len(order) > 1:
            picked.append(benefits[order[(i + 1 + rng.randrange(len(order) - 1)) % len(order)]])
            picked = list(dict.fromkeys(picked))
        trait = traits[trait_order[i % len(trait_order)]]
        audience = f"{segment.name}, {trait}" if trait else segment.name
        plans.append(Plan(tuple(picked), trait, audience))
    return plans
