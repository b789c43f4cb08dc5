import numpy as np
import pytest

from core.scenarios.early_warning import early_warning
from core.scenarios.fidelity import fidelity_report


def test_identical_data_scores_high_and_is_undetectable(frame):
    a, b = frame.iloc[::2].reset_index(drop=True), frame.iloc[1::2].reset_index(drop=True)
    rep = fidelity_report(a, b, ["region", "employment_status", "product_type"], with_quality_report=False)
    assert rep.scores["column_shapes"] > 0.85 and rep.scores["pair_trends"] > 0.9
    assert rep.scores["detection_auc_gbm"] < 0.65


@pytest.mark.slow
def test_generated_data_is_scored_and_tstr_runs(tiny_vae, frame):
    syn = tiny_vae.sample(len(frame), seed=0)
    rep = fidelity_report(frame.iloc[:600], syn, ["region", "employment_status", "product_type"], target="has_mortgage",
                          positive=1, real_holdout=frame.iloc[600:])
    s = rep.scores
    assert 0 <= s["quality_report"] <= 1 and 0.5 <= s["detection_auc_gbm"] <= 1
    assert np.isfinite(s["tstr_auc"]) and np.isfinite(s["trtr_auc"])
    assert set(rep.column_shapes["column"]) == set(frame.columns)


def test_early_warning_lists_the_most_unusual_customers_with_reasons(tiny_vae, portfolio):
    ew = early_warning(tiny_vae, portfolio, top=5)
    assert len(ew.top) == 5 and len(ew.scores) == portfolio.n_rows
    assert ew.top["score"].is_monotonic_decreasing
    assert ew.top["id"].str.startswith("C").all() and ew.top["unusual"].str.len().gt(0).all()
