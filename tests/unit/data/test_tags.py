"""Tags for any file: protected attributes and proxies, post-outcome leaks, behaviour and balances."""

from __future__ import annotations

import pandas as pd
import pytest

from core.data.inference import infer
from core.data.loaders import load_file
from core.data.schema import Tag
from core.data.synthetic import DEFAULT_TAGS, generate_portfolio


def _tags(schema, column):
    return {t.value for t in schema.tags_of(column)}


@pytest.mark.integration
def test_german_credit_tags(shared_data):
    ds, _ = load_file("german_credit.csv", (shared_data / "german_credit.csv").read_bytes(), 50)
    s = ds.schema
    assert set(s.protected_columns()) == {"age", "personal_status", "foreign_worker"}
    assert s.has("personal_status", Tag.PROXY)
    assert s.has("credit_history", Tag.HISTORY) and s.has("checking_status", Tag.HISTORY)
    for c in ("credit_amount", "duration", "purpose"):
        assert s.has(c, Tag.APPLICATION), c
    assert s.has("property_magnitude", Tag.COLLATERAL) and s.has("savings_status", Tag.BALANCE)
    assert not s.tagged(Tag.POST_OUTCOME) and not s.tagged(Tag.MACRO)


@pytest.mark.integration
def test_bank_marketing_tags(shared_data):
    ds, _ = load_file("bank.csv", (shared_data / "bank_marketing_full.csv").read_bytes(), 50)
    s = ds.schema
    assert s.tagged(Tag.POST_OUTCOME) == ["duration"]
    assert set(s.protected_columns()) == {"age", "marital"}
    assert s.has("poutcome", Tag.HISTORY) and s.has("default", Tag.HISTORY)
    assert s.has("housing", Tag.PRODUCT) and s.has("loan", Tag.PRODUCT) and s.has("balance", Tag.BALANCE)


@pytest.mark.integration
def test_cc_general_tags(shared_data):
    ds, _ = load_file("cc_general.csv", (shared_data / "cc_general.csv").read_bytes(), 50)
    s = ds.schema
    behaviour = set(s.tagged(Tag.BEHAVIOUR))
    assert {"PURCHASES", "ONEOFF_PURCHASES", "CASH_ADVANCE", "PURCHASES_FREQUENCY", "PURCHASES_TRX", "PAYMENTS",
            "PRC_FULL_PAYMENT"} <= behaviour
    assert {"BALANCE", "CREDIT_LIMIT"} <= set(s.tagged(Tag.BALANCE))
    assert s.has("TENURE", Tag.RELATIONSHIP) and not s.protected_columns()
    assert set(s.features()) == set(s.tagged(Tag.BEHAVIOUR, Tag.BALANCE, Tag.RELATIONSHIP))  # every feature has a meaning


@pytest.mark.parametrize("values", [["male", "female"], ["M", "F"], ["f", "m", "m"], ["Female", "Male"]])
def test_sex_values_are_protected_whatever_the_name(values):
    frame = pd.DataFrame({"col_4": values * 20, "amount": range(len(values) * 20)})
    s = infer(frame).schema
    assert s.has("col_4", Tag.PROTECTED)
    assert "sex" in next(d.evidence for d in infer(frame).report.decisions if d.column == "col_4" and d.topic == "tags")


def test_marital_and_state_values():
    frame = pd.DataFrame({"c1": ["Married", "Single", "Divorced"] * 10, "c2": ["CA", "NY", "TX"] * 10,
                          "c3": ["France", "Spain", "Germany"] * 10, "n": range(30)})
    s = infer(frame).schema
    assert s.has("c1", Tag.PROTECTED) and s.has("c2", Tag.GEOGRAPHIC) and s.has("c3", Tag.GEOGRAPHIC)


def test_a_loan_file_duration_is_a_term_and_a_call_file_duration_a_leak():
    loan = pd.DataFrame({"duration": [12, 24, 36] * 10, "credit_amount": [1000, 2000, 3000] * 10})
    assert infer(loan).schema.tags_of("duration") == frozenset({Tag.APPLICATION})
    call = pd.DataFrame({"duration": [61, 200, 45] * 10, "pdays": [-1, 3, 9] * 10, "poutcome": ["a", "b", "c"] * 10})
    assert infer(call).schema.tags_of("duration") == frozenset({Tag.POST_OUTCOME})


def test_lending_club_post_outcome_columns():
    frame = pd.DataFrame({"loan_amnt": [1000, 2000] * 15, "recoveries": [0.0, 12.0] * 15,
                          "total_rec_prncp": [900.0, 50.0] * 15, "last_pymnt_d": ["Jan-2016", "Mar-2015"] * 15,
                          "collection_recovery_fee": [0.0, 1.0] * 15})
    s = infer(frame).schema
    assert {"recoveries", "total_rec_prncp", "collection_recovery_fee"} <= set(s.tagged(Tag.POST_OUTCOME))


def test_inferred_tags_of_the_synthetic_portfolio_match_its_declared_tags():
    ds = generate_portfolio(1500, seed=5)
    s = infer(ds.frame).schema
    # house prices are regional in the generator, which a column name cannot say; the declared tags leave
    # PII untagged while inference also marks person names as proxies (they never reach a model either way)
    differ = {c for c in ds.frame.columns if s.tags_of(c) != DEFAULT_TAGS.get(c, frozenset())}
    assert differ == {"house_price_change", "full_name"}
    assert s.tags_of("full_name") == frozenset({Tag.PROXY})
    assert s.semantics == ds.schema.semantics
    assert (s.target, s.id_column, sorted(s.pii)) == ("default_12m", "customer_id", ["email", "full_name"])


def test_ids_and_target_carry_no_tags():
    frame = pd.DataFrame({"customer_id": range(100), "default": [0, 1] * 50, "age": range(20, 120)})
    s = infer(frame).schema
    assert not s.tags_of("customer_id") and not s.tags_of("default") and s.has("age", Tag.PROTECTED)


@pytest.mark.parametrize(("name", "tag"), [
    ("Alter", Tag.PROTECTED), ("Geburtsdatum", Tag.PROTECTED), ("Geschlecht", Tag.PROTECTED), ("Sexe", Tag.PROTECTED),
    ("Familienstand", Tag.PROTECTED), ("Estado civil", Tag.PROTECTED), ("Staatsangehörigkeit", Tag.PROTECTED),
    ("Nationalité", Tag.PROTECTED), ("Edad", Tag.PROTECTED), ("Vorname", Tag.PROXY), ("PLZ", Tag.PROXY),
])
def test_protected_attributes_as_european_exports_name_them(name, tag):
    """Bug: a German file's 'Alter' (age) went into the credit model as a feature."""
    rng = pd.Series(range(300))
    frame = pd.DataFrame({"income": (rng * 37 % 900 + 100).astype(float), name: (rng * 7 % 50 + 20).astype(str),
                          "bad": (rng % 5 == 0).astype(int)})
    assert infer(frame).schema.has(name, tag)
