"""What leaves the workspace from a segmentation: the members file (CSV or Parquet) and the report.

The members file holds, per customer, the segment and its name, the features the segmentation
used, the predicted PD when a credit model exists, the segment rule's offer and, when the
per-customer next-best offer was computed, that offer and its reason. Customer ids are replaced by
keyed pseudonyms unless the analyst asks for the real ids (for a file that stays in the bank's
controlled systems). CSV goes through :func:`core.export.csv_bytes` (UTF-8 with BOM, formulas
neutralised).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from core.data.dataset import Dataset
from core.export import csv_bytes, pseudonymise
from core.segmentation.result import SegmentationResult


def members_frame(dataset: Dataset, result: SegmentationResult, offers: pd.DataFrame | None = None,
                  features: bool = True) -> pd.DataFrame:
    """One row per customer: id, segment, name, features, PD, the segment's offer, the customer's offer."""
    out = result.assignments()
    if features:
        cols = [c for c in result.params.features if c in dataset.frame.columns]
        out = pd.concat([out, dataset.frame[cols].reset_index(drop=True)], axis=1)
    if result.credit.pd is not None:
        out["predicted_pd"] = np.round(result.credit.pd, 6)
    lut = {s: (o.product or "") for s, o in result.next_best.items()}
    out["segment_offer"] = pd.Series(result.labels).map(lut).fillna("").to_numpy()
    if offers is not None and len(offers) == len(out):
        for c in ("offer", "offer_score", "offer_reason"):
            if c in offers.columns:
                out[c] = offers[c].to_numpy()
    return out


def members_csv(dataset: Dataset, result: SegmentationResult, offers: pd.DataFrame | None = None,
                pseudonymise_ids: bool = True) -> bytes:
    return csv_bytes(members_frame(dataset, result, offers), id_columns=[result.id_column],
                     pseudonymise=pseudonymise_ids)


def members_parquet(dataset: Dataset, result: SegmentationResult, offers: pd.DataFrame | None = None,
                    pseudonymise_ids: bool = True) -> bytes:
    frame = members_frame(dataset, result, offers)
    if pseudonymise_ids:
        frame[result.id_column] = pseudonymise(frame[result.id_column]).to_numpy()
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def profile_csv(result: SegmentationResult) -> bytes:
    """The profile table (aggregates only)."""
    return csv_bytes(result.profile_table().reset_index(names="segment"))
