"""Real data: the credit model on UCI German credit (../shared/data/german_credit.csv)."""

import numpy as np
import pytest

from core.credit.fairness import fairness_report
from core.credit.model import CreditParams
from core.credit.service import cross_validate, fit_credit_model

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def german():
    from pathlib import Path

    from core.data.loaders import build_dataset, read_csv_bytes

    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "german_credit.csv"
    if not path.exists():
        pytest.skip("../shared/data/german_credit.csv is not available")
    ds, _ = build_dataset("german_credit", read_csv_bytes(path.read_bytes()), "file:german_credit.csv", target="class")
    return ds


def test_five_fold_auc_of_boosted_model_and_logistic_benchmark(german, capsys):
    cv = cross_validate(german, CreditParams(), folds=5, seed=0)
    mean = cv.iloc[-1]
    with capsys.disabled():
        print(f"\ngerman_credit 5-fold AUC: xgboost {mean['auc_xgboost']:.4f}, logistic {mean['auc_logistic']:.4f}")
    assert mean["auc_xgboost"] >= 0.78
    assert mean["auc_logistic"] >= 0.74


def test_model_with_protected_attributes_excluded_still_checks_fairness(german):
    assert german.schema.positive_label == "bad"
    m = fit_credit_model(german, CreditParams(exclude=("personal_status", "foreign_worker")))
    assert "personal_status" not in m.feature_names and m.meta["split"] == "random"
    assert m.metrics["xgboost"]["auc"] > 0.7
    e = m.explain(german.frame)
    assert e.additivity_residual(m.predict_margin(german.frame)) < 1e-4
    p = m.predict_pd(german.frame)
    rep = fairness_report(german.frame, german.target_vector(), p, 1 / 6, german.schema.semantics)
    assert {"age band", "sex (from personal_status)", "personal_status"} <= set(rep)
    sex = rep["sex (from personal_status)"]
    assert set(sex["group"]) == {"male", "female"}
    assert np.all((sex["adverse_impact_ratio"] > 0) & (sex["adverse_impact_ratio"] <= 1))
