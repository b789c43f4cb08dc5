"""Identifiers: recognised by uniqueness and shape, whatever their order.

A customer number is rarely ``1..n``: ``768805383``, ``C10001``, a UUID, a hash or ``000123``.
:func:`check_id` reads a column's uniqueness, cardinality, name and shape and says whether it is an
identifier, an identifier that repeats (partly duplicated ids: neither an id nor a feature), or
neither, with the evidence. A column that is an identifier never becomes a model feature without
the analyst being told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from core.data.naming import matches, snake

_ID_NAME = re.compile(
    r"(^|_)(id|ids|uuid|guid|key|pk|identifier|ident|ref|ref_?no|reference_?(no|number)?|record_?no)($|_)|"
    r"^(cust|customer|client|member|borrower|applicant|application|app|loan|contract|case|party|person|user|"
    r"account|acct|obligor|debtor|deal|facility|record|row|sk)_?(id|no|num|nbr|number|code|key|ref)$|"
    r"^(clientnum|custno|customerno|customernumber|clientnumber|membernumber|loannumber|seqn)$|"
    # German, French, Spanish, Dutch, Italian exports: Kundennummer, Kd-Nr, numéro client, id_cliente, klantnummer
    r"^(kunden|kd|konto|vertrag|kredit|klant|rekening|cliente?|compte|contrat|contrato|conto|pratica)_?"
    r"(nr|nummer|no|num|numero|número|id|code|codigo|código)$|"
    r"^(nr|no|num|numero|número|n|id|code|codigo|código)_(client|cliente|kunde|compte|contrat|contrato|dossier|pratica)$")
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
_HASH = re.compile(r"^[0-9a-f]{16,128}$", re.I)
_CODE = re.compile(r"^[A-Za-z]{0,6}[-_/]?\d{3,}[A-Za-z]{0,3}$|^\d+$")
_ROW_INDEX = re.compile(r"^(unnamed(_\d+)?|index|idx|row|row_?num(ber)?|rownum|row_?id|no|n|)$")
_MIN_ROWS = 20


class IdKind(StrEnum):
    ID = "id"  # every value distinct, shaped or named like an identifier
    PARTIAL = "partial"  # named or shaped like an identifier but some values repeat
    ROW_NUMBER = "row_number"  # 0..n-1 or 1..n written by a spreadsheet or pandas
    NONE = "none"


@dataclass(frozen=True)
class IdCheck:
    kind: IdKind
    evidence: str = ""
    named: bool = False  # the name says identifier
    digits: int = 0  # digit length when the values are fixed-length digit codes (customer/account numbers)


def named_like_id(name: str) -> bool:
    return matches(_ID_NAME, name)


def _integral(s: pd.Series) -> bool:
    return bool(pd.api.types.is_integer_dtype(s) or (pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all()))


def _shape(s: pd.Series) -> tuple[str, int]:
    """A description of what the values look like when they look like codes ("" otherwise), and the digit length."""
    present = s.dropna()
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return "", 0
    if pd.api.types.is_numeric_dtype(s):
        if not _integral(s) or (present < 0).any():
            return "", 0
        lengths = present.astype("int64").astype(str).str.len()
        top = int(lengths.mode().iloc[0])
        sorted_v = present.sort_values()
        if len(present) > 1 and (sorted_v.diff().dropna() == 1).mean() > 0.95:
            return "a run of consecutive numbers", 0
        if top >= 7 and (lengths == top).mean() >= 0.99:
            return f"{top}-digit numbers in no particular order (e.g. {int(present.iloc[0])})", top
        return "", 0
    sample = (present if len(present) <= 2000 else present.sample(2000, random_state=0)).astype(str).str.strip()
    if sample.str.contains(r"\s", regex=True).mean() > 0.05:
        return "", 0
    if sample.str.fullmatch(_UUID).mean() > 0.95:
        return "UUIDs", 0
    if sample.str.fullmatch(_HASH).mean() > 0.95 and sample.str.len().nunique() == 1:
        return f"{int(sample.str.len().iloc[0])}-character hashes", 0
    if sample.str.fullmatch(r"\d+").mean() > 0.95 and sample.str.match(r"0\d").any():
        return f"zero-padded codes (e.g. {sample.iloc[0]!r})", int(sample.str.len().mode().iloc[0])
    if sample.str.fullmatch(_CODE).mean() > 0.95:
        digits = int(sample.str.len().mode().iloc[0]) if sample.str.fullmatch(r"\d+").all() else 0
        return f"codes such as {sample.iloc[0]!r}", digits
    return "", 0


def check_id(name: str, s: pd.Series, distinct: int | None = None) -> IdCheck:
    """Whether ``s`` is an identifier (see the module docstring); ``distinct`` is its count of distinct values if known."""
    present = s.dropna()
    n = len(present)
    named = named_like_id(name)
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return IdCheck(IdKind.NONE, named=named)
    if n < _MIN_ROWS:  # too few rows for shape to tell: only a column named like an id, every value different
        if named and n >= 2 and present.nunique() == n:
            return IdCheck(IdKind.ID, f"the name '{name}' says identifier; every one of its {n} values is different",
                           named)
        return IdCheck(IdKind.NONE, named=named)
    if pd.api.types.is_float_dtype(s) and not _integral(s):
        return IdCheck(IdKind.NONE, named=named)
    if distinct is None:
        head = present.iloc[:5000]
        if len(head) < n and head.nunique() < 0.5 * len(head):  # a long column that repeats early is no id
            return IdCheck(IdKind.NONE, named=named)
        distinct = int(present.nunique())
    if distinct < 0.5 * n:
        return IdCheck(IdKind.NONE, named=named)
    shape, digits = _shape(s)
    missing = int(s.isna().sum())
    if distinct == n and _ROW_INDEX.match(snake(name)) and _integral(s) and shape == "a run of consecutive numbers":
        return IdCheck(IdKind.ROW_NUMBER, f"'{name}' counts the rows ({int(present.min())} to {int(present.max())})",
                       named, digits)
    why_name = f"the name '{name}' says identifier" if named else ""
    if distinct == n and (named or shape):
        parts = [p for p in (why_name, f"every one of its {n:,} values is different", shape and f"the values are {shape}") if p]
        if missing:
            parts.append(f"{missing:,} rows have no value")
        return IdCheck(IdKind.ID, "; ".join(parts), named, digits)
    if distinct < n and ((named and distinct >= 0.5 * n) or (shape and distinct >= 0.9 * n)):
        repeated = present[present.duplicated(keep=False)]
        examples = ", ".join(map(str, pd.unique(repeated)[:3]))
        return IdCheck(IdKind.PARTIAL, (f"{'it is named' if named else 'it is shaped'} like an identifier, but "
                                        f"{len(repeated):,} rows share a value with another row (e.g. {examples})"),
                       named, digits)
    return IdCheck(IdKind.NONE, named=named, digits=digits)
