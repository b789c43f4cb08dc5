"""The compliance rule file (``assets/copy/rules.json``): parsing and validation.

A compliance team edits the file, not the code. Each rule has an id, the products and channels it
applies to, a trigger, an action and a source:

- triggers: ``regex`` (per language or for all), ``keywords`` (plain phrases on word boundaries),
  ``always: true``, or ``meaning: <class>`` (a violation class recognised by the meaning
  classifiers of :mod:`core.copy.meaning`, however it is phrased);
- actions: ``soften`` (rewrite the phrase; with ``review: true`` the rewrite also needs a reviewer),
  ``block``, ``review`` (needs a compliance reviewer's sign-off) and ``append_disclosure``;
- ``block_at`` (meaning rules): at or above this classifier probability the rule blocks, between the
  class's tuned threshold and it the claim goes to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.copy.catalogue import CHANNELS, Product
from core.errors import StudioError

ACTIONS = ("soften", "block", "review", "append_disclosure")


class RuleFileError(StudioError):
    """The rule file is malformed."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    action: str
    products: tuple[str, ...]
    channels: tuple[str, ...] | None  # None = every channel
    patterns: dict[str, tuple[re.Pattern, ...]]  # language -> compiled triggers ("*" = all languages)
    always: bool
    if_claim: tuple[str, ...]
    unless_claim: tuple[str, ...]
    unless_present: dict[str, tuple[re.Pattern, ...]]
    replacement: dict[str, str]
    disclosure: dict | None
    reason: str
    source: str
    meaning: str = ""  # a meaning class (core.copy.meaning) instead of patterns
    block_at: float = 1.01  # meaning rules: probability at which a review becomes a block
    review: bool = False  # soften rules: the rewrite also needs a reviewer
    _combined: dict = field(default_factory=dict, compare=False, repr=False)

    def applies(self, product: Product, channel: str) -> bool:
        tags = product.selectors()
        included = any(s in tags for s in self.products if not s.startswith("not:"))
        excluded = any(s[4:] in tags for s in self.products if s.startswith("not:"))
        if not included and all(s.startswith("not:") for s in self.products):
            included = True
        if not included or excluded:
            return False
        if self.channels is not None and channel not in self.channels:
            return False
        if any(not product.claim(c) for c in self.if_claim):
            return False
        return not any(product.claim(c) for c in self.unless_claim)

    def triggers(self, language: str) -> tuple[re.Pattern, ...]:
        return self.patterns.get(language, ()) + self.patterns.get("*", ())

    def search(self, text: str, language: str) -> re.Match | None:
        """The first trigger match in ``text`` (one combined regex per language, compiled once)."""
        if language not in self._combined:
            pats = self.triggers(language)
            self._combined[language] = (re.compile("|".join(f"(?:{p.pattern})" for p in pats), re.IGNORECASE)
                                        if pats else None)
        combined: re.Pattern | None = self._combined[language]
        return combined.search(text) if combined is not None else None

    def satisfied(self, text: str, language: str) -> bool:
        pats = self.unless_present.get(language, ()) + self.unless_present.get("*", ())
        return any(p.search(text) for p in pats)


def _compile_list(items: Any, rule_id: str, flags: int = re.IGNORECASE) -> dict[str, tuple[re.Pattern, ...]]:
    """``{"en": [...], "zh": [...]}`` or ``[...]`` (every language) -> compiled patterns."""
    if not items:
        return {}
    by_lang = items if isinstance(items, dict) else {"*": items}
    out: dict[str, tuple[re.Pattern, ...]] = {}
    for lang, pats in by_lang.items():
        if isinstance(pats, str):
            pats = [pats]
        try:
            out[lang] = tuple(re.compile(p, flags) for p in pats)
        except re.error as exc:
            raise RuleFileError(f"Rule {rule_id}: the pattern {exc.pattern!r} is not a valid regex ({exc}).",
                                "Fix assets/copy/rules.json.") from exc
    return out


def _keywords(items: Any) -> dict[str, list[str]]:
    if not items:
        return {}
    by_lang = items if isinstance(items, dict) else {"*": items}
    return {lang: [r"(?<!\w)" + re.escape(k) + r"(?!\w)" for k in kws] for lang, kws in by_lang.items()}


def _patterns(rid: str, trig: dict) -> dict[str, tuple[re.Pattern, ...]]:
    regex = trig.get("regex") or {}
    if isinstance(regex, list):
        regex = {"*": regex}
    merged: dict[str, list[str]] = {k: list(v) for k, v in regex.items()}
    for lang, pats in _keywords(trig.get("keywords")).items():
        merged.setdefault(lang, []).extend(pats)
    return _compile_list(merged, rid)


def _check_action(rid: str, raw: dict, action: str, meaning: str, always: bool, patterns: dict) -> None:
    if action not in ACTIONS:
        raise RuleFileError(f"Rule {rid}: unknown action {action!r}.", f"Use one of: {', '.join(ACTIONS)}.")
    if not always and not patterns and not meaning:
        raise RuleFileError(f"Rule {rid} has no trigger.", "Give it regex, keywords, meaning or always: true.")
    if meaning and action not in ("block", "review"):
        raise RuleFileError(f"Rule {rid}: a meaning rule blocks or asks for review.", "Set action to block or review.")
    if action == "soften" and not raw.get("replacement") and raw.get("replacement") != {}:
        raise RuleFileError(f"Rule {rid} softens but has no replacement.", "Add replacement texts per language.")
    disclosure = raw.get("disclosure")
    if action == "append_disclosure" and (
            not isinstance(disclosure, dict) or not ("product_key" in disclosure or "text" in disclosure)):
        raise RuleFileError(f"Rule {rid} appends a disclosure but does not say which.",
                            "Give disclosure.product_key or disclosure.text.")


def parse_rule(raw: dict) -> Rule:
    """One rule of the file, validated."""
    rid = str(raw.get("id") or "").strip()
    if not rid:
        raise RuleFileError("A rule in rules.json has no id.", "Give every rule a unique id.")
    action = str(raw.get("action"))
    trig = raw.get("trigger") or {}
    always = bool(trig.get("always"))
    meaning = str(trig.get("meaning") or "")
    patterns = _patterns(rid, trig)
    _check_action(rid, raw, action, meaning, always, patterns)
    channels = raw.get("channels", "*")
    if channels != "*" and channels is not None:
        channels = tuple(channels)
        bad = set(channels) - set(CHANNELS)
        if bad:
            raise RuleFileError(f"Rule {rid}: unknown channels {sorted(bad)}.", f"Use: {', '.join(CHANNELS)}.")
    else:
        channels = None
    products = raw.get("products", ["*"])
    if isinstance(products, str):
        products = [products]
    replacement = raw.get("replacement") or {}
    if isinstance(replacement, str):
        replacement = {"*": replacement}
    try:
        block_at = float(raw.get("block_at", 1.01))
    except (TypeError, ValueError):
        raise RuleFileError(f"Rule {rid}: block_at must be a number between 0 and 1.", "Fix rules.json.") from None
    return Rule(
        id=rid, title=str(raw.get("title", rid)), action=action, products=tuple(products), channels=channels,
        patterns=patterns, always=always, if_claim=tuple(raw.get("if_claim", ())),
        unless_claim=tuple(raw.get("unless_claim", ())),
        unless_present=_compile_list(raw.get("unless_present"), rid), replacement=dict(replacement),
        disclosure=raw.get("disclosure"), reason=str(raw.get("reason", "")), source=str(raw.get("source", "")),
        meaning=meaning, block_at=block_at, review=bool(raw.get("review", False)),
    )


def parse_rules(raw: dict) -> tuple[list[Rule], str]:
    """Every rule of a parsed rule file and the file's version; ids must be unique."""
    rules = [parse_rule(r) for r in raw.get("rules", [])]
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleFileError(f"Rule ids must be unique; repeated: {', '.join(dupes)}.", "Rename the duplicates.")
    return rules, str(raw.get("version", ""))


def load_rules(path: Any = None) -> tuple[list[Rule], str]:
    """Parse and validate the rule file (default ``assets/copy/rules.json``); returns rules and version."""
    import json
    from pathlib import Path

    from core.copy.catalogue import ASSETS_DIR

    path = Path(path) if path else ASSETS_DIR / "rules.json"
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuleFileError(f"The rule file {path} cannot be read: {exc}", "Check that it is valid JSON.") from exc
    return parse_rules(raw)
