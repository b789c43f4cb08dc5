"""Text clean-ups shared by the rule engine and generation: whitespace, punctuation, sentence joins.

Pure functions, no rules and no catalogue: :func:`normalise` (whitespace, GSM-7 for English SMS),
:func:`tidy` (after a phrase was removed), :func:`join_sentences` and :func:`unsaid` (appending
disclosures without repeating a sentence), :func:`language_problem` (copy in the wrong script).
"""

from __future__ import annotations

import re

from core.copy import sms as sms_mod

_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?，。；：！？])")
_REPEATED_PUNCT = re.compile(r"([,.;:!?，。；：！？])(?:\s*[,.;:!?，。；：！？])+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TERMINAL = (".", "!", "?", ":", ";", "。", "！", "？", "：", "；", ")", "）")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


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
