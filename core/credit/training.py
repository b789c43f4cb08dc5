"""Fitting a credit model: check the data, choose the features, split, boost, calibrate, benchmark, measure.

:func:`fit_credit_model` is pure (no workspace, no registry): it returns a new
:class:`~core.credit.model.CreditModel` whose fingerprint is :func:`model_key` of the dataset and
parameters. Persisting, registering and logging it is the lifecycle's job (:mod:`core.credit.store`).
"""

from __future__ import annotations

import time

import numpy as np

from core.credit import metrics as M
from core.credit.benchmark import LogisticBenchmark
from core.credit.booster import fit_booster
from core.credit.calibration import Calibrator
from core.credit.catalogue import default_monotone
from core.credit.checks import binary_target, check_features, infinite_values
from core.credit.drift import profiles_of
from core.credit.encoder import FeatureEncoder
from core.credit.features import select_features
from core.credit.metadata import DatasetInfo, MetricSummary, ModelMeta, ModelMetrics, SplitInfo
from core.credit.model import CreditModel
from core.credit.params import CreditParams
from core.credit.split import TEST, TRAIN, VALID, split_rows
from core.data import Dataset
from core.progress import Progress, no_progress, scaled
from core.runtime.registry import fingerprint_of

ARTIFACT_VERSION = 3  # bump when the artifact layout or the training recipe changes
REFERENCE_ROWS = 20_000
DEFAULT_COSTS = (5.0, 1.0)  # a bad accepted costs five goods declined (the UCI German-credit cost matrix)


def model_key(dataset: Dataset, params: CreditParams) -> str:
    """The fingerprint of the model fitted on ``dataset`` with ``params`` (the artifact's name)."""
    return fingerprint_of("credit_model", ARTIFACT_VERSION, dataset.fingerprint, params.to_dict())


def bayes_cutoff(cost_bad_accepted: float, cost_good_declined: float) -> float:
    """With calibrated PDs, declining when ``pd >= c_good / (c_good + c_bad)`` minimises the expected cost."""
    return cost_good_declined / (cost_good_declined + cost_bad_accepted)


def fit_credit_model(dataset: Dataset, params: CreditParams | None = None, device: str = "cpu",
                     progress: Progress | None = None) -> CreditModel:
    """Check the data, split it, fit booster + calibrator + benchmark, and measure them on the test split."""
    params = params or CreditParams()
    say = progress or no_progress
    t0 = time.perf_counter()
    frame = dataset.frame
    say(0.02, "Checking the data")
    y = binary_target(frame, dataset.schema.target, dataset.schema.positive_label)
    selection = select_features(dataset, params, y)
    features, categorical = selection.features, selection.categorical
    check_features(frame, features)
    warnings = list(selection.warnings)
    for c, k in infinite_values(frame, features).items():
        warnings.append(f"'{c}' holds {k:,} infinite value(s); they were read as missing.")
    encoder = FeatureEncoder.fit(frame, features, categorical, params.encoding)
    x = encoder.native_matrix(frame)
    raw = encoder.raw_from_matrix(x, frame.index)

    date_col = dataset.schema.semantics.get("date")
    use_time = params.split != "random" and date_col in frame.columns
    split, how = split_rows(y, params.test_size, params.valid_size, params.seed, frame[date_col] if use_time else None)
    if params.split == "time" and how != "time":
        warnings.append("A time-based split was asked for but the data has no usable date; a stratified random split was used.")
    tr, va, te = (np.flatnonzero(split == k) for k in (TRAIN, VALID, TEST))
    monotone = params.monotone_for(features, set(categorical), default_monotone())

    booster, depth = fit_booster(encoder, raw.iloc[tr], y[tr], raw.iloc[va], y[va], params, monotone, device,
                                 scaled(say, 0.05, 0.8))
    say(0.82, "Calibrating on the validation split")
    margin = booster.predict(encoder.dmatrix(x), output_margin=True, validate_features=False).astype(np.float64)
    calibrator = Calibrator.fit(margin[va], y[va], params.calibration)
    pd_all = np.clip(calibrator(margin), 0, 1)

    say(0.88, "Fitting the logistic-regression benchmark")
    benchmark = LogisticBenchmark().fit(raw.iloc[tr], y[tr], categorical)
    lr_pd = benchmark.predict_pd(raw.iloc[te])

    say(0.95, "Measuring on the test split")
    metrics = ModelMetrics(MetricSummary.of(M.summary(y[te], pd_all[te])), MetricSummary.of(M.summary(y[te], lr_pd)),
                           M.auc(y[tr], margin[tr]), M.auc(y[te], margin[te]), M.psi(pd_all[tr], pd_all[te]))
    rng = np.random.default_rng(params.seed)
    ref_rows = tr if len(tr) <= REFERENCE_ROWS else np.sort(rng.choice(tr, REFERENCE_ROWS, replace=False))
    reference = {"split": split, "train_pd": pd_all[ref_rows].astype(np.float32),
                 "train_margin": margin[ref_rows].astype(np.float32)}
    import xgboost

    meta = ModelMeta(
        fingerprint=model_key(dataset, params), version=ARTIFACT_VERSION,
        dataset=DatasetInfo(dataset.name, dataset.fingerprint, dataset.source, int(len(frame)), str(dataset.schema.target),
                            _plain(dataset.schema.positive_label)),
        params=params, monotone=monotone, depth=int(depth),
        split=SplitInfo(how, int(len(tr)), int(len(va)), int(len(te)), date_col if how == "time" else None),
        n_trees=int(booster.num_boosted_rounds()), calibration=calibrator.method, metrics=metrics,
        profiles=profiles_of(encoder, x[tr]), tags=selection.tags,
        units={f: u for f, u in dataset.schema.units.items() if f in features}, decisions=selection.decisions,
        protected=tuple(dataset.schema.protected_columns()), warnings=tuple(warnings),
        default_cutoff=bayes_cutoff(*DEFAULT_COSTS), device="cuda" if device == "cuda" else "cpu",
        train_seconds=round(time.perf_counter() - t0, 3), xgboost_version=xgboost.__version__)
    say(1.0, "Done")
    return CreditModel(booster, encoder, calibrator, benchmark, meta, reference, meta.device)


def _plain(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v
