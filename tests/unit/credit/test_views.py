"""Interaction values, partial dependence / ICE, LIME agreement, scorecard points and cohorts."""

import numpy as np
import pytest

from core.credit.cohorts import Filter, compare
from core.credit.interactions import interaction_values
from core.credit.lime_local import agreement, lime_explanation
from core.credit.pdp import partial_dependence
from core.credit.scorecard import Scaling, points
from core.credit.trees import compile_booster
from core.errors import InputError


def test_compiled_trees_predict_like_xgboost(model, onehot_model, portfolio):
    for m in (model, onehot_model):
        x = m.encoder.transform(portfolio.frame.iloc[:500])
        assert np.allclose(compile_booster(m.booster).predict_margin(x), m.predict_margin(portfolio.frame.iloc[:500]), atol=1e-4)


def test_interaction_values_match_xgboost_and_add_up(model, onehot_model, portfolio):
    frame = portfolio.frame.iloc[:300]
    iv = interaction_values(model, frame)
    ref = model.booster.predict(model.encoder.dmatrix(frame), pred_interactions=True)
    assert np.max(np.abs(iv.values - ref[:, :-1, :-1])) < 1e-4
    assert np.allclose(iv.values, np.transpose(iv.values, (0, 2, 1)), atol=1e-9)
    assert np.max(np.abs(iv.shap_values() - model.explain(frame).values)) < 1e-4
    assert np.max(np.abs(iv.base_value + iv.values.sum(axis=(1, 2)) - model.predict_margin(frame))) < 1e-4
    top = iv.top_pairs(5)
    assert len(top) == 5 and (top["mean_abs_interaction"].diff().dropna() <= 1e-12).all()
    grouped = interaction_values(onehot_model, frame)
    assert grouped.values.shape == (300, len(onehot_model.feature_names), len(onehot_model.feature_names))
    assert np.max(np.abs(grouped.shap_values() - onehot_model.explain(frame).values)) < 1e-4


def _brute(model, frame, feature, grid):
    x = model.encoder.native_matrix(frame)
    j = model.feature_names.index(feature)
    out = []
    for g in grid:
        xi = x.copy()
        xi[:, j] = g
        out.append(model.pd_from_margin(model.margin_from_matrix(xi)))
    return np.column_stack(out)


def test_partial_dependence_and_ice_are_exact(model, portfolio):
    frame = portfolio.frame.iloc[:1500]
    pdp = partial_dependence(model, frame, "credit_score", points=15, ice=20)
    brute = _brute(model, frame, "credit_score", pdp.grid)
    assert np.max(np.abs(brute.mean(axis=0) - pdp.average)) < 1e-6
    assert np.max(np.abs(brute[pdp.ice_rows] - pdp.ice)) < 1e-6
    assert np.all(np.diff(pdp.average) <= 1e-9)  # monotone constraint: a higher score never raises the PD
    cat = partial_dependence(model, frame, "loan_purpose", ice=10)
    assert cat.categorical and cat.grid == model.encoder.categories["loan_purpose"]
    codes = np.arange(len(cat.grid), dtype=float)
    assert np.max(np.abs(_brute(model, frame, "loan_purpose", codes).mean(axis=0) - cat.average)) < 1e-6
    with pytest.raises(InputError):
        partial_dependence(model, frame, "age")


def test_lime_agrees_with_shap_on_the_leading_drivers(model, portfolio):
    p = model.predict_pd(portfolio.frame)
    i = int(np.argmax(p))
    row = portfolio.frame.iloc[[i]]
    lime = lime_explanation(model, row, portfolio.frame, samples=1500)
    assert set(lime.weights.index) == set(model.feature_names)
    assert lime.model_pd == pytest.approx(p[i], abs=1e-6)
    a = agreement(model.explain(row), lime, k=5)
    assert 0 <= a.top_overlap <= 1 and a.top_overlap >= 0.4
    assert a.label in ("strong", "partial", "weak")


def test_scorecard_points_add_up_and_double_the_odds(model, portfolio):
    s = Scaling(600, 30, 20)
    assert s.score(np.array([1 / 31]))[0] == pytest.approx(600)
    assert s.score(np.array([1 / 61]))[0] == pytest.approx(620)
    e = model.explain(portfolio.frame.iloc[:200])
    pts = points(e, model.pd_from_margin, s)
    assert np.allclose(pts.base + pts.points.sum(axis=1).to_numpy(), pts.total)
    assert np.allclose(pts.total, s.score(model.predict_pd(portfolio.frame.iloc[:200])))
    assert np.all(np.sign(pts.points.to_numpy()) * np.sign(e.values) <= 0)  # raising the risk costs points


def test_cohorts_side_by_side(model, portfolio):
    frame = portfolio.frame.iloc[:2000]
    e = model.explain(frame)
    p = model.predict_pd(frame)
    y = portfolio.target_vector()[:2000]
    a = Filter("product_type", ("mortgage",)).mask(frame)
    b = Filter("debt_to_income", low=0.45, high=5.0).mask(frame)
    cmp = compare(e, p, y, a, b, 0.15, ("mortgages", "high DTI"))
    assert list(cmp.summary["cohort"]) == ["mortgages", "high DTI"]
    assert cmp.summary.loc[1, "mean_pd"] > cmp.summary.loc[0, "mean_pd"]
    assert cmp.drivers.iloc[0]["feature"] in model.feature_names
    with pytest.raises(InputError, match="holds no applicant"):
        compare(e, p, y, a, np.zeros(2000, bool), 0.15)
