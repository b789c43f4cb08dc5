"""What a fitted credit model knows about itself: typed, immutable metadata (no dict to dig into).

:class:`ModelMeta` is built once when the model is fitted, saved as JSON beside the booster and
read back on load. It holds where the model came from (:class:`DatasetInfo`), how it was split and
measured (:class:`SplitInfo`, :class:`ModelMetrics`), the training distribution of every feature
(:class:`FeatureProfile`, the reference for drift and for realistic edits), the meaning of each
feature at training time (its schema tags, so reasons and counterfactuals follow the model to any
dataset it scores), and every decision about columns (:class:`ColumnDecision`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from core.credit.params import CreditParams

OVERFIT_GAP = 0.10  # train AUC above test AUC by more than this: the model memorises its training rows
BENCHMARK_MARGIN = 0.005  # test AUC this far below the logistic benchmark's is a real shortfall, not noise


@dataclass(frozen=True)
class DatasetInfo:
    """The dataset a model was trained on."""

    name: str
    fingerprint: str
    source: str
    n_rows: int
    target: str
    positive_label: Any


@dataclass(frozen=True)
class SplitInfo:
    how: str  # "time" or "random"
    train: int
    valid: int
    test: int
    date_column: str | None = None


@dataclass(frozen=True)
class MetricSummary:
    """Discrimination and calibration of one model on one split."""

    auc: float
    gini: float
    ks: float
    brier: float
    log_loss: float
    default_rate: float
    mean_pd: float
    n: int

    @classmethod
    def of(cls, d: dict[str, Any]) -> MetricSummary:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ModelMetrics:
    """Test-split performance of the boosted model and its logistic benchmark, and the train AUC."""

    xgboost: MetricSummary
    logistic: MetricSummary
    train_auc: float
    auc_raw_margin: float
    psi_train_vs_test: float

    @property
    def below_benchmark(self) -> bool:
        return self.xgboost.auc < self.logistic.auc - BENCHMARK_MARGIN

    @property
    def overfit(self) -> bool:
        return self.train_auc - self.xgboost.auc > OVERFIT_GAP


@dataclass(frozen=True)
class FeatureProfile:
    """The training distribution of one feature (training split only).

    Numeric: 1st/99th percentiles (the realistic range for edits), min/max (the evidence range),
    median, and decile edges with their shares (the reference for PSI/CSI). Categorical: the share
    of each level (and of missing values).
    """

    kind: str  # "numeric" | "categorical"
    p01: float | None = None
    p99: float | None = None
    min: float | None = None
    max: float | None = None
    median: float | None = None
    edges: tuple[float, ...] = ()
    shares: tuple[float, ...] = ()  # per bin (numeric: len(edges) - 1, plus one for missing) or per level
    levels: tuple[str, ...] = ()  # categorical levels in ``shares`` order; the last share is "missing"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureProfile:
        d = dict(d)
        for k in ("edges", "shares", "levels"):
            d[k] = tuple(d.get(k, ()))
        return cls(**d)


@dataclass(frozen=True)
class ColumnDecision:
    """Why a column is in or out of the model: who decided, on what evidence.

    ``kind``: ``protected`` (Regulation B default), ``protected_override`` (kept in with a reason),
    ``leakage`` (flagged and left out), ``leakage_kept`` (flagged, kept with a reason),
    ``analyst`` (kept out on purpose), ``not_a_feature`` (id, PII, date, target, ignored).
    """

    column: str
    kind: str
    reason: str
    auc: float | None = None  # univariate AUC when the leakage scan measured one

    @property
    def in_model(self) -> bool:
        return self.kind in ("protected_override", "leakage_kept")


@dataclass(frozen=True)
class ModelMeta:
    """Everything a fitted model records about itself (see the module docstring)."""

    fingerprint: str
    version: int
    dataset: DatasetInfo
    params: CreditParams
    monotone: dict[str, int]
    depth: int
    split: SplitInfo
    n_trees: int
    calibration: str
    metrics: ModelMetrics
    profiles: dict[str, FeatureProfile]
    tags: dict[str, tuple[str, ...]]  # feature -> schema tags at training time
    units: dict[str, str] = field(default_factory=dict)  # feature -> unit read from the file ("%" values are fractions)
    decisions: tuple[ColumnDecision, ...] = ()
    protected: tuple[str, ...] = ()  # protected attributes and proxies in the training data
    warnings: tuple[str, ...] = ()
    default_cutoff: float = 1.0 / 6.0
    device: str = "cpu"
    train_seconds: float = 0.0
    xgboost_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    # ---- views the pages and the CLI read ---------------------------------------------------
    @property
    def excluded(self) -> dict[str, str]:
        """Columns kept out of the model and why (the CLI's ``excluded``)."""
        return {d.column: d.reason for d in self.decisions if not d.in_model}

    @property
    def overrides(self) -> dict[str, str]:
        """Columns kept in against a default (protected override, flagged leak kept), with the reason."""
        return {d.column: d.reason for d in self.decisions if d.in_model}

    @property
    def leakage(self) -> dict[str, float]:
        return {d.column: float(d.auc) for d in self.decisions if d.kind.startswith("leakage") and d.auc is not None}

    def has_tag(self, feature: str, *tags: str) -> bool:
        return bool(set(self.tags.get(feature, ())) & {str(t) for t in tags})

    def tagged(self, *tags: str) -> list[str]:
        return [f for f in self.tags if self.has_tag(f, *tags)]

    def health(self) -> list[str]:
        """Plain warnings about the fitted model itself (beside the data warnings)."""
        out = []
        m = self.metrics
        if m.below_benchmark:
            out.append(f"The boosted model's test AUC ({m.xgboost.auc:.3f}) is below its logistic-regression "
                       f"benchmark's ({m.logistic.auc:.3f}) on the same split: prefer the simpler model, or revisit the "
                       "features and settings.")
        if m.overfit:
            out.append(f"The model fits its training rows much better than unseen ones (train AUC {m.train_auc:.3f}, "
                       f"test AUC {m.xgboost.auc:.3f}): it overfits; fewer or shallower trees would generalise better.")
        return out

    # ---- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["params"] = self.params.to_dict()
        d["decisions"] = [asdict(x) for x in self.decisions]
        d["protected"] = list(self.protected)
        d["warnings"] = list(self.warnings)
        d["tags"] = {k: list(v) for k, v in self.tags.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelMeta:
        m = d["metrics"]
        return cls(
            fingerprint=d["fingerprint"], version=int(d["version"]), dataset=DatasetInfo(**d["dataset"]),
            params=CreditParams.from_dict(d["params"]), monotone={k: int(v) for k, v in d["monotone"].items()},
            depth=int(d["depth"]), split=SplitInfo(**d["split"]), n_trees=int(d["n_trees"]), calibration=d["calibration"],
            metrics=ModelMetrics(MetricSummary.of(m["xgboost"]), MetricSummary.of(m["logistic"]), float(m["train_auc"]),
                                 float(m["auc_raw_margin"]), float(m["psi_train_vs_test"])),
            profiles={k: FeatureProfile.from_dict(v) for k, v in d["profiles"].items()},
            tags={k: tuple(v) for k, v in d.get("tags", {}).items()},
            units={str(k): str(v) for k, v in d.get("units", {}).items()},
            decisions=tuple(ColumnDecision(**x) for x in d.get("decisions", ())),
            protected=tuple(d.get("protected", ())), warnings=tuple(d.get("warnings", ())),
            default_cutoff=float(d.get("default_cutoff", 1.0 / 6.0)), device=d.get("device", "cpu"),
            train_seconds=float(d.get("train_seconds", 0.0)), xgboost_version=d.get("xgboost_version", ""),
            extra=dict(d.get("extra", {})))
