"""Links from segments to the rest of the studio: products held, predicted risk, the segment-level offer.

* **Holdings** come from the product-tagged flag columns (:mod:`core.segmentation.offers.catalogue`).
* **Predicted PD** comes from the credit model the resolver names as current for the dataset
  (:func:`core.resolver.credit_model`): the same model the credit page shows, in a fresh session
  too. Without one, PD is not shown and credit products are not offered.
* **The segment rule** (the benchmark the per-customer next-best offer is measured against):
  per segment, the suitable product with the highest lift (segment holding rate over the book's),
  only when the lift is above 1 and most of the segment does not hold it yet. Suitable means:
  in the offer catalogue; a credit product only when the segment's mean PD is below the cutoff;
  a secured credit only when most of the segment holds what secures it; no product whose kind
  the catalogue's exclusions keep away from the segment's profile.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core import formatting as F
from core.data.dataset import Dataset
from core.segmentation.offers.catalogue import CREDIT, OfferCatalogue, default_catalogue, holdings

logger = logging.getLogger(__name__)
NOISE = -1

NO_CREDIT_MODEL = ("No credit model yet: train one on the Credit explanation page to see the mean predicted PD per "
                   "segment (credit products are not offered without it).")


@dataclass(frozen=True)
class SegmentOffer:
    """The segment rule's product for one segment, and why other products were withheld."""

    product: str | None
    label: str = ""
    lift: float | None = None
    penetration: float | None = None
    reason: str = ""
    withheld: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CreditView:
    """The credit model's view of the segmentation's customers (or why there is none)."""

    pd: np.ndarray | None = field(default=None, repr=False)
    message: str = ""
    model_fingerprint: str | None = None
    cutoff: float | None = None


def penetration(dataset: Dataset, labels: np.ndarray, catalogue: OfferCatalogue | None = None) -> pd.DataFrame:
    """Segment x product share of customers holding it, with a final row ``all`` for the book."""
    P = holdings(dataset, catalogue)
    if P.empty:
        return pd.DataFrame()
    tab = P.groupby(np.asarray(labels)).mean()
    tab.loc["all"] = P.mean()
    return tab


def concept_columns(columns: list[str], semantics: dict[str, str]) -> dict[str, str]:
    """Naming concept -> the first column that carries it (e.g. 'savings' -> 'savings_balance')."""
    from core.segmentation.vocabulary import default_vocabulary

    out: dict[str, str] = {}
    for col, m in default_vocabulary().meanings(columns, semantics).items():
        out.setdefault(m.concept.key, col)
    return out


def profile_exclusions(profile_means: pd.DataFrame, semantics: dict[str, str],
                       catalogue: OfferCatalogue) -> dict[int, dict[str, str]]:
    """Segment -> product -> why the catalogue's rules keep that kind of product away from the segment."""
    concept_col = concept_columns(list(profile_means.columns), semantics)
    out: dict[int, dict[str, str]] = {}
    for s in [i for i in profile_means.index if i != "all"]:
        why: dict[str, str] = {}
        for key, p in catalogue.products.items():
            for ex in catalogue.exclusions:
                col = concept_col.get(ex.concept)
                if ex.kind != p.kind or col is None or key in why:
                    continue
                seg, book = float(profile_means.loc[s, col]), float(profile_means.loc["all", col])
                if not (np.isfinite(seg) and np.isfinite(book)) or book == 0:
                    continue
                if (ex.below_book is not None and seg < ex.below_book * book) or \
                        (ex.above_book is not None and seg > ex.above_book * book):
                    why[key] = ex.why
        out[int(s)] = why
    return out


def segment_exclusions(profile_means: pd.DataFrame, semantics: dict[str, str], catalogue: OfferCatalogue,
                       mean_pd: pd.Series | None, cutoff: float, pen: pd.DataFrame) -> dict[int, dict[str, str]]:
    """Segment -> product -> why the segment rule must not offer it (risk, collateral, profile rules)."""
    out = profile_exclusions(profile_means, semantics, catalogue)
    for s, why in out.items():
        for key, p in catalogue.products.items():
            if p.kind != CREDIT:
                continue
            if mean_pd is None or s not in mean_pd.index:
                why[key] = "no credit model gives a PD to check against the cutoff"
            elif float(mean_pd[s]) >= cutoff:
                why[key] = f"the segment's mean PD {F.pct(mean_pd[s])} is not below the {F.pct(cutoff)} cutoff"
            for req in p.requires_any:
                held = float(pen.loc[s, req]) if not pen.empty and req in pen.columns and s in pen.index else 0.0
                if held < 0.5 and key not in why:
                    why[key] = f"it is secured by {p.secured_by}, and most of the segment holds no {catalogue.label(req).lower()}"
    return out


def segment_offers(pen: pd.DataFrame, catalogue: OfferCatalogue | None = None,
                   excluded: dict[int, dict[str, str]] | None = None, majority: float = 0.5) -> dict[int, SegmentOffer]:
    """Per segment: the suitable product with the highest lift above the catalogue's minimum."""
    catalogue = catalogue or default_catalogue()
    if pen.empty:
        return {}
    book = pen.loc["all"].replace(0, np.nan)
    out = {}
    for s in pen.index:
        if s == "all" or s == NOISE:
            continue
        s = int(s)
        row = pen.loc[s]
        withheld = dict((excluded or {}).get(s, {}))
        lift = (row / book)
        for p in row.index:
            if p not in catalogue.products:
                withheld.setdefault(str(p), "it is not in the offer catalogue")
            elif row[p] >= majority:
                withheld.setdefault(str(p), f"{F.pct(row[p], 0)} of the segment holds it already")
            elif not np.isfinite(lift[p]) or lift[p] <= catalogue.min_lift:
                withheld.setdefault(str(p), f"the segment takes it up less than the book ({F.ratio(lift[p])})"
                                    if not np.isfinite(lift[p]) or lift[p] <= 1 else
                                    f"the segment takes it up at only {F.ratio(lift[p])} the book's rate "
                                    f"(the catalogue asks for {F.ratio(catalogue.min_lift)})")
        ok = [p for p in row.index if str(p) not in withheld]
        if not ok:
            out[s] = SegmentOffer(None, reason="No product passes the suitability and take-up rules for this segment.",
                                  withheld=withheld)
            continue
        p = max(ok, key=lambda c: lift[c])
        out[s] = SegmentOffer(str(p), catalogue.label(str(p)), float(lift[p]), float(row[p]),
                              f"Held by {F.pct(row[p], 0)} of the segment, {F.ratio(lift[p])} the book's rate.", withheld)
    return out


def credit_view(dataset: Dataset):
    """The current credit model's PD for every customer of ``dataset`` (never raises)."""
    catalogue = default_catalogue()
    try:
        from core import resolver

        model = resolver.credit_model(dataset)
    except Exception as exc:  # a broken artifact must not take segmentation down
        logger.warning("The credit model could not be loaded: %s", exc)
        return CreditView(None, f"The credit model could not be loaded ({type(exc).__name__}); PD per segment is not "
                                "shown and credit products are not offered.")
    if model is None:
        return CreditView(None, NO_CREDIT_MODEL)
    try:
        pd_hat = np.asarray(model.predict_pd(dataset.frame), dtype=float)
    except Exception as exc:
        logger.warning("predict_pd failed: %s", exc)
        return CreditView(None, f"The credit model could not score this dataset ({type(exc).__name__}); PD per "
                                "segment is not shown.")
    if pd_hat.shape[0] != dataset.n_rows:
        return CreditView(None, "The credit model returned a PD for a different number of customers; PD per segment "
                                "is not shown.")
    fp = getattr(model, "fingerprint", None)
    cutoff = getattr(model, "cutoff", None)
    cutoff = float(cutoff) if isinstance(cutoff, (int, float)) and 0 < cutoff < 1 else catalogue.pd_cutoff
    return CreditView(pd_hat, f"Mean predicted PD from the current credit model ({fp}).", str(fp) if fp else None, cutoff)


def pd_by_segment(pd_hat: np.ndarray | None, labels: np.ndarray) -> pd.Series | None:
    if pd_hat is None:
        return None
    s = pd.Series(pd_hat).groupby(np.asarray(labels)).mean()
    s.loc["all"] = float(np.nanmean(pd_hat))
    return s
