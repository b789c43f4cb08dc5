import numpy as np
import pandas as pd
import pytest

from core.credit.fairness import age_bands, fairness_report, group_table, sex_from_personal_status


def test_group_table_rates_and_four_fifths():
    y = np.array([0, 0, 0, 1] * 25 + [0, 0, 1, 1] * 25)
    p = np.array([0.1, 0.1, 0.1, 0.9] * 25 + [0.9, 0.1, 0.9, 0.9] * 25)
    g = pd.Series(["A"] * 100 + ["B"] * 100)
    t = group_table(y, p, g, 0.5).set_index("group")
    assert t.loc["A", "approval_rate"] == pytest.approx(0.75)
    assert t.loc["B", "approval_rate"] == pytest.approx(0.25)
    assert t.loc["B", "adverse_impact_ratio"] == pytest.approx(1 / 3)
    assert bool(t.loc["B", "four_fifths_flag"]) and not bool(t.loc["A", "four_fifths_flag"])
    assert t.loc["B", "fpr"] == pytest.approx(0.5)  # half of B's goods declined
    assert t.loc["A", "fnr"] == pytest.approx(0.0)


def test_age_bands_and_german_personal_status():
    assert age_bands(pd.Series([19, 30, 70])).astype(str).tolist() == ["under 25", "25-34", "65+"]
    s = sex_from_personal_status(pd.Series(["male single", "female div/dep/mar", "x"]))
    assert s.tolist()[:2] == ["male", "female"] and pd.isna(s.iloc[2])


def test_report_finds_groups_even_when_excluded_from_model(portfolio):
    rng = np.random.default_rng(0)
    p = rng.random(portfolio.n_rows)
    rep = fairness_report(portfolio.frame, portfolio.target_vector(), p, 0.5, portfolio.schema, extra=["region"])
    assert "age band" in rep and "region" in rep
    assert rep["age band"]["n"].sum() == portfolio.n_rows
