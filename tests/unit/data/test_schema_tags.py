import pandas as pd

from core.data.inference import infer_schema
from core.data.schema import Role, Schema, Tag


def test_default_portfolio_tags(small_portfolio):
    s = small_portfolio.schema
    assert s.protected_columns() == ["age"]
    assert set(s.tagged(Tag.MACRO)) == {"regional_unemployment", "policy_rate", "house_price_change"}
    assert s.has("region", Tag.GEOGRAPHIC) and s.has("credit_score", Tag.HISTORY)
    assert "txn_amount_90d" in s.tagged(Tag.BEHAVIOUR)


def test_tags_roundtrip_and_edit_changes_fingerprint(small_portfolio):
    s = small_portfolio.schema
    back = Schema.from_dict(s.to_dict())
    assert back == s
    edited = small_portfolio.with_schema(s.with_tags("tenure_months", [Tag.RELATIONSHIP, Tag.PROTECTED]))
    assert "tenure_months" in edited.schema.protected_columns()
    assert edited.fingerprint != small_portfolio.fingerprint
    assert s.with_role("age", Role.IGNORE).tags == s.tags


def test_inferred_tags_on_a_bank_file_with_odd_names():
    frame = pd.DataFrame({
        "Applicant.Age": [30, 40, 50] * 10, "Gender_code": ["F", "M", "M"] * 10, "ZIP": ["10001", "94105", "60601"] * 10,
        "RegionalUnemployment": [4.1, 5.2, 3.9] * 10, "NumberOfTimes90DaysLate": [0, 1, 2] * 10,
        "RecoveriesAmount": [0.0, 10.0, 0.0] * 10, "MonthlyIncome": [3000, 4000, 5000] * 10,
    })
    s = infer_schema(frame)
    assert s.has("Applicant.Age", Tag.PROTECTED)
    assert s.has("Gender_code", Tag.PROTECTED)
    assert s.has("ZIP", Tag.GEOGRAPHIC) and s.has("ZIP", Tag.PROXY)
    assert s.has("RegionalUnemployment", Tag.MACRO) and s.has("RegionalUnemployment", Tag.GEOGRAPHIC)
    assert s.has("RecoveriesAmount", Tag.POST_OUTCOME)
    assert s.has("MonthlyIncome", Tag.INCOME)


def test_call_duration_in_a_campaign_file_is_post_outcome():
    frame = pd.DataFrame({"duration": [100, 200, 300] * 10, "campaign": [1, 2, 3] * 10, "y": ["no", "yes", "no"] * 10})
    assert infer_schema(frame).has("duration", Tag.POST_OUTCOME)
    loan = pd.DataFrame({"duration": [12, 24, 36] * 10, "credit_amount": [1000, 2000, 3000] * 10})
    assert infer_schema(loan).has("duration", Tag.APPLICATION)


def test_bank_abbreviations_carry_their_meaning():
    # a bank's export: "Util %", "Card Bal.", "Annual Inc.", "Cred Lim" mean what their long names mean, so segment
    # names and stresses read them (a file named like this was named on income alone before)
    from core.data.schema import infer_semantics

    sem = infer_semantics(["Cust No", "Annual Inc.", "Card Bal.", "Cred Lim", "Util %", "FICO"])
    assert sem == {"income": "Annual Inc.", "balance": "Card Bal.", "limit": "Cred Lim", "utilisation": "Util %"}
    assert infer_semantics(["card_utilisation", "util"])["utilisation"] == "card_utilisation"  # the long name first
