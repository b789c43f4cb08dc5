import json

import numpy as np
import pandas as pd

from core.assets import asset_path
from core.credit.explain import Explanation
from core.credit.reason_text import sentence, value_text
from core.credit.reasons import Reference, not_reasons, reason_rows, reasons_for_row
from core.data.synthetic import generate_frame

GERMAN = ["checking_status", "duration", "credit_history", "purpose", "credit_amount", "savings_status", "employment",
          "installment_commitment", "other_parties", "residence_since", "property_magnitude",
          "other_payment_plans", "housing", "existing_credits", "job", "num_dependents", "own_telephone"]
NEVER = ["age", "region", "personal_status", "foreign_worker", "regional_unemployment", "policy_rate", "house_price_change"]


def test_catalogue_has_no_protected_or_geographic_reason_and_stable_codes():
    cat = json.loads(asset_path("credit", "reason_codes.json").read_text())
    assert [c for c in NEVER if c in cat] == []
    assert not any("age-related" in json.dumps(v).lower() for v in cat.values())
    frame, _ = generate_frame(50, seed=0)
    banned = {"customer_id", "full_name", "email", "default_12m", "application_date", *NEVER}
    assert [c for c in frame.columns if c not in banned and c not in cat] == []
    assert [c for c in GERMAN if c not in cat] == []
    codes = [v["code"] for k, v in cat.items() if not k.startswith("_")]
    assert len(codes) == len(set(codes))


def _expl():
    values = np.array([[2.0, -1.0, 0.3, 0.2, 0.1, 0.05, 0.9], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    data = pd.DataFrame({"credit_score": [520.0, 700.0], "annual_income": [20000.0, 60000.0],
                         "loan_purpose": pd.Categorical(["car", "card"]), "mystery_ratio": [5.0, 1.0],
                         "debt_to_income": [0.6, 0.2], "inquiries_6m": [4.0, 0.0], "region": pd.Categorical(["West", "South"])})
    return Explanation(values, np.zeros(2), data, list(data.columns))


def test_top_four_reasons_raise_risk_and_skip_geography():
    e = _expl()
    ref = Reference.from_explanation(e, np.array([False, True]), "approved")
    reasons, withheld = reasons_for_row(e.values[0], e.data.iloc[0], e.feature_names, ref,
                                        categorical=["loan_purpose", "region"], excluded=["region"])
    assert [r.feature for r in reasons] == ["credit_score", "loan_purpose", "mystery_ratio", "debt_to_income"]
    assert withheld == {"region": 0.9}
    assert reasons[0].text == "Credit score is too low (520; typical 700)." and reasons[0].code == "R01"
    assert reasons[0].contribution == 2.0 and reasons[0].weight == 2.0
    assert "'car'" in reasons[1].text and reasons[1].text.endswith("in this model.")
    assert reasons[2].code == "MYSTERY_RATIO" and reasons[2].text == "Mystery ratio is higher than typical (5; typical 1)."
    assert all(r.contribution > 0 for r in reasons)


def test_german_levels_are_worded_correctly():
    assert sentence("credit_history", "existing paid", None, True)[1].startswith("Existing credits paid back duly")
    assert "payment problems" not in sentence("credit_history", "existing paid", None, True)[1]
    assert sentence("other_payment_plans", "bank", None, True)[1] == "Other instalment plans with banks."
    assert sentence("checking_status", "<0", None, True)[1] == "Checking account is overdrawn (balance below 0 DM)."
    assert sentence("some_flag", "weird", None, True)[1] == "Some flag is 'weird', a value the model associates with higher risk."
    assert sentence("duration", 48.0, 18.0, False)[1] == "Requested loan duration is too long (48 months; typical 18)."
    assert sentence("duration", np.nan, 18.0, False)[1] == "Duration is not known."
    assert value_text(14300.0) == "14,300" and value_text(0.35) == "0.35" and value_text(0.012) == "0.012"


def test_not_reasons_from_tags_and_reason_rows():
    assert not_reasons({"age": ("protected",), "zip": ("proxy", "geographic"), "unemp": ("macro",), "x": ("balance",)}) \
        == {"age", "zip", "unemp"}
    from core.credit.reasons import ApplicantReasons

    e = _expl()
    ref = Reference.from_explanation(e, np.array([False, True]))
    rs, _ = reasons_for_row(e.values[0], e.data.iloc[0], e.feature_names, ref, ["loan_purpose", "region"])
    t = reason_rows([ApplicantReasons("A", 0.4, "declined", rs), ApplicantReasons("B", 0.01, "approved", [])])
    assert list(t["id"]) == ["A", "B"]
    assert {"reason_1_code", "reason_4_text", "reason_1_contribution", "pd", "decision"} <= set(t.columns)
    assert t.loc[1, "reason_1_code"] == ""


def test_units_read_from_the_file_reach_the_reason_text():
    """A rate written "26.5%" in the file is held as 0.265 but a reason says 26.5%, never 0.27."""
    import re

    from core.credit.global_shap import sample_explanation
    from core.credit.params import CreditParams
    from core.credit.reason_export import reference_from_sample
    from core.credit.training import fit_credit_model
    from core.data.loaders import build_dataset

    rng = np.random.default_rng(3)
    n = 800
    rate = rng.uniform(0.05, 0.30, n)
    amount = rng.uniform(1_000, 40_000, n)
    logit = -2 + 12 * (rate - 0.15) + (amount - 20_000) / 20_000
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"int_rate": [f"{100 * r:.1f}%" for r in rate], "loan_amnt": [f"${a:,.0f}" for a in amount],
                          "default": y})
    ds, _ = build_dataset("rates", frame, "test", target="default")
    assert ds.schema.units.get("int_rate") == "%" and ds.schema.units.get("loan_amnt") == "$"
    model = fit_credit_model(ds, CreditParams(n_estimators=60, learning_rate=0.1, early_stopping_rounds=20, max_depth=3))
    assert model.meta.units == {"int_rate": "%", "loan_amnt": "$"}
    sample = sample_explanation(model, ds.frame, None, 400, seed=0)
    ref = reference_from_sample(sample, "all applicants", 0.5)
    top = int(np.argmax(sample.pd))
    expl = sample.explanation
    reasons, _ = reasons_for_row(expl.values[top], expl.data.iloc[top], expl.feature_names, ref)
    texts = {r.feature: r.text for r in reasons}
    assert "int_rate" in texts
    assert "%" in texts["int_rate"] and not re.search(r"(?<![\d.])0\.\d+(?![\d.]*%)", texts["int_rate"]), texts
    if "loan_amnt" in texts:
        assert "$" in texts["loan_amnt"], texts


def test_value_text_follows_the_unit():
    assert value_text(0.265, "%") == "26.5%"
    assert value_text(1.5, "%") == "150%"
    assert value_text(14300.0, "$") == "$14,300"
    assert value_text(36.0, "months") == "36 months"
    assert value_text(0.35) == "0.35"
