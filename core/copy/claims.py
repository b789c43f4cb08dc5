"""Split copy into claims: the sentences and clauses that each say one thing.

English: sentences end at ``. ! ?`` (not inside a number such as ``4.10%`` or a domain such as
``lakeside.bank``), and ``;``, `` — `` and a colon before a capital letter also end a claim.
Chinese: sentences end at ``。！？；``; each sentence is also split at ``，`` into clauses, because
Chinese copy strings several claims together with commas ("不看信用记录，人人都能办，…"). A clause
that holds a number stays with its sentence so that number binding sees the whole condition
("前3个月消费满$1,000，即可获得$200现金奖励").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EN_END = re.compile(r"(?<=[.!?])(?<!\d\.)(?<![A-Za-z]\.[a-z])\s+(?=\S)|;\s+|\s+[—–]\s+|:\s+(?=[A-Z])")
_ZH_END = re.compile(r"(?<=[。！？；!?;])")
_ZH_CLAUSE = re.compile(r"[，,、]")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Claim:
    """One claim: its text, the sentence it comes from and its position in the copy."""

    text: str
    sentence: str
    index: int


def _clean(s: str) -> str:
    return s.strip().strip("\"'“”‘’").strip()


def sentences(text: str, language: str = "en") -> list[str]:
    """The sentences of ``text`` (a line break always ends one)."""
    out: list[str] = []
    for line in (text or "").splitlines():
        parts = _ZH_END.split(line) if language == "zh" else _EN_END.split(line)
        out += [p for p in (_clean(x) for x in parts) if re.search(r"\w", p)]
    return out


def split_claims(text: str, language: str = "en") -> list[Claim]:
    """Every claim of ``text``, in order."""
    claims: list[Claim] = []
    for sent in sentences(text, language):
        if language == "zh":
            clauses = [c for c in (_clean(x) for x in _ZH_CLAUSE.split(sent)) if re.search(r"\w", c)]
            if len(clauses) > 1 and not _DIGIT.search(sent):
                for c in clauses:
                    claims.append(Claim(c, sent, len(claims)))
                continue
            if len(clauses) > 1:  # keep the whole sentence for numbers, and each digit-free clause on its own
                claims.append(Claim(sent, sent, len(claims)))
                for c in clauses:
                    if not _DIGIT.search(c) and len(c) >= 4:
                        claims.append(Claim(c, sent, len(claims)))
                continue
        claims.append(Claim(sent, sent, len(claims)))
    return claims
