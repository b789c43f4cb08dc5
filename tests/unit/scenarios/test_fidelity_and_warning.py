import numpy as np
import pandas as pd
import pytest

from core.scenarios.checks import month_families, pair_checks
from core.scenarios.copula import GaussianCopula
from core.scenarios.detection import detection_auc
from core.scenarios.fidelity import fidelity_report, recommend, verdict
from core.scenarios.privacy import privacy_report
from core.scenarios.quality import (
    contingency_similarity,
    correlation_similarity,
    ks_complement,
    quality_score,
    tv_complement,
)

CATS = ["region", "employment_status", "product_type"]


def test_quality_metrics_by_hand():
    a = pd.Series([1.0, 2.0, 3.0, 4.0])
    assert ks_complement(a, a) == 1.0 and ks_complement(a, a + 10) == 0.0
    assert tv_complement(pd.Series(list("aabb")), pd.Series(list("aaab"))) == pytest.approx(0.75)
    x = pd.DataFrame({"a": [1, 2, 3, 4, 5.0], "b": [2, 4, 6, 8, 10.0]})
    y = pd.DataFrame({"a": [1, 2, 3, 4, 5.0], "b": [10, 8, 6, 4, 2.0]})
    score, rr, rs = correlation_similarity(x, y)
    assert rr == pytest.approx(1.0) and rs == pytest.approx(-1.0) and score == pytest.approx(0.0)
    weak = pd.DataFrame({"a": [1, 2, 3, 4, 5.0], "b": [3, 1, 4, 1, 5.0]})
    assert np.isnan(correlation_similarity(weak, weak)[0])  # |r| <= 0.5 in the real data: not counted
    c = pd.DataFrame({"u": list("aabb"), "v": list("xxyy")})
    assert contingency_similarity(c, c) == 1.0
    assert contingency_similarity(c, pd.DataFrame({"u": list("aabb"), "v": list("xyxy")})) == pytest.approx(0.5)


def test_identical_halves_score_high_and_a_shuffle_is_detected(frame):
    a, b = frame.iloc[::2].reset_index(drop=True), frame.iloc[1::2].reset_index(drop=True)
    q = quality_score(a, b, set(CATS))
    assert q.shapes > 0.85 and q.pairs > 0.9 and q.score == pytest.approx((q.shapes + q.pairs) / 2)
    assert detection_auc(a, b, set(CATS))["detection_auc"] < 0.65
    broken = b.copy()
    broken["credit_score"] = np.random.default_rng(0).permutation(broken["credit_score"].to_numpy())
    broken["card_utilisation"] = np.random.default_rng(1).permutation(broken["card_utilisation"].to_numpy())
    assert detection_auc(a, broken, set(CATS))["detection_auc"] > 0.6


def test_verdict_warns_above_point_eight():
    assert verdict(0.55).level == "good" and verdict(0.75).level == "fair"
    w = verdict(0.93)
    assert w.level == "warn" and "above 0.8" in w.text


def test_pair_checks_spot_balance_over_limit_and_broken_monthly_sequences():
    rng = np.random.default_rng(0)
    n = 2000
    limit = rng.uniform(1000, 5000, n)
    base = rng.uniform(0, 1, n)
    real = pd.DataFrame({"LIMIT_BAL": limit, **{f"BILL_AMT{i}": limit * np.clip(base + 0.02 * rng.standard_normal(n), 0, 0.95)
                                              for i in range(1, 7)}})
    syn = real.copy()
    for i in range(1, 7):
        syn[f"BILL_AMT{i}"] = rng.permutation(real[f"BILL_AMT{i}"].to_numpy()) * 1.3
    assert month_families(list(real.columns)) == {"BILL_AMT": [f"BILL_AMT{i}" for i in range(1, 7)]}
    checks = pair_checks(real, syn).set_index("check")
    assert checks.loc["balance over the limit", "real"] == 0 and checks.loc["balance over the limit", "generated"] > 0.05
    assert checks.loc["consecutive months (mean correlation)", "real"] > 0.9 > checks.loc[
        "consecutive months (mean correlation)", "generated"] + 0.5


def test_privacy_flags_copies_of_training_rows(frame):
    train, hold = frame.iloc[:500], frame.iloc[500:]
    copies = privacy_report(train, hold, train.sample(300, random_state=0), set(CATS))
    fresh = privacy_report(train, hold, hold.sample(200, random_state=0), set(CATS))
    assert copies["exact_copies"] == 1.0 and copies["membership_auc"] > 0.7
    assert fresh["exact_copies"] < 0.05 and fresh["membership_auc"] < 0.6


def test_copula_baseline_and_recommendation(frame):
    cop = GaussianCopula(0).fit(frame, CATS)
    syn = cop.sample(600, seed=1)
    assert list(syn.columns) == list(frame.columns) and syn["region"].isin(frame["region"]).all()
    rep = fidelity_report(frame.iloc[:600], frame.iloc[600:], syn, CATS, target="has_mortgage", positive=1)
    s = rep.scores
    assert 0 <= s["quality_report"] <= 1 and 0.5 <= s["detection_auc"] <= 1 and np.isfinite(s["tstr_auc"])
    same = fidelity_report(frame.iloc[:600], frame.iloc[600:], frame.iloc[600:], CATS, with_privacy=False)
    best, why = recommend({"copula": rep, "real rows": same})
    assert best == "real rows" and "recommended" in why
    assert not any("pair trends are not scored" in n for n in rep.notes)


def test_unrelated_columns_leave_pair_trends_unscored_and_say_so():
    rng = np.random.default_rng(3)
    real = pd.DataFrame({"age": rng.integers(18, 80, 400), "balance": rng.gamma(2.0, 900.0, 400),
                         "income": rng.lognormal(10.5, 0.4, 400)})
    syn = real.apply(lambda c: rng.permutation(c.to_numpy()))
    rep = fidelity_report(real.iloc[:300], real.iloc[300:], syn, [], with_privacy=False)
    assert np.isnan(rep.scores["pair_trends"]) and rep.scores["quality_report"] == rep.scores["column_shapes"]
    assert any("pair trends are not scored" in n for n in rep.notes)


@pytest.mark.slow
def test_generated_rows_are_scored_with_tstr(tiny_vae, frame):
    syn = tiny_vae.sample(len(frame), seed=0)
    rep = fidelity_report(frame.iloc[:600], frame.iloc[600:], syn, CATS, target="has_mortgage", positive=1)
    assert set(rep.quality.column_shapes["column"]) == set(frame.columns)
    assert np.isfinite(rep.scores["tstr_auc"]) and np.isfinite(rep.scores["trtr_auc"])
    assert 0 <= rep.privacy["membership_auc"] <= 1
