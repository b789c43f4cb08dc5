"""The disclosure step of the rule engine: which disclosures a variant needs, in the channel's form.

For each ``append_disclosure`` rule that applies and fires (its trigger is in the copy, or it is
``always``) and is not already satisfied, the product's disclosure (``product_key``) or the rule's
own text is added: in full, as a link to the terms (electronic ads), or, when the channel cannot
carry it, the variant is blocked. :func:`assemble` puts the copy and its disclosures together as
they will be sent.
"""

from __future__ import annotations

from collections.abc import Callable

from core.copy.catalogue import Product
from core.copy.rulefile import Rule
from core.copy.textops import join_sentences, normalise, unsaid
from core.copy.verdict import Disclosure, Finding


def required_disclosures(body: str, rules: list[Rule], product: Product, channel: str, chan: dict, language: str,
                         render: Callable[[str, Product, str], str]) -> tuple[list[Disclosure], list[Finding]]:
    """The disclosures ``body`` needs, in order, and the findings that record them (or block)."""
    mode = chan.get("disclosure_mode", "full")
    disclosures: dict[str, Disclosure] = {}
    order: list[str] = []
    findings: list[Finding] = []
    for rule in rules:
        matched = ""
        if not rule.always:
            hit = rule.search(body, language)
            if hit is None:
                continue
            matched = hit.group(0)
        if rule.satisfied(body, language):
            continue
        spec = rule.disclosure or {}
        position = spec.get("position", "suffix")
        href = None
        if "product_key" in spec:
            key = spec["product_key"]
            if mode == "none":
                findings.append(Finding(
                    rule.id, "block", rule.title,
                    f"{chan['label'].get('en', channel)} cannot carry the disclosure this copy requires "
                    f"({rule.reason}) Keep rates, fees and terms for the email body.", rule.source, matched=matched))
                continue
            if product.disclosure(key, language) is None:
                findings.append(Finding(
                    rule.id, "block", rule.title,
                    f"The catalogue has no '{key}' disclosure in this language for {product.label()}; "
                    "a required disclosure cannot be shown, so the copy cannot be sent (disclosures must be "
                    "in the ad's language).", rule.source, matched=matched))
                continue
            if mode == "link":
                label = (chan.get("link_label") or {}).get(language)
                if label:
                    text, href = label, product.terms_url
                else:
                    text = product.disclosure("link", language) or product.terms_url
                dkey = "link"
            else:
                text, dkey = product.disclosure(key, language) or "", key
        else:
            tmpl = (spec.get("text") or {}).get(language)
            if tmpl is None:
                findings.append(Finding(
                    rule.id, "block", rule.title,
                    f"The rule has no {language} disclosure text; disclosures must be in the ad's language.",
                    rule.source, matched=matched))
                continue
            text, dkey = render(tmpl, product, language), f"{rule.id}:{tmpl}"
        if dkey in disclosures:
            d = disclosures[dkey]
            disclosures[dkey] = Disclosure(d.text, d.rule_ids + (rule.id,), d.position, d.href)
        else:
            disclosures[dkey] = Disclosure(text, (rule.id,), position, href)
            order.append(dkey)
        findings.append(Finding(rule.id, "append_disclosure", rule.title, rule.reason, rule.source,
                                matched=matched, detail=text))
    return [disclosures[k] for k in order], findings


def assemble(body: str, disclosures: list[Disclosure], chan: dict, language: str) -> str:
    """The copy as sent: prefix disclosures, the body, then the suffix disclosures in the channel's joiner."""
    force_gsm7 = bool(chan.get("force_gsm7"))
    prefix = " ".join(d.text for d in disclosures if d.position == "prefix")
    suffix = [d.text for d in disclosures if d.position != "prefix"]
    joiner = chan.get("joiner", " ")
    final = (f"{prefix} {body}" if language == "en" else f"{prefix}{body}") if prefix else body
    if suffix:
        if joiner == " ":
            final = join_sentences([final, *suffix], language)
        else:  # one disclosure a line; a sentence already said is not repeated
            lines: list[str] = []
            for x in suffix:
                t = unsaid(x, "\n".join([final, *lines]), language)
                if t:
                    lines.append(t)
            tail = "\n".join(lines)
            final = f"{final}{joiner}{tail}" if final else tail
    return normalise(final, force_gsm7, language) if joiner == " " else final.strip()
