"""Targets, positive labels, ids, duplicates, mixed types: decisions and their evidence."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from core.data.identifiers import IdKind, check_id
from core.data.inference import infer
from core.data.schema import Role
from core.data.targets import positive_label, score_target


def _frame(n=120, seed=0, **cols):
    rng = np.random.default_rng(seed)
    base = {"income": rng.lognormal(10, 0.4, n).round(), "region": rng.choice(["n", "s", "e"], n)}
    return pd.DataFrame({**base, **{k: (v(rng, n) if callable(v) else v) for k, v in cols.items()}})


@pytest.mark.parametrize("name", ["default.payment.next.month", "SeriousDlqin2yrs", "Attrition_Flag", "loan_status",
                                  "bad", "y", "class", "is_default", "Exited", "not.fully.paid", "TARGET", "Risk",
                                  # the abbreviations of bank extracts
                                  "Def", "DFLT_FLG", "bad_flg", "DEF_IND", "dflt_12m", "GB_FLAG", "TARGET_FLG",
                                  # European exports
                                  "Ausfall_12M", "Zahlungsausfall", "defaut_paiement", "impago"])
def test_target_names_in_real_world_habits(name):
    frame = _frame(**{name: lambda r, n: r.choice([0, 1], n, p=[0.8, 0.2])})
    s = infer(frame).schema
    assert s.target == name and s.positive_label == 1


def test_a_two_valued_status_column_is_the_target_and_its_event_word_the_label():
    frame = _frame(acct_status=lambda r, n: r.choice(["Current", "Charged Off"], n, p=[0.85, 0.15]))
    inf = infer(frame)
    assert inf.schema.target == "acct_status" and inf.schema.positive_label == "Charged Off"
    topics = {d.topic: d for d in inf.report.for_column("acct_status")}
    assert "status column with two text values" in topics["target"].evidence
    assert "charged off" in topics["positive label"].evidence


def test_outcome_words_find_a_target_under_an_innocent_name():
    # good/bad in the last column is the outcome even under a code name (UCI files name columns A1..A21)
    frame = _frame(col_21=lambda r, n: r.choice(["good", "bad"], n, p=[0.7, 0.3]))
    inf = infer(frame)
    assert inf.schema.target == "col_21" and inf.schema.positive_label == "bad"
    assert "name an outcome" in inf.report.for_column("col_21")[0].evidence
    # yes/no in the middle of a file is a feature
    frame = _frame(col_5=lambda r, n: r.choice(["yes", "no"], n)).assign(amount=1.0 + np.arange(120))
    assert infer(frame).schema.target is None
    assert score_target("col_5", frame["col_5"], 2, 4).score == 0.0


@pytest.mark.parametrize(
    ("values", "label"),
    [(["good", "bad"], "bad"), (["no", "yes"], "yes"), (["Fully Paid", "Charged Off"], "Charged Off"),
     (["Existing Customer", "Attrited Customer"], "Attrited Customer"), ([0, 1], 1), ([1, 2], 2),
     (["Performing", "Non-performing"], "Non-performing"), (["non-default", "default"], "default"),
     (["False", "True"], "True"), (["Paid", "Not paid"], "Not paid"), (["retained", "churned"], "churned")],
)
def test_positive_labels(values, label):
    got, why = positive_label(pd.Series(values * 5))
    assert got == label and why


def test_yes_no_maybe_and_three_classes_are_refused_and_set_aside():
    frame = _frame(response=lambda r, n: r.choice(["yes", "no", "maybe"], n))
    inf = infer(frame)
    assert inf.schema.target is None and inf.schema.roles["response"] == Role.IGNORE
    assert "response" not in inf.schema.features()
    assert any("3 values" in n and "'response'" in n for n in inf.report.notes)


def test_a_count_with_an_outcome_word_stays_a_feature():
    frame = _frame(**{"delinq.2yrs": lambda r, n: r.poisson(0.3, n), "bad": lambda r, n: r.choice([0, 1], n)})
    s = infer(frame).schema
    assert s.target == "bad" and s.roles["delinq.2yrs"] == Role.NUMERIC


def test_a_second_outcome_named_column_is_mentioned():
    frame = _frame(default=lambda r, n: r.choice(["no", "yes"], n), y=lambda r, n: r.choice(["no", "yes"], n))
    inf = infer(frame)
    assert inf.schema.target == "y"
    assert any("'default' is also named like an outcome" in n for n in inf.report.notes)


@pytest.mark.parametrize(
    ("values", "name"),
    [(np.random.default_rng(1).choice(np.arange(700_000_000, 830_000_000), 200, replace=False), "CLIENTNUM"),
     (np.random.default_rng(2).choice(np.arange(10_000_000, 99_999_999), 200, replace=False), "kunde"),
     ([hashlib.md5(f"row{i}".encode()).hexdigest() for i in range(200)], "hash"),
     ([f"{i:07d}" for i in np.random.default_rng(4).choice(np.arange(1, 999_999), 200, replace=False)], "ref_no"),
     ([f"C{i}" for i in np.random.default_rng(5).choice(np.arange(10_000, 99_999), 200, replace=False)], "cust"),
     (np.random.default_rng(6).permutation(np.arange(1, 201)), "customer_id")],
)
def test_ids_by_uniqueness_and_shape_whatever_the_order(values, name):
    frame = _frame(200, **{name: np.asarray(values)}, bad=lambda r, n: r.choice([0, 1], n))
    inf = infer(frame)
    assert inf.schema.id_column == name
    assert name not in inf.schema.features() and name in inf.report.excluded


def test_unique_amounts_are_not_ids():
    rng = np.random.default_rng(0)
    amounts = rng.choice(np.arange(100, 50_000), 300, replace=False)  # all distinct, varying length
    assert check_id("credit_amount", pd.Series(amounts)).kind == IdKind.NONE
    assert check_id("income", pd.Series(rng.choice(np.arange(10_000, 99_999), 300, replace=False))).kind == IdKind.NONE


def test_partly_duplicated_ids_are_neither_id_nor_feature():
    ids = np.arange(1000, 1120)
    ids[[3, 4, 5]] = ids[[6, 7, 8]]
    frame = _frame(customer_id=ids)
    inf = infer(frame)
    assert inf.schema.id_column is None and inf.schema.roles["customer_id"] == Role.IGNORE
    assert "partly duplicated ids" in inf.report.excluded["customer_id"]


def test_a_second_unique_number_next_to_the_id_is_an_account_number():
    rng = np.random.default_rng(9)
    frame = _frame(150, customer_id=np.arange(1, 151),
                   col_9=np.unique(rng.integers(10**11, 10**12, 400))[:150][rng.permutation(150)])
    inf = infer(frame)
    assert inf.schema.id_column == "customer_id" and inf.schema.roles["col_9"] == Role.PII


def test_duplicated_and_recoded_columns_keep_one():
    frame = _frame()
    frame["income_again"] = frame["income"]
    frame["region_no"] = frame["region"].map({"n": 1, "s": 2, "e": 3})
    inf = infer(frame)
    assert inf.schema.roles["income_again"] == Role.IGNORE and inf.schema.roles["region_no"] == Role.IGNORE
    assert inf.schema.roles["income"] == Role.NUMERIC and inf.schema.roles["region"] == Role.CATEGORICAL


def test_two_numeric_columns_with_the_same_pattern_are_not_copies():
    frame = pd.DataFrame({"duration": [100, 200, 300] * 10, "campaign": [1, 2, 3] * 10})
    roles = infer(frame).schema.roles
    assert roles["duration"] == Role.NUMERIC and roles["campaign"] == Role.NUMERIC


def test_mixed_numbers_and_codes_decided_by_share():
    rng = np.random.default_rng(0)
    mostly = [str(x) for x in rng.integers(100, 999, 200)]
    for i in range(8):
        mostly[i * 20] = "N/K"
    half = [str(x) if i % 2 else "band " + "ABC"[i % 3] for i, x in enumerate(rng.integers(1, 9, 200))]
    inf = infer(pd.DataFrame({"limit": mostly, "band": half}))
    assert inf.schema.roles["limit"] == Role.NUMERIC and inf.frame["limit"].isna().sum() == 8
    assert inf.schema.roles["band"] == Role.CATEGORICAL
    assert any("'band' mixes numbers and text" in n for n in inf.report.notes)


def test_free_text_and_constant_and_empty_columns_are_set_aside():
    rng = np.random.default_rng(0)
    frame = _frame(100, comment=[f"spoke with branch about item {i} on {rng.integers(1, 28)} may" for i in range(100)],
                   const="x", empty=np.nan)
    inf = infer(frame)
    assert inf.schema.roles["comment"] == Role.IGNORE
    assert {"comment", "const", "empty"} <= set(inf.report.excluded)
    from core.data.loaders import prepare

    p = prepare("x", frame, "test")  # validation sets the constant and empty columns aside, with its notes
    for c in ("comment", "const", "empty"):
        assert p.dataset.schema.roles[c] == Role.IGNORE and c not in p.dataset.features()
    assert any("'const' holds a single value" in n for n in p.notes)


def test_forced_target_and_id_win_and_missing_ones_are_plain_errors():
    from core.errors import SchemaError, TargetError

    frame = _frame(flag=lambda r, n: r.choice([0, 1], n), bad=lambda r, n: r.choice([0, 1], n))
    assert infer(frame, target="flag").schema.target == "flag"
    with pytest.raises(TargetError, match="no column 'nope'"):
        infer(frame, target="nope")
    with pytest.raises(SchemaError, match="no column 'x'"):
        infer(frame, id_column="x")


def test_report_serialises_and_explains_every_role_decision():
    from core.data.inference import InferenceReport

    frame = _frame(bad=lambda r, n: r.choice(["good", "bad"], n), customer_id=np.arange(120))
    report = infer(frame).report
    back = InferenceReport.from_dict(report.to_dict())
    assert back == report
    ev = report.evidence()
    assert any(e.startswith("target:") for e in ev["bad"]) and any(e.startswith("id:") for e in ev["customer_id"])


def test_repeated_blank_and_non_text_column_names():
    frame = pd.DataFrame([[1, 2, 3, 4]] * 30, columns=["a", "a ", "", 7])
    frame["bad"] = [0, 1] * 15
    names = list(infer(frame).frame.columns)
    assert names == ["a", "a.1", "unnamed_2", "7", "bad"]


def test_a_constant_number_is_shown_plainly_in_the_note():
    from core.data.columns import read_column

    assert read_column("branch", pd.Series([4] * 20, dtype="int64")).evidence == "every row holds 4"
    assert read_column("flag", pd.Series(["Y"] * 20)).evidence == "every row holds 'Y'"


@pytest.mark.parametrize(("name", "values", "event"), [
    ("repaid", ["yes", "no"], "no"), ("Approved", ["Y", "N"], "N"), ("is_good", [1, 0], 0),
    ("approved", ["good", "bad"], "bad"),  # values that name an outcome decide whatever the name
    ("default", ["yes", "no"], "yes"), ("target", [0, 1], 1),
])
def test_a_target_named_for_the_good_outcome_has_the_other_value_as_its_event(name, values, event):
    # "repaid = yes" is a good payer: taking "yes" as the event scored good payers as defaulters
    from core.data.targets import positive_label

    rng = np.random.default_rng(0)
    s = pd.Series(rng.choice(values, 200), name=name)
    assert positive_label(s)[0] == event
