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


# words that connect a catalogue fact to its sentence and say nothing of their own
_CONNECTORS_EN = frozenset("""a an the and or plus also as well with without for of to on in at by from that this
its it is are be get gets got enjoy enjoys offer offers gives give brings bring comes come charges charge has have
you your yours we our us every each just all one new now here there can which who""".split())
_ZH_PRODUCT_FILLER = re.compile(r"[的和及与并还更可享您我们了就都也让为在有用从即]")


def catalogue_view(claim: str, product_texts: list[str], product_names: list[str], language: str = "en") -> str | None:
    """The claim as the meaning classifiers read it: the product's own catalogue texts taken out.

    The catalogue's benefit and headline texts were written and approved with the catalogue (and
    the number-binding step checks their figures), so the meaning classifiers do not judge them
    again: "a Home Equity Line of Credit charges interest only on what you use" had its catalogue
    fact read as a promise of free credit. Each verbatim occurrence (case-insensitive, texts of at
    least 12 characters, 4 in Chinese) is cut out and the rest of the claim is what gets classified; ``None``
    when nothing is left but the product's name and connecting words (the claim is the catalogue's
    own sentence). A claim holding no catalogue text is returned as it is.
    """
    rest, cut = claim, False
    shortest = 4 if language == "zh" else 12
    for text in sorted((t for t in product_texts if len(t) >= shortest), key=len, reverse=True):
        pat = re.compile(re.escape(text), re.IGNORECASE)
        if pat.search(rest):
            rest, cut = pat.sub(" ", rest), True
    if not cut:
        return claim
    for name in sorted((n for n in product_names if n), key=len, reverse=True):
        rest = re.sub(re.escape(name), " ", rest, flags=re.IGNORECASE)
    if language == "zh":
        left = _ZH_PRODUCT_FILLER.sub("", "".join(re.findall(r"[\u4e00-\u9fff]", rest)))
        return rest.strip() if len(left) > 1 else None
    words = [w for w in re.findall(r"[a-z']+", rest.lower()) if w not in _CONNECTORS_EN]
    return " ".join(rest.split()) if words else None
