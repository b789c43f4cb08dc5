"""SMS length in GSM-7 / UCS-2 segments (3GPP TS 23.038, GSM 03.38).

A message that uses only the GSM-7 default alphabet (plus its extension table, whose characters
cost two septets: an escape and the character) is sent in 7-bit encoding: 160 septets fit one
segment, and concatenated messages carry 153 septets per segment (the rest is the user-data
header). One character outside GSM-7 (an emoji, a curly quote, a Chinese character) switches the
whole message to UCS-2: 70 UTF-16 code units in one segment, 67 per segment when concatenated. An
escape pair or a surrogate pair is never split across two segments, as handsets do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# GSM 03.38 default alphabet (basic character set), in table order.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (ESC + char).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

# Characters that commonly slip into copy and silently switch a text to UCS-2, with GSM-7 stand-ins.
_TO_GSM7 = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u200b": "",
    "\u2022": "-", "\u00b7": "-", "\t": " ", "\u00ae": "", "\u2122": "", "\u00a9": "",
    "\u00e1": "a", "\u00ed": "i", "\u00f3": "o", "\u00fa": "u", "\u00e2": "a", "\u00ea": "e",
    "\u00ee": "i", "\u00f4": "o", "\u00fb": "u", "\u00eb": "e", "\u00ef": "i", "\u00e7": "c",
    "\u00c1": "A", "\u00cd": "I", "\u00d3": "O", "\u00da": "U", "\u00e3": "a", "\u00f5": "o",
}
_EMOJI_ETC = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d\U000e0000-\U000e007f]")


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM-7 default alphabet or its extension."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def to_gsm7(text: str) -> str:
    """Replace curly quotes, dashes, ellipses and emoji so an English text stays in GSM-7.

    Characters with no stand-in are dropped, so the result is always GSM-7.
    """
    text = _EMOJI_ETC.sub("", text)
    out = []
    for ch in text:
        ch = _TO_GSM7.get(ch, ch)
        out.append("".join(c for c in ch if c in GSM7_BASIC or c in GSM7_EXTENDED))
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _costs(text: str) -> tuple[str, list[int]]:
    if is_gsm7(text):
        return "GSM-7", [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    # UTF-16 code units: characters outside the BMP (most emoji) take a surrogate pair.
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


@dataclass(frozen=True)
class SmsLength:
    """How an SMS will be sent."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of one segment at this length (160/153 or 70/67)
    remaining: int  # units left in the last segment

    def to_dict(self) -> dict:
        return {"encoding": self.encoding, "units": self.units, "segments": self.segments,
                "per_segment": self.per_segment, "remaining": self.remaining}


def sms_length(text: str) -> SmsLength:
    """Encoding, length and number of segments of ``text`` as an SMS."""
    encoding, costs = _costs(text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    units = sum(costs)
    if units == 0:
        return SmsLength(encoding, 0, 0, single, single)
    if units <= single:
        return SmsLength(encoding, units, 1, single, single - units)
    # Greedy packing: an escape pair or surrogate pair (cost 2) never straddles two segments.
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return SmsLength(encoding, units, segments, multi, multi - used)


def max_units(segments: int, encoding: str) -> int:
    """Most units that fit in ``segments`` segments (ignoring pair alignment)."""
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    return single if segments <= 1 else multi * segments
