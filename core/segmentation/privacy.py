"""Nothing personal leaves a segmentation in words: names and traits are scrubbed before they travel.

A segment name is typed by the analyst and goes to the copy page, the report and the CLI. If it
holds a customer's e-mail, phone or card number, an IBAN, a long run of digits, a customer id or a
value of one of the dataset's PII columns (a person's name), that part is replaced by
:data:`REDACTED` in the brief that reaches a prompt.
"""

from __future__ import annotations

import re

import pandas as pd

from core.data.dataset import Dataset

REDACTED = "[personal data removed]"
_PATTERNS = (
    re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.I),  # e-mail
    re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b"),  # IBAN
    re.compile(r"(?<!\w)\+?\d[\d\s().-]{7,}\d(?!\w)"),  # phone, card and account numbers
    re.compile(r"\b\d{6,}\b"),  # any long run of digits
)
_MAX_VALUES = 200_000


class PersonalData:
    """The personal values of one dataset (ids and PII columns), to find them in free text."""

    def __init__(self, dataset: Dataset | None) -> None:
        self.values: set[str] = set()
        self.longest = 1
        if dataset is None:
            return
        cols = list(dataset.schema.pii)
        if dataset.schema.id_column:
            cols.append(dataset.schema.id_column)
        for c in cols:
            s = dataset.frame[c].dropna()
            if len(s) > _MAX_VALUES:
                s = s.sample(_MAX_VALUES, random_state=0)
            vals = pd.unique(s.astype(str).str.strip().str.lower())
            for v in vals:
                if len(v) >= 3:
                    self.values.add(v)
                    self.longest = max(self.longest, len(v.split()))

    def scrub(self, text: str) -> str:
        """``text`` with personal data replaced by :data:`REDACTED`."""
        out = str(text)
        for rx in _PATTERNS:
            out = rx.sub(REDACTED, out)
        if not self.values:
            return out
        words = re.findall(r"\S+", out)
        hits: list[str] = []
        for n in range(min(self.longest, 4), 0, -1):
            for i in range(len(words) - n + 1):
                gram = " ".join(words[i:i + n])
                key = gram.strip(".,;:!?'\"()[]").lower()
                if key in self.values:
                    hits.append(gram.strip(".,;:!?'\"()[]"))
        for h in sorted(set(hits), key=len, reverse=True):
            out = re.sub(re.escape(h), REDACTED, out, flags=re.I)
        return out
