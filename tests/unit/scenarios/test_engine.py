"""The scenario engine on a small book with its history: coherence, preset order, channels, runs."""

import numpy as np
import pytest

from core.scenarios.engine import ScenarioEngine
from core.scenarios.generator import TabularVAE, VAEParams
from core.scenarios.generators import generator_columns, training_frame
from core.scenarios.presets import load_presets
from core.scenarios.results import ScenarioParams
from core.scenarios.runs import reopen_run, save_run, saved_runs

from .conftest import TINY, TrueLogitScorer

P = load_presets()
FAST = ScenarioParams(n_draws=1000, shap_rows=0, seed=5)


@pytest.fixture(scope="module")
def book():
    from core.data.synthetic import generate_portfolio

    ds = generate_portfolio(1500, seed=21)
    frame, _ = training_frame(ds, 0, max_rows=3000)
    _, cats = generator_columns(ds)
    vae = TabularVAE(VAEParams(**TINY), fingerprint="tiny").fit(frame, cats)
    return ds, vae


@pytest.fixture(scope="module")
def engine(book):
    ds, vae = book
    return ScenarioEngine(ds, vae, TrueLogitScorer(), P)


def _el(engine, shocks, addon=0.0):
    return engine.run(P.custom(shocks, addon), FAST).metrics.loc["expected_loss", "stressed"]


def _adverse_grid(key, points=4):
    d = P.drivers[key]
    end = d.max if d.adverse > 0 else d.min
    return [float(v) for v in np.linspace(0.0, end, points)]


HARSH = {"unemployment": 10.0, "income": -40.0, "policy_rate": -500.0, "house_prices": -50.0, "utilisation": 40.0}


@pytest.mark.parametrize("start", ["none", "adverse", "severely_adverse", "harsh"])
def test_expected_loss_never_falls_as_any_adverse_driver_worsens(engine, start):
    base = {"none": {}, "harsh": HARSH}[start] if start in ("none", "harsh") else dict(P.scenario(start).shocks)
    for key in P.drivers:
        if key == "policy_rate":
            values = [-500.0, -250.0, 0.0, 300.0, 600.0]  # a rise is adverse; a cut is relief
        else:
            values = _adverse_grid(key)
        els = [_el(engine, {**base, key: v}) for v in values]
        assert all(b >= a * (1 - 1e-9) for a, b in zip(els, els[1:], strict=False)), (start, key, els)


def test_the_harshest_custom_stress_is_worse_than_every_preset(engine):
    harsh = _el(engine, HARSH)
    assert all(harsh > engine.run(s, FAST).metrics.loc["expected_loss", "stressed"] for s in P.scenarios.values())


def test_presets_are_ordered_as_their_descriptions_say(engine):
    order = P.by_severity()
    assert [s.key for s in order] == ["baseline", "adverse", "stagflation", "severely_adverse"]
    els = [engine.run(s, FAST).metrics.loc["expected_loss", "stressed"] for s in order]
    assert all(b > a for a, b in zip(els, els[1:], strict=False)), els
    assert "milder than Severely adverse" in P.scenario("stagflation").description
    assert "harshest" in P.scenario("severely_adverse").description


def test_baseline_is_the_book_itself_with_no_generator_in_between(engine, book):
    ds, _ = book
    r = engine.run(P.scenario("baseline"), FAST)
    assert r.metrics.loc["expected_loss", "change"] == 0
    truth = TrueLogitScorer().predict_pd(ds.frame)
    np.testing.assert_allclose(r.pd_base, truth)


def test_rate_cut_is_relief_shown_as_its_own_driver(engine):
    r = engine.run(P.custom({"policy_rate": -200.0}), FAST)
    line = r.channels.set_index("key").loc["policy_rate"]
    assert line["mean_log_odds"] < 0 and line["source"].startswith("satellite")
    assert r.metrics.loc["expected_loss", "stressed"] < r.metrics.loc["expected_loss", "baseline"]
    # the rate cannot fall below zero: a 500 bp cut from 4% is a 400 bp cut
    deep = engine.run(P.custom({"policy_rate": -500.0}), FAST).channels.set_index("key").loc["policy_rate", "mean_log_odds"]
    floor = engine.run(P.custom({"policy_rate": -400.0}), FAST).channels.set_index("key").loc["policy_rate", "mean_log_odds"]
    assert deep == pytest.approx(floor)


def test_presets_land_inside_the_history_the_generator_has_seen(engine):
    for key in ("adverse", "stagflation", "severely_adverse"):
        r = engine.run(P.scenario(key), FAST)
        macro = [e for e in r.extrapolations if e.column in ("regional_unemployment", "policy_rate", "house_price_change")]
        assert macro == [], [e.message for e in macro]


def test_stress_past_the_history_is_flagged_with_the_step_outside(engine):
    r = engine.run(P.custom({"unemployment": 10.0}), FAST)
    flag = next(e for e in r.extrapolations if e.column == "regional_unemployment")
    assert flag.step_outside > 3 and "above the highest value seen" in flag.message


def test_income_fall_raises_debt_to_income_by_accounting(engine, book):
    ds, _ = book
    rows, _, sh = engine.stressed_rows(P.custom({"income": -20.0}), ds.frame, np.full(len(ds.frame), "other"), [])
    ratio = (rows["debt_to_income"] / ds.frame["debt_to_income"]).where(ds.frame["debt_to_income"] > 0).dropna()
    assert np.allclose(ratio, 1 / 0.8, rtol=1e-6)
    assert "debt_to_income" in sh.identities


def test_satellite_recovers_the_true_unemployment_sensitivity(engine):
    t = engine.satellite.terms["unemployment"]
    assert t.source == "estimated"
    lo, hi = t.ci95
    # the risk function adds 0.22-0.30 log-odds per pp directly; over a year more customers also fall behind
    # (the days-past-due term), so the history's total effect lies above that but within reason
    assert 0.2 < t.coef < 0.6 and lo > 0.1 and hi - lo < 0.3
    assert engine.satellite.table(P).loc[0, "std_error"] > 0


def test_ifrs9_stage2_is_not_empty_at_baseline_and_grows_under_stress(engine):
    base = engine.run(P.scenario("baseline"), FAST)
    sev = engine.run(P.scenario("severely_adverse"), FAST)
    assert 0 < base.ifrs9["stage2_share"] < sev.ifrs9["stage2_share"]
    assert sev.ifrs9["ecl"] > sev.ifrs9["ecl_12m"]
    t = sev.ifrs9["table"].set_index("stage")
    assert t.loc["total", "ecl"] == pytest.approx(sev.ifrs9["ecl"])


def test_saved_run_keeps_its_name_and_reopens_with_its_settings(engine, book):
    ds, _ = book
    params = ScenarioParams(n_draws=1000, shap_rows=0, seed=9)
    first = engine.run(P.scenario("adverse"), params)
    second = engine.run(P.custom({"unemployment": 4.0}), params)
    a = save_run(first, ds)
    b = save_run(second, ds, name="My custom")
    runs = saved_runs(ds).set_index("run_id")
    assert runs.loc[a, "name"].startswith("Adverse on") and runs.loc[b, "name"] == "My custom"
    back = reopen_run(b, engine)
    assert back.identical and back.scenario.shocks == {"unemployment": 4.0} and back.params.seed == 9


def test_a_rerun_reuses_the_baseline_but_never_a_stale_stress(book):
    """Kept results and the kept half of a response give what a fresh engine gives, stress by stress."""
    ds, vae = book
    kept = ScenarioEngine(ds, vae, TrueLogitScorer(), P)
    first = P.custom({"unemployment": 3.0, "income": -10.0})
    moved = P.custom({"unemployment": 6.0, "income": -10.0})
    a1 = kept.run(first, FAST)
    b1 = kept.run(moved, FAST)  # the generator's response to a different shock of the same customers
    a2 = kept.run(first, FAST)  # the same scenario again: the kept result, as a copy
    fresh = ScenarioEngine(ds, vae, TrueLogitScorer(), P)
    b_fresh = fresh.run(moved, FAST)
    assert a2.timings.get("kept") and a2 is not a1
    assert a2.metrics.equals(a1.metrics)
    np.testing.assert_allclose(b1.pd_stress, b_fresh.pd_stress, rtol=1e-6, atol=1e-9)
    assert b1.metrics.loc["expected_loss", "stressed"] > a1.metrics.loc["expected_loss", "stressed"]
    assert b1.ifrs9["baseline_ecl"] == b_fresh.ifrs9["baseline_ecl"] and b1.ifrs9["ecl"] == pytest.approx(b_fresh.ifrs9["ecl"])
