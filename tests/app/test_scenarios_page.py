"""AppTest of the Risk scenarios page: no credit model, no generator, a scenario run, sliders, tabs, runs."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import default_dataset

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages/risk_scenarios.py")
CREDIT_FAST = dict(n_estimators=60, learning_rate=0.15, early_stopping_rounds=15)
VAE_FAST = dict(epochs=3, latent_dim=4, hidden=64, seed=1)


@pytest.fixture
def credit():
    from core.credit.service import CreditParams, train_or_load

    ds = default_dataset()
    return ds, train_or_load(ds, CreditParams(**CREDIT_FAST))


@pytest.fixture
def ready(credit):
    from core.scenarios.generator import VAEParams
    from core.scenarios.service import train_or_load_vae

    ds, model = credit
    return ds, model, train_or_load_vae(ds, VAEParams(**VAE_FAST))


def test_without_a_credit_model_the_page_says_how_to_get_one():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Risk scenarios"
    assert any("Credit explanation" in i.value for i in at.info)
    assert at.button(key="scen_train_credit") is not None
    assert len(at.tabs) == 0


@pytest.mark.slow
def test_without_a_generator_training_from_the_page_runs_a_scenario(credit):
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception
    assert any("Train generator" in i.value for i in at.info)
    at.number_input(key="scen_epochs").set_value(2)
    at.button(key="scen_train_vae").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Expected loss" in labels and "VaR 99.9%" in labels
    from core.workspace import get_workspace

    assert len(get_workspace().runs(kind="scenario_vae")) == 1


def test_a_stored_generator_runs_the_default_scenario_and_sliders_rerun(ready):
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception
    assert at.selectbox(key="scen_preset").value == "severely_adverse"
    el = next(m for m in at.metric if m.label == "Expected loss")
    assert "vs baseline" in el.delta and el.delta.startswith("+")
    assert any("outside the range seen in training" in w.value for w in at.warning)  # extrapolation flagged
    at.slider(key="scen_shock_unemployment").set_value(0.0).run()
    assert not at.exception
    assert any("Custom" in c.value for c in at.caption)
    at.selectbox(key="scen_preset").set_value("baseline").run()
    assert not at.exception
    assert at.slider(key="scen_shock_unemployment").value == 0.0
    assert len(at.tabs) == 6


@pytest.mark.slow
def test_compare_fidelity_early_warning_and_saved_runs(ready):
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception
    assert any(m.label == "Probability-weighted ECL" for m in at.metric)
    at.toggle(key="scen_ew_on").set_value(True).run()
    assert not at.exception
    at.toggle(key="scen_fid_on").set_value(True).run()
    assert not at.exception
    assert any(m.label == "QualityReport" for m in at.metric)
    at.button(key="scen_save").click().run()
    assert not at.exception
    assert any("Saved as run" in s.value for s in at.success)
    at.button(key="scen_reopen").click().run()
    assert not at.exception
    assert any("identical to" in s.value for s in at.success)
