"""AppTest of the credit page: training, loading, the applicant tools, exports and bad input."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import default_dataset

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages/credit_explanation.py")
FAST = dict(n_estimators=80, learning_rate=0.1, early_stopping_rounds=20)


def _open(at: AppTest, tab: str) -> AppTest:
    """Tabs are lazy (only the open one runs); select one as a click would."""
    at.session_state["credit_tab"] = tab
    return at.run()


@pytest.fixture
def trained():
    from core.credit.service import CreditParams, train_or_load

    ds = default_dataset()
    return ds, train_or_load(ds, CreditParams(**FAST))


def test_without_a_model_the_page_offers_training():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Credit explanation"
    assert any("Train model" in i.value for i in at.info)
    assert at.button(key="credit_train") is not None
    assert len(at.tabs) == 0


def test_training_from_the_page_shows_performance_and_logs_a_run():
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.number_input(key="credit_trees").set_value(80)
    at.button(key="credit_train").click().run()
    assert not at.exception
    assert any("test AUC" in s.value for s in at.success)
    labels = [m.label for m in at.metric]
    assert {"AUC", "Gini", "KS", "Brier", "Log loss"} <= set(labels)
    auc = float(next(m.value for m in at.metric if m.label == "AUC"))
    assert auc > 0.8
    from core.workspace import get_workspace

    assert len(get_workspace().runs(kind="credit_model")) == 1
    assert not any(m.label == "PD (calibrated)" for m in at.metric)  # other tabs are not computed
    _open(at, "Global explanation")
    assert not at.exception
    assert any("Additivity residual" in c.value for c in at.caption)
    assert not any(m.label == "AUC" for m in at.metric)


def test_stored_model_is_loaded_and_applicant_tools_work(trained):
    ds, model = trained
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any(model.fingerprint in s.value for s in at.success)
    _open(at, "Applicant")
    assert any(m.label == "PD (calibrated)" for m in at.metric)
    assert any("Principal reasons" in md.value for md in at.markdown)
    at.radio(key="credit_pick_mode").set_value("By filter").run()  # declined applicants, riskiest first
    assert at.radio(key="credit_filter_decision").value == "declined"
    at.button(key="credit_cf").click().run()
    assert not at.exception
    assert any("PD" in s.value for s in at.success) or any("No change" in i.value for i in at.info)
    # pick by id
    at.radio(key="credit_pick_mode").set_value("By id").run()
    first_id = ds.frame["customer_id"].iloc[0]
    at.text_input(key="credit_pick_id").input(first_id).run()
    assert not at.exception
    at.text_input(key="credit_pick_id").input("nobody").run()
    assert any("No applicant" in w.value for w in at.warning)


def test_cost_based_cutoff_button_moves_the_slider(trained):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.number_input(key="credit_cost_bad").set_value(20.0).run()
    at.button(key="credit_use_cost_cutoff").click().run()
    assert not at.exception
    assert at.slider(key="credit_cutoff").value != pytest.approx(1 / 6, abs=1e-3)


def test_exports_reason_codes_and_report(trained):
    at = _open(AppTest.from_file(PAGE, default_timeout=180).run(), "Export")
    at.number_input(key="credit_export_max").set_value(50)
    at.button(key="credit_export_reasons").click().run()
    assert not at.exception
    fp, table = at.session_state["credit_export_csv"]
    assert 0 < len(table) <= 50
    assert {"id", "pd", "decision", "reason_1_code", "reason_1_text"} <= set(table.columns)
    assert (table["pd"] >= at.slider(key="credit_cutoff").value).all()
    at.button(key="credit_report").click().run()
    assert not at.exception
    html = at.session_state["credit_report_html"][1]
    assert html.startswith("<!doctype html>") and "Fairness" in html and "Limitations" in html


def test_fairness_tab_shows_groups_and_flags(trained):
    at = _open(AppTest.from_file(PAGE, default_timeout=120).run(), "Fairness")
    assert not at.exception
    assert any(md.value == "**age band**" for md in at.markdown)
    at.multiselect(key="credit_fair_extra").set_value(["region"]).run()
    assert not at.exception and any(md.value == "**region**" for md in at.markdown)


def test_training_error_is_a_message_not_a_traceback():
    ds = default_dataset()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.multiselect(key="credit_exclude").set_value(ds.features())
    at.button(key="credit_train").click().run()
    assert not at.exception
    assert any("No feature is left" in e.value for e in at.error)


def test_dataset_without_target_gets_a_message():
    from dataclasses import replace

    from core.data.schema import Role
    from dashboard import state

    ds = default_dataset()
    ds = ds.with_schema(replace(ds.schema, roles={**ds.schema.roles, "default_12m": Role.NUMERIC}))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[state.DATASET] = ds
    at.run()
    assert not at.exception
    assert any("no target" in i.value for i in at.info)
