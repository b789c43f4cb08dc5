"""The naming vocabulary: which words a column can earn, and which phrases carry which claim.

The words live in ``assets/segmentation/naming_vocab.json`` (a bank's marketing team can edit
them). A :class:`Concept` reads one kind of column (spend, savings, tenure, a product flag, an
employment level, ...) and gives the words a segment earns when that column is clearly above
("high") or below ("low") the book. :meth:`Vocabulary.meanings` decides which concept reads
each column of a dataset; :meth:`Vocabulary.phrases` lists every phrase that carries a claim, so
that a name typed by the analyst can be checked with the same rules as an automatic one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.assets import read_json
from core.formatting import humanize

HIGH, LOW = "high", "low"


def level_key(value: object) -> str:
    """A categorical level as the vocabulary spells it: 'Self-Employed' -> 'self_employed'."""
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def product_words(name: str) -> str:
    """A product flag's product as words: 'credit_card' -> 'credit card', 'heloc' -> 'HELOC'."""
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in humanize(name).split())


@dataclass(frozen=True)
class Concept:
    """One kind of column and the words it gives a segment."""

    key: str
    pattern: re.Pattern | None = None
    semantics: tuple[str, ...] = ()
    source: str = "column"  # "column" or "pd" (the credit model's predicted PD)
    holding: bool = False  # a 0/1 product flag: the claim is about the share holding it
    high: dict = field(default_factory=dict)  # {"adj": ..., "noun": ...}
    low: dict = field(default_factory=dict)
    say_high: tuple[str, ...] = ()
    say_low: tuple[str, ...] = ()
    levels: dict[str, dict] = field(default_factory=dict)  # level_key -> {"adj"/"noun", "say"}
    label: str = ""

    def words(self, direction: str) -> dict:
        return self.high if direction == HIGH else self.low


@dataclass(frozen=True)
class Meaning:
    """What a column means for naming: its concept and, for a product flag, the product."""

    concept: Concept
    column: str
    product: str = ""

    def fill(self, text: str) -> str:
        return text.replace("{product}", self.product)


@dataclass(frozen=True)
class Phrase:
    """A phrase that carries a claim: a level of a concept's column, high or low."""

    text: str
    concept: str
    direction: str  # "high", "low", or a level key for categorical concepts
    column: str | None  # None when this dataset has no column the concept reads
    noun: bool = False
    others: tuple[str, ...] = ()  # further columns the concept reads here (the claim may hold on any)


class Vocabulary:
    """The parsed vocabulary file."""

    def __init__(self, raw: dict) -> None:
        self.fallback_noun = str(raw.get("fallback_noun", "customers"))
        self.mainstream = str(raw.get("mainstream", "Mainstream customers"))
        self.rfm_grid = {k: v for k, v in raw.get("rfm_grid", {}).items() if not k.startswith("_")}
        self.concepts: list[Concept] = []
        self._phrase_cache: dict[tuple, list[Phrase]] = {}
        for e in raw.get("concepts", []):
            self.concepts.append(Concept(
                key=e["key"], pattern=re.compile(e["columns"], re.I) if e.get("columns") else None,
                semantics=tuple(e.get("semantics", ())), source=e.get("source", "column"),
                holding=bool(e.get("holding", False)), high=dict(e.get("high", {})), low=dict(e.get("low", {})),
                say_high=tuple(e.get("say_high", ())), say_low=tuple(e.get("say_low", ())),
                levels={level_key(k): dict(v) for k, v in e.get("levels", {}).items()}, label=e.get("label", ""),
            ))

    @classmethod
    def from_file(cls, path: str | Path) -> Vocabulary:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def concept(self, key: str) -> Concept | None:
        return next((c for c in self.concepts if c.key == key), None)

    def meanings(self, columns: list[str], semantics: dict[str, str] | None = None) -> dict[str, Meaning]:
        """Column -> meaning for every column a concept reads (the first matching concept wins)."""
        semantics = semantics or {}
        by_semantic = {col: sem for sem, col in semantics.items()}
        out: dict[str, Meaning] = {}
        for c in columns:
            for concept in self.concepts:
                if concept.source != "column":
                    continue
                if by_semantic.get(c) in concept.semantics:
                    out[c] = Meaning(concept, c)
                    break
                m = concept.pattern.search(c) if concept.pattern is not None else None
                if m:
                    product = product_words(m.groupdict().get("product") or "") if concept.holding else ""
                    out[c] = Meaning(concept, c, product)
                    break
        return out

    def phrases(self, meanings: dict[str, Meaning]) -> list[Phrase]:
        """Every claim-carrying phrase, longest first (so 'low-savings' is read before 'savings')."""
        key = tuple(sorted((c, m.concept.key, m.product) for c, m in meanings.items()))
        if key not in self._phrase_cache:
            if len(self._phrase_cache) > 64:
                self._phrase_cache.clear()
            self._phrase_cache[key] = self._build_phrases(meanings)
        return self._phrase_cache[key]

    def _build_phrases(self, meanings: dict[str, Meaning]) -> list[Phrase]:
        columns_of: dict[str, list[Meaning]] = {}
        for m in meanings.values():
            columns_of.setdefault(m.concept.key, []).append(m)
        out: list[Phrase] = []
        for concept in self.concepts:
            found = columns_of.get(concept.key, [])
            if concept.holding:  # one set of phrases per product flag
                for m in found:
                    for direction, words, says in ((HIGH, concept.high, concept.say_high),
                                                   (LOW, concept.low, concept.say_low)):
                        texts = [m.fill(t) for t in [*_word_texts(words), *says]]
                        out += [Phrase(t.lower(), concept.key, direction, m.column, t == m.fill(words.get("noun", "")))
                                for t in texts if t]
                continue
            column = found[0].column if found else None
            others = tuple(m.column for m in found[1:])
            if concept.source == "pd":
                column = "pd"
            for direction, words, says in ((HIGH, concept.high, concept.say_high), (LOW, concept.low, concept.say_low)):
                for t in [*_word_texts(words), *says]:
                    out.append(Phrase(t.lower(), concept.key, direction, column, t == words.get("noun"), others))
            for lv, words in concept.levels.items():
                for t in [*_word_texts(words), *words.get("say", ())]:
                    out.append(Phrase(t.lower(), concept.key, lv, column, t == words.get("noun"), others))
        seen: set[tuple[str, str]] = set()
        unique = []
        for p in sorted(out, key=lambda p: -len(p.text)):
            if (p.text, p.concept) not in seen:
                seen.add((p.text, p.concept))
                unique.append(p)
        return unique


def _word_texts(words: dict) -> list[str]:
    return [w for w in (words.get("adj"), words.get("noun")) if w]


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary (cached; edit the JSON file and restart to change it)."""
    return Vocabulary(read_json("segmentation", "naming_vocab.json"))


@lru_cache(maxsize=8192)
def phrase_pattern(text: str, noun: bool) -> re.Pattern:
    """A phrase as a pattern: spaces and hyphens interchangeable, a plural 's' allowed on nouns."""
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", text.strip()) if p]
    body = r"[\s\-]+".join(parts) + ("s?" if noun and not text.endswith("s") else "")
    return re.compile(rf"(?<![\w\-]){body}(?![\w\-])", re.I)
