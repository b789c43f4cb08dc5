import json

import numpy as np
import pandas as pd

from core.credit.explain import Explanation
from core.credit.reasons import CATALOGUE, Reference, load_catalogue, reason_table, reasons_for_row
from core.data.synthetic import generate_frame

GERMAN = ["checking_status", "duration", "credit_history", "purpose", "credit_amount", "savings_status", "employment",
          "installment_commitment", "personal_status", "other_parties", "residence_since", "property_magnitude", "age",
          "other_payment_plans", "housing", "existing_credits", "job", "num_dependents", "own_telephone", "foreign_worker"]


def test_catalogue_covers_synthetic_and_german_features():
    cat = json.loads(CATALOGUE.read_text())
    frame, _ = generate_frame(50, seed=0)
    synthetic = [c for c in frame.columns if c not in ("customer_id", "full_name", "email", "default_12m", "application_date")]
    missing = [c for c in synthetic + GERMAN if c not in cat]
    assert missing == []
    codes = [v["code"] for k, v in cat.items() if not k.startswith("_")]
    assert len(codes) == len(set(codes))


def _expl():
    values = np.array([[2.0, -1.0, 0.3, 0.2, 0.1, 0.05], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    data = pd.DataFrame({"credit_score": [520.0, 700.0], "annual_income": [20000.0, 60000.0],
                         "loan_purpose": pd.Categorical(["car", "card"]), "mystery": [5.0, 1.0],
                         "debt_to_income": [0.6, 0.2], "inquiries_6m": [4.0, 0.0]})
    return Explanation(values, np.zeros(2), data, list(data.columns))


def test_top_four_reasons_only_risk_raising_and_worded():
    e = _expl()
    ref = Reference.from_explanation(e, np.array([False, True]), "approved")
    reasons = reasons_for_row(e.values[0], e.data.iloc[0], e.feature_names, ref)
    assert [r.feature for r in reasons] == ["credit_score", "loan_purpose", "mystery", "debt_to_income"]
    assert reasons[0].text == "Credit score is too low." and reasons[0].code == "R01"
    assert "car" in reasons[1].text
    assert all(r.weight > 0 for r in reasons)


def test_generic_fallback_and_reference_population_matters():
    e = _expl()
    ref_all = Reference.from_explanation(e)
    reasons = reasons_for_row(e.values[0], e.data.iloc[0], e.feature_names, ref_all, top=6)
    mystery = next(r for r in reasons if r.feature == "mystery")
    assert mystery.code == "R99" and "Mystery" in mystery.text
    # against all applicants the weights are smaller than against the approved ones
    ref_ok = Reference.from_explanation(e, np.array([False, True]))
    w_all = reasons_for_row(e.values[0], e.data.iloc[0], e.feature_names, ref_all)[0].weight
    w_ok = reasons_for_row(e.values[0], e.data.iloc[0], e.feature_names, ref_ok)[0].weight
    assert w_all < w_ok


def test_reason_table_for_export():
    e = _expl()
    t = reason_table(e, Reference.from_explanation(e, np.array([False, True])), ids=["A", "B"], pd_values=np.array([0.4, 0.01]))
    assert list(t["id"]) == ["A", "B"]
    assert {"reason_1_code", "reason_4_text", "pd"} <= set(t.columns)
    assert t.loc[1, "reason_1_code"] == ""  # nothing raises B's risk above the reference
    assert "_generic" in load_catalogue()
