"""The product-terms catalogue: the only source of rates, fees, terms and numbers in copy.

``assets/copy/products.json`` holds the bank (name, address, NMLS id) and its products with their
facts, benefits, claims (which marketing claims are true: no annual fee, intro offer, bonus,
fixed rate, ...) and disclosures in each supported language. ``assets/copy/channels.json`` holds
the channels' length budgets, the tones and the languages.

Grounding: :func:`extract_numbers` finds every number in a text (as a kind, ``percent``, ``money``,
``multiplier`` or ``plain``, and a value); :meth:`Product.allowed_numbers` is every number the catalogue states
for that product or the bank. Copy that contains any other number is blocked.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.assets import asset_path
from core.errors import InputError, StudioError

ASSETS_DIR = asset_path("copy")
LANGUAGES = ("en", "zh")
CHANNELS = ("email_subject", "email_body", "sms", "push", "banner")

# A number, optionally with a currency sign before or a percent / thousands suffix after. The
# look-behind is ASCII-only on purpose: in Chinese text a number follows a CJK character directly.
_NUMBER_RE = re.compile(
    r"(?<![A-Za-z0-9.])(?P<cur>[$£€¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?P<suffix>\s?%|\s?(?:percent|per cent)\b|[kK]\b|[xX]\b)?"
)


@dataclass(frozen=True, order=True)
class Number:
    """A number as it appears in copy: kind (percent, money, plain) and normalised value."""

    kind: str
    value: Decimal
    text: str = field(compare=False, default="")

    @property
    def key(self) -> tuple[str, Decimal]:
        return (self.kind, self.value)


def extract_numbers(text: str) -> list[Number]:
    """Every number in ``text``, normalised (``$1,000`` -> money 1000; ``4.10%`` -> percent 4.1)."""
    return [n for n, _, _ in locate_numbers(text)]


def locate_numbers(text: str) -> list[tuple[Number, int, int]]:
    """Every number in ``text`` with its span (start, end)."""
    out = []
    for m in _NUMBER_RE.finditer(text or ""):
        raw = m.group("num").replace(",", "") + (m.group("dec") or "")
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the regex only matches digits
            continue
        suffix = (m.group("suffix") or "").strip().lower()
        if suffix == "k":
            value *= 1000
        if suffix in ("%", "percent", "per cent"):
            kind = "percent"
        elif suffix == "x":
            kind = "multiplier"  # "3x points" is not grounded by "3 months"
        elif m.group("cur"):
            kind = "money"
        else:
            kind = "plain"
        value = value.normalize()
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
        raw_text = m.group(0)
        lead = len(raw_text) - len(raw_text.lstrip())
        out.append((Number(kind, value, raw_text.strip()), m.start() + lead, m.start() + len(raw_text.rstrip())))
    return out


def _strings(obj: Any) -> list[str]:
    """All strings inside a nested JSON value."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in _strings(v)]
    return []


@dataclass(frozen=True)
class Bank:
    name: str
    url: str
    postal_address: str
    nmls_id: str
    unsubscribe_url: str
    sms_program: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Product:
    """One product of the catalogue."""

    id: str
    name: dict[str, str]
    kind: str
    credit: str | None  # "open_end", "closed_end" or None
    deposit: bool
    dwelling_secured: bool
    investment: bool
    terms_url: str
    facts: dict[str, str]
    headline_fact: dict[str, str]
    benefits: tuple[dict, ...]
    claims: dict[str, bool]
    disclosures: dict[str, dict[str, str]]
    extra_numbers: tuple[str, ...] = ()
    short_name: dict = field(default_factory=dict)  # plain name for subjects and headlines
    name_in_sentence: dict = field(default_factory=dict)  # "the Everyday Cash Rewards Card"
    rate_labels: dict = field(default_factory=dict)  # percent value (Decimal) -> label, e.g. "variable APR"
    _allowed: frozenset = field(default=frozenset(), compare=False, repr=False)

    def label(self, language: str = "en") -> str:
        return self.name.get(language) or self.name["en"]

    def short(self, language: str = "en") -> str:
        return self.short_name.get(language) or self.short_name.get("en") or self.label(language)

    def in_sentence(self, language: str = "en") -> str:
        return self.name_in_sentence.get(language) or self.label(language)

    def claim(self, name: str) -> bool:
        return bool(self.claims.get(name, False))

    def benefit_texts(self, language: str = "en") -> list[str]:
        return [b.get(language) or b["en"] for b in self.benefits]

    def disclosure(self, key: str, language: str) -> str | None:
        """A disclosure text in ``language`` (None when the catalogue lacks it)."""
        return (self.disclosures.get(key) or {}).get(language)

    def selectors(self) -> set[str]:
        """The names rules use to pick products (see ``rules.json``)."""
        tags = {"*", self.id, f"kind:{self.kind}"}
        if self.credit:
            tags |= {"credit", f"credit:{self.credit}"}
        if self.deposit:
            tags.add("deposit")
        if self.dwelling_secured:
            tags.add("dwelling_secured")
        if self.investment:
            tags.add("investment")
        return tags

    def rate_label(self, rate_text: str) -> str | None:
        """How the catalogue labels a rate such as ``"8.99%"`` (None when it is not one of its rates)."""
        nums = extract_numbers(rate_text if "%" in rate_text else rate_text + "%")
        return self.rate_labels.get(nums[0].value) if nums else None

    def allowed_numbers(self) -> frozenset:
        return self._allowed

    def facts_for_prompt(self, language: str = "en") -> list[str]:
        """Product facts a prompt may show (already public terms, no customer data)."""
        return list(self.facts.values()) if language == "en" else self.benefit_texts(language)

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        d["benefits"] = list(self.benefits)
        return d


@dataclass(frozen=True)
class Catalogue:
    """The bank, its products, channels, tones and languages."""

    bank: Bank
    products: dict[str, Product]
    channels: dict[str, dict]
    tones: dict[str, dict[str, str]]
    languages: dict[str, str]
    as_of: str
    fingerprint: str

    def product(self, product_id: str) -> Product:
        try:
            return self.products[product_id]
        except KeyError:
            known = ", ".join(sorted(self.products))
            raise InputError(f"'{product_id}' is not a product in the catalogue.",
                             f"Pick one of: {known}; or add it to assets/copy/products.json.") from None

    def channel(self, channel: str) -> dict:
        try:
            return self.channels[channel]
        except KeyError:
            raise InputError(f"'{channel}' is not a channel.", f"Pick one of: {', '.join(self.channels)}.") from None

    def product_labels(self, language: str = "en") -> dict[str, str]:
        return {pid: p.label(language) for pid, p in self.products.items()}


def _bank_numbers(bank_raw: dict, as_of: str) -> set[str]:
    return set(_strings(bank_raw)) | {as_of}


def _build_product(raw: dict, bank_strings: set[str], rule_strings: list[str]) -> Product:
    required = ("id", "name", "kind", "facts", "benefits", "claims", "disclosures", "terms_url")
    missing = [k for k in required if k not in raw]
    if missing:
        raise StudioError(f"Product '{raw.get('id', '?')}' in products.json lacks: {', '.join(missing)}.",
                          "Fix assets/copy/products.json.")
    texts = _strings({k: raw[k] for k in ("name", "facts", "headline_fact", "benefits", "disclosures", "terms_url")
                      if k in raw}) + list(raw.get("extra_numbers", [])) + list(bank_strings) + rule_strings
    allowed = frozenset(n.key for t in texts for n in extract_numbers(t))
    return Product(
        id=raw["id"], name=dict(raw["name"]), kind=raw["kind"], credit=raw.get("credit"),
        deposit=bool(raw.get("deposit")), dwelling_secured=bool(raw.get("dwelling_secured")),
        investment=bool(raw.get("investment")), terms_url=raw["terms_url"], facts=dict(raw["facts"]),
        headline_fact=dict(raw.get("headline_fact") or {"en": raw["name"]["en"]}),
        benefits=tuple(raw["benefits"]), claims=dict(raw["claims"]), disclosures=dict(raw["disclosures"]),
        extra_numbers=tuple(raw.get("extra_numbers", [])), _allowed=allowed,
        short_name=dict(raw.get("short_name") or {}),
        name_in_sentence=dict(raw.get("name_in_sentence") or {}),
        rate_labels={extract_numbers(k)[0].value: str(v) for k, v in (raw.get("rate_labels") or {}).items()
                     if extract_numbers(k)},
    )


def _fingerprint(*payloads: bytes) -> str:
    import hashlib

    h = hashlib.sha256()
    for p in payloads:
        h.update(p)
    return h.hexdigest()[:16]


def load_catalogue(assets_dir: Path | str | None = None) -> Catalogue:
    """Read and validate the catalogue and channels from ``assets_dir`` (default ``assets/copy``)."""
    folder = Path(assets_dir) if assets_dir else ASSETS_DIR
    try:
        prod_bytes = (folder / "products.json").read_bytes()
        chan_bytes = (folder / "channels.json").read_bytes()
        rules_bytes = (folder / "rules.json").read_bytes() if (folder / "rules.json").exists() else b"{}"
        raw = json.loads(prod_bytes)
        chan = json.loads(chan_bytes)
        rules_raw = json.loads(rules_bytes)
    except (OSError, ValueError) as exc:
        raise StudioError(f"The product catalogue in {folder} cannot be read: {exc}",
                          "Check that assets/copy/products.json and channels.json are valid JSON.") from exc
    bank_raw = raw.get("bank") or {}
    try:
        bank = Bank(**{k: str(bank_raw[k]) for k in Bank.__dataclass_fields__})
    except KeyError as exc:
        raise StudioError(f"The bank entry of products.json lacks {exc}.", "Fix assets/copy/products.json.") from exc
    as_of = str(raw.get("as_of", ""))
    # Fixed disclosure texts in rules (opt-out phone numbers, "10 business days") are catalogue text too.
    rule_strings = [s for r in rules_raw.get("rules", []) for s in _strings((r.get("disclosure") or {}).get("text", {}))]
    bank_strings = _bank_numbers(bank_raw, as_of)
    products = {}
    for p in raw.get("products", []):
        prod = _build_product(p, bank_strings, rule_strings)
        if prod.id in products:
            raise StudioError(f"Product id '{prod.id}' appears twice in products.json.", "Make product ids unique.")
        products[prod.id] = prod
    if not products:
        raise StudioError("The product catalogue is empty.", "Add products to assets/copy/products.json.")
    channels = chan.get("channels") or {}
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise StudioError(f"Unknown channels in channels.json: {', '.join(sorted(unknown))}.",
                          f"Channels are: {', '.join(CHANNELS)}.")
    return Catalogue(bank=bank, products=products, channels=channels, tones=dict(chan.get("tones") or {}),
                     languages=dict(chan.get("languages") or {"en": "English"}), as_of=as_of,
                     fingerprint=_fingerprint(prod_bytes, chan_bytes))


_cache: dict[Path, Catalogue] = {}
_lock = threading.Lock()


def get_catalogue(assets_dir: Path | str | None = None) -> Catalogue:
    """The catalogue, read once per process and folder."""
    key = Path(assets_dir or ASSETS_DIR).resolve()
    with _lock:
        if key not in _cache:
            _cache[key] = load_catalogue(key)
        return _cache[key]
