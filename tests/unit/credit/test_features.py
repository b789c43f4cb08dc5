"""Regulation B defaults and the leakage scan: what reaches the features, and the recorded reasons."""

import numpy as np
import pytest

from core.credit.features import select_features
from core.credit.leakage import LEAK_AUC, LeakageError, leakage_scan, univariate_auc
from core.credit.params import CreditParams
from core.credit.training import fit_credit_model
from core.data import Dataset, Role
from core.data.schema import Tag
from core.errors import InputError

from .conftest import FAST, tiny_dataset


def _with(ds, column, values, role=Role.NUMERIC, tags=()):
    frame = ds.frame.assign(**{column: values})
    schema = ds.schema.__class__({**ds.schema.roles, column: role}, {}, 1, dict(ds.schema.tags))
    if tags:
        schema = schema.with_tags(column, tags)
    return Dataset.build("t", frame, schema, "test")


def test_protected_attributes_are_out_by_default_and_in_only_with_a_reason(portfolio):
    sel = select_features(portfolio, CreditParams())
    assert "age" not in sel.features
    kinds = {d.column: d.kind for d in sel.decisions}
    assert kinds["age"] == "protected" and kinds["customer_id"] == "not_a_feature"
    sel = select_features(portfolio, CreditParams(include_protected={"age": "validated under 1002.6(b)(2)"}))
    assert "age" in sel.features
    assert any("explicit override" in w for w in sel.warnings)
    with pytest.raises(InputError, match="not a protected attribute"):
        select_features(portfolio, CreditParams(include_protected={"credit_score": "why not"}))


def test_proxy_is_protected_too():
    ds = tiny_dataset()
    rng = np.random.default_rng(0)
    ds = _with(ds, "postcode_area", rng.choice(["N1", "E2", "W3"], ds.n_rows), Role.CATEGORICAL, (Tag.PROXY,))
    sel = select_features(ds, CreditParams())
    assert "postcode_area" not in sel.features
    assert "proxy" in {d.column: d.reason for d in sel.decisions}["postcode_area"]


def test_univariate_auc_of_a_leak_and_of_noise():
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.3).astype(int)
    import pandas as pd

    assert univariate_auc(pd.Series(y + rng.normal(scale=0.1, size=2000)), y) > 0.95
    assert univariate_auc(pd.Series(rng.normal(size=2000)), y) < 0.6


def test_moderately_strong_leak_is_flagged_well_below_095():
    ds = tiny_dataset(n=2000, seed=2)
    y = ds.target_vector()
    rng = np.random.default_rng(5)
    call_length = np.where(y == 1, rng.normal(1.4, 1, len(y)), rng.normal(0, 1, len(y)))  # AUC about 0.84
    leaky = _with(ds, "call_length", call_length)
    findings = leakage_scan(leaky.frame, ["x1", "call_length"], y, leaky.schema.tags)
    assert [f.column for f in findings] == ["call_length"]
    assert LEAK_AUC < findings[0].auc < 0.95


def test_flagged_column_is_left_out_by_default_kept_with_a_reason_or_refused():
    ds = tiny_dataset()
    y = ds.frame["default"].to_numpy()
    leaky = _with(ds, "recovery_amount", y * 1000.0 + np.random.default_rng(1).normal(size=len(y)))
    m = fit_credit_model(leaky, CreditParams(**FAST))
    assert "recovery_amount" not in m.feature_names
    assert m.meta.excluded["recovery_amount"].startswith("Possible target leakage")
    assert any("left out" in w for w in m.warnings)
    kept = fit_credit_model(leaky, CreditParams(keep_flagged={"recovery_amount": "booked at application"}, **FAST))
    assert "recovery_amount" in kept.feature_names
    assert kept.meta.overrides["recovery_amount"] == "flagged but kept: booked at application"
    with pytest.raises(LeakageError, match="recovery_amount"):
        fit_credit_model(leaky, CreditParams(leakage="error", **FAST))
    clean = fit_credit_model(leaky, CreditParams(exclude=("recovery_amount",), **FAST))
    assert clean.warnings == [] or not any("leakage" in w for w in clean.warnings)


def test_post_outcome_tag_is_flagged_whatever_its_strength():
    ds = tiny_dataset()
    rng = np.random.default_rng(3)
    tagged = _with(ds, "days_in_collection", rng.normal(size=ds.n_rows), tags=(Tag.POST_OUTCOME,))
    sel = select_features(tagged, CreditParams(), tagged.target_vector())
    assert "days_in_collection" not in sel.features
    assert "known only after the outcome" in {d.column: d.reason for d in sel.decisions}["days_in_collection"]
