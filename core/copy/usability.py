"""The usability scorer: is a candidate copy a bank could send after light edits?

It rejects, before ranking:

- **first person**: the bank speaks as "we", never "I" ("I don't have any personal loans...");
- **off-product**: copy about another product kind, about a sibling product of the same kind (a travel
  card's points in copy for the cash-back card), or that never names this product or a benefit;
- **incoherent**: too short, cut off (a sentence, a word or a figure: "a personal loan with 1."),
  repeating itself, a currency sign or a rate with no amount ("more than $$", "the rate starts at ,
  and"), markup, the prompt's own labels, or telling the reader not to use the product
  ("If you want more info on a line of credit, don't take out any loans");
- **trait-blind**: copy that ignores the segment trait it was planned for;
- **off-brand**: a web address that is not the bank's ("lakesidebank.me", "high-yield.savings.lakesidebank"):
  a customer sent there lands somewhere the bank does not control;
- **off-script**, **says nothing** and **unlike the approved copy** (the embedded model's copy): a word no
  approved copy for the product uses, copy that states none of the product's benefits or facts, words
  strung together as no approved line strings them, or copy that reads unlike all of it
  (:mod:`core.copy.approved`).

Among usable candidates it scores sense, not keywords: the sentence encoder's similarity between
the copy and the plan's claims (did it say what it was asked to say?) and the trait (does it speak
to this audience?), with readability.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.copy.approved import NEAREST_MIN, NOVEL_PAIRS_MAX, STATES_MIN, ApprovedCopy
from core.copy.catalogue import Catalogue, Product
from core.copy.grounding import catalogue_strings
from core.copy.plan import Plan
from core.copy.ranking import readability

# case-sensitive on purpose ("ME" is Maine in the bank's address), so the capitalised forms are listed too
_FIRST_PERSON = {"en": re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|myself|Me|My|Mine|Myself)\b"),
                 "zh": re.compile(r"我(?!们)")}
_NEGATIVE_USE = re.compile(r"\b(?:don't|do not|never|avoid|stop)\b[^.!?]{0,30}\b(?:take out|open|apply|borrow|use|get|"
                           r"invest|save|loans?|cards?|accounts?)\b", re.IGNORECASE)
_DANGLING = re.compile(r"\b(?:and|or|but|with|for|to|of|the|a|an|your|our|on|in|at|from)\s*$", re.IGNORECASE)
# English ends a sentence on a preposition its verb strands: "the home you've been dreaming of", "worth waiting for"
_STRANDED = re.compile(r"\b(?:\w+ing of|(?:wait|ask|look|hop|search)(?:ing|ed|e)? for|worth saving for|(?:count|rel(?:y|ied|ying)|depend) on|"
                       r"look(?:ing)? forward to|(?:talk|care|think|know)(?:ing|ed)? about)$", re.IGNORECASE)
# a number the sentence announces and never gives ("the interest rate starts at , and..."), a word cut at its
# apostrophe ("because they'."), markup the model wrote ("don’ <i>li</i> t")
_MISSING_NUMBER = re.compile(r"\b(?:starts? at|starting at|as low as|(?:rates?|aprs?|apy|fees?|payments?|bonus) "
                             r"(?:from|of|at|up to)|up to)\s*[,.;:!?)]", re.IGNORECASE)
_CUT_WORD = re.compile(r"\w['’]\s*[.,;:!?]|\w['’]\s*$|\b\d+-[a-z]\b|[.!?]\s+\.\s*$")
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\s*/?>")
# a web address: letters, a dot, a top-level word (not "4.10%", not "e.g."); the bank's own address and its paths pass
_ADDRESS = re.compile(r"(?<![\w@])((?:[a-z0-9-]+\.)+[a-z]{2,})(?:/[\w./-]*)?", re.IGNORECASE)
# a sentence that ends on a preposition and a bare number: a figure cut off ("a personal loan with 1.")
_CUT_NUMBER = re.compile(r"\b(?:with|of|at|from|to|for|by|up to|only)\s+[$]?\d+(?:,\d{3})*\.?$", re.IGNORECASE)
# the prompt's own scaffolding copied into the copy
_PROMPT_ECHO = re.compile(r"approved marketing copy|\b(?:Say|Audience|Tone|Product):\s", re.IGNORECASE)
KIND_WORDS = {
    "credit_card": r"\bcredit cards?\b|\bcards?\b", "personal_loan": r"\bpersonal loans?\b",
    "auto_loan": r"\bauto loans?\b|\bcar loans?\b", "mortgage": r"\bmortgages?\b|\bhome loans?\b",
    "heloc": r"\bhome equity\b|\bHELOC\b|\bline of credit\b", "savings": r"\bsavings account\b|\bsavings\b",
    "cd": r"\bCDs?\b|\bcertificates? of deposit\b", "checking": r"\bchecking\b",
    "investment": r"\bportfolios?\b|\binvest(?:ing|ment)?s?\b",
}
# the same kinds in Simplified Chinese (no word boundaries in Chinese: plain substrings)
KIND_WORDS_ZH = {
    "credit_card": r"信用卡", "personal_loan": r"个人贷款|个人信贷", "auto_loan": r"汽车贷款|车贷|购车|新车|二手车",
    "mortgage": r"房贷|住房贷款|按揭|购房", "heloc": r"房屋净值|净值信用额度", "savings": r"储蓄",
    "cd": r"定期存单|存单|定期存款", "checking": r"支票账户|活期账户|支票", "investment": r"投资|理财",
}
TRAIT_MIN = 0.25  # similarity to the planned trait below which copy counts as trait-blind
PLAN_MIN = 0.3  # similarity to the planned claims below which copy counts as off-plan


@dataclass(frozen=True)
class Usability:
    usable: bool
    score: float  # 0..1, sense of the copy (similarity to plan and trait, readability)
    reasons: tuple[str, ...]
    plan_similarity: float
    trait_similarity: float

    def to_dict(self) -> dict:
        return asdict(self)


def _mentions_product(text: str, product: Product, language: str) -> bool:
    low = text.lower()
    names = [product.label(language), product.short(language), product.in_sentence(language)]
    if any(n and n.lower() in low for n in names):
        return True
    kinds = KIND_WORDS_ZH if language == "zh" else KIND_WORDS if language == "en" else {}
    if re.search(kinds.get(product.kind, r"$^"), text, re.IGNORECASE):
        return True
    return any(k.lower() in low for b in product.benefits for k in b.get("keywords", []))


def _other_kinds(text: str, product: Product) -> list[str]:
    own = re.compile(KIND_WORDS.get(product.kind, r"$^"), re.IGNORECASE)
    out = []
    for kind, pat in KIND_WORDS.items():
        if kind == product.kind:
            continue
        for m in re.finditer(pat, text, re.IGNORECASE):
            if not own.search(m.group(0)):
                out.append(kind)
                break
    return out


_SIBLING_CUES: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = {}


def sibling_cues(product: Product, catalogue: Catalogue, language: str) -> tuple[tuple[str, str], ...]:
    """(cue, sibling's name) for each catalogue product of the same kind: what copy for ``product`` must not say.

    A cue is a word of the sibling's name that no other product's name holds (the bank's "Everyday" names
    a card and an account, so it points at neither) or one of the sibling's benefit keywords, kept only
    when none of ``product``'s own catalogue texts say it.
    """
    key = (catalogue.fingerprint, product.id, language)
    if key not in _SIBLING_CUES:
        own = " ".join(catalogue_strings(product)).lower()
        names = {p.id: set(re.findall(r"\w{3,}", p.label(language).lower())) for p in catalogue.products.values()}
        cues: list[tuple[str, str]] = []
        for q in catalogue.products.values():
            if q.id == product.id or q.kind != product.kind:
                continue
            elsewhere = set().union(*(w for pid, w in names.items() if pid != q.id))
            words = (names[q.id] - elsewhere) | {k.lower() for b in q.benefits for k in b.get("keywords", [])
                                                 if k and (language == "zh") == bool(re.search(r"[\u4e00-\u9fff]", k))}
            cues += [(w, q.label(language)) for w in sorted(words) if w not in own]
        _SIBLING_CUES[key] = tuple(cues)
    return _SIBLING_CUES[key]


def _siblings_named(text: str, cues: tuple[tuple[str, str], ...], language: str) -> list[str]:
    low = text.lower()
    found: dict[str, None] = {}
    for cue, name in cues:
        hit = cue in low if language == "zh" else re.search(r"\b" + re.escape(cue) + r"\b", low)
        if hit:
            found[f"the {name} ('{cue}')" if language != "zh" else f"{name}（{cue}）"] = None
    return list(found)


def assess(text: str, product: Product, plan: Plan | None, language: str, encoder: Any = None,
           check_trait: bool = True, catalogue: Catalogue | None = None, approved: ApprovedCopy | None = None,
           brief: tuple[str, ...] = ()) -> Usability:
    """The usability verdict on one candidate (``check_trait`` off for template copy, which speaks to themes).

    With ``approved`` (the embedded model's copy), English copy is also held to the team's approved
    copy for the product (:mod:`core.copy.approved`); ``brief`` is the segment's name, description
    and traits, whose words the copy may use.
    """
    reasons: list[str] = []
    words = re.findall(r"\w+", text)
    if _FIRST_PERSON["zh" if language == "zh" else "en"].search(text):
        reasons.append("first person: the bank speaks as 'we'")
    if (language == "en" and len(words) < 4) or (language == "zh" and len(text) < 8):
        reasons.append("incoherent: too short to say anything")
    tail = text.rstrip(" .!?")
    if language == "en" and _DANGLING.search(tail) and not _STRANDED.search(tail):
        reasons.append("incoherent: the sentence is cut off")
    lw = [w.lower() for w in words]
    if len(lw) >= 6 and len(set(lw)) / len(lw) < 0.5:
        reasons.append("incoherent: it repeats itself")
    if re.search(r"[$£€¥](?!\s?\d)", text) or (language == "en" and _MISSING_NUMBER.search(text)):
        reasons.append("incoherent: a currency sign or a rate without an amount")
    if language == "en" and _CUT_WORD.search(text):
        reasons.append("incoherent: a word is cut off")
    if _MARKUP.search(text):
        reasons.append("incoherent: it holds markup")
    if _PROMPT_ECHO.search(text):
        reasons.append("incoherent: it repeats the prompt's own labels")
    if language == "en" and _CUT_NUMBER.search(tail):
        reasons.append("incoherent: a figure is cut off")
    if catalogue is not None:
        site = catalogue.bank.url.lower().split("/")[0]
        wrong = sorted({m.group(1) for m in _ADDRESS.finditer(text) if m.group(1).lower() != site})
        if wrong:
            reasons.append(f"off-brand: a web address that is not the bank's ({', '.join(wrong)}; the bank's is {site})")
        first = site.split(".")[0]
        if re.search(r"\bat " + re.escape(first) + r"\.?\s*$", text, re.IGNORECASE):
            reasons.append(f"incoherent: the web address is cut off (the bank's is {site})")
    if language == "en" and _NEGATIVE_USE.search(text):
        reasons.append("incoherent: it tells the reader not to use the product")
    if not _mentions_product(text, product, language):
        reasons.append("off-product: it never names the product or one of its benefits")
    others = _other_kinds(text, product) if language == "en" else []
    if others:
        reasons.append("off-product: it talks about " + ", ".join(k.replace("_", " ") for k in others))
    siblings = _siblings_named(text, sibling_cues(product, catalogue, language), language) if catalogue else []
    if siblings:
        reasons.append("off-product: it speaks of " + ", ".join(siblings))
    if approved is not None and language == "en":
        extra = tuple(t for t in (*brief, *((plan.say, plan.trait, plan.audience) if plan is not None else ())) if t)
        novel = approved.off_script(text, product, extra)
        if novel:
            reasons.append("off-script: no approved copy for this product says " + ", ".join(f"'{w}'" for w in novel[:4]))
        if approved.states(text, product) < STATES_MIN:
            reasons.append("says nothing: it states none of the product's benefits or facts")
        new_pairs = approved.novel_pairs(text, product, extra)
        if new_pairs > NOVEL_PAIRS_MAX:
            reasons.append(f"unlike the approved copy: {new_pairs:.0%} of its word pairs are in no approved copy for "
                           f"this product (at most {NOVEL_PAIRS_MAX:.0%})")
        if encoder is not None:
            near, _ = approved.nearest(text, product, encoder)
            if near < NEAREST_MIN:
                reasons.append(f"unlike the approved copy: its nearest approved line for this product is "
                               f"{near:.2f} alike (below {NEAREST_MIN:.2f})")
    plan_sim = trait_sim = 0.0
    if encoder is not None and plan is not None:
        refs = [plan.say] + ([plan.trait] if plan.trait else [])
        vecs = encoder.encode([text, *refs])
        plan_sim = float(vecs[1] @ vecs[0])
        trait_sim = float(vecs[2] @ vecs[0]) if plan.trait else 1.0
        if plan_sim < PLAN_MIN:
            reasons.append("off-plan: it does not say what it was asked to say")
        if check_trait and plan.trait and trait_sim < TRAIT_MIN and not _shares_word(text, plan.trait):
            reasons.append("trait-blind: it ignores the segment trait it was written for")
    score = float(np.clip(0.5 * plan_sim + 0.3 * min(1.0, trait_sim) + 0.2 * readability(text, language), 0, 1))
    return Usability(not reasons, round(score, 4), tuple(reasons), round(plan_sim, 4), round(trait_sim, 4))


def _shares_word(text: str, trait: str) -> bool:
    stop = {"the", "and", "with", "high", "low", "their", "they", "for", "of", "a", "an", "in", "on", "to"}
    tw = {w for w in re.findall(r"[a-z]{4,}", trait.lower()) if w not in stop}
    return bool(tw & set(re.findall(r"[a-z]{4,}", text.lower())))
