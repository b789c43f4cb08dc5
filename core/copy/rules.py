"""The compliance rule engine: every rendered variant passes through :meth:`RuleEngine.check`.

Rules are data (``assets/copy/rules.json``), edited by a compliance team: each has an id, the
products and channels it applies to, a trigger (regexes or keywords per language, or ``always``),
an action and a source. The engine runs, in order:

1. **soften** rules rewrite a phrase (``"guaranteed approval"`` -> ``"approval subject to credit
   review"``; urgency phrases are removed);
2. **block** rules reject the variant (``"risk-free"``, ``"no credit check"``, ``"free"`` when fees
   apply, ``"fixed"`` for a variable rate, an FDIC claim for a loan or an investment);
3. **number grounding**: any number the catalogue does not hold for the product blocks the variant;
4. **append_disclosure** rules add the required disclosures (the product's APR/APY terms, "Member
   FDIC", "Equal Housing Lender", SMS opt-out, the email footer), in the channel's form: the full
   text, a link to the terms (electronic ads), or a block when the channel cannot carry them;
5. the **length budget** of the channel is checked on the copy *with* its disclosures (SMS in
   GSM-7 / UCS-2 segments).

A variant passes when no finding blocks it. The engine is deterministic and pure: the same text,
product, channel and language always give the same verdict.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from core.copy import sms as sms_mod
from core.copy.catalogue import ASSETS_DIR, CHANNELS, LANGUAGES, Catalogue, Product, extract_numbers, get_catalogue
from core.errors import StudioError

ACTIONS = ("soften", "block", "append_disclosure")
_ENV = SandboxedEnvironment(autoescape=False)
_LABELLED_RATE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?%)\s*(?:\(|-)?\s*(intro(?:ductory)?\s+|promotional\s+)?(?:variable\s+|fixed\s+)?"
    r"(APR|APY|annual percentage rate|annual percentage yield)\b", re.IGNORECASE)


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
        combined = self._combined.get(language)
        if combined is None:
            pats = self.triggers(language)
            combined = re.compile("|".join(f"(?:{p.pattern})" for p in pats), re.IGNORECASE) if pats else False
            self._combined[language] = combined
        return combined.search(text) if combined else None

    def satisfied(self, text: str, language: str) -> bool:
        pats = self.unless_present.get(language, ()) + self.unless_present.get("*", ())
        return any(p.search(text) for p in pats)


@dataclass(frozen=True)
class Finding:
    """One thing the engine did or objected to, with its reason and source."""

    rule_id: str
    action: str  # soften, block, append_disclosure, or "info"
    title: str
    reason: str
    source: str
    matched: str = ""
    detail: str = ""

    @property
    def blocks(self) -> bool:
        return self.action == "block"

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Disclosure:
    text: str
    rule_ids: tuple[str, ...]
    position: str = "suffix"
    href: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Verdict:
    """The engine's decision on one variant."""

    original: str
    body: str  # the copy after softening (what the analyst edits)
    disclosures: tuple[Disclosure, ...]
    findings: tuple[Finding, ...]
    final_text: str  # body plus disclosures, as it will be sent
    length: int  # characters, or SMS units
    budget: int  # characters, or SMS units allowed
    segments: int | None = None  # SMS only
    encoding: str | None = None  # SMS only
    max_segments: int | None = None
    unit: str = "chars"
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not any(f.blocks for f in self.findings)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocks]

    @property
    def softened(self) -> list[Finding]:
        return [f for f in self.findings if f.action == "soften"]

    @property
    def over_budget(self) -> bool:
        return any(f.rule_id == "B1" for f in self.findings)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["passed"] = self.passed
        return d


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


def parse_rule(raw: dict) -> Rule:
    rid = str(raw.get("id") or "").strip()
    if not rid:
        raise RuleFileError("A rule in rules.json has no id.", "Give every rule a unique id.")
    action = raw.get("action")
    if action not in ACTIONS:
        raise RuleFileError(f"Rule {rid}: unknown action {action!r}.", f"Use one of: {', '.join(ACTIONS)}.")
    trig = raw.get("trigger") or {}
    always = bool(trig.get("always"))
    regex = trig.get("regex") or {}
    if isinstance(regex, list):
        regex = {"*": regex}
    kws = _keywords(trig.get("keywords"))
    merged: dict[str, list[str]] = {k: list(v) for k, v in regex.items()}
    for lang, pats in kws.items():
        merged.setdefault(lang, []).extend(pats)
    patterns = _compile_list(merged, rid)
    if not always and not patterns:
        raise RuleFileError(f"Rule {rid} has no trigger.", "Give it regex, keywords or always: true.")
    if action == "soften" and not raw.get("replacement") and raw.get("replacement") != {}:
        raise RuleFileError(f"Rule {rid} softens but has no replacement.", "Add replacement texts per language.")
    disclosure = raw.get("disclosure")
    if action == "append_disclosure":
        if not isinstance(disclosure, dict) or not ("product_key" in disclosure or "text" in disclosure):
            raise RuleFileError(f"Rule {rid} appends a disclosure but does not say which.",
                                "Give disclosure.product_key or disclosure.text.")
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
    return Rule(
        id=rid, title=str(raw.get("title", rid)), action=action, products=tuple(products), channels=channels,
        patterns=patterns, always=always, if_claim=tuple(raw.get("if_claim", ())),
        unless_claim=tuple(raw.get("unless_claim", ())),
        unless_present=_compile_list(raw.get("unless_present"), rid), replacement=dict(replacement),
        disclosure=disclosure, reason=str(raw.get("reason", "")), source=str(raw.get("source", "")),
    )


def load_rules(path: Path | str | None = None) -> tuple[list[Rule], str]:
    """Parse and validate the rule file; returns the rules and the file's version."""
    path = Path(path) if path else ASSETS_DIR / "rules.json"
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuleFileError(f"The rule file {path} cannot be read: {exc}", "Check that it is valid JSON.") from exc
    rules = [parse_rule(r) for r in raw.get("rules", [])]
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleFileError(f"Rule ids must be unique; repeated: {', '.join(dupes)}.", "Rename the duplicates.")
    return rules, str(raw.get("version", ""))


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _language_problem(body: str, language: str) -> str:
    """Why ``body`` is not written in ``language`` (empty when it is)."""
    letters = [c for c in body if c.isalpha()]
    cjk = len(_CJK.findall(body))
    if language == "zh" and cjk == 0:
        return "Simplified Chinese copy was requested but the text has no Chinese characters."
    if language == "en" and letters and cjk / len(letters) > 0.2:
        return "English copy was requested but the text is mostly in another script."
    return ""


# ---- text helpers -------------------------------------------------------------------------------
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?，。；：！？])")
_REPEATED_PUNCT = re.compile(r"([,.;:!?，。；：！？])(?:\s*[,.;:!?，。；：！？])+")


def tidy(text: str) -> str:
    """Clean up after a phrase was removed: spaces, orphan punctuation, capitalisation."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(lambda m: m.group(1) if m.group(1) not in ",，" else m.group(0)[-1], text)
    text = re.sub(r"^[\s,.;:!?，。；：！？-]+", "", text)
    text = re.sub(r"\(\s*\)", "", text).strip()
    if text and text[0].isalpha() and text[0].islower():
        text = text[0].upper() + text[1:]
    # capitalise after a sentence end
    return re.sub(r"([.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def normalise(text: str, force_gsm7: bool = False, language: str = "en") -> str:
    """Collapse whitespace; for SMS in English force the GSM-7 alphabet."""
    text = (text or "").replace("\r", "")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if force_gsm7 and language == "en":
        text = sms_mod.to_gsm7(text)
    return text


class RuleEngine:
    """Applies the rule file to variants for one catalogue."""

    def __init__(self, rules: list[Rule], catalogue: Catalogue, version: str = "") -> None:
        self.rules = rules
        self.catalogue = catalogue
        self.version = version
        self._by_action = {a: [r for r in rules if r.action == a] for a in ACTIONS}
        self._applicable: dict[tuple[str, str], dict[str, list[Rule]]] = {}
        self._render_cache: dict[tuple[str, str, str], str] = {}

    @classmethod
    def from_files(cls, rules_path: Path | str | None = None, assets_dir: Path | str | None = None) -> RuleEngine:
        rules, version = load_rules(rules_path)
        return cls(rules, get_catalogue(assets_dir), version)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def _rules_for(self, product: Product, channel: str) -> dict[str, list[Rule]]:
        key = (product.id, channel)
        if key not in self._applicable:
            self._applicable[key] = {a: [r for r in rs if r.applies(product, channel)] for a, rs in self._by_action.items()}
        return self._applicable[key]

    def _render(self, template: str, product: Product, language: str) -> str:
        key = (template, product.id, language)
        if key not in self._render_cache:
            ctx = {"bank": self.catalogue.bank.to_dict(), "product": product.to_dict(), "language": language}
            self._render_cache[key] = _ENV.from_string(template).render(**ctx).strip()
        return self._render_cache[key]

    @staticmethod
    def _soften(pat: re.Pattern, repl: str, body: str, product: Product) -> tuple[str, list[tuple[str, str]]]:
        """Apply one soften pattern; returns the new text and (matched, replacement) pairs."""
        done: list[tuple[str, str]] = []

        def sub(m: re.Match) -> str:
            template = repl
            if "{label}" in template:
                label = product.rate_label(m.group(1)) if m.groups() else None
                if label is None:  # not one of the catalogue's rates: leave it for grounding to judge
                    return m.group(0)
                template = template.replace("{label}", label)
            new = m.expand(template)
            if new != m.group(0):
                done.append((m.group(0), new))
            return new

        return pat.sub(sub, body), done

    # ---- the check ------------------------------------------------------------------------------
    def check(self, text: str, product: Product | str, channel: str, language: str = "en") -> Verdict:
        """The verdict on one variant of ``channel`` copy for ``product`` in ``language``."""
        if isinstance(product, str):
            product = self.catalogue.product(product)
        chan = self.catalogue.channel(channel)
        if language not in LANGUAGES:
            language = "en"
        force_gsm7 = bool(chan.get("force_gsm7"))
        body = normalise(text, force_gsm7, language)
        rules = self._rules_for(product, channel)
        findings: list[Finding] = []

        # 1. soften
        for rule in rules["soften"]:
            repl = rule.replacement.get(language, rule.replacement.get("*"))
            if repl is None:
                continue
            for pat in rule.triggers(language):
                body, matches = self._soften(pat, repl, body, product)
                if not matches:
                    continue
                findings.append(Finding(rule.id, "soften", rule.title, rule.reason, rule.source,
                                        matched="; ".join(dict.fromkeys(m for m, _ in matches)),
                                        detail="removed" if not repl else
                                        "; ".join(dict.fromkeys(f"{m!r} -> {r!r}" for m, r in matches))))
        if any(f.action == "soften" for f in findings):
            body = normalise(tidy(body), force_gsm7, language)

        if not body.strip():
            findings.append(Finding("E0", "block", "Empty copy", "There is no copy left to send.", "engine"))
        else:
            lang_problem = _language_problem(body, language)
            if lang_problem:
                findings.append(Finding("L1", "block", "Wrong language", lang_problem,
                                        "12 CFR 1026.24(i)(7) (disclosures in the ad's language); bank policy"))

        # 2. block
        for rule in rules["block"]:
            if rule.satisfied(body, language):
                continue
            m = rule.search(body, language)
            if m:
                findings.append(Finding(rule.id, "block", rule.title, rule.reason, rule.source, matched=m.group(0)))

        # 3. number grounding
        allowed = product.allowed_numbers()
        ungrounded = [n.text for n in extract_numbers(body) if n.key not in allowed]
        if ungrounded:
            findings.append(Finding(
                "G1", "block", "Number not in the catalogue",
                "Every rate, fee, amount and number must come from the product catalogue; the copy states "
                "numbers the catalogue does not hold for this product.", "12 CFR 1026.16(a), 1026.24(a) (only "
                "terms actually available); bank grounding policy", matched=", ".join(dict.fromkeys(ungrounded))))

        # 3b. rates labelled as something the catalogue says they are not (e.g. an interest rate called an APR)
        if product.rate_labels:
            for m in _LABELLED_RATE.finditer(body):
                label = product.rate_label(m.group(1))
                said = m.group(3).upper()
                said = "APR" if said.startswith("ANNUAL PERCENTAGE R") else "APY" if said.startswith("ANNUAL") else said
                head = (label or "").split(" (")[0].lower()
                intro_said = bool(m.group(2))
                if label is None or said.lower() not in head or intro_said != ("intro" in head):
                    findings.append(Finding(
                        "G2", "block", "Rate mislabelled",
                        f"The catalogue does not give {m.group(1)} as {'an intro ' if intro_said else 'an '}{said}"
                        + (f" (it is the {label})." if label else "."), "12 CFR 1026.24(c), 1026.16(g); 12 CFR 1030.8(b)",
                        matched=m.group(0)))
                    break

        # 4. disclosures
        mode = chan.get("disclosure_mode", "full")
        disclosures: dict[str, Disclosure] = {}
        order: list[str] = []
        for rule in rules["append_disclosure"]:
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
                    text, dkey = product.disclosure(key, language), key
            else:
                tmpl = (spec.get("text") or {}).get(language)
                if tmpl is None:
                    findings.append(Finding(
                        rule.id, "block", rule.title,
                        f"The rule has no {language} disclosure text; disclosures must be in the ad's language.",
                        rule.source, matched=matched))
                    continue
                text, dkey = self._render(tmpl, product, language), f"{rule.id}:{tmpl}"
            if dkey in disclosures:
                d = disclosures[dkey]
                disclosures[dkey] = Disclosure(d.text, d.rule_ids + (rule.id,), d.position, d.href)
            else:
                disclosures[dkey] = Disclosure(text, (rule.id,), position, href)
                order.append(dkey)
            findings.append(Finding(rule.id, "append_disclosure", rule.title, rule.reason, rule.source,
                                    matched=matched, detail=text))

        ordered = [disclosures[k] for k in order]
        prefix = " ".join(d.text for d in ordered if d.position == "prefix")
        suffix = [d.text for d in ordered if d.position != "prefix"]
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
        final = normalise(final, force_gsm7, language) if joiner == " " else final.strip()

        # 5. budget
        segments = encoding = max_seg = None
        unit = "chars"
        if "max_segments" in chan:
            info = sms_mod.sms_length(final)
            encoding, segments = info.encoding, info.segments
            max_seg = int(chan["max_segments"] if info.encoding == "GSM-7" else chan.get("max_segments_ucs2", chan["max_segments"]))
            length, budget, unit = info.units, sms_mod.max_units(max_seg, info.encoding), "units"
            over = info.segments > max_seg
            detail = f"{info.segments} {info.encoding} segments; at most {max_seg} allowed"
        else:
            length, budget = len(final), int(chan["max_chars"])
            over = length > budget
            detail = f"{length} characters with disclosures; budget {budget}"
        if over:
            findings.append(Finding("B1", "block", "Over the channel's length budget",
                                    "The copy with its required disclosures does not fit the channel.",
                                    "channels.json (disclosures count against the budget)", detail=detail))
        return Verdict(original=text, body=body, disclosures=tuple(ordered), findings=tuple(findings),
                       final_text=final, length=length, budget=budget, segments=segments, encoding=encoding,
                       max_segments=max_seg, unit=unit)


_engines: dict[tuple[str, str], RuleEngine] = {}
_lock = threading.Lock()


def get_engine(rules_path: Path | str | None = None, assets_dir: Path | str | None = None) -> RuleEngine:
    """The engine for a rule file and catalogue, built once per process."""
    key = (str(Path(rules_path or ASSETS_DIR / "rules.json").resolve()), str(Path(assets_dir or ASSETS_DIR).resolve()))
    with _lock:
        if key not in _engines:
            _engines[key] = RuleEngine.from_files(rules_path, assets_dir)
        return _engines[key]


_TERMINAL = (".", "!", "?", ":", ";", "。", "！", "？", "：", "；", ")", "）")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


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
