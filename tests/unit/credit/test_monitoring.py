"""Scoring other datasets, stability against the training data, champion/challenger, the reason export."""

import numpy as np
import pytest

from core.credit.monitoring import compare_models, stability
from core.credit.params import CreditParams
from core.credit.reason_export import export_reasons, reason_table
from core.credit.scores import score_dataset
from core.credit.training import fit_credit_model
from core.data.dataset import Dataset
from core.data.synthetic import MacroConditions, generate_portfolio
from core.errors import InputError

from .conftest import FAST


def test_model_scores_another_dataset_all_rows_out_of_sample(model, portfolio):
    other = generate_portfolio(1500, seed=99)
    s = score_dataset(model, other)
    assert not s.trained_here and s.test.all() and len(s) == 1500
    own = score_dataset(model, portfolio)
    assert own.trained_here and own.test.sum() == model.meta.split.test


def test_psi_is_against_training_data_never_against_itself(model, portfolio):
    own = stability(model, portfolio, score_dataset(model, portfolio))
    assert own.rows == model.meta.split.test and "test split" in own.against
    assert set(own.features["feature"]) == set(model.feature_names)
    stressed = generate_portfolio(4000, seed=11, macro=MacroConditions(unemployment_shift_pp=5.0, policy_rate_shift_bp=400,
                                                                       house_price_shift_pct=-25.0))
    shifted = stability(model, stressed, score_dataset(model, stressed))
    top = shifted.features.set_index("feature")["csi"]
    assert top["regional_unemployment"] > 0.25 and top["regional_unemployment"] > top["credit_score"]
    # a riskier book (bureau scores 60 points lower, the model's strongest feature) moves the scores themselves
    frame = portfolio.frame.assign(credit_score=portfolio.frame["credit_score"] - 60)
    riskier = Dataset.build("Riskier book", frame, portfolio.schema, "test")
    drifted = stability(model, riskier, score_dataset(model, riskier))
    assert drifted.psi > max(own.psi, 0.1) and "every row" in drifted.against
    assert drifted.features.set_index("feature")["csi"]["credit_score"] > 0.25


def test_champion_challenger_on_the_same_rows(model, portfolio):
    challenger = fit_credit_model(portfolio, CreditParams(**{**FAST, "max_depth": 2, "n_estimators": 40}))
    fresh = generate_portfolio(2000, seed=5)
    table, rows = compare_models([model, challenger], fresh)
    assert rows == 2000 and list(table.columns[:3]) == ["model", "trained_on", "features"]
    assert set(table["model"]) == {model.fingerprint, challenger.fingerprint}
    assert (table["auc"] > 0.7).all() and table["auc"].is_monotonic_decreasing
    table, rows = compare_models([model, challenger], portfolio)  # only rows neither was trained on
    assert rows == model.meta.split.test
    with pytest.raises(InputError):
        compare_models([], portfolio)


def test_reason_export_never_cites_protected_macro_or_geographic(model, portfolio):
    s = score_dataset(model, portfolio)
    records = export_reasons(model, portfolio, s, 0.15, limit=200)
    assert 0 < len(records) <= 200 and all(r.decision == "declined" for r in records)
    assert [r.pd for r in records] == sorted((r.pd for r in records), reverse=True)
    banned = {"age", "region", "regional_unemployment", "policy_rate", "house_price_change"}
    cited = {x.feature for r in records for x in r.reasons}
    assert cited and not cited & banned
    assert any(r.withheld for r in records)  # their effects are reported separately
    for r in records:
        assert all(x.contribution > 0 for x in r.reasons) and len(r.reasons) <= 4
    table = reason_table(records)
    assert len(table) == len(records) and (table["pd"] >= 0.15).all()
    everyone = export_reasons(model, portfolio, s, 0.15, declined_only=False, limit=50)
    assert {r.decision for r in everyone} <= {"declined", "approved"} and len(everyone) == 50
    assert np.isfinite([r.pd for r in everyone]).all()


def test_withheld_effects_for_the_portfolio_and_scenarios(model, portfolio):
    from core.credit.reason_export import withheld_effects

    t = withheld_effects(model, model.explain(portfolio.frame.iloc[:500]))
    assert set(t["feature"]) == {"region", "regional_unemployment", "policy_rate", "house_price_change"}
    assert (t["mean_abs"] >= 0).all() and t["mean_abs"].is_monotonic_decreasing
