"""Segment briefs in, few-shot prompts out.

The prompt templates (``assets/copy/prompts/<channel>.j2``, extending ``base.j2``) and their
examples (``assets/copy/prompts/examples.json``, per product kind and channel) are data. A prompt
shows a base language model a handful of approved examples, then the target product's catalogue
facts, the audience and the tone, and leaves the copy line open for the model to complete.

What reaches a prompt is only the segment's aggregate description (name, description, traits) and
the product's public facts. :func:`clean_segment` removes anything that looks like personal data
(e-mail addresses, phone, card, account or social-security numbers), strips prompt-format
injection (``"Audience:"`` lines, "ignore previous instructions"), bounds the lengths, and rejects
briefs that are empty or do not read as a description.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from core.briefs import SegmentBrief
from core.copy.backends.base import Prompt
from core.copy.catalogue import ASSETS_DIR, Catalogue, Product
from core.copy.plan import Plan, plain_trait
from core.errors import InputError
from core.templates import render_text

PROMPTS_DIR = ASSETS_DIR / "prompts"
MAX_NAME, MAX_DESCRIPTION, MAX_TRAIT, MAX_TRAITS = 80, 800, 120, 8

_PII = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "e-mail address"),
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "social-security number"),
    (re.compile(r"(?<!\w)(?:\d[ -]?){13,19}(?!\w)"), "card or account number"),
    (re.compile(r"(?<!\w)\+?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}(?!\w)"), "phone number"),
    (re.compile(r"\b\d{7,}\b"), "long number (account or customer id)"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), "IBAN"),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b"), "date of birth"),
    (re.compile(r"(?i)\b(?:mr|mrs|ms|miss|dr)\.? [A-Z][a-z]+(?: [A-Z][a-z]+)?"), "person's name"),
]
_INJECTION = [
    re.compile(r"(?i)\b(?:ignore|disregard|forget)\b[^.\n]{0,40}\b(?:instructions?|rules?|prompt|above|previous)\b[^.\n]*"),
    re.compile(r"(?i)\b(?:system prompt|you are now|act as)\b[^.\n]*"),
    # a prompt label opening a line (or a sentence) would break the few-shot format
    re.compile(r"(?im)(?:^|(?<=[.!?;]\s))\s*(?:product|facts|audience|tone|sms|push notification|web banner|"
               r"email subject|email body)\s*:"),
]


def _letters_share(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if c.isalpha()) / len(chars)


def _clean_text(text: str, limit: int, notes: list[str], what: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C" or c in "\n\t")
    for pat, label in _PII:
        if pat.search(text):
            text = pat.sub("", text)
            notes.append(f"Removed what looked like a {label} from the {what}: prompts see segment aggregates only.")
    for pat in _INJECTION:
        if pat.search(text):
            text = pat.sub("", text)
            notes.append(f"Removed prompt-format or instruction text from the {what}.")
    text = re.sub(r"[#<>{}\[\]|`]+", " ", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s*([.,;:])(?:\s*[.,;:])+", r"\1", text).strip(" ,;:-")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-")
        notes.append(f"Shortened the {what} to {limit} characters.")
    return text


def _absurd(text: str) -> bool:
    if not text:
        return False
    if re.search(r"(.)\1{5,}", text):
        return True
    words = re.findall(r"[^\W\d_]{2,}", text)
    return _letters_share(text) < 0.5 or not words


def clean_segment(segment: SegmentBrief | None) -> tuple[SegmentBrief, list[str]]:
    """A segment brief safe to put in a prompt, with notes on what was changed.

    Raises:
        InputError: the brief is empty or does not read as a description of customers.
    """
    notes: list[str] = []
    if segment is None:
        raise InputError("Describe the segment first.", "Give it a name and a few traits, or send one from the "
                         "segmentation page.")
    name = _clean_text(segment.name, MAX_NAME, notes, "segment name")
    description = _clean_text(segment.description, MAX_DESCRIPTION, notes, "description")
    traits = []
    for t in list(segment.traits)[: MAX_TRAITS * 2]:
        c = _clean_text(t, MAX_TRAIT, notes, "traits")
        if c and not _absurd(c):
            traits.append(c)
    if len(traits) > MAX_TRAITS:
        traits = traits[:MAX_TRAITS]
        notes.append(f"Kept the first {MAX_TRAITS} traits.")
    if not name:
        raise InputError("The segment needs a name.", "Name the segment, for example 'Young digital savers'.")
    if _absurd(name) or (description and _absurd(description)):
        raise InputError("The segment brief does not read as a description of customers.",
                         "Use words: a name such as 'Retirees with high balances' and a few traits.")
    size = max(0, int(segment.size or 0))
    share = float(segment.share or 0.0)
    if not 0.0 <= share <= 1.0:
        notes.append("Ignored a segment share outside 0-100%.")
        share = 0.0
    cleaned = replace(segment, name=name, description=description, traits=tuple(dict.fromkeys(traits)),
                      size=size, share=share)
    return cleaned, list(dict.fromkeys(notes))


def audience_line(segment: SegmentBrief, max_traits: int = 4) -> str:
    """The audience as a prompt shows it: name, digit-free description sentences, plain traits."""
    parts = [segment.name]
    sentences = [s for s in re.split(r"(?<=[.!?;])\s+", segment.description or "") if s and not re.search(r"\d", s)]
    if sentences:
        parts.append(" ".join(sentences))
    words = [w for w in (plain_trait(t) for t in segment.traits) if w][:max_traits]
    if words:
        parts.append("; ".join(words))
    return re.sub(r"\s+", " ", " - ".join(parts)).strip()


def segment_text(segment: SegmentBrief) -> str:
    """Everything descriptive about a segment, for theme matching (template backend)."""
    held = " ".join(segment.products_held) if segment.products_held else ""
    return " ".join([segment.name, segment.description, " ".join(segment.traits), held,
                     segment.next_best_product or ""])


@lru_cache(maxsize=4)
def _examples(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))["examples"]


def _key_point(text: str, product: Product | None) -> str:
    """The catalogue benefit an example says (most shared words), shown as its 'Say' line."""
    if product is None:
        return ""
    words = set(re.findall(r"\w+", text.lower()))
    items = product.benefit_texts("en") or list(product.facts.values())
    return max(items, key=lambda b: len(words & set(re.findall(r"\w+", b.lower()))))


def _example_items(catalogue: Catalogue, product: Product, channel: str, n_examples: int, seed: int) -> list[dict]:
    examples = _examples(str(PROMPTS_DIR / "examples.json"))
    same = list(examples.get(product.kind, {}).get(channel, []))
    others = [ex for kind, chans in examples.items() if kind != product.kind for ex in chans.get(channel, [])]
    rng = random.Random(seed)
    rng.shuffle(others)
    # Other products first, the same kind of product last: the nearest example shapes the completion most.
    chosen = others[: max(0, n_examples - min(len(same), 2))] + same[:2]
    items = []
    for ex in chosen:
        p = catalogue.products.get(ex.get("product", ""))
        items.append({"product": p.label("en") if p else ex.get("product", ""), "say": _key_point(ex["text"], p),
                      "audience": ex["audience"], "tone": ex["tone"], "text": ex["text"]})
    return items


def render_prompt(catalogue: Catalogue, product: Product, channel: str, tone: str, language: str,
                  segment: SegmentBrief, *, theme: str = "general", n_examples: int = 3, seed: int = 0,
                  plan: Plan | None = None, style: str = "few_shot") -> Prompt:
    """The prompt and structured context for one request (and one plan, when given).

    ``style`` ``"few_shot"`` shows a base model approved examples first; ``"tuned"`` gives the
    fine-tuned model (:mod:`core.copy.tuning`) the plan alone, as it was trained.
    """
    chan = catalogue.channel(channel)
    tone_label = (catalogue.tones.get(tone) or {}).get("en", tone)
    label = chan["label"]["en"]
    say = plan.say if plan is not None and language == "en" else "; ".join(product.facts_for_prompt("en")[:2])
    audience = plan.audience if plan is not None else audience_line(segment)
    tuned = style == "tuned"
    text = render_text("copy/prompts/tuned.j2" if tuned else f"copy/prompts/{channel}.j2", bank=catalogue.bank,
                       channel_label=label,
                       examples=[] if tuned else _example_items(catalogue, product, channel, n_examples, seed),
                       product=product.label("en"), say=say, audience=audience, tone=tone_label)
    context = {"product": product, "channel": channel, "tone": tone, "language": language, "theme": theme,
               "segment": segment.name, "audience": audience, "plan": plan}
    return Prompt(text=text.rstrip(), context=context, stop=("\n",))
