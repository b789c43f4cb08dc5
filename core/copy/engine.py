"""The compliance rule engine: every rendered variant passes through :meth:`RuleEngine.check`.

The check is a pipeline of steps, each in its own function:

1. :meth:`~RuleEngine._soften` — soften rules rewrite a phrase ("pre-approved" -> "you may
   qualify"; urgency phrases are removed, and with them a clause or sentence the removal leaves as
   a fragment: "Offer ends tonight!" goes whole, not to "Offer"); a rewrite that changes what the
   copy promises also asks for review;
2. :meth:`~RuleEngine._sanity` — empty copy, copy in the wrong language;
3. :meth:`~RuleEngine._block_rules` — exact phrases the rule file bans;
4. :meth:`~RuleEngine._ground` — the copy is split into claims (:mod:`core.copy.claims`) and each
   claim is grounded in the catalogue (:mod:`core.copy.grounding`): numbers not in the catalogue
   (G1), numbers bound to the wrong fact (G3), unsupported features (G4), mislabelled rates (G2);
5. :meth:`~RuleEngine._meaning` — each claim goes through the meaning classifiers
   (:mod:`core.copy.meaning`) for the violation classes the rule file's ``meaning`` rules name;
6. :func:`core.copy.disclose.required_disclosures` — the disclosures the copy needs, in the
   channel's form;
7. :meth:`~RuleEngine._budget` — the channel's length budget, with the disclosures.

The outcome is ``block``, ``review`` (a compliance reviewer must sign off) or ``pass``. The engine is
deterministic: the same text, product, channel and language always give the same verdict.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.copy import sms as sms_mod
from core.copy.catalogue import ASSETS_DIR, LANGUAGES, Catalogue, Product, get_catalogue
from core.copy.claims import catalogue_view, split_claims
from core.copy.disclose import assemble, required_disclosures
from core.copy.grounding import check_features, check_numbers
from core.copy.rulefile import ACTIONS, Rule, load_rules
from core.copy.textops import REMOVED, drop_fragments, language_problem, normalise, tidy
from core.copy.verdict import Finding, Verdict
from core.errors import StudioError
from core.templates import text_template

_LABELLED_RATE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?%)\s*(?:\(|-)?\s*(intro(?:ductory)?\s+|promotional\s+)?(?:variable\s+|fixed\s+)?"
    r"(APR|APY|annual percentage rate|annual percentage yield)\b", re.IGNORECASE)
_GROUNDING_TITLES = {
    "G1": ("Number not in the catalogue", "Every rate, fee, amount and number must come from the product catalogue.",
           "12 CFR 1026.16(a), 1026.24(a) (only terms actually available); bank grounding policy", "block"),
    "G3": ("Number bound to the wrong fact", "A catalogue number is used for a fact it does not belong to.",
           "12 CFR 1026.16(a), 1026.24(a); 12 CFR 1030.8(d) (bonus terms); UDAAP", "block"),
    "G4": ("Feature the product lacks", "Copy may only promise features the product has.",
           "12 CFR 1026.16(a), 1026.24(a) (terms actually available); UDAAP", "review"),
}
GROUNDING_CLASS_RULES = {"number_mismatch": ("G1", "G3"), "unsupported_feature": ("G4",)}


class RuleEngine:
    """Applies the rule file, the grounding checks and the meaning classifiers to variants."""

    def __init__(self, rules: list[Rule], catalogue: Catalogue, version: str = "", meaning: Any = None) -> None:
        self.rules = rules
        self.catalogue = catalogue
        self.version = version
        self.meaning = meaning  # a core.copy.meaning.service.MeaningScorer, or None (then meaning rules ask for review)
        self._by_action = {a: [r for r in rules if r.action == a and not r.meaning] for a in ACTIONS}
        self._meaning_rules = [r for r in rules if r.meaning]
        self._applicable: dict[tuple[str, str], dict[str, list[Rule]]] = {}
        self._render_cache: dict[tuple[str, str, str], str] = {}
        self._catalogue_texts: dict[tuple[str, str], list[str]] = {}
        self._probs: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._verdicts: OrderedDict[tuple[str, str, str, str], Verdict] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_files(cls, rules_path: Path | str | None = None, assets_dir: Path | str | None = None,
                   meaning: Any = None) -> RuleEngine:
        rules, version = load_rules(rules_path)
        return cls(rules, get_catalogue(assets_dir), version, meaning)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def rule_ids_for_class(self, cls: str) -> set[str]:
        """The rule ids whose findings attribute a claim to a violation class (for evaluation)."""
        if cls in GROUNDING_CLASS_RULES:
            return set(GROUNDING_CLASS_RULES[cls])
        return {r.id for r in self._meaning_rules if r.meaning == cls}

    def _rules_for(self, product: Product, channel: str) -> dict[str, list[Rule]]:
        key = (product.id, channel)
        if key not in self._applicable:
            found = {a: [r for r in rs if r.applies(product, channel)] for a, rs in self._by_action.items()}
            found["meaning"] = [r for r in self._meaning_rules if r.applies(product, channel)]
            self._applicable[key] = found
        return self._applicable[key]

    def _render(self, template: str, product: Product, language: str) -> str:
        key = (template, product.id, language)
        if key not in self._render_cache:
            ctx = {"bank": self.catalogue.bank.to_dict(), "product": product.to_dict(), "language": language}
            self._render_cache[key] = text_template(template).render(**ctx).strip()
        return self._render_cache[key]

    # ---- steps ----------------------------------------------------------------------------------
    @staticmethod
    def _soften_one(pat: re.Pattern, repl: str, body: str, product: Product) -> tuple[str, list[tuple[str, str]]]:
        done: list[tuple[str, str]] = []

        def sub(m: re.Match) -> str:
            template = repl
            if "{label}" in template:
                label = product.rate_label(m.group(1)) if m.groups() else None
                if label is None:  # not one of the catalogue's rates: leave it for grounding to judge
                    return m.group(0)
                template = template.replace("{label}", label)
            new = m.expand(template)
            if not new:  # a removal: mark it (with the punctuation it took) so a fragment left behind goes too
                phrase = m.group(0)
                new = REMOVED + phrase[len(phrase.rstrip(".!?。！？,，;；:：")):]
            if new != m.group(0):
                done.append((m.group(0), new))
            return new

        return pat.sub(sub, body), done

    def _soften(self, body: str, rules: list[Rule], product: Product, language: str,
                force_gsm7: bool) -> tuple[str, list[Finding]]:
        findings: list[Finding] = []
        for rule in rules:
            repl = rule.replacement.get(language, rule.replacement.get("*"))
            if repl is None:
                continue
            for pat in rule.triggers(language):
                body, matches = self._soften_one(pat, repl, body, product)
                if not matches:
                    continue
                matched = "; ".join(dict.fromkeys(m for m, _ in matches))
                detail = ("removed, with any clause it left as a fragment" if not repl
                          else "; ".join(dict.fromkeys(f"{m!r} -> {r!r}" for m, r in matches)))
                findings.append(Finding(rule.id, "soften", rule.title, rule.reason, rule.source, matched=matched,
                                        detail=detail))
                if rule.review:
                    findings.append(Finding(rule.id, "review", f"{rule.title} (rewritten)",
                                            "The engine rewrote what this copy promised; a reviewer must confirm the "
                                            "new wording.", rule.source, matched=matched, detail=detail))
        if findings:
            body = normalise(tidy(drop_fragments(body, language)), force_gsm7, language)
        return body, findings

    @staticmethod
    def _sanity(body: str, language: str, softened: bool = False) -> list[Finding]:
        if not body.strip():
            why = ("There is no copy left to send: every sentence was a phrase the rules remove."
                   if softened else "There is no copy left to send.")
            return [Finding("E0", "block", "Empty copy", why, "engine")]
        problem = language_problem(body, language)
        if problem:
            return [Finding("L1", "block", "Wrong language", problem,
                            "12 CFR 1026.24(i)(7) (disclosures in the ad's language); bank policy")]
        return []

    @staticmethod
    def _block_rules(body: str, rules: list[Rule], language: str) -> list[Finding]:
        out = []
        for rule in rules:
            if rule.satisfied(body, language):
                continue
            m = rule.search(body, language)
            if m:
                out.append(Finding(rule.id, "block", rule.title, rule.reason, rule.source, matched=m.group(0)))
        return out

    @staticmethod
    def _ground(body: str, claims: list[str], product: Product, language: str) -> list[Finding]:
        out: list[Finding] = []
        for claim in claims:
            for issue in check_numbers(claim, product, language) + check_features(claim, product, language):
                title, reason, source, action = _GROUNDING_TITLES[issue.rule_id]
                out.append(Finding(issue.rule_id, action, title, reason, source, matched=issue.matched,
                                   detail=issue.message, claim=claim))
        if product.rate_labels:  # G2: a rate labelled as something the catalogue says it is not
            for m in _LABELLED_RATE.finditer(body):
                label = product.rate_label(m.group(1))
                said = m.group(3).upper()
                said = "APR" if said.startswith("ANNUAL PERCENTAGE R") else "APY" if said.startswith("ANNUAL") else said
                head = (label or "").split(" (")[0].lower()
                intro_said = bool(m.group(2))
                if label is None or said.lower() not in head or intro_said != ("intro" in head):
                    out.append(Finding(
                        "G2", "block", "Rate mislabelled",
                        f"The catalogue does not give {m.group(1)} as {'an intro ' if intro_said else 'an '}{said}"
                        + (f" (it is the {label})." if label else "."),
                        "12 CFR 1026.24(c), 1026.16(g); 12 CFR 1030.8(b)", matched=m.group(0)))
                    break
        return out

    def claim_probabilities(self, claims: list[str], language: str) -> np.ndarray:
        """Meaning-class probabilities (N, C) for claims, batched and cached per claim."""
        if self.meaning is None or not claims:
            return np.zeros((len(claims), 0), dtype=np.float32)
        with self._lock:
            todo = list(dict.fromkeys(c for c in claims if (language, c) not in self._probs))
        if todo:
            probs = self.meaning.predict(todo, language)
            with self._lock:
                for c, p in zip(todo, probs, strict=True):
                    self._probs[(language, c)] = p
                while len(self._probs) > 100_000:
                    self._probs.popitem(last=False)
        with self._lock:
            return np.vstack([self._probs[(language, c)] for c in claims])

    def _meaning_views(self, claims: list[str], product: Product, language: str) -> list[str | None]:
        """Each claim with the product's own catalogue texts taken out (:func:`core.copy.claims.catalogue_view`)."""
        texts = self._catalogue_texts.get((product.id, language))
        if texts is None:
            texts = [*product.benefit_texts(language), product.headline_fact.get(language, "")]
            self._catalogue_texts[(product.id, language)] = texts
        names = [product.label(language), product.short(language), product.in_sentence(language)]
        return [catalogue_view(c, texts, names, language) for c in claims]

    def _meaning(self, claims: list[str], rules: list[Rule], language: str,
                 views: list[str | None] | None = None) -> list[Finding]:
        if not rules or not claims:
            return []
        if self.meaning is None:
            return [Finding("M0", "review", "Meaning check unavailable",
                            "The meaning classifiers could not load, so claims were not checked for paraphrased "
                            "violations; a reviewer must read this copy.", "bank policy")]
        views = list(claims) if views is None else views
        read = [(c, v) for c, v in zip(claims, views, strict=True) if v is not None]
        if not read:
            return []
        claims = [c for c, _ in read]
        probs = self.claim_probabilities(claims, language)  # (N, K): compliant first
        flag_below = self.meaning.flag_below(language)
        # a claim flagged only for the catalogue text it holds is not flagged: it must also read as a
        # violation without that text (the view), and then the view's class is the finding's
        shown = [(i, v) for i, (c, v) in enumerate(read) if v != c]
        if shown:
            masked = self.claim_probabilities([v for _, v in shown], language)
            for (i, _), pv in zip(shown, masked, strict=True):
                if probs[i][0] < flag_below:
                    probs[i] = pv
        labels = list(self.meaning.labels)
        by_class = {r.meaning: r for r in rules}
        out = []
        for claim, p in zip(claims, probs, strict=True):
            if p[0] >= flag_below:
                continue
            order = [k for k in np.argsort(-p[1:]) + 1 if labels[k] in by_class]
            if not order:
                continue
            k = order[0]
            rule = by_class[labels[k]]
            action = "block" if rule.action == "block" and p[k] >= rule.block_at else "review"
            out.append(Finding(rule.id, action, rule.title, rule.reason, rule.source, claim=claim,
                               detail=f"meaning classifier: {p[k]:.0%} {labels[k].replace('_', ' ')}, "
                                      f"{p[0]:.0%} compliant", score=round(float(p[k]), 4)))
        return out

    @staticmethod
    def _budget(final: str, chan: dict) -> tuple[dict, list[Finding]]:
        info: dict[str, Any] = {"segments": None, "encoding": None, "max_segments": None, "unit": "chars"}
        if "max_segments" in chan:
            sms = sms_mod.sms_length(final)
            max_seg = int(chan["max_segments"] if sms.encoding == "GSM-7" else chan.get("max_segments_ucs2",
                                                                                       chan["max_segments"]))
            info.update(segments=sms.segments, encoding=sms.encoding, max_segments=max_seg, unit="units",
                        length=sms.units, budget=sms_mod.max_units(max_seg, sms.encoding))
            over = sms.segments > max_seg
            detail = f"{sms.segments} {sms.encoding} segments; at most {max_seg} allowed"
        else:
            info.update(length=len(final), budget=int(chan["max_chars"]))
            over = len(final) > int(chan["max_chars"])
            detail = f"{len(final)} characters with disclosures; budget {chan['max_chars']}"
        findings = [Finding("B1", "block", "Over the channel's length budget",
                            "The copy with its required disclosures does not fit the channel.",
                            "channels.json (disclosures count against the budget)", detail=detail)] if over else []
        return info, findings

    # ---- the check ------------------------------------------------------------------------------
    def check(self, text: str, product: Product | str, channel: str, language: str = "en") -> Verdict:
        """The verdict on one variant of ``channel`` copy for ``product`` in ``language`` (cached: it is pure)."""
        if isinstance(product, str):
            product = self.catalogue.product(product)
        key = (text, product.id, channel, language)
        with self._lock:
            hit = self._verdicts.get(key)
        if hit is not None:
            return hit
        verdict = self._check(text, product, channel, language)
        with self._lock:
            self._verdicts[key] = verdict
            while len(self._verdicts) > 20_000:
                self._verdicts.popitem(last=False)
        return verdict

    def _prepare(self, text: str, product: Product, channel: str, language: str) -> _Prepared:
        """Steps 1-3 and the claims: what the meaning step needs, before it runs."""
        chan = self.catalogue.channel(channel)
        if language not in LANGUAGES:
            language = "en"
        force_gsm7 = bool(chan.get("force_gsm7"))
        rules = self._rules_for(product, channel)
        body, findings = self._soften(normalise(text, force_gsm7, language), rules["soften"], product, language,
                                      force_gsm7)
        findings += self._sanity(body, language, bool(findings))
        findings += self._block_rules(body, rules["block"], language)
        claims = [c.text for c in split_claims(body, language)]
        return _Prepared(text, product, channel, language, chan, rules, body, findings, claims,
                         self._meaning_views(claims, product, language))

    def _finish(self, p: _Prepared) -> Verdict:
        """Steps 4-7 on prepared copy (the meaning step reads the claim cache when check_many filled it)."""
        product, channel, language, chan, rules, body = p.product, p.channel, p.language, p.chan, p.rules, p.body
        findings = list(p.findings)
        claims = p.claims
        findings += self._ground(body, claims, product, language)
        findings += [Finding(f.rule_id, "review", f.title, f.reason, f.source, matched=f.matched)
                     for f in self._block_rules(body, rules["review"], language)]
        findings += self._meaning(claims, rules["meaning"], language, p.views)
        disclosures, more = required_disclosures(body, rules["append_disclosure"], product, channel, chan, language,
                                                 self._render)
        findings += more
        final = assemble(body, disclosures, chan, language)
        info, over = self._budget(final, chan)
        findings += over
        return Verdict(original=p.text, body=body, disclosures=tuple(disclosures), findings=tuple(findings),
                       final_text=final, length=int(info["length"]), budget=int(info["budget"]),
                       segments=info["segments"], encoding=info["encoding"], max_segments=info["max_segments"],
                       unit=info["unit"], claims=tuple(claims))

    def _check(self, text: str, product: Product, channel: str, language: str) -> Verdict:
        return self._finish(self._prepare(text, product, channel, language))

    def check_many(self, items: Sequence[tuple[str, Product | str, str, str]]) -> list[Verdict]:
        """Verdicts for many ``(text, product, channel, language)``.

        Every variant is softened and split into claims first, then the claims of all variants go
        through the meaning model in one batch per language (each distinct claim embedded once),
        then each verdict is finished. Verdicts already cached are not recomputed.
        """
        out: list[Verdict | None] = [None] * len(items)
        todo: dict[tuple[str, str, str, str], list[int]] = {}
        products: dict[tuple[str, str, str, str], Product] = {}
        with self._lock:
            for i, (text, product, channel, language) in enumerate(items):
                prod = self.catalogue.product(product) if isinstance(product, str) else product
                key = (text, prod.id, channel, language)
                hit = self._verdicts.get(key)
                if hit is not None:
                    out[i] = hit
                else:
                    todo.setdefault(key, []).append(i)
                    products[key] = prod
        prepared = {key: self._prepare(key[0], products[key], key[2], key[3]) for key in todo}
        by_lang: dict[str, list[str]] = {}
        for p in prepared.values():
            if p.claims and self.meaning is not None and p.rules["meaning"]:
                by_lang.setdefault(p.language, []).extend(
                    [*p.claims, *(v for c, v in zip(p.claims, p.views, strict=True) if v is not None and v != c)])
        for language, claims in by_lang.items():
            self.claim_probabilities(claims, language)
        for key, p in prepared.items():
            verdict = self._finish(p)
            with self._lock:
                self._verdicts[key] = verdict
            for i in todo[key]:
                out[i] = verdict
        with self._lock:
            while len(self._verdicts) > 20_000:
                self._verdicts.popitem(last=False)
        return [v for v in out if v is not None]


@dataclass(frozen=True)
class _Prepared:
    """A variant after softening, the sanity and block-rule steps, split into claims."""

    text: str
    product: Product
    channel: str
    language: str
    chan: dict
    rules: dict[str, list[Rule]]
    body: str
    findings: list[Finding]
    claims: list[str]
    views: list[str | None]  # each claim as the meaning classifiers read it (None: only catalogue text)


_engines: dict[tuple[str, str, bool], RuleEngine] = {}
_lock = threading.Lock()


def get_engine(rules_path: Path | str | None = None, assets_dir: Path | str | None = None,
               meaning: bool = True) -> RuleEngine:
    """The engine for a rule file and catalogue, built once per process (with the meaning model unless told not)."""
    key = (str(Path(rules_path or ASSETS_DIR / "rules.json").resolve()), str(Path(assets_dir or ASSETS_DIR).resolve()),
           meaning)
    with _lock:
        if key not in _engines:
            scorer = None
            if meaning:
                from core.copy.meaning.service import get_meaning_scorer

                try:
                    scorer = get_meaning_scorer()
                except StudioError:
                    scorer = None  # meaning rules then ask for review (M0): nothing passes unread
            _engines[key] = RuleEngine.from_files(rules_path, assets_dir, scorer)
        return _engines[key]


def _reset_for_tests() -> None:
    with _lock:
        _engines.clear()
