"""Pages show column names as the analyst reads them; data, exports and CLI keep the raw names."""

import pandas as pd

from core.scenarios.results import SHAP_SOURCE
from dashboard import credit_charts, credit_ui, scenarios_charts


def test_importance_chart_reads_like_the_page_and_escapes_markup():
    s = pd.Series([0.5, 0.2], index=["annual_income", "<b>dti</b>"])
    y = list(credit_charts.importance(s).data[0].y)
    assert "Annual income" in y and not any("annual_income" in t for t in y)
    assert not any("<b>" in t for t in y)


def test_display_copy_keeps_the_raw_names_in_the_data():
    frame = pd.DataFrame({"feature": ["annual_income", None], "value": [1, 2]})
    shown = credit_ui.labelled(frame, "feature")
    assert shown["feature"].tolist()[0] == "Annual income" and frame["feature"].tolist()[0] == "annual_income"
    assert credit_ui.option_label("age_band") == "Age band"


def test_scenario_shap_delta_labels_model_features_only():
    frame = pd.DataFrame({"feature": ["annual_income", "macro: unemployment rate"], "delta": [0.1, 0.2],
                          "baseline": [0.0, 0.0], "stressed": [0.1, 0.2],
                          "source": [SHAP_SOURCE, "overlay"]})
    y = list(scenarios_charts.shap_delta(frame).data[0].y)
    assert "Annual income" in y and "macro: unemployment rate" in y
