"""The typed results of a segmentation: parameters, prepared features, the map, the finished run.

A :class:`SegmentationResult` is built once by :func:`core.segmentation.service.segment` and may be
shared through a cache: nothing mutates it; renaming returns a copy (:meth:`with_names`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from core import formatting as F
from core.briefs import SegmentBrief
from core.errors import InputError
from core.segmentation.links import CreditView, SegmentOffer
from core.segmentation.naming import NameFinding, check_name
from core.segmentation.preprocess import Preprocessor
from core.segmentation.privacy import PersonalData
from core.segmentation.profile import SegmentProfile, describe
from core.segmentation.sweep import SweepResult

NOISE = -1
MAX_NAME = 80


@dataclass(frozen=True)
class SegmentationParams:
    """What the analyst chose. ``k=None`` takes the sweep's consensus."""

    features: tuple[str, ...] = ()
    method: str = "kmeans"
    k: int | None = None
    seed: int = 42

    def to_dict(self) -> dict:
        d = asdict(self)
        d["features"] = list(self.features)
        return d


@dataclass(frozen=True)
class Prepared:
    """The scaled matrix of a dataset's chosen features, and the choices that made it."""

    dataset_fingerprint: str
    features: tuple[str, ...]
    numeric: list[str]
    categorical: list[str]
    X: np.ndarray = field(repr=False)  # (n_rows, n_columns_out) float32
    preprocessor: Preprocessor = field(repr=False)
    notes: list[str] = field(default_factory=list)
    describe: tuple[str, ...] = ()  # profiled beside the features (e.g. protected attributes), never a feature

    @property
    def choices(self) -> dict:
        return self.preprocessor.choices_


@dataclass(frozen=True)
class Embedding:
    """2-D coordinates of a sample of rows (``index`` into the dataset) for the map."""

    index: np.ndarray
    coords: np.ndarray  # (n, 2)
    method: str
    explained: float | None = None  # PCA: share of variance the two axes hold
    seconds: float = 0.0
    cached: bool = False


@dataclass(frozen=True)
class SegmentationResult:
    """A finished segmentation: who is where, what each segment is, and how sure we are."""

    params: SegmentationParams
    dataset_name: str
    dataset_fingerprint: str
    id_column: str
    ids: pd.Series = field(repr=False)
    labels: np.ndarray = field(repr=False)
    profile: SegmentProfile = field(repr=False)
    names: dict[int, str]
    metrics: dict
    preprocessing: dict
    sweep: SweepResult | None = None
    notes: list[str] = field(default_factory=list)
    penetration: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    next_best: dict[int, SegmentOffer] = field(default_factory=dict)
    mean_pd: pd.Series | None = None
    credit: CreditView = field(default_factory=CreditView)
    run_id: str | None = None
    seconds: float = 0.0
    warning: str = ""  # weak or unreproducible structure, in words (empty when the evidence is sound)

    @property
    def k(self) -> int:
        return int(self.params.k or 0)

    @property
    def segments(self) -> list[int]:
        return self.profile.segments

    @property
    def credit_message(self) -> str:
        return self.credit.message

    def name(self, segment: int) -> str:
        return self.names.get(int(segment), f"Segment {segment}")

    def description(self, segment: int) -> str:
        extra = []
        nb = self.next_best.get(segment)
        if nb is not None and nb.product:
            extra.append(f"Next-best product for the segment: {F.humanize(nb.product)} "
                         f"({F.ratio(nb.lift)} the book's holding rate, held by {F.pct(nb.penetration, 0)} of the segment).")
        if self.mean_pd is not None and segment in self.mean_pd.index:
            extra.append(f"Mean predicted PD {F.pct(self.mean_pd[segment])} against {F.pct(self.mean_pd['all'])} "
                         "for the book.")
        return describe(segment, self.name(segment), self.profile, self.profile.rfm_cells.get(segment), extra)

    def with_names(self, names: dict[int, str]) -> SegmentationResult:
        """A copy with the analyst's names (blank names keep the current one; at most 80 characters)."""
        merged = dict(self.names)
        for s, n in names.items():
            text = " ".join(str(n).split()) if n is not None else ""
            if text and int(s) in merged:
                merged[int(s)] = text[:MAX_NAME]
        return replace(self, names=merged)

    def name_findings(self, segment: int) -> list[NameFinding]:
        """Every claim of the segment's current name read against its profile."""
        if segment == NOISE:
            return []
        return check_name(self.name(segment), self.profile.facts(self.mean_pd), int(segment))

    def contradictions(self) -> dict[int, list[str]]:
        """Segment -> what its name claims that its profile contradicts (empty lists left out)."""
        out = {}
        for s in self.segments:
            bad = [f.message for f in self.name_findings(s) if f.verdict == "contradicts"]
            if bad:
                out[s] = bad
        return out

    def names_table(self) -> pd.DataFrame:
        sizes = self.profile.sizes
        segs = [int(s) for s in sizes.index]
        flags = self.contradictions()
        return pd.DataFrame({
            "segment": segs,
            "name": [self.name(s) for s in segs],
            "customers": sizes["size"].astype(int).to_numpy(),
            "share": sizes["share"].to_numpy(),
            "check": ["; ".join(flags[s]) if s in flags else "" for s in segs],
            "rfm_cell": [self.profile.rfm_cells.get(s, "") for s in segs],
            "rule": [self.profile.rules[s].text if s in self.profile.rules else "" for s in segs],
        })

    def profile_table(self, columns: list[str] | None = None) -> pd.DataFrame:
        t = self.profile.table(self.names, columns)
        if self.mean_pd is not None:
            t["mean_pd"] = [self.mean_pd.get(i, np.nan) for i in t.index]
        return t

    def assignments(self) -> pd.DataFrame:
        """Customer id -> segment number and name (ids as they are: pseudonymise on export)."""
        name_lut = {s: self.name(s) for s in self.segments}
        return pd.DataFrame({
            self.id_column: self.ids.to_numpy(),
            "segment": self.labels.astype(int),
            "segment_name": pd.Series(self.labels).map(name_lut).to_numpy(),
        })

    def brief(self, segment: int, personal: PersonalData | None = None) -> SegmentBrief:
        """The aggregate-only brief the copy page receives: no customer-level value, no personal data."""
        segment = int(segment)
        if segment not in self.segments:
            raise InputError(f"There is no segment {segment} in this run.", "Pick a segment from the list.")
        scrub = (personal or PersonalData(None)).scrub
        sizes = self.profile.sizes
        means = self.profile.means
        aggregates = {c: float(means.loc[segment, c]) for c in means.columns
                      if c in self.profile.features and np.isfinite(means.loc[segment, c])}
        held = {}
        if not self.penetration.empty and segment in self.penetration.index:
            held = {str(p): float(v) for p, v in self.penetration.loc[segment].items()}
        nb = self.next_best.get(segment)
        pd_mean = float(self.mean_pd[segment]) if self.mean_pd is not None and segment in self.mean_pd.index else None
        return SegmentBrief(
            name=scrub(self.name(segment)), size=int(sizes.loc[segment, "size"]),
            share=float(sizes.loc[segment, "share"]), description=scrub(self.description(segment)),
            traits=tuple(scrub(t) for t in self.profile.traits.get(segment, [])), aggregates=aggregates,
            products_held=held, next_best_product=nb.product if nb else None, mean_pd=pd_mean,
            source_run_id=self.run_id,
        )

    def summary(self) -> dict:
        """What the run log stores as the result (JSON-serialisable)."""
        sizes = self.profile.sizes
        return {
            "dataset": self.dataset_name,
            "k": self.k,
            "n_segments": int((sizes.index != NOISE).sum()),
            "names": {str(s): n for s, n in self.names.items()},
            "auto_names": {str(s): n for s, n in self.profile.auto_names.items()},
            "sizes": {str(s): int(v) for s, v in sizes["size"].items()},
            "rules": {str(s): r.to_dict() for s, r in self.profile.rules.items()},
            "rfm_cells": {str(s): v for s, v in self.profile.rfm_cells.items()},
            "metrics": self.metrics,
            "preprocessing": self.preprocessing,
            "sweep": self.sweep.to_dict() if self.sweep else None,
            "notes": self.notes,
            "warning": self.warning,
            "next_best": {str(s): v.to_dict() for s, v in self.next_best.items()},
            "credit": self.credit.message,
            "credit_model": self.credit.model_fingerprint,
            "seconds": round(self.seconds, 3),
        }
