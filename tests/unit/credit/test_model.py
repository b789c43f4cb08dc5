import numpy as np
import pandas as pd
import pytest

from core.credit.calibration import Calibrator
from core.credit.checks import binary_target
from core.credit.encoder import FeatureEncoder, safe_names
from core.credit.params import CreditParams
from core.credit.split import TEST, TRAIN, VALID, split_rows
from core.credit.training import fit_credit_model
from core.data import Dataset, Role
from core.errors import InputError, SchemaError, TargetError

from .conftest import FAST, tiny_dataset


def test_params_validate_and_round_trip():
    p = CreditParams(monotone={"x1": 1}, exclude=["age"], include_protected={"age": "reviewed"},
                     keep_flagged=[("x2", "known at application")])
    assert CreditParams.from_dict(p.to_dict()) == p
    assert p.keep_flagged == {"x2": "known at application"}
    with pytest.raises(InputError):
        CreditParams(monotone={"x1": 2})
    with pytest.raises(InputError):
        CreditParams(test_size=0.9)
    with pytest.raises(InputError, match="reason"):
        CreditParams(include_protected={"age": "  "})


def test_encoder_keeps_training_categories_and_maps_unseen_and_inf_to_missing():
    frame = pd.DataFrame({"n": [1.0, 2.0, np.nan], "c": ["a", "b", "a"]})
    enc = FeatureEncoder.fit(frame, ["n", "c"], ["c"])
    x = enc.native_matrix(pd.DataFrame({"n": ["3", np.inf], "c": ["b", "zzz"]}))
    assert x[0].tolist() == [3.0, 1.0]
    assert np.isnan(x[1]).all()
    assert list(enc.raw(frame)["c"].cat.categories) == ["a", "b"]
    onehot = FeatureEncoder.fit(frame, ["n", "c"], ["c"], "onehot")
    assert onehot.transform(frame).shape == (3, 3)
    assert onehot.groups == {"n": [0], "c": [1, 2]}
    with pytest.raises(InputError):
        enc.native_matrix(pd.DataFrame({"n": [1.0]}))


def test_safe_names_for_xgboost():
    assert safe_names(["a[1]", "b<2", "a_1_", "x,y"]) == ["a_1_", "b_2", "a_1__2", "x_y"]


def test_binary_target_errors():
    f = pd.DataFrame({"t": [0, 0, 0]})
    with pytest.raises(TargetError, match="single class"):
        binary_target(f, "t", 1)
    with pytest.raises(TargetError, match="3 distinct values"):
        binary_target(pd.DataFrame({"t": [0, 1, 2]}), "t", 1)
    with pytest.raises(TargetError, match="no target"):
        binary_target(f, None, 1)
    with pytest.raises(TargetError, match="only 2 defaults"):
        binary_target(pd.DataFrame({"t": [1, 1] + [0] * 48}), "t", 1)
    assert binary_target(pd.DataFrame({"t": ["good", "bad"] * 5}), "t", "bad").tolist() == [0, 1] * 5


def test_split_is_time_based_with_dates_and_stratified_without():
    rng = np.random.default_rng(0)
    y = (rng.random(1000) < 0.2).astype(int)
    dates = pd.Series(pd.date_range("2020-01-01", periods=1000, freq="D")).sample(frac=1, random_state=0).reset_index(drop=True)
    labels, how = split_rows(y, 0.2, 0.2, 0, dates)
    assert how == "time"
    assert dates[labels == TEST].min() > dates[labels == VALID].max() > dates[labels == TRAIN].max()
    labels, how = split_rows(y, 0.2, 0.2, 0)
    assert how == "random"
    assert abs(y[labels == TEST].mean() - y.mean()) < 0.02
    assert (labels == TEST).mean() == pytest.approx(0.2, abs=0.01)


def test_small_split_keeps_both_classes_in_every_part():
    for seed in range(20):
        y = np.r_[np.ones(5, int), np.zeros(45, int)]
        labels, _ = split_rows(y, 0.2, 0.2, seed)
        for part in (TRAIN, VALID, TEST):
            assert set(y[labels == part]) == {0, 1}


def test_synthetic_model_is_time_split_and_keeps_ids_pii_and_protected_out(model):
    assert model.meta.split.how == "time"
    assert model.meta.metrics.xgboost.auc > 0.8
    assert 0.6 < model.meta.metrics.logistic.auc <= 1
    for c in ("customer_id", "full_name", "email", "default_12m", "age"):
        assert c not in model.feature_names
    assert "Regulation B" in model.meta.excluded["age"]
    assert model.meta.protected == ("age",)


def test_monotone_constraints_hold(model, portfolio):
    assert model.monotone["credit_score"] == -1 and model.monotone["delinquencies_24m"] == 1
    row = portfolio.frame.iloc[[0]]
    grid = pd.concat([row] * 50, ignore_index=True)
    grid["credit_score"] = np.linspace(400, 850, 50)
    assert np.all(np.diff(model.predict_margin(grid)) <= 1e-9)
    grid = pd.concat([row] * 10, ignore_index=True)
    grid["delinquencies_24m"] = np.arange(10)
    assert np.all(np.diff(model.predict_margin(grid)) >= -1e-9)


def test_pd_is_calibrated_probability(model, portfolio):
    p = model.predict_pd(portfolio.frame)
    assert p.min() >= 0 and p.max() <= 1
    test = model.split_labels == TEST
    assert abs(p[test].mean() - portfolio.target_vector()[test].mean()) < 0.05


def test_calibrators_are_monotone():
    rng = np.random.default_rng(0)
    m = rng.normal(size=6000)
    y = (rng.random(6000) < 1 / (1 + np.exp(-(2 * m - 1)))).astype(int)
    grid = np.linspace(-4, 4, 200)
    for method in ("isotonic", "platt"):
        c = Calibrator.fit(m, y, method)
        assert np.all(np.diff(c(grid)) >= 0)
        assert Calibrator.from_dict(c.to_dict())(grid).tolist() == c(grid).tolist()
    assert Calibrator.fit(m, y, "auto").method == "platt"
    iso = Calibrator.fit(m, y, "isotonic")
    assert 0 < iso(np.array([-50.0]))[0] and iso(np.array([50.0]))[0] < 1  # never exactly 0 or 1
    with pytest.raises(TargetError, match="single outcome"):
        Calibrator.fit(m[:10], np.zeros(10, int))


def test_id_like_feature_is_refused():
    ds = tiny_dataset()
    frame = ds.frame.assign(account_key=[f"K{i:05d}" for i in range(len(ds.frame))])
    roles = {**ds.schema.roles, "account_key": Role.CATEGORICAL}
    bad = Dataset.build("t", frame, ds.schema.__class__(roles, {}, 1), "test")
    with pytest.raises(SchemaError, match="identifier"):
        fit_credit_model(bad, CreditParams(**FAST))


def test_single_class_target_is_refused():
    ds = tiny_dataset()
    frame = ds.frame.assign(default=0)
    with pytest.raises(TargetError):
        fit_credit_model(Dataset.build("t", frame, ds.schema, "test"), CreditParams(**FAST))


def test_feature_names_with_brackets_and_angles_train_and_explain():
    ds = tiny_dataset()
    frame = ds.frame.rename(columns={"x1": "balance[eur]", "x2": "age<30 share"})
    roles = {("balance[eur]" if c == "x1" else "age<30 share" if c == "x2" else c): r for c, r in ds.schema.roles.items()}
    named = Dataset.build("t", frame, ds.schema.__class__(roles, {}, 1), "test")
    m = fit_credit_model(named, CreditParams(**FAST))
    assert "balance[eur]" in m.feature_names
    e = m.explain(frame.iloc[:50])
    assert e.feature_names == m.feature_names
    assert e.additivity_residual(m.predict_margin(frame.iloc[:50])) < 1e-4


def test_infinite_values_train_as_missing_with_a_warning():
    ds = tiny_dataset()
    frame = ds.frame.copy()
    frame.loc[:9, "x1"] = np.inf
    frame.loc[10:14, "x2"] = -np.inf
    m = fit_credit_model(Dataset.build("t", frame, ds.schema, "test"), CreditParams(**FAST))
    assert any("'x1' holds 10 infinite" in w for w in m.warnings)
    assert np.isfinite(m.predict_pd(frame)).all()


def test_fifty_row_file_trains_or_says_why():
    ds = tiny_dataset(n=50, seed=3)
    m = fit_credit_model(ds, CreditParams(**FAST))
    for part in (TRAIN, VALID, TEST):
        assert len(set(ds.target_vector()[m.split_labels == part])) == 2
    y = np.r_[np.ones(3, int), np.zeros(47, int)]
    few = Dataset.build("t", ds.frame.assign(default=y), ds.schema, "test")
    with pytest.raises(TargetError, match="only 3 defaults"):
        fit_credit_model(few, CreditParams(**FAST))


def test_depth_is_chosen_on_the_validation_split():
    from core.data.loaders import build_dataset

    rng = np.random.default_rng(4)
    n = 4000
    x = rng.normal(size=(n, 3))
    logit = 2.5 * np.sign(x[:, 0] * x[:, 1] * x[:, 2])  # a three-way interaction: depth 2 cannot express it
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "default": y})
    ds, _ = build_dataset("xor", frame, "test", target="default")
    m = fit_credit_model(ds, CreditParams(n_estimators=300, learning_rate=0.1, early_stopping_rounds=30))
    assert m.meta.params.max_depth is None and m.meta.depth >= 3
    linear = fit_credit_model(tiny_dataset(n=1500, seed=1), CreditParams(n_estimators=300, learning_rate=0.1))
    assert linear.meta.depth in (2, 3, 4, 5)


def test_health_warns_when_below_the_benchmark_or_overfitting(model):
    from dataclasses import replace

    from core.credit.metadata import MetricSummary

    weak = replace(model.meta.metrics.xgboost, auc=model.meta.metrics.logistic.auc - 0.01)
    meta = replace(model.meta, metrics=replace(model.meta.metrics, xgboost=weak, train_auc=weak.auc + 0.2))
    text = " ".join(meta.health())
    assert "is below its logistic-regression benchmark" in text and "overfits" in text
    assert isinstance(weak, MetricSummary)
    close = replace(model.meta.metrics.xgboost, auc=model.meta.metrics.logistic.auc - 0.003)  # within noise
    assert not replace(model.meta, metrics=replace(model.meta.metrics, xgboost=close)).metrics.below_benchmark
    assert not model.meta.health() or all("benchmark" in h or "overfits" in h for h in model.meta.health())
