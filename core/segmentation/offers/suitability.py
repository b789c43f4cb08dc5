"""Who may be offered what, per customer: holdings, credit risk, collateral, the catalogue's segment rules.

Each (customer, product) gets one code, the first rule that stops the offer:

========  ====================================================================================
HELD      the customer holds the product already
NO_PD     a credit product, and no credit model gives the customer a PD
RISK      a credit product, and the customer's PD is not below the cutoff
SECURED   a secured credit, and the customer holds nothing that secures it (a HELOC needs a home)
PROFILE   the catalogue's rules keep this kind of product away from the customer's segment
LOW       the customer's propensity is not above the catalogue's minimum lift over the product's take-up in the book
OK        may be offered
========  ====================================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import formatting as F
from core.segmentation.offers.catalogue import CREDIT, OfferCatalogue

OK, HELD, NO_PD, RISK, SECURED, PROFILE, LOW = range(7)
CODE_TEXT = {OK: "offered", HELD: "holds it already", NO_PD: "no PD (no credit model)",
             RISK: "PD not below the cutoff", SECURED: "nothing to secure it", PROFILE: "kept from the segment by a rule",
             LOW: "propensity too close to the book's take-up (under the catalogue's minimum lift)"}


def suitability(products: list[str], catalogue: OfferCatalogue, held: pd.DataFrame, labels: np.ndarray,
                pd_hat: np.ndarray | None, cutoff: float, profile_rules: dict[int, dict[str, str]]) -> np.ndarray:
    """(customers x products) int8 codes, before the propensity check (see the module docstring)."""
    n = len(labels)
    codes = np.full((n, len(products)), OK, dtype=np.int8)
    for j, p in enumerate(products):
        spec = catalogue.products[p]
        col = codes[:, j]
        if p in held.columns:
            col[held[p].to_numpy() > 0.5] = HELD
        if spec.kind == CREDIT:
            if pd_hat is None:
                col[col == OK] = NO_PD
            else:
                col[(col == OK) & ~(pd_hat < cutoff)] = RISK
        if spec.requires_any:
            has = np.zeros(n, dtype=bool)
            for req in spec.requires_any:
                if req in held.columns:
                    has |= held[req].to_numpy() > 0.5
            col[(col == OK) & ~has] = SECURED
        barred = [s for s, why in profile_rules.items() if p in why]
        if barred:
            col[(col == OK) & np.isin(labels, barred)] = PROFILE
    return codes


def reason(label: str, score: float, base: float, pd_value: float | None, cutoff: float, secured_by: str,
           credit: bool) -> str:
    """Why a customer gets this offer, in one line (aggregate-free: the customer's own numbers)."""
    text = f"{label}: {F.pct(score)} likely to take it up, {F.ratio(score / base if base > 0 else float('nan'))} " \
           f"the book's {F.pct(base)}"
    if credit and pd_value is not None:
        text += f"; PD {F.pct(pd_value)} under the {F.pct(cutoff)} cutoff"
    if secured_by:
        text += f"; secured by {secured_by}"
    return text + "."


def blocked_table(products: list[str], labels: dict[str, str], codes: np.ndarray) -> pd.DataFrame:
    """Product x reason: how many customers each rule stopped (and how many may be offered)."""
    rows = []
    for j, p in enumerate(products):
        counts = np.bincount(codes[:, j], minlength=len(CODE_TEXT))
        rows.append({"product": labels.get(p, p), **{CODE_TEXT[c]: int(counts[c]) for c in CODE_TEXT}})
    return pd.DataFrame(rows)
