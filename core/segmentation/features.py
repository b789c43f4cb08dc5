"""Which columns a segmentation is built on, read from the schema's tags (never from a column list).

Default features are what a customer *does* and *holds*: columns tagged behaviour, balance,
income, relationship or product, plus untagged categorical columns with a few levels (customer
attributes such as occupation); on a file whose columns carry no tag at all, every untagged
column.

A file with no behaviour or balance column at all is a loan book or an application file: there
the loan *is* what the customer holds, so its terms (amount, rate, term, purpose: exposure and
application tags), its grade (credit history), the collateral and the untagged numeric attributes
(employment length) join the defaults as well. Keeping only the income would segment a loan book
on one column (it did: ``studio segment`` on a bank's loan book chose five income bands).

Never by default:

* ids, PII, the target, dates (roles), and any numeric column whose every value is a distinct
  whole number: a customer number the schema did not recognise, which would otherwise split the
  book on an arbitrary code. The target (a loan status, a default flag) is the outcome: segments
  built on it only split payers from defaulters, which every segment's profile already shows
  through its bad rate or mean PD;
* calendar fields: a categorical column whose levels are month or weekday names (the month of a
  campaign's last call). It says when something happened to the customer, not what the customer
  does or holds, and in a campaign file it splits the book on the call schedule;
* protected attributes and their proxies (a segmentation feeds offers, and offers must not be
  steered by a prohibited basis), geography and macro conditions (where a customer lives is not
  what they do), and anything known only after the outcome;
* in a customer file, bureau history, exposure, collateral and application terms unless the column
  also carries one of the default tags (a product type is a holding as well as a term of the request).

:func:`why_not_default` is the one decision; :func:`default_features` and :func:`left_out` read it.

Columns left out are still offered to the analyst (except ids, PII, the target and id-like
numbers), and protected attributes are profiled as descriptive columns so that every segment's
age mix can be seen and a name such as "Young ..." can be checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.dataset import Dataset
from core.data.schema import Role, Tag

DEFAULT_TAGS = (Tag.BEHAVIOUR, Tag.BALANCE, Tag.INCOME, Tag.RELATIONSHIP, Tag.PRODUCT)
NEVER_DEFAULT = (Tag.PROTECTED, Tag.PROXY, Tag.GEOGRAPHIC, Tag.MACRO, Tag.POST_OUTCOME)
MAX_ATTRIBUTE_LEVELS = 12
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CALENDAR_LEVELS = frozenset([*_MONTHS, *_WEEKDAYS, *(m[:3] for m in _MONTHS), *(d[:3] for d in _WEEKDAYS), "sept"])


def looks_like_id(s: pd.Series) -> bool:
    """A numeric column of distinct whole numbers (a customer or account number), sequential or not."""
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return False
    x = s.dropna()
    if len(x) < 50 or x.nunique() != len(x):
        return False
    v = x.to_numpy(dtype=float)
    return bool(np.all(np.isfinite(v)) and np.all(v == np.round(v)))


def is_calendar_field(s: pd.Series) -> bool:
    """A categorical column whose every level (two or more) is a month or weekday name, in any case or abbreviation."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return False
    levels = {str(v).strip().lower().rstrip(".") for v in s.dropna().unique()[:50]}
    return len(levels) >= 2 and levels <= CALENDAR_LEVELS


def usable_features(dataset: Dataset) -> list[str]:
    """Every column the analyst may pick: numeric and categorical, never an id, PII, the target or a date."""
    frame = dataset.frame
    return [c for c in dataset.schema.features() if not looks_like_id(frame[c])]


LOAN_BOOK_TAGS = (Tag.EXPOSURE, Tag.APPLICATION, Tag.HISTORY, Tag.COLLATERAL)


def is_loan_book(dataset: Dataset) -> bool:
    """No column describes behaviour or balances: the file records loans (or applications), not accounts."""
    return not dataset.schema.tagged(Tag.BEHAVIOUR, Tag.BALANCE)


def why_not_default(dataset: Dataset, column: str, loan_book: bool | None = None) -> str | None:
    """Why a column is not a default feature (``None``: it is one), see the module docstring.

    ``loan_book`` is :func:`is_loan_book` (passed in when called per column).
    """
    schema, s = dataset.schema, dataset.frame[column]
    role, tags = schema.roles.get(column), schema.tags_of(column)
    if role == Role.TARGET:
        return "it is the target (the outcome): each segment's profile shows it instead"
    if role not in (Role.NUMERIC, Role.CATEGORICAL):
        return f"its role is '{role.value if role else 'unknown'}'"
    if looks_like_id(s):
        return "every value is a distinct whole number, like a customer number"
    if tags & {Tag.PROTECTED, Tag.PROXY}:
        return "it is a protected attribute or a proxy for one (profiled, never a default feature)"
    if tags & {Tag.GEOGRAPHIC, Tag.MACRO}:
        return "it describes where the customer lives or the economy, not what the customer does"
    if Tag.POST_OUTCOME in tags:
        return "it is known only after the outcome"
    if role == Role.CATEGORICAL and is_calendar_field(s):
        return "it is a calendar field (a month or weekday: when something happened, not what the customer does)"
    if tags & set(DEFAULT_TAGS):
        return None
    loan_book = is_loan_book(dataset) if loan_book is None else loan_book
    if tags & set(LOAN_BOOK_TAGS):
        return None if loan_book else ("it describes the credit (history, exposure, collateral or terms), "
                                       "not what the customer does or holds")
    if tags:
        return "its meaning is not one segments are built on"
    if role == Role.CATEGORICAL:
        n = s.nunique(dropna=True)
        return None if 2 <= n <= MAX_ATTRIBUTE_LEVELS else f"it has {n} levels (a default takes at most {MAX_ATTRIBUTE_LEVELS})"
    if loan_book or not any(schema.tags_of(c) for c in schema.features()):
        return None
    return "it carries no tag saying what it measures (pick it if it describes the customer)"


def default_features(dataset: Dataset) -> list[str]:
    """The default features of ``dataset`` (see the module docstring)."""
    schema, frame = dataset.schema, dataset.frame
    loan_book = is_loan_book(dataset)
    out = [c for c in usable_features(dataset) if why_not_default(dataset, c, loan_book) is None]
    if not out:  # a file the schema knows nothing about: every untagged column, the analyst narrows it down
        out = [c for c in usable_features(dataset) if not schema.tags_of(c)
               and not (schema.roles.get(c) == Role.CATEGORICAL and is_calendar_field(frame[c]))]
    return out


def left_out(dataset: Dataset, features: list[str]) -> dict[str, str]:
    """Why each usable column (and the target) is not among ``features``, keyed by column (the page's note)."""
    schema = dataset.schema
    loan_book = is_loan_book(dataset)
    cols = [*schema.features(), *([schema.target] if schema.target else [])]
    why = {}
    for c in cols:
        if c in features:
            continue
        reason = why_not_default(dataset, c, loan_book)
        if reason:
            why[c] = reason
    return why


def describe_columns(dataset: Dataset, features: list[str] | tuple[str, ...]) -> list[str]:
    """Columns profiled beside the features.

    Protected attributes (to see each segment's mix) and the income and age semantics, when they are
    not features themselves.
    """
    schema = dataset.schema
    cols = [c for c in schema.tagged(Tag.PROTECTED) if c in schema.features()]
    for sem in ("age", "income"):
        c = schema.semantics.get(sem)
        if c and c in schema.features():
            cols.append(c)
    return [c for c in dict.fromkeys(cols) if c not in features and not looks_like_id(dataset.frame[c])]
