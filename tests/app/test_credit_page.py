"""AppTest of the credit page: training, loading, the applicant tools, exports, monitoring and bad input."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from .conftest import default_dataset

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages/credit_explanation.py")
FAST = dict(n_estimators=80, learning_rate=0.1, early_stopping_rounds=20, max_depth=3)


def _open(at: AppTest, tab: str) -> AppTest:
    """Tabs are lazy (only the open one runs); select one as a click would."""
    at.session_state["credit_tab"] = tab
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in (*at.markdown, *at.caption, *at.info, *at.warning, *at.success, *at.error)]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def trained():
    from core.credit.params import CreditParams
    from core.credit.store import train_or_load

    ds = default_dataset()
    return ds, train_or_load(ds, CreditParams(**FAST))


def test_without_a_model_the_page_offers_training():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Credit explanation"
    assert any("Train model" in i.value for i in at.info)
    assert len(at.tabs) == 0
    assert "age" in _texts(at) and "Regulation B" in _texts(at)


def test_training_from_the_page_shows_performance_and_logs_a_run():
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    at.number_input(key="credit_trees").set_value(80)
    at.selectbox(key="credit_depth").set_value(3)
    at.button(key="credit_train").click().run()
    assert not at.exception
    assert any("test AUC" in s.value for s in [*at.success, *at.warning])
    labels = [m.label for m in at.metric]
    assert {"AUC", "Gini", "KS", "Brier", "Log loss"} <= set(labels)
    assert float(next(m.value for m in at.metric if m.label == "AUC")) > 0.8
    from core.workspace import get_workspace

    runs = get_workspace().runs(kind="credit_model")
    assert len(runs) == 1
    assert "age" in get_workspace().get_run(runs["run_id"][0]).result["excluded"]
    assert not any(m.label == "PD (calibrated)" for m in at.metric)  # other tabs are not computed
    assert any("against the training split" in md.value for md in at.markdown)
    _open(at, "Global explanation")
    assert not at.exception
    assert any("Additivity residual" in c.value for c in at.caption)
    assert not any(m.label == "AUC" for m in at.metric)


def test_stored_model_is_loaded_and_applicant_tools_work(trained):
    ds, model = trained
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any(model.fingerprint in s.value for s in [*at.success, *at.warning])
    _open(at, "Applicant")
    assert any(m.label == "PD (calibrated)" for m in at.metric) and any(m.label == "Score" for m in at.metric)
    assert any("Principal reasons" in md.value for md in at.markdown)
    lines = [md.value for md in at.markdown if "log-odds in the waterfall" in md.value]
    assert 1 <= len(lines) <= 4 and all(" points · " in line and " above " in line for line in lines)
    assert not any("region" in line.lower() for line in lines)
    at.radio(key="credit_pick_mode").set_value("By filter").run()  # declined applicants, riskiest first
    assert at.radio(key="credit_filter_decision").value == "declined"
    at.button(key="credit_cf").click().run()
    assert not at.exception
    assert any("to approval" in s.value for s in at.success) or any("No plausible change" in i.value for i in at.info)
    at.toggle(key="credit_lime_on").set_value(True).run()
    assert not at.exception and any("Agreement with SHAP" in md.value for md in at.markdown)
    at.radio(key="credit_pick_mode").set_value("By id").run()
    at.text_input(key="credit_pick_id").input(ds.frame["customer_id"].iloc[0]).run()
    assert not at.exception
    at.text_input(key="credit_pick_id").input("nobody").run()
    assert any("No applicant" in w.value for w in at.warning)


def test_cost_based_cutoff_button_moves_the_slider(trained):
    _, model = trained
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    key = f"credit_cutoff_{model.fingerprint}"
    assert at.slider(key=key).value == pytest.approx(round(1 / 6, 3))
    at.number_input(key="credit_cost_bad").set_value(20.0).run()
    at.button(key="credit_use_cost_cutoff").click().run()
    assert not at.exception
    assert at.slider(key=key).value != pytest.approx(round(1 / 6, 3), abs=1e-3)


def test_switching_datasets_gives_each_model_its_own_default_cutoff(trained):
    """Bug: after switching datasets the cutoff silently became 0.5% (everyone declined)."""
    from core.credit.params import CreditParams
    from core.credit.store import train_or_load
    from core.data.loaders import import_dataset
    from core.data.synthetic import generate_portfolio
    from core.workspace import get_workspace
    from dashboard import state

    _, model = trained
    other = replace(generate_portfolio(2000, seed=9), name="other_book")
    import_dataset(get_workspace(), other)
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.slider(key=f"credit_cutoff_{model.fingerprint}").set_value(0.4).run()
    from core.data.loaders import load_workspace_dataset

    stored = load_workspace_dataset(get_workspace(), "other_book")
    second = train_or_load(stored, CreditParams(**FAST))
    at.session_state[state.DATASET_CHOICE] = "other_book (2,000 rows)"
    at.run()
    assert not at.exception
    assert any(second.fingerprint in s.value for s in [*at.success, *at.warning])
    cutoff = at.slider(key=f"credit_cutoff_{second.fingerprint}").value
    assert cutoff == pytest.approx(round(1 / 6, 3))
    assert any("are approved" in c.value for c in at.caption)  # not "everyone declined"
    _open(at, "Fairness")
    assert not at.exception and any(md.value == "**Age band**" for md in at.markdown)


def test_model_below_its_benchmark_gets_a_warning_not_a_green_banner(trained):
    """Bug: a model below the logistic benchmark (German 0.769 vs 0.782) got a green success banner."""
    from core.credit.model import CreditModel
    from core.credit.store import ARTIFACT
    from core.runtime.registry import get_registry

    _, model = trained
    metrics = model.meta.metrics
    weak = replace(metrics, xgboost=replace(metrics.xgboost, auc=metrics.logistic.auc - 0.013),
                   train_auc=metrics.logistic.auc + 0.15)
    worse = CreditModel(model.booster, model.encoder, model.calibrator, model.benchmark,
                        replace(model.meta, metrics=weak), model.reference, model.device)
    get_registry().put(ARTIFACT, model.fingerprint, worse)  # what the registry serves for this fingerprint
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert not any(model.fingerprint in s.value for s in at.success)
    text = " ".join(w.value for w in at.warning)
    assert "is below its logistic-regression benchmark" in text and "overfits" in text


def test_exports_reason_codes_and_report(trained):
    at = _open(AppTest.from_file(PAGE, default_timeout=240).run(), "Export")
    at.number_input(key="credit_export_max").set_value(50)
    at.button(key="credit_export_reasons").click().run()
    assert not at.exception
    fp, table = at.session_state["credit_export_csv"]
    assert 0 < len(table) <= 50
    assert {"id", "pd", "decision", "reason_1_code", "reason_1_text", "reason_1_contribution"} <= set(table.columns)
    assert (table["decision"] == "declined").all()
    cited = set(table[[c for c in table.columns if c.endswith("_feature")]].to_numpy().ravel()) - {""}
    assert cited and not cited & {"age", "region", "regional_unemployment", "policy_rate", "house_price_change"}
    at.button(key="credit_report").click().run()
    assert not at.exception
    html = at.session_state["credit_report_html"][1]
    assert html.startswith("<!doctype html>") and "Fairness" in html and "<svg" in html


def test_global_views_pdp_interactions_decision_and_cohorts(trained):
    at = _open(AppTest.from_file(PAGE, default_timeout=240).run(), "Global explanation")
    at.multiselect(key="credit_global_features").set_value(["credit_score", "debt_to_income", "card_utilisation"]).run()
    assert not at.exception
    for view in ("PDP / ICE", "Decision plot", "Cohorts", "Interactions"):
        at.segmented_control(key="credit_global_view").set_value(view).run()
        assert not at.exception, view
    at.select_slider(key="credit_int_n").set_value(500)
    at.toggle(key="credit_int_on").set_value(True).run()
    assert not at.exception
    assert any("adds up to the feature's SHAP value" in c.value for c in at.caption)


def test_monitoring_compares_champion_and_challenger(trained):
    from core.credit.params import CreditParams
    from core.credit.store import train_or_load

    ds, model = trained
    train_or_load(ds, CreditParams(**{**FAST, "max_depth": 2}))
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception
    at.button(key="credit_compare").click().run()
    assert not at.exception
    assert any("none of these models was trained on" in c.value for c in at.caption)


def test_fairness_tab_shows_groups_and_flags(trained):
    at = _open(AppTest.from_file(PAGE, default_timeout=120).run(), "Fairness")
    assert not at.exception
    assert any(md.value == "**Age band**" for md in at.markdown)
    at.multiselect(key="credit_fair_extra").set_value(["region"]).run()
    assert not at.exception and any(md.value == "**Region**" for md in at.markdown)


def test_protected_attribute_needs_a_reason_to_enter_the_model():
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    at.number_input(key="credit_trees").set_value(60)
    at.selectbox(key="credit_depth").set_value(3)
    at.multiselect(key="credit_include_protected").set_value(["age"]).run()
    assert any("Give a reason" in w.value for w in at.warning)
    at.text_input(key="credit_protected_reason_age").input("validated: no negative factor at 62+").run()
    at.button(key="credit_train").click().run()
    assert not at.exception
    from core import resolver

    model = resolver.credit_model(default_dataset())
    assert "age" in model.feature_names
    assert model.meta.overrides["age"].endswith("validated: no negative factor at 62+")


def test_corrupt_artifact_is_reported_and_retrained(trained):
    from core.credit.store import ARTIFACT
    from core.runtime.registry import get_registry

    _, model = trained
    reg = get_registry()
    (reg.artifact_dir(ARTIFACT, model.fingerprint) / "meta.json").write_text("{broken")
    reg.evict()
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception
    assert any("could not be read" in e.value for e in at.error)
    at.button(key="credit_retrain").click().run()
    assert not at.exception
    assert reg.has_artifact(ARTIFACT, model.fingerprint)
    assert any(model.fingerprint in s.value for s in [*at.success, *at.warning])


def test_training_error_is_a_message_not_a_traceback():
    ds = default_dataset()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    protected = set(ds.schema.protected_columns())  # protected attributes are out already: not an option here
    at.multiselect(key="credit_exclude").set_value([f for f in ds.features() if f not in protected])
    at.button(key="credit_train").click().run()
    assert not at.exception
    assert any("No feature is left" in e.value for e in at.error)


def test_dataset_without_target_gets_a_message():
    from core.data.schema import Role
    from dashboard import state

    ds = default_dataset()
    ds = ds.with_schema(replace(ds.schema, roles={**ds.schema.roles, "default_12m": Role.NUMERIC}))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[state.DATASET] = ds
    at.run()
    assert not at.exception
    assert any("no target" in i.value for i in at.info)
    assert np.isfinite(len(at.info))


def test_a_cutoff_that_declines_everyone_says_so_instead_of_empty_fairness_charts(trained):
    """Bug: with everyone declined the fairness tab showed AIR nan on empty charts."""
    _, model = trained
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.slider(key=f"credit_cutoff_{model.fingerprint}").set_value(0.999).run()
    assert any("Every applicant gets the same decision" in w.value for w in at.warning)

    def fairness(fp: str) -> None:
        import numpy as np

        from core.credit.scores import score_dataset
        from core.credit.store import load_model
        from core.data.synthetic import generate_portfolio
        from core.settings import get_settings
        from dashboard.credit_fair_export_ui import fairness_tab

        s = get_settings()
        ds = generate_portfolio(s.default_rows, s.seed)
        m = load_model(fp)
        scores = score_dataset(m, ds)
        fairness_tab(m, ds, scores, float(np.min(scores.pd)) * 0.5)  # below every PD: everyone declined

    at = AppTest.from_function(fairness, args=(model.fingerprint,), default_timeout=120).run()
    assert not at.exception
    assert any("No applicant is approved" in w.value for w in at.warning)
    assert not at.markdown or not any(md.value == "**Age band**" for md in at.markdown)


def test_a_stored_champion_scores_a_new_dataset_without_outcomes(trained):
    """A model can score any dataset with the columns it needs, not only the one it was trained on."""
    from core import resolver
    from core.data.loaders import import_dataset, load_workspace_dataset
    from core.data.schema import Role
    from core.data.synthetic import generate_portfolio
    from core.workspace import get_workspace
    from dashboard import state

    _, model = trained
    fresh = generate_portfolio(1500, seed=31)
    fresh = replace(fresh.with_schema(replace(fresh.schema, roles={**fresh.schema.roles, "default_12m": Role.IGNORE})),
                    name="new_applications")
    import_dataset(get_workspace(), fresh)
    stored = load_workspace_dataset(get_workspace(), "new_applications")
    resolver.choose(resolver.CREDIT, stored, model.fingerprint)
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state[state.DATASET_CHOICE] = "new_applications (1,500 rows)"
    at.run()
    assert not at.exception
    assert any("scoring this dataset" in w.value for w in [*at.success, *at.warning])
    assert any("no known outcome" in i.value for i in at.info)
    assert any("every row of" in md.value for md in at.markdown)  # stability against the model's training split
    _open(at, "Applicant")
    assert not at.exception and any(m.label == "PD (calibrated)" for m in at.metric)
