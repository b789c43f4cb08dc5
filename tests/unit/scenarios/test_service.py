import numpy as np
import pandas as pd
import pytest

from core.scenarios.errors import NoCreditModelError
from core.scenarios.generator import VAEParams
from core.scenarios.presets import load_presets
from core.scenarios.service import (
    ScenarioEngine,
    ScenarioParams,
    credit_model_for,
    reproduce_run,
    save_run,
    train_or_load_vae,
    vae_columns,
)

from .conftest import TINY, TrueLogitScorer

P = load_presets()
FAST = ScenarioParams(n_draws=2000, shap_rows=200, seed=5)


@pytest.fixture(scope="module")
def book():
    from core.data.synthetic import generate_portfolio
    from core.scenarios.generator import TabularVAE

    ds = generate_portfolio(1500, seed=21)
    cols, cats = vae_columns(ds)
    vae = TabularVAE(VAEParams(**TINY)).fit(ds.frame[cols], cats)
    vae.fingerprint = "tiny"
    return ds, vae


@pytest.fixture
def engine(book):
    ds, vae = book
    return ScenarioEngine(ds, vae, TrueLogitScorer(), P)


def test_expected_loss_rises_monotonically_with_the_unemployment_shock(engine):
    els = [engine.run(P.custom({"unemployment": u}), FAST).metrics.loc["expected_loss", "stressed"] for u in range(0, 7)]
    assert all(b > a for a, b in zip(els, els[1:], strict=False)), els


def test_presets_order_losses_and_baseline_equals_itself(engine):
    res = {k: engine.run(P.scenario(k), FAST) for k in ("baseline", "adverse", "severely_adverse")}
    m = {k: r.metrics for k, r in res.items()}
    assert m["baseline"].loc["expected_loss", "change"] == 0
    assert m["baseline"].loc["expected_loss", "stressed"] < m["adverse"].loc["expected_loss", "stressed"] \
        < m["severely_adverse"].loc["expected_loss", "stressed"]
    sev = res["severely_adverse"]
    assert sev.metrics.loc["var_999", "stressed"] > sev.metrics.loc["var_99", "stressed"]
    assert set(sev.by_product["product"]) <= {"mortgage", "revolving", "auto", "other"}
    assert not sev.shap_delta.empty and "regional_unemployment" in set(sev.shap_delta["feature"])
    assert sev.extrapolations  # a 5 pp shock leaves the range seen in training
    mort = sev.by_product.set_index("product").loc["mortgage"]
    assert mort["el_stress"] > mort["el_base"]  # house prices fall: collateral and LGD move


def test_same_seed_gives_the_same_numbers_and_shared_baseline(engine, book):
    a = engine.run(P.scenario("stagflation"), FAST)
    other = ScenarioEngine(book[0], book[1], TrueLogitScorer(), P)
    b = other.run(P.scenario("stagflation"), FAST)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    assert np.array_equal(a.loss_stress, b.loss_stress)
    t0 = engine.run(P.custom({"unemployment": 2.5}), FAST).timings
    assert t0["baseline_s"] < 0.5  # the baseline is reused when only the shock changes


def test_overlay_carries_drivers_the_model_does_not_see(book):
    ds, vae = book

    class NoMacro(TrueLogitScorer):
        feature_names = ["credit_score", "debt_to_income", "card_utilisation", "delinquencies_24m", "inquiries_6m",
                         "annual_income", "tenure_months", "employment_status", "product_type", "collateral_value", "ead",
                         "regional_unemployment", "policy_rate"]

    eng = ScenarioEngine(ds, vae, NoMacro(), P)
    assert eng.bindings["house_prices"].carried is False
    r = eng.run(P.custom({"house_prices": -30}), FAST)
    row = r.overlay.set_index("driver").loc["House prices"]
    assert row["mean_log_odds"] > 0 and "not a credit-model feature" in row["reason"]
    assert r.metrics.loc["expected_default_rate", "stressed"] > r.metrics.loc["expected_default_rate", "baseline"]


def test_generate_mode_builds_a_new_portfolio(engine):
    r = engine.run(P.scenario("adverse"), ScenarioParams(mode="generate", n_rows=3000, n_draws=1000, shap_rows=100))
    assert r.timings["rows"] == 3000
    assert r.metrics.loc["expected_loss", "stressed"] > r.metrics.loc["expected_loss", "baseline"]


def test_runs_are_saved_and_reopening_reproduces_the_numbers(engine, book):
    ds, _ = book
    r = engine.run(P.scenario("severely_adverse"), FAST)
    run_id = save_run(r, ds)
    again = reproduce_run(run_id, ScenarioEngine(ds, book[1], TrueLogitScorer(), P))
    pd.testing.assert_frame_equal(r.metrics, again.metrics)
    from core.workspace import get_workspace

    rec = get_workspace().get_run(run_id)
    assert rec.seed == FAST.seed and rec.params["scenario"]["key"] == "severely_adverse"
    assert rec.result["metrics"]["expected_loss"]["stressed"] == pytest.approx(r.metrics.loc["expected_loss", "stressed"])
    assert "by_product" in get_workspace().run_table_names(run_id)


def test_report_renders_in_html_and_markdown(engine, book):
    from core.scenarios.report import render_report

    r = engine.run(P.scenario("severely_adverse"), FAST)
    html = render_report([r], book[0].name, "html")
    md = render_report([r], book[0].name, "md")
    assert "<svg" in html and "Severely adverse" in html and "Limitations" in html
    assert "| expected_loss |" in md and "Federal Reserve" in md


def test_no_credit_model_yet_says_how_to_get_one(small_portfolio):
    with pytest.raises(NoCreditModelError, match="No credit model") as err:
        credit_model_for(small_portfolio)
    assert "Credit explanation" in err.value.hint


def test_generator_goes_through_the_registry_and_reloads(small_portfolio):
    from core.runtime.registry import get_registry

    params = VAEParams(**{**TINY, "epochs": 2})
    seen = []
    vae = train_or_load_vae(small_portfolio, params, progress=lambda e, n, tr, va: seen.append(e))
    assert seen == [1, 2]
    assert get_registry().has_artifact("scenario_vae", vae.fingerprint)
    get_registry().evict()
    again = train_or_load_vae(small_portfolio, params)
    pd.testing.assert_frame_equal(vae.sample(100, seed=1), again.sample(100, seed=1))
