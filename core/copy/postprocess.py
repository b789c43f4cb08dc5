"""Cleaning raw candidates before the rules: first line only, labels and quotes stripped, self-written disclosures removed.

:func:`check_with_fixes` runs the engine and, when the only objection is the length budget, drops
trailing sentences until the copy fits.
"""

from __future__ import annotations

import re

from core.copy.backends.base import Candidate
from core.copy.catalogue import Product
from core.copy.engine import RuleEngine
from core.copy.verdict import Verdict

_LABEL = re.compile(r"^\s*(?:SMS|Push(?: notification)?|Web banner|Banner|Email subject|Subject|Email body|"
                    r"Copy|Text|Headline)\s*[:：]\s*", re.IGNORECASE)
_SELF_DISCLOSURES = [
    re.compile(p, re.IGNORECASE) for p in (
        r"\bmsg\s*(?:&|and)\s*data rates may apply\.?", r"\breply stop to (?:opt out|unsubscribe|cancel|end)\.?",
        r"\breply help for help\.?", r"\bmember fdic\.?", r"\bequal housing lender\.?", r"\bsee terms\.?",
        r"\b(?:rates (?:&|and) )?terms:\s*\S+", r"\bnmls\s*#?\s*\d+\.?",
        r"可能产生短信及数据费用。?", r"回复STOP退订。?", r"FDIC成员（Member FDIC）。?",
    )
]
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
# a control token the model wrote as text ("...start using them with<start_of_image"): the copy ends there
_LEAKED_TOKEN = re.compile(r"</?(?:start_of_|end_of_|bos|eos|pad|unk|mask|image|s>|\|)[^\s]*", re.IGNORECASE)


def postprocess(candidate: Candidate, channel: str, language: str) -> tuple[str, list[str]]:
    """Clean a raw candidate; returns the text and the clean-ups applied."""
    fixes: list[str] = []
    text = candidate.text or ""
    if candidate.finish_reason != "template":
        first = text.strip().split("\n")[0]
        if first != text.strip():
            fixes.append("kept the first line")
        text = first
        leak = _LEAKED_TOKEN.search(text)
        if leak:
            text = text[:leak.start()]
            fixes.append("cut a control token the model wrote as text")
        text = _LABEL.sub("", text)
        stripped = text.strip().strip('"“”\'`').strip()
        if stripped != text.strip():
            fixes.append("removed quotes")
        text = stripped
        sentences = [x for x in _SENTENCE_END.split(text) if x]
        unique = list(dict.fromkeys(sentences))
        if len(unique) < len(sentences):
            text = (" " if language == "en" else "").join(unique)
            fixes.append("removed a repeated sentence")
        if candidate.finish_reason == "length":
            parts = [p for p in _SENTENCE_END.split(text) if p]
            if len(parts) > 1 and not re.search(r"[.!?。！？]$", text):
                text = " ".join(parts[:-1]) if language == "en" else "".join(parts[:-1])
                fixes.append("dropped a sentence cut off by the token limit")
    for pat in _SELF_DISCLOSURES:
        if pat.search(text):
            text = pat.sub("", text)
            fixes.append("removed a disclosure the model wrote itself (the engine adds it)")
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return text, list(dict.fromkeys(fixes))


def _sentences(text: str, language: str) -> list[str]:
    return [p for p in _SENTENCE_END.split(text.strip()) if p]


def check_with_fixes(engine: RuleEngine, text: str, product: Product, channel: str,
                     language: str) -> tuple[Verdict, list[str]]:
    """Engine verdict; when only the length budget blocks, drop trailing sentences until it fits."""
    verdict = engine.check(text, product, channel, language)
    fixes: list[str] = []
    if verdict.passed or any(f.rule_id != "B1" for f in verdict.blocking):
        return verdict, fixes
    parts = _sentences(verdict.body, language)
    joiner = " " if language == "en" else ""
    while len(parts) > 1:
        parts = parts[:-1]
        trial = engine.check(joiner.join(parts), product, channel, language)
        if trial.passed:
            return trial, ["dropped trailing sentences to fit the length budget"]
        if any(f.rule_id != "B1" for f in trial.blocking):
            break
    return verdict, fixes


