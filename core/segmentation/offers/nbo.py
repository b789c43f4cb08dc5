"""The per-customer next-best offer: propensity per product, suitability and risk filters, ranking.

:func:`next_best_offers` trains one propensity model per product (on holdings, or on a campaign's
responses when the dataset's target records them), scores every customer, removes what the
suitability rules forbid (:mod:`core.segmentation.offers.suitability`) and what the customer is
no likelier than the book to take up, and ranks the rest by propensity. Each customer's top offer
comes with the reason in one line.

Measured on a holdout in the same run: AUC, precision and lift in the top 10 % for the model, a
logistic benchmark on the same features, and the segment rule (each customer scored with the
take-up rate of their segment on the training rows).

Every customer's score is out-of-sample (cross-fitting): the model fitted on the training half
scores the holdout half, a second model fitted on the holdout half scores the training half. A
customer is never scored by a model that saw whether they hold the product, so a non-holder's
score says how much they look like holders rather than that they are not one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data.dataset import Dataset
from core.errors import DataError, InputError
from core.formatting import humanize
from core.progress import Progress, no_progress
from core.segmentation.links import profile_exclusions
from core.segmentation.offers import propensity as P
from core.segmentation.offers.catalogue import CREDIT, OfferCatalogue, default_catalogue, holding_columns, holdings
from core.segmentation.offers.suitability import LOW, OK, blocked_table, reason, suitability
from core.segmentation.result import SegmentationResult

MIN_POSITIVES = 30


@dataclass(frozen=True)
class OfferParams:
    """How the next-best offer learns and is measured.

    ``response_product`` is the catalogue product the dataset's target records responses to (e.g.
    ``"term_deposit"`` for the bank marketing file); ``None`` trains on holdings.
    """

    response_product: str | None = None
    holdout: float = 0.5
    seed: int = 42
    top_share: float = P.TOP_SHARE
    max_train_rows: int = 200_000
    pd_cutoff: float | None = None

    def to_dict(self) -> dict:
        return {"response_product": self.response_product, "holdout": self.holdout, "seed": self.seed,
                "top_share": self.top_share, "max_train_rows": self.max_train_rows, "pd_cutoff": self.pd_cutoff}


@dataclass(frozen=True)
class OfferResult:
    """Scores, suitability codes and the top offer of every customer, and the holdout evaluation."""

    mode: str  # "holdings" or "response"
    products: tuple[str, ...]
    labels: dict[str, str]
    features: tuple[str, ...]
    scores: np.ndarray = field(repr=False)  # (customers x products) propensity, float32
    codes: np.ndarray = field(repr=False)  # (customers x products) suitability codes, int8
    base_rates: dict[str, float] = field(default_factory=dict)
    offers: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # offer, offer_label, offer_score, offer_lift, offer_reason
    evaluation: pd.DataFrame = field(default_factory=pd.DataFrame)
    cutoff: float | None = None
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    params: OfferParams = field(default_factory=OfferParams)

    def column(self, product: str) -> int:
        if product not in self.products:
            raise InputError(f"'{product}' is not among the products scored here.",
                             f"Pick one of {', '.join(self.products)}.")
        return self.products.index(product)

    def eligible(self, product: str) -> np.ndarray:
        return self.codes[:, self.column(product)] == OK

    def offer_counts(self) -> pd.DataFrame:
        c = self.offers["offer_label"].replace("", "no offer").value_counts()
        return pd.DataFrame({"offer": c.index, "customers": c.to_numpy(), "share": (c / c.sum()).to_numpy()})

    def blocked(self) -> pd.DataFrame:
        return blocked_table(list(self.products), self.labels, self.codes)

    def summary(self) -> dict:
        return {"mode": self.mode, "products": list(self.products), "features": list(self.features),
                "cutoff": self.cutoff, "notes": list(self.notes), "seconds": round(self.seconds, 2),
                "evaluation": self.evaluation.replace({np.nan: None}).to_dict(orient="records"),
                "offers": self.offer_counts().to_dict(orient="records")}


def _targets(dataset: Dataset, params: OfferParams, catalogue: OfferCatalogue) -> tuple[str, pd.DataFrame, list[str]]:
    """(mode, customers x products 0/1 targets, columns that hold the targets)."""
    if params.response_product is not None:
        if params.response_product not in catalogue.products:
            raise InputError(f"'{params.response_product}' is not in the offer catalogue.",
                             f"Use one of {', '.join(catalogue.products)}.")
        if dataset.schema.target is None:
            raise DataError("This dataset has no target column to read campaign responses from.",
                            "Mark the response column as the target on Home, or train on holdings.")
        y = pd.DataFrame({params.response_product: dataset.target_vector().astype(float)}, index=dataset.frame.index)
        return "response", y, [dataset.schema.target]
    cols = holding_columns(dataset, catalogue)
    held = holdings(dataset, catalogue)
    keep = [p for p in held.columns if p in catalogue.products]
    if not keep:
        raise DataError("No product holdings were found to learn propensities from.",
                        "Tag 0/1 holding columns (e.g. has_mortgage) as products on Home, or pick the campaign "
                        "response target and the product it offered.")
    return "holdings", held[keep], [cols[p] for p in keep]


def next_best_offers(dataset: Dataset, seg: SegmentationResult, params: OfferParams | None = None,
                     catalogue: OfferCatalogue | None = None, progress: Progress | None = None) -> OfferResult:
    """Train, evaluate on a holdout, filter and rank: the next-best offer of every customer."""
    t0 = time.perf_counter()
    params = params or OfferParams()
    catalogue = catalogue or default_catalogue()
    say = progress or no_progress
    if seg.dataset_fingerprint != dataset.fingerprint:
        raise DataError("The segmentation belongs to another dataset.", "Segment this dataset first.")
    mode, Y, target_cols = _targets(dataset, params, catalogue)
    held = holdings(dataset, catalogue)
    features = P.propensity_features(dataset, target_cols)
    if not features:
        raise DataError("No column may be used to predict take-up.", "Add behaviour or balance columns.")
    cats = P.categorical_of(dataset, features)
    X = P.model_frame(dataset.frame, features, cats)
    n = dataset.n_rows
    rng = np.random.default_rng(params.seed)
    order = rng.permutation(n)
    n_test = int(round(params.holdout * n))
    test, rest = np.sort(order[:n_test]), np.sort(order[n_test:])
    train = rest if rest.size <= params.max_train_rows else np.sort(rng.choice(rest, params.max_train_rows, replace=False))
    labels = np.asarray(seg.labels)
    cutoff = params.pd_cutoff or seg.credit.cutoff or catalogue.pd_cutoff
    pd_hat = seg.credit.pd
    products, rows, notes = [], [], []
    scores_cols: list[np.ndarray] = []
    base_rates: dict[str, float] = {}
    for i, p in enumerate(Y.columns):
        say(0.05 + 0.8 * i / max(1, Y.shape[1]), f"Learning who takes up {catalogue.label(p)}")
        y = Y[p].to_numpy(dtype=np.int8)
        own = [target_cols[i]] if mode == "holdings" else []
        feats = [c for c in features if c not in own]
        if y[train].sum() < MIN_POSITIVES or (1 - y[train]).sum() < MIN_POSITIVES:
            notes.append(f"{catalogue.label(p)} was left out: fewer than {MIN_POSITIVES} customers on each side "
                         "to learn from.")
            continue
        leaked = P.leaks(X.iloc[train][feats], y[train], cats)
        if leaked:
            feats = [c for c in feats if c not in leaked]
            notes.append(f"{catalogue.label(p)}: {', '.join(humanize(c) for c in leaked)} left out of its model "
                         "(each gives the holding away on its own).")
        model = P.fit_product(p, X.iloc[train][feats], y[train], cats, params.seed)
        other = P.fit_product(p, X.iloc[test][feats], y[test], cats, params.seed + 1, benchmark=False)
        seg_rate = pd.Series(y[train]).groupby(labels[train]).mean()
        rule = pd.Series(labels[test]).map(seg_rate).fillna(float(y[train].mean())).to_numpy()
        test_scores = model.score(X.iloc[test])
        ev = P.evaluate(y[test], {"model": test_scores, "logistic": model.score_logistic(X.iloc[test]),
                                  "segment_rule": rule}, params.top_share)
        rows.append({"product": p, "label": catalogue.label(p), "kind": catalogue.products[p].kind,
                     "positives": int(y.sum()), "base_rate": float(y.mean()), "holdout_rows": int(test.size),
                     **{f"{m}_{k}": v for m, d in ev.items() for k, v in d.items()}})
        products.append(p)
        base_rates[p] = float(y.mean())
        col = np.empty(n, dtype=np.float32)
        col[test] = test_scores
        col[rest] = other.score(X.iloc[rest])
        scores_cols.append(col)
    if not products:
        raise DataError("No product has enough take-up to learn from.", "Use a larger dataset.")
    say(0.9, "Applying the suitability and risk rules")
    scores = np.column_stack(scores_cols)
    rules = profile_exclusions(seg.profile.means, dataset.schema.semantics, catalogue)
    codes = suitability(products, catalogue, held, labels, pd_hat, cutoff, rules)
    base = np.array([base_rates[p] for p in products], dtype=np.float32)
    codes[(codes == OK) & ~(scores > catalogue.min_lift * base[None, :])] = LOW  # lift must clear the catalogue's minimum
    offers = _rank(products, catalogue, scores, codes, base, pd_hat, cutoff)
    if pd_hat is None and any(catalogue.products[p].kind == CREDIT for p in products):
        notes.append("No credit model: credit products are not offered (train one on the Credit explanation page).")
    say(1.0, "Offers ready")
    return OfferResult(mode, tuple(products), {p: catalogue.label(p) for p in products}, tuple(features), scores, codes,
                       base_rates, offers, pd.DataFrame(rows), cutoff if pd_hat is not None else None, tuple(notes),
                       time.perf_counter() - t0, params)


def _rank(products: list[str], catalogue: OfferCatalogue, scores: np.ndarray, codes: np.ndarray, base: np.ndarray,
          pd_hat: np.ndarray | None, cutoff: float) -> pd.DataFrame:
    """Each customer's best allowed offer (highest propensity) and its reason."""
    masked = np.where(codes == OK, scores, -np.inf)
    best = masked.argmax(axis=1)
    has = np.isfinite(masked[np.arange(len(best)), best])
    score = np.where(has, scores[np.arange(len(best)), best], np.nan)
    keys = np.array(products, dtype=object)[best]
    out = pd.DataFrame({
        "offer": np.where(has, keys, ""),
        "offer_label": np.where(has, [catalogue.label(k) for k in keys], ""),
        "offer_score": np.round(score, 4),
        "offer_lift": np.round(np.where(has, score / base[best], np.nan), 2),
    })
    texts = np.full(len(best), "No product passes the suitability, risk and take-up rules.", dtype=object)
    for j, p in enumerate(products):
        spec = catalogue.products[p]
        rows = np.flatnonzero(has & (best == j))
        for r in rows:
            texts[r] = reason(spec.label, float(scores[r, j]), float(base[j]),
                              float(pd_hat[r]) if pd_hat is not None else None, cutoff, spec.secured_by,
                              spec.kind == CREDIT)
    out["offer_reason"] = texts
    return out
