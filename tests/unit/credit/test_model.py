import numpy as np
import pandas as pd
import pytest

from core.credit.model import (
    TEST,
    TRAIN,
    VALID,
    Calibrator,
    CreditParams,
    FeatureEncoder,
    LeakageError,
    binary_target,
    split_rows,
)
from core.credit.service import fit_credit_model
from core.data import Dataset, Role
from core.errors import InputError, SchemaError, TargetError

from .conftest import FAST, tiny_dataset


def test_params_validate_and_round_trip():
    p = CreditParams(monotone={"x1": 1}, exclude=["age"])
    assert CreditParams.from_dict(p.to_dict()) == p
    with pytest.raises(InputError):
        CreditParams(monotone={"x1": 2})
    with pytest.raises(InputError):
        CreditParams(test_size=0.9)


def test_encoder_keeps_training_categories_and_maps_unseen_to_missing():
    frame = pd.DataFrame({"n": [1.0, 2.0, np.nan], "c": ["a", "b", "a"]})
    enc = FeatureEncoder.fit(frame, ["n", "c"], ["c"])
    x = enc.native_matrix(pd.DataFrame({"n": ["3", None], "c": ["b", "zzz"]}))
    assert x[0].tolist() == [3.0, 1.0]
    assert np.isnan(x[1]).all()
    raw = enc.raw(frame)
    assert list(raw["c"].cat.categories) == ["a", "b"]
    onehot = FeatureEncoder.fit(frame, ["n", "c"], ["c"], "onehot")
    assert onehot.transform(frame).shape == (3, 3)
    assert onehot.groups == {"n": [0], "c": [1, 2]}
    with pytest.raises(InputError):
        enc.native_matrix(pd.DataFrame({"n": [1.0]}))


def test_binary_target_errors():
    f = pd.DataFrame({"t": [0, 0, 0]})
    with pytest.raises(TargetError, match="single class"):
        binary_target(f, "t", 1)
    with pytest.raises(TargetError, match="3 distinct values"):
        binary_target(pd.DataFrame({"t": [0, 1, 2]}), "t", 1)
    with pytest.raises(TargetError, match="no target"):
        binary_target(f, None, 1)
    assert binary_target(pd.DataFrame({"t": ["good", "bad"]}), "t", "bad").tolist() == [0, 1]


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


def test_synthetic_model_is_time_split_and_beats_nothing(model):
    assert model.meta["split"] == "time"
    assert model.metrics["xgboost"]["auc"] > 0.8
    assert 0.6 < model.metrics["logistic"]["auc"] <= 1
    assert "customer_id" not in model.feature_names and "full_name" not in model.feature_names
    assert "email" not in model.feature_names and "default_12m" not in model.feature_names


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


def test_leakage_warns_or_refuses():
    ds = tiny_dataset()
    y = ds.frame["default"].to_numpy()
    frame = ds.frame.assign(recovery_amount=y * 1000.0 + np.random.default_rng(1).normal(size=len(y)))
    roles = {**ds.schema.roles, "recovery_amount": Role.NUMERIC}
    leaky = Dataset.build("t", frame, ds.schema.__class__(roles, {}, 1), "test")
    m = fit_credit_model(leaky, CreditParams(**FAST))
    assert any("leakage" in w and "recovery_amount" in w for w in m.warnings)
    with pytest.raises(LeakageError, match="recovery_amount"):
        fit_credit_model(leaky, CreditParams(leakage="error", **FAST))
    clean = fit_credit_model(leaky, CreditParams(exclude=("recovery_amount",), **FAST))
    assert clean.warnings == [] and "recovery_amount" not in clean.feature_names


def test_excluded_protected_attribute_is_not_a_feature(portfolio):
    m = fit_credit_model(portfolio, CreditParams(exclude=("age",), **FAST))
    assert "age" not in m.feature_names
    assert m.predict_pd(portfolio.frame.drop(columns=["age"])).shape == (portfolio.n_rows,)
