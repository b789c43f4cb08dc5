"""Text clean-ups shared by the rule engine and generation: whitespace, punctuation, sentence joins.

Pure functions, no rules and no catalogue: :func:`normalise` (whitespace, GSM-7 for English SMS),
:func:`drop_fragments` and :func:`tidy` (after a phrase was removed), :func:`join_sentences` and
:func:`unsaid` (appending disclosures without repeating a sentence), :func:`language_problem` (copy
in the wrong script).
"""

from __future__ import annotations

import re

from core.copy import sms as sms_mod

_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?，。；：！？])")
_REPEATED_PUNCT = re.compile(r"([,.;:!?，。；：！？])(?:\s*[,.;:!?，。；：！？])+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TERMINAL = (".", "!", "?", ":", ";", "。", "！", "？", "：", "；", ")", "）")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


# Where a soften rule removed a phrase (an empty replacement); :func:`drop_fragments` reads and clears it.
REMOVED = "\x00"
_TERMINAL_PUNCT = ".!?。！？"
_CLAUSE_SEP = re.compile(r"(\s*[,;:，；：、]\s*|\s+[-–—]+\s+)")
# words a removal leaves dangling, trimmed with it: "Earn 4.10% APY before the offer [ends tonight]" keeps
# "Earn 4.10% APY"; "[Only 3 days left] to earn 4.10% APY" keeps "earn 4.10% APY"
_EN_TRAILING = frozenset(
    "a an the this that these those our your its their my before after until till by on at in for of to with "
    "and or but so if when while because as special exclusive limited offer offers deal deals sale sales "
    "promotion promotions promo promos window opportunity chance".split())
_EN_LEADING = frozenset("to on of for and or but so with at in by than".split())
# a clause ending on these once the removal took its end is a broken sentence, not a shorter one ("Rates are [...]")
_EN_BROKEN = frozenset("is are was were be will which who it".split())
# a clause that is only the subject of the removed claim ("Offer [ends tonight]!", "本次优惠[今晚截止]")
_EN_STUB = re.compile(r"^(?:(?:a|an|the|this|that|these|our|your|its|special|exclusive|limited)\s+)*"
                      r"(?:offers?|deals?|sales?|promotions?|promos?|events?|prices?|pricing|rates?|window|"
                      r"opportunity|chance|spots?|places?|availability|supplies)$", re.IGNORECASE)
_ZH_STUB = re.compile(r"^(?:本次|此次|这次|本|此|该|这个|这项|我们的|专属|特别)?(?:优惠活动|优惠|活动|促销|特惠|折扣|机会|"
                      r"名额|利率|价格|福利)?(?:将|会|就|已|也)?$")
_ZH_DANGLING = "于在将前的至到会就即已并和与及请都也"


def _bare(token: str) -> str:
    return token.strip(".,;:!?\"'()").lower()


def _trim_en(clause: str) -> str:
    """An English clause without the linking words a removal left hanging on either side of it."""
    tokens = clause.replace(REMOVED, f" {REMOVED} ").split()
    gone = [False] * len(tokens)
    for i, tok in enumerate(tokens):
        if tok != REMOVED:
            continue
        j = i - 1
        while j >= 0 and not gone[j] and tokens[j] != REMOVED and _bare(tokens[j]) in _EN_TRAILING:
            gone[j] = True
            j -= 1
        k = i + 1
        while k < len(tokens) and not gone[k] and tokens[k] != REMOVED and _bare(tokens[k]) in _EN_LEADING:
            gone[k] = True
            k += 1
    return " ".join(t for t, g in zip(tokens, gone, strict=True) if not g)


def _is_fragment(clause: str, language: str) -> bool:
    """Whether what is left of a clause after a removal (marked :data:`REMOVED`) should go too."""
    rest = clause.replace(REMOVED, " ").strip(" \t" + _TERMINAL_PUNCT + ",;:，；：、-–—")
    rest = re.sub(r"\s+", " ", rest)
    if not re.search(r"\w", rest):
        return True
    tail = not re.search(r"\w", clause[clause.rfind(REMOVED):])  # the removal ended the clause
    if language == "zh":
        rest = rest.replace(" ", "")
        if _ZH_STUB.match(rest):
            return True
        return tail and (rest[-1] in _ZH_DANGLING or rest.endswith(("优惠", "活动", "促销", "特惠", "机会", "名额")))
    if _EN_STUB.match(rest):
        return True
    return tail and _bare(rest.split()[-1]) in _EN_BROKEN


def drop_fragments(text: str, language: str = "en") -> str:
    """After soften rules removed phrases: a clause or sentence the removal left as a fragment goes too.

    ``"Offer ends tonight! Apply in the app."`` loses ``"ends tonight!"`` and then ``"Offer"``, a
    fragment: ``"Apply in the app."``; ``"Apply now, offer ends tonight!"`` becomes
    ``"Apply now!"``; ``"Earn 4.10% APY before the offer ends tonight."`` keeps ``"Earn 4.10% APY."``;
    ``"本次优惠今晚截止！"`` goes entirely. Clauses without a removal stay as written.
    """
    if REMOVED not in text:
        return text
    kept = []
    for sentence in _SENTENCE_END.split(text):
        if REMOVED not in sentence:
            kept.append(sentence)
            continue
        stripped = sentence.rstrip()
        body = stripped.rstrip(_TERMINAL_PUNCT)
        end = stripped[len(body):]
        parts = _CLAUSE_SEP.split(body)  # clause, separator, clause, ...
        clauses = [(parts[i - 1] if i else "", parts[i]) for i in range(0, len(parts), 2)]
        if language != "zh":
            clauses = [(sep, _trim_en(c) if REMOVED in c else c) for sep, c in clauses]
        clauses = [(sep, c) for sep, c in clauses if REMOVED not in c or not _is_fragment(c, language)]
        if not clauses:
            continue
        out = clauses[0][1] + "".join(sep + c for sep, c in clauses[1:])
        out = out.replace(REMOVED, "" if language == "zh" else " ").strip()
        if not re.search(r"\w", out):
            continue
        kept.append(out.rstrip(" ,;:，；：、-–—") + end)
    return (" " if language != "zh" else "").join(k.strip() for k in kept if k.strip())


def tidy(text: str) -> str:
    """Clean up after a phrase was removed: spaces, orphan punctuation, capitalisation."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(lambda m: m.group(1) if m.group(1) not in ",，" else m.group(0)[-1], text)
    text = re.sub(r"^[\s,.;:!?，。；：！？-]+", "", text)
    text = re.sub(r"\(\s*\)", "", text).strip()
    if text and text[0].isalpha() and text[0].islower():
        text = text[0].upper() + text[1:]
    return re.sub(r"([.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def normalise(text: str, force_gsm7: bool = False, language: str = "en") -> str:
    """Collapse whitespace; for SMS in English force the GSM-7 alphabet."""
    text = (text or "").replace("\r", "")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if force_gsm7 and language == "en":
        text = sms_mod.to_gsm7(text)
    return text


def language_problem(body: str, language: str) -> str:
    """Why ``body`` is not written in ``language`` (empty when it is)."""
    letters = [c for c in body if c.isalpha()]
    cjk = len(_CJK.findall(body))
    if language == "zh" and cjk == 0:
        return "Simplified Chinese copy was requested but the text has no Chinese characters."
    if language == "en" and letters and cjk / len(letters) > 0.2:
        return "English copy was requested but the text is mostly in another script."
    return ""


def unsaid(text: str, said: str, language: str = "en") -> str:
    """The sentences of ``text`` that ``said`` does not already contain."""
    kept = [s for s in (x.strip() for x in _SENTENCE_END.split(text.strip())) if s and s not in said]
    return (" " if language == "en" else "").join(kept)


def join_sentences(parts: list[str], language: str = "en") -> str:
    """Join copy and disclosures as sentences: add the missing full stop and drop a repeated sentence.

    ``"4.10% APY"`` + ``"See terms"`` becomes ``"4.10% APY. See terms"``, and a disclosure sentence
    that the text already carries (``"NMLS #400123."`` in both the product's terms and the Equal
    Housing Lender line) is not said twice.
    """
    out = ""
    for part in parts:
        part = (part or "").strip()
        if not part:
            continue
        if out:
            part = unsaid(part, out, language)
            if not part:
                continue
            if not out.endswith(_TERMINAL):
                out += "." if language == "en" else "。"
            out += " " if language == "en" else ""
        out += part
    return out
