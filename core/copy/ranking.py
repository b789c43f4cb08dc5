"""Ranking copy: length fit, readability, benefit coverage, usability, compliance; near-duplicates; diversity."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from core.copy.catalogue import Product
from core.copy.verdict import Verdict

if TYPE_CHECKING:
    from core.copy.batch import Variant

@lru_cache(maxsize=20_000)
def _syllables(word: str) -> int:
    word = word.lower().strip(".,!?;:'\"")
    if not word:
        return 0
    groups = re.findall(r"[aeiouy]+", word)
    n = len(groups) - (1 if word.endswith("e") and len(groups) > 1 else 0)
    return max(1, n)


def readability(text: str, language: str) -> float:
    """0..1: Flesch reading ease for English (clipped), sentence length for Chinese."""
    if language == "zh":
        sents = [s for s in re.split(r"[。！？!?]", text) if s.strip()] or [text]
        mean = sum(len(s) for s in sents) / len(sents)
        return float(max(0.0, min(1.0, 1 - max(0.0, mean - 20) / 40)))
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    if not words:
        return 0.0
    sents = max(1, len(re.findall(r"[.!?]+", text)) or 1)
    syl = sum(_syllables(w) for w in words)
    fre = 206.835 - 1.015 * (len(words) / sents) - 84.6 * (syl / len(words))
    return float(max(0.0, min(1.0, fre / 100)))


def benefit_coverage(text: str, product: Product, channel: str) -> float:
    low = text.lower()
    hits = sum(1 for b in product.benefits if any(k.lower() in low for k in b.get("keywords", [])))
    need = 2 if channel == "email_body" else 1
    return min(1.0, hits / need)


def length_fit(verdict: Verdict, chan: dict) -> float:
    if verdict.segments is not None:
        target = int(chan.get("target_segments", 1))
        return 1.0 if verdict.segments <= target else max(0.3, 1.0 - 0.35 * (verdict.segments - target))
    lo, hi = chan.get("target_chars", [0, chan["max_chars"]])
    n, top = verdict.length, chan["max_chars"]
    if n < lo:
        return max(0.0, n / lo)
    if n <= hi:
        return 1.0
    return max(0.0, 1.0 - 0.5 * (n - hi) / max(1, top - hi))


def score_variant(verdict: Verdict, product: Product, channel: str, language: str, chan: dict) -> tuple[float, dict]:
    compliance = 0.0 if not verdict.passed else max(0.4, 1.0 - 0.15 * len(verdict.softened)) * (
        1.0 if verdict.outcome == "pass" else 0.5)
    parts = {
        "compliance": round(compliance, 3),
        "length_fit": round(length_fit(verdict, chan), 3),
        "readability": round(readability(verdict.body, language), 3),
        "benefit_coverage": round(benefit_coverage(verdict.body, product, channel), 3),
    }
    total = 0.4 * parts["compliance"] + 0.25 * parts["length_fit"] + 0.15 * parts["readability"] + 0.2 * parts["benefit_coverage"]
    return round(total, 4), parts


# ---- near-duplicates ----------------------------------------------------------------------------
def _shingles(text: str, language: str) -> set:
    if language == "zh":
        chars = [c for c in text if not c.isspace()]
        return {tuple(chars[i:i + 2]) for i in range(len(chars) - 1)} or {tuple(chars)}
    words = re.findall(r"[a-z0-9$%.']+", text.lower())
    return {tuple(words[i:i + 2]) for i in range(len(words) - 1)} or {tuple(words)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def distinct_n(texts: list[str], n: int = 2) -> float:
    """Share of distinct word n-grams across texts (diversity of a batch)."""
    grams: list[tuple] = []
    for t in texts:
        w = re.findall(r"\w+", t.lower())
        grams += [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def dedupe(variants: list[Variant], language: str, threshold: float = 0.7,
           limit: int | None = None) -> tuple[list[Variant], int]:
    """Keep variants (already ranked best first) unless too similar to one kept before.

    With ``limit``, stops once that many are kept (the rest are not compared, and not counted as dropped).
    """
    kept: list[tuple[Variant, set]] = []
    seen_exact: set[str] = set()
    dropped = 0
    for v in variants:
        if limit is not None and len(kept) >= limit:
            break
        key = re.sub(r"\W+", "", v.body.lower())
        sh = _shingles(v.body, language)
        if key in seen_exact or any(jaccard(sh, other) >= threshold for _, other in kept):
            dropped += 1
            continue
        seen_exact.add(key)
        kept.append((v, sh))
    return [v for v, _ in kept], dropped


