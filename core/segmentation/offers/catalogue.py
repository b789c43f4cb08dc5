"""The offer catalogue (``assets/segmentation/offers.json``) and the holdings it reads from a dataset.

A product is held when a column the catalogue names for it says so: a 0/1 flag (``has_mortgage``)
or a two-level yes/no column (``housing``). Only columns the schema tags as product holdings are
read, so a yes/no column that means something else is never taken for a holding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from core.assets import read_json
from core.data.dataset import Dataset
from core.data.schema import Tag

CREDIT, DEPOSIT, INVESTMENT = "credit", "deposit", "investment"
_YES = {"1", "1.0", "yes", "y", "true", "t"}
_NO = {"0", "0.0", "no", "n", "false", "f"}


@dataclass(frozen=True)
class OfferProduct:
    key: str
    label: str
    kind: str
    columns: re.Pattern | None = None
    secured_by: str = ""
    requires_any: tuple[str, ...] = ()
    copy_product: str = ""


@dataclass(frozen=True)
class Exclusion:
    """A kind of product kept away from a segment whose mean of a concept is far from the book's."""

    kind: str
    concept: str
    below_book: float | None
    above_book: float | None
    why: str


@dataclass(frozen=True)
class OfferCatalogue:
    products: dict[str, OfferProduct]
    pd_cutoff: float = 1 / 6
    min_lift: float = 1.0
    exclusions: tuple[Exclusion, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, raw: dict) -> OfferCatalogue:
        products = {}
        for key, p in raw.get("products", {}).items():
            products[key] = OfferProduct(
                key, p.get("label", key), p.get("kind", DEPOSIT), re.compile(p["columns"], re.I) if p.get("columns") else None,
                p.get("secured_by", ""), tuple(p.get("requires_any", ())), p.get("copy_product", ""))
        exclusions = tuple(Exclusion(e["kind"], e["concept"], e.get("below_book"), e.get("above_book"), e["why"])
                           for e in raw.get("segment_exclusions", []))
        return cls(products, float(raw.get("pd_cutoff", 1 / 6)), float(raw.get("min_lift", 1.0)), exclusions)

    def product_of(self, column: str) -> OfferProduct | None:
        return next((p for p in self.products.values() if p.columns is not None and p.columns.search(column)), None)

    def label(self, key: str) -> str:
        p = self.products.get(key)
        return p.label if p else key.replace("_", " ")


@lru_cache(maxsize=1)
def default_catalogue() -> OfferCatalogue:
    return OfferCatalogue.from_dict(read_json("segmentation", "offers.json"))


def _as_flag(s: pd.Series) -> pd.Series | None:
    """A 0/1 float series from a flag column, or None when the column is not a two-valued flag."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    if pd.api.types.is_numeric_dtype(s):
        x = pd.to_numeric(s, errors="coerce")
        v = x.dropna().to_numpy()  # a flag: some value, and every value 0 or 1 (no sort of the column to find them)
        return x.fillna(0).astype(float) if v.size and bool(((v == 0) | (v == 1)).all()) else None
    text = s.astype("object").where(s.notna(), "").astype(str).str.strip().str.lower()
    levels = set(text.unique()) - {""}
    if levels and levels <= (_YES | _NO) and levels & _YES:
        return text.isin(_YES).astype(float)
    return None


def holding_columns(dataset: Dataset, catalogue: OfferCatalogue | None = None) -> dict[str, str]:
    """Product key -> the column that says who holds it (product-tagged flags only)."""
    catalogue = catalogue or default_catalogue()
    out: dict[str, str] = {}
    for c in dataset.schema.tagged(Tag.PRODUCT):
        if c not in dataset.frame.columns or _as_flag(dataset.frame[c]) is None:
            continue
        p = catalogue.product_of(c)
        key = p.key if p else (c[4:] if c.lower().startswith("has_") else c)
        out.setdefault(key, c)
    return out


def holdings(dataset: Dataset, catalogue: OfferCatalogue | None = None) -> pd.DataFrame:
    """Customers x products: 1 when the customer holds the product (index aligned with the frame)."""
    cols = holding_columns(dataset, catalogue)
    data = {key: _as_flag(dataset.frame[c]) for key, c in cols.items()}
    return pd.DataFrame({k: v for k, v in data.items() if v is not None}, index=dataset.frame.index)
