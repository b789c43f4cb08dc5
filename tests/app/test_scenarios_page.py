"""AppTest of the Risk scenarios page: no credit model, no generator, a run, sliders, lazy tabs, runs."""

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import default_dataset

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages/risk_scenarios.py")
CREDIT_FAST = dict(n_estimators=60, learning_rate=0.15, early_stopping_rounds=15)
VAE_FAST = dict(epochs=2, latent_dim=4, hidden=32, seed=1)


HEADLINE = ["Default rate (expected)", "Expected loss", "EL / exposure", "VaR 99.9%", "Expected shortfall 99%"]
MONEY = re.compile(r"^\$\d{1,3}(,\d{3})*$")
PERCENT = re.compile(r"^\d+\.\d\d%$")


def _money(text: str) -> float:
    assert MONEY.match(text), text
    return float(text[1:].replace(",", ""))


def _headline(at: AppTest) -> dict:
    return {m.label: m for m in at.metric if m.label in HEADLINE}


@pytest.fixture
def credit():
    from core import resolver
    from core.credit.params import CreditParams
    from core.credit.store import train_or_load
    from core.scenarios.scorer import ensure_credit_model

    ds = default_dataset()
    model = train_or_load(ds, CreditParams(**CREDIT_FAST))
    resolver.choose(resolver.CREDIT, ds, model.fingerprint)
    assert ensure_credit_model(ds).fingerprint == model.fingerprint  # the page will find this one, not train another
    return ds, model


@pytest.fixture
def ready(credit):
    from core import resolver
    from core.scenarios.generator import VAEParams
    from core.scenarios.generators import train_or_load_generator

    ds, model = credit
    gen = train_or_load_generator(ds, VAEParams(**VAE_FAST))
    resolver.choose(resolver.GENERATOR, ds, gen.fingerprint)
    return ds, model, gen


def _open(at: AppTest, tab: str) -> AppTest:
    """Tabs are lazy (only the open one runs); select one as a click would."""
    at.session_state["scen_tab"] = tab
    return at.run()


def test_without_a_credit_model_the_page_says_how_to_get_one():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Risk scenarios"
    assert any("Credit explanation" in i.value for i in at.info)
    assert [b.label for b in at.button] == ["Train a credit model with default settings"]
    assert len(at.tabs) == 0


@pytest.mark.slow
def test_training_runs_in_the_background_and_then_the_page_runs_a_scenario(credit):
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception
    assert any("Train generator" in i.value for i in at.info)
    at.number_input(key="scen_epochs").set_value(2)
    at.selectbox(key="scen_latent").set_value(8)
    at.button(key="scen_train_vae").click().run()
    assert not at.exception
    for _ in range(600):
        time.sleep(1)
        at.run()
        if any(m.label == "Expected loss" for m in at.metric):
            break
    assert not at.exception
    head = _headline(at)
    assert list(head) == HEADLINE
    assert _money(head["Expected loss"].value) > 0 and head["Expected loss"].delta.endswith(" vs baseline")
    from core.workspace import get_workspace

    assert len(get_workspace().runs(kind="scenario_vae")) == 1


def test_a_stored_generator_runs_the_default_scenario_and_sliders_name_the_scenario(ready):
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception
    assert at.selectbox(key="scen_preset").value == "severely_adverse"
    head = _headline(at)
    assert list(head) == HEADLINE
    assert PERCENT.match(head["Default rate (expected)"].value) and PERCENT.match(head["EL / exposure"].value)
    severe_el = _money(head["Expected loss"].value)
    assert severe_el > 0 and _money(head["VaR 99.9%"].value) >= severe_el
    assert _money(head["Expected shortfall 99%"].value) > severe_el
    el = head["Expected loss"]
    assert el.delta.endswith(" vs baseline") and el.delta.startswith("+")  # a severe stress raises expected loss
    assert not any("regional_unemployment" in w.value for w in at.warning)  # presets lie inside the history
    at.slider(key="scen_shock_unemployment").set_value(10.0).run()
    assert not at.exception
    assert at.selectbox(key="scen_preset").value == "custom"  # the box no longer names a preset the sliders left
    assert any("Extrapolation" in w.value for w in at.warning)
    assert _money(_headline(at)["Expected loss"].value) >= severe_el  # more unemployment never lowers the loss
    at.selectbox(key="scen_preset").set_value("baseline").run()
    assert not at.exception
    assert at.slider(key="scen_shock_unemployment").value == 0.0
    assert _money(_headline(at)["Expected loss"].value) < severe_el  # presets in severity order
    assert len(at.tabs) == 6
    # only the open tab is computed: the results tables are there, no other tab's widgets
    assert not [t for t in at.toggle if t.key in ("scen_fid_on", "scen_ew_on")]
    assert not any(b.key == "scen_save" for b in at.button)
    text = " ".join(str(d.value.to_csv()) for d in at.dataframe)
    assert "e+0" not in text and "e-0" not in text  # no scientific notation in any table


@pytest.mark.slow
def test_drivers_compare_runs_and_reopen_restore_the_settings(ready):
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    _open(at, "Drivers")
    assert not at.exception
    assert any("satellite" in str(d.value.to_csv()).lower() for d in at.dataframe)
    _open(at, "Compare & IFRS 9")
    assert not at.exception
    ecl = next(m for m in at.metric if m.label == "Probability-weighted ECL")
    assert _money(ecl.value) > 0
    share = next(m for m in at.metric if m.label == "Weighted stage 2 share").value
    assert re.match(r"^\d+\.\d%$", share), share
    at.number_input(key="scen_w_baseline").set_value(0.9).run()  # weights now sum to 1.4
    assert not at.exception
    assert any("not 100%" in e.value for e in at.error)
    _open(at, "Runs & report")
    at.slider(key="scen_shock_unemployment").set_value(2.0).run()
    at.text_input(key="scen_run_name").set_value("Two points of unemployment").run()
    at.button(key="scen_save").click().run()
    assert any("Saved as run" in s.value for s in at.success)
    at.selectbox(key="scen_preset").set_value("adverse").run()
    assert at.text_input(key="scen_run_name").value.startswith("Adverse on")  # a new run, a new default name
    at.button(key="scen_save").click().run()
    from core.workspace import get_workspace

    names = set(get_workspace().runs(kind="scenario")["name"])
    assert "Two points of unemployment" in names and any(n.startswith("Adverse on") for n in names)
    pick = next(o for o in at.selectbox(key="scen_reopen_pick").options if o.startswith("Two points"))
    at.selectbox(key="scen_reopen_pick").set_value(pick).run()
    at.button(key="scen_reopen").click().run()
    assert not at.exception
    assert at.selectbox(key="scen_preset").value == "custom"
    assert at.slider(key="scen_shock_unemployment").value == 2.0  # the reopened run's settings are back
    assert any("reproduced exactly" in s.value for s in at.success)
    at.button(key="scen_build_report").click().run()
    assert not at.exception
    assert any(b.label.startswith("Scenario report (HTML)") for b in at.get("download_button"))
