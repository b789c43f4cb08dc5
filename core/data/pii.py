"""Personal data recognised by name and by value, wherever it hides.

A column named ``col_7``, ``ref`` or ``notes`` can hold names, IBANs or card numbers. Each check
here reads the values: emails, phone numbers, US social security numbers, card numbers (Luhn),
IBANs (ISO 13616 mod-97 checksum), person names (given/family name lists and capitalisation),
postcodes (US ZIP and ZIP+4, UK, Canadian, Dutch; 5-digit codes only as text with leading zeros
or under a postcode-like name), street addresses, dates of birth (a date named like a birth
date, or dates whose implied ages all fall between 18 and 100), and PII inside free text.
Account numbers (unique fixed-length digit codes) are told from the customer id by the inference,
which sees every column. A flagged column gets the role ``pii``: never a model feature, never in
a prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from core.data.columns import ColumnRead
from core.data.naming import matches
from core.data.parse import distinct_text

_PII_NAME = re.compile(
    r"(^|_)(first_?name|last_?name|given_?name|family_?name|sur_?name|surname|forename|full_?name|middle_?name|"
    r"maiden_?name|email|e_?mail|email_?address|phone|mobile|cell|telephone_?number|tel|phone_?number|fax|"
    r"ssn|social_security|sin|nino|national_?insurance|national_?id|passport|driver_?licen[cs]e|tax_?id|tin|"
    r"iban|bban|account_?(no|num|nbr|number)|acct_?(no|num|nbr|number)|card_?(no|num|number)|pan|cvv|"
    r"address|street|street_?address|home_?address|address_?line_?\d*|post_?code|postal_?code|zip|zip_?code|"
    r"dob|date_?of_?birth|birth_?date|birthday|ip_?address)($|_)|"
    r"^(customer|client|applicant|borrower|holder|account_?holder|card_?holder|contact|person|member|spouse|"
    r"mother|father|guarantor)_?name$|^name$", re.I)
# names that mention personal data without holding it ("time_at_address", "email_opt_in", "n_phone_calls")
_NOT_PII_NAME = re.compile(
    r"(time|years?|yrs|months?|since|duration|length|type|changes?|count|num|n|no_of|has|is|same|verified|valid|"
    r"opt_?in|opt_?out|consent|provided|missing|flag)_(at_|of_)?(current_|home_)?(address|email|phone|mobile|name)|"
    r"(address|email|phone|mobile|name)_(years?|months?|since|type|changes?|count|verified|valid|opt_?in|opt_?out|"
    r"consent|provided|flag|domain_type|length|match)($|_)")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_EMAIL_IN = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"^(\+\d{1,3}[\s.-]?)?(\(\d{2,5}\)[\s.-]?)?\d{2,5}([\s.-]\d{2,5}){1,4}$|^\+\d{8,15}$|^0\d{9,10}$")
_PHONE_IN = re.compile(r"(?<![\w.])(\+\d{1,3}[\s.-]?\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}|\(\d{3}\)\s?\d{3}-\d{4})(?![\w])")
_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_SSN_IN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_IBAN_IN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")
_CARD_IN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_POSTCODES = (
    ("a UK postcode", re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$", re.I)),
    ("a US ZIP+4 code", re.compile(r"^\d{5}-\d{4}$")),
    ("a Canadian postal code", re.compile(r"^[A-Z]\d[A-Z]\s?\d[A-Z]\d$", re.I)),
    ("a Dutch postcode", re.compile(r"^\d{4}\s?[A-Z]{2}$")),
)
_FIVE_DIGITS = re.compile(r"^\d{5}$")
_POSTCODE_NAME = re.compile(r"(^|_)(zip|zip_?code|zipcode|post_?code|postal_?code|plz|cap|postcode)($|_)", re.I)
_ADDRESS = re.compile(
    r"^\d+[A-Za-z]?,?\s+(\w+\s+){0,4}(street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|"
    r"place|pl|close|crescent|terrace|square|sq|parkway|pkwy|highway|hwy|strasse|straße|weg|gasse|rue|via|calle)"
    r"\b", re.I)
_BIRTH_NAME = re.compile(r"(^|_)(dob|birth|born|birthday|birth_?date|date_?of_?birth)($|_)", re.I)
_CAPITALISED = re.compile(r"^[A-Z][a-z'’-]+(?:[ -][A-Z][a-z'’-]+){0,3}$|^[A-Z][a-z'-]+,\s?[A-Z][a-z'-]+$")
_SAMPLE = 2000


@dataclass(frozen=True)
class PiiFinding:
    """Why a column is personal data: what it holds (``kind``) and the evidence."""

    kind: str
    evidence: str


@lru_cache(maxsize=1)
def person_names() -> tuple[frozenset[str], frozenset[str]]:
    """The given names and family names that person-name detection knows (from ``assets/data``)."""
    from core.assets import read_text

    first: set[str] = set()
    last: set[str] = set()
    target = first
    for line in read_text("data", "person_names.txt").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line in ("[first]", "[last]"):
            target = first if line == "[first]" else last
            continue
        target.update(w.lower() for w in line.split())
    return frozenset(first), frozenset(last)


def luhn_ok(digits: str) -> bool:
    """The Luhn check every payment card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    s = re.sub(r"\s", "", text).upper()
    if not _IBAN.match(s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _share(sample: pd.Series, test) -> float:
    return float(sample.map(test).mean()) if len(sample) else 0.0


def _text_sample(r: ColumnRead) -> pd.Series:
    """Up to 2,000 distinct values of the column as stripped text (integral numbers without '.0')."""
    if r.dist is not None:
        text = r.dist.text
        return text.sample(_SAMPLE, random_state=0) if len(text) > _SAMPLE else text
    values = r.values
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        if not (present % 1 == 0).all():
            return pd.Series([], dtype=object)
        values = present.astype("int64")
    text = distinct_text(values).text
    return text.sample(_SAMPLE, random_state=0) if len(text) > _SAMPLE else text


def _person_names(sample: pd.Series) -> float:
    first, last = person_names()
    shaped = sample.str.fullmatch(_CAPITALISED)
    if shaped.mean() < 0.6:
        return 0.0
    words = sample[shaped].str.lower().str.replace(",", " ", regex=False).str.split(r"[\s-]+", regex=True)
    known = words.map(lambda ws: any(w in first or w in last for w in ws))
    return float(known.sum() / len(sample))


def _date_of_birth(name: str, r: ColumnRead) -> PiiFinding | None:
    dates = r.values.dropna()
    if dates.empty:
        return None
    if matches(_BIRTH_NAME, name):
        return PiiFinding("date of birth", f"a date column named '{name}'")
    ages = (pd.Timestamp.today().normalize() - dates).dt.days / 365.25
    if len(dates) >= 20 and ages.between(18, 100).mean() >= 0.95 and ages.std() >= 5:
        return PiiFinding("date of birth", f"every date implies an age between 18 and 100 "
                                           f"({ages.min():.0f} to {ages.max():.0f} years ago)")
    return None


def _card_in(text: str) -> bool:
    for m in _CARD_IN.findall(text):
        d = re.sub(r"\D", "", m)
        if 13 <= len(d) <= 19 and luhn_ok(d):
            return True
    return False


_TEXT_CHECKS = (
    ("emails", lambda t: bool(_EMAIL_IN.search(t))),
    ("phone numbers", lambda t: bool(_PHONE_IN.search(t))),
    ("social security numbers", lambda t: bool(_SSN_IN.search(t))),
    ("IBANs", lambda t: any(iban_ok(m) for m in _IBAN_IN.findall(t.upper()))),
    ("card numbers", _card_in),
)


def _in_text(sample: pd.Series) -> PiiFinding | None:
    """Emails, phones, SSNs, IBANs or card numbers inside free text (notes, comments)."""
    for kind, test in _TEXT_CHECKS:
        hits = int(sample.map(test).sum())
        if hits >= 3 or (hits and hits >= 0.02 * len(sample)):
            return PiiFinding(f"{kind} in free text", f"{hits} of {len(sample):,} sampled values contain {kind}")
    return None


def _by_value(name: str, r: ColumnRead) -> PiiFinding | None:
    if r.kind == "date":
        return _date_of_birth(name, r)
    if r.kind in ("empty", "constant", "bool"):
        return None
    sample = _text_sample(r)
    if sample.empty:
        return None
    digits = sample.str.replace(r"[\s-]", "", regex=True)
    if r.kind in ("text", "code"):
        if _share(sample, lambda t: bool(_EMAIL.match(t))) >= 0.8:
            return PiiFinding("email addresses", "the values are email addresses")
        if _share(sample, lambda t: bool(_SSN.match(t))) >= 0.8:
            return PiiFinding("social security numbers", "the values have the ddd-dd-dddd shape of a US SSN")
        if _share(sample, iban_ok) >= 0.8:
            return PiiFinding("IBANs", "the values are IBANs with a valid mod-97 checksum")
        for kind, rx in _POSTCODES:
            if sample.str.fullmatch(rx).mean() >= 0.8:
                return PiiFinding("postcodes", f"the values are shaped like {kind}")
        if r.kind == "code" and sample.str.fullmatch(_FIVE_DIGITS).mean() >= 0.9:
            return PiiFinding("postcodes", "5-digit codes kept with their leading zeros, as ZIP codes are")
        if _share(sample, lambda t: bool(_PHONE.match(t))) >= 0.8 and (digits.str.len() >= 9).mean() >= 0.8:
            return PiiFinding("phone numbers", "the values are shaped like phone numbers")
        share = _person_names(sample)
        if share >= 0.5:
            return PiiFinding("person names", f"{share:.0%} of the sampled values are capitalised words holding "
                                              "known given or family names")
        if sample.str.fullmatch(_ADDRESS).mean() >= 0.6 or sample.str.match(_ADDRESS).mean() >= 0.6:
            return PiiFinding("street addresses", "the values are street addresses (a number and a street word)")
        if sample.str.len().mean() > 15 and sample.str.contains(" ", regex=False).mean() >= 0.5:
            found = _in_text(sample)
            if found is not None:
                return found
    if matches(_POSTCODE_NAME, name) and sample.str.fullmatch(_FIVE_DIGITS).mean() >= 0.9:
        return PiiFinding("postcodes", f"5-digit codes under the name '{name}'")
    if bool(digits.str.fullmatch(r"\d+").all()) and digits.str.len().between(13, 19).mean() >= 0.95 \
            and digits.map(luhn_ok).mean() >= 0.9:
        return PiiFinding("card numbers", "13-19 digit numbers that pass the Luhn check of card numbers")
    return None


def detect_pii(name: str, r: ColumnRead) -> PiiFinding | None:
    """Whether a column is personal data (see the module docstring), with the evidence.

    The values are read first (they say what kind of personal data it is); a name that says
    personal data is enough on its own.
    """
    found = _by_value(name, r)
    if found is not None:
        return found
    if matches(_PII_NAME, name) and not matches(_NOT_PII_NAME, name):
        return PiiFinding("the name says so", f"the name '{name}' says personal data")
    return None


def contains_pii(text: str) -> list[str]:
    """What kinds of personal data a piece of text carries (emails, phones, SSNs, IBANs, card numbers)."""
    return [kind for kind, test in _TEXT_CHECKS if test(text)]
