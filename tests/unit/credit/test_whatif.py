import numpy as np
import pytest

from core.credit.whatif import what_if
from core.errors import InputError


def test_what_if_rescoring_and_contributions(model, portfolio):
    row = portfolio.frame.iloc[[3]]
    w = what_if(model, row, {"credit_score": 820, "delinquencies_24m": 0})
    assert w.pd_before == pytest.approx(model.predict_pd(row)[0])
    assert w.pd_after <= w.pd_before
    cmp = w.comparison()
    assert set(cmp.columns) >= {"feature", "contribution_before", "contribution_after", "change"}
    assert w.explanation_after.additivity_residual(model.predict_margin(w.after)) < 1e-4


def test_missing_value_is_refused(model, portfolio):
    with pytest.raises(InputError, match="no value"):
        what_if(model, portfolio.frame.iloc[[3]], {"annual_income": np.nan})


def test_out_of_range_edit_is_clipped_with_warning(model, portfolio):
    lo, hi = model.ranges["debt_to_income"]
    w = what_if(model, portfolio.frame.iloc[[3]], {"debt_to_income": hi + 10})
    assert float(w.after["debt_to_income"].iloc[0]) == pytest.approx(hi)
    assert w.warnings and "clipped" in w.warnings[0]


def test_unknown_category_and_unknown_feature_are_refused(model, portfolio):
    with pytest.raises(InputError, match="not a value"):
        what_if(model, portfolio.frame.iloc[[3]], {"region": "Atlantis"})
    with pytest.raises(InputError, match="does not use"):
        what_if(model, portfolio.frame.iloc[[3]], {"full_name": "X"})
    with pytest.raises(InputError, match="number"):
        what_if(model, portfolio.frame.iloc[[3]], {"credit_score": "abc"})


def test_fields_missing_in_the_original_may_stay_missing(model, portfolio):
    row = portfolio.frame.iloc[[3]].copy()
    row["savings_balance"] = np.nan
    w = what_if(model, row, {"credit_score": 700})
    assert np.isnan(float(w.after["savings_balance"].iloc[0]))
    with pytest.raises(InputError, match="no value"):
        what_if(model, row, {"credit_score": None})


def test_untouched_out_of_range_fields_are_not_clipped(model, portfolio):
    """Only edited fields are clipped: an untouched value outside the training range keeps its score."""
    row = portfolio.frame.iloc[[0]].copy()
    numeric = [f for f in model.feature_names if f in model.ranges]
    f, other = numeric[0], numeric[1]
    row[other] = model.ranges[other][1] * 10 + 1  # far outside the training range, and not edited
    w = what_if(model, row, {f: row.iloc[0][f]})  # a no-op edit
    assert not any(other in msg for msg in w.warnings)
    assert abs(w.pd_after - w.pd_before) < 1e-9
