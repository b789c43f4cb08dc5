import numpy as np
import pandas as pd
import pytest

from core.credit.explain import Explanation, group_explanation, stratified_sample
from core.credit.params import CreditParams
from core.credit.training import fit_credit_model
from core.data.synthetic import TRUE_DRIVERS, generate_portfolio


def test_shap_additivity_in_log_odds(model, portfolio):
    frame = portfolio.frame
    e = model.explain(frame)
    assert e.values.shape == (len(frame), len(model.feature_names))
    assert e.feature_names == model.feature_names
    assert e.additivity_residual(model.predict_margin(frame)) < 1e-4


def test_onehot_shap_is_grouped_back_and_additive(onehot_model, portfolio):
    frame = portfolio.frame.iloc[:1000]
    e = onehot_model.explain(frame)
    assert e.feature_names == onehot_model.feature_names  # original columns, not indicators
    assert "loan_purpose" in e.feature_names
    assert e.additivity_residual(onehot_model.predict_margin(frame)) < 1e-4


def test_probability_view_is_additive_too(model, portfolio):
    frame = portfolio.frame.iloc[:500]
    e = model.explain(frame)
    p = e.to_probability(model.pd_from_margin)
    assert p.output == "probability"
    assert p.additivity_residual(model.predict_pd(frame)) < 1e-5
    assert np.all(np.sign(p.values) * np.sign(e.values) >= 0)  # signs kept


def test_group_explanation_sums_signed_values_before_magnitudes():
    values = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -0.5]])
    data = pd.DataFrame({"c=a": [1, 0], "c=b": [0, 1], "x": [3.0, 4.0]})
    e = Explanation(values, np.zeros(2), data, ["c=a", "c=b", "x"])
    g = group_explanation(e, {"c": ["c=a", "c=b"]})
    assert g.feature_names == ["c", "x"]
    assert g.values.tolist() == [[0.0, 0.5], [2.0, -0.5]]
    assert g.mean_abs()["c"] == 1.0  # |0| and |2|, not |1|+|-1|
    assert g.additivity_residual(e.output_values) < 1e-12


def test_matches_shap_tree_explainer(model, portfolio):
    shap = pytest.importorskip("shap")
    frame = portfolio.frame.iloc[:200]
    ours = model.explain(frame)
    theirs = shap.TreeExplainer(model.booster).shap_values(model.encoder.dmatrix(frame))
    assert np.max(np.abs(np.asarray(theirs) - ours.values)) < 1e-3


def test_stratified_sample_keeps_class_shares():
    y = np.r_[np.zeros(900), np.ones(100)]
    idx = stratified_sample(y, 200, seed=0)
    assert len(idx) == 200 and y[idx].mean() == pytest.approx(0.1)
    assert len(stratified_sample(y, 5000)) == 1000


def test_true_drivers_lead_mean_abs_shap():
    ds = generate_portfolio(20_000, seed=5)
    m = fit_credit_model(ds, CreditParams())
    ranking = list(m.explain(ds.frame).mean_abs().index)
    # all three true drivers among the top five, and the first driver is the first feature
    assert set(TRUE_DRIVERS) <= set(ranking[:5]), ranking[:8]
    assert ranking[0] == TRUE_DRIVERS[0]
