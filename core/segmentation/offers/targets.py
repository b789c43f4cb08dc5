"""Target lists: the customers most likely to take up one product, the file for the campaign and its brief.

The list is every customer the rules allow to be offered the product, ranked by propensity, cut
at a share of the book (10 % by default). The export carries pseudonymised ids unless asked
otherwise. The brief that goes to the copy page describes the list in aggregate only (size,
share, how it differs from the book, why it was chosen), never a customer's id or values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import formatting as F
from core.briefs import SegmentBrief
from core.data.dataset import Dataset
from core.errors import InputError
from core.export import csv_bytes
from core.segmentation.offers.catalogue import default_catalogue, holdings
from core.segmentation.offers.nbo import OfferResult
from core.segmentation.offers.suitability import reason
from core.segmentation.privacy import PersonalData
from core.segmentation.profile import profile_segments
from core.segmentation.result import SegmentationResult


def target_rows(offers: OfferResult, product: str, share: float = 0.10) -> np.ndarray:
    """Row numbers of the list: allowed customers by descending propensity, at most ``share`` of the book."""
    if not 0 < share <= 1:
        raise InputError(f"The list size must be a share between 0 and 100% of the book, not {share}.")
    j = offers.column(product)
    ok = np.flatnonzero(offers.eligible(product))
    order = ok[np.argsort(-offers.scores[ok, j], kind="stable")]
    return order[: int(round(share * offers.scores.shape[0]))]


def target_list(dataset: Dataset, seg: SegmentationResult, offers: OfferResult, product: str,
                share: float = 0.10) -> pd.DataFrame:
    """The list as a frame: id, segment, segment name, propensity, lift and the reason."""
    rows = target_rows(offers, product, share)
    j = offers.column(product)
    cat = default_catalogue()
    spec = cat.products[product]
    base = offers.base_rates[product]
    pd_hat = seg.credit.pd
    cutoff = offers.cutoff or cat.pd_cutoff
    return pd.DataFrame({
        seg.id_column: seg.ids.to_numpy()[rows],
        "segment": seg.labels[rows].astype(int),
        "segment_name": [seg.name(int(s)) for s in seg.labels[rows]],
        "product": spec.label,
        "propensity": np.round(offers.scores[rows, j].astype(float), 4),
        "lift": np.round(offers.scores[rows, j].astype(float) / base, 2),
        "reason": [reason(spec.label, float(offers.scores[r, j]), base, float(pd_hat[r]) if pd_hat is not None else None,
                          cutoff, spec.secured_by, spec.kind == "credit") for r in rows],
    })


def target_list_csv(dataset: Dataset, seg: SegmentationResult, offers: OfferResult, product: str, share: float = 0.10,
                    pseudonymise_ids: bool = True) -> bytes:
    return csv_bytes(target_list(dataset, seg, offers, product, share), id_columns=[seg.id_column],
                     pseudonymise=pseudonymise_ids)


def target_brief(dataset: Dataset, seg: SegmentationResult, offers: OfferResult, product: str,
                 share: float = 0.10) -> SegmentBrief:
    """The brief of a target list for the copy page: aggregates of the list against the book, nothing personal."""
    rows = target_rows(offers, product, share)
    if rows.size == 0:
        raise InputError("No customer may be offered this product under the rules.", "Pick another product.")
    cat = default_catalogue()
    spec = cat.products[product]
    j = offers.column(product)
    member = np.zeros(dataset.n_rows, dtype=np.int32)
    member[rows] = 1
    numeric = [c for c in seg.profile.features if c in seg.profile.means.columns]
    categorical = [c for c in seg.profile.features if c in seg.profile.category_shares]
    prof = profile_segments(dataset.frame, member, numeric, categorical, dataset.schema.semantics, rules=False)
    personal = PersonalData(dataset)
    held = holdings(dataset, cat)
    products_held = {str(p): float(held[p].to_numpy()[rows].mean()) for p in held.columns}
    means = prof.means
    aggregates = {c: float(means.loc[1, c]) for c in numeric if np.isfinite(means.loc[1, c])}
    score = offers.scores[rows, j].astype(float)
    base = offers.base_rates[product]
    reasons = (f"Mean propensity {F.pct(score.mean())} against {F.pct(base)} take-up in the book "
               f"({F.ratio(score.mean() / base if base > 0 else float('nan'))}).",
               "Every customer passed the suitability and risk rules for this product.")
    pd_mean = float(np.mean(seg.credit.pd[rows])) if seg.credit.pd is not None else None
    name = f"{spec.label} prospects: {prof.auto_names.get(1, 'customers')}"[:80]
    desc = (f"{F.count(rows.size)} customers ({F.pct(rows.size / dataset.n_rows)} of the book) most likely to take up "
            f"{spec.label.lower()}. " + " ".join(reasons))
    return SegmentBrief(
        name=personal.scrub(name), size=int(rows.size), share=float(rows.size / dataset.n_rows),
        description=personal.scrub(desc), traits=tuple(personal.scrub(t) for t in prof.traits.get(1, [])),
        aggregates=aggregates, products_held=products_held, next_best_product=product, mean_pd=pd_mean,
        source_run_id=seg.run_id, kind="target_list", copy_product=spec.copy_product or None, reasons=reasons,
    )
