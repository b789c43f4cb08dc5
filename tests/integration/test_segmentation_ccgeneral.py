"""Segmentation on real card-holder behaviour (Kaggle CC GENERAL, 8,950 customers)."""

import sys

import numpy as np
import pytest

from core.segmentation import service
from core.segmentation.service import SegmentationParams, run_segmentation

pytestmark = pytest.mark.integration


@pytest.fixture
def cc_general(shared_data, monkeypatch):
    from core.data.loaders import load_file

    monkeypatch.setitem(sys.modules, "core.credit.service", None)
    path = shared_data / "cc_general.csv"
    ds, _ = load_file(path.name, path.read_bytes(), 200)
    return ds


def test_cc_general_segments_are_recognisable(cc_general):
    ds = cc_general
    assert ds.schema.id_column == "CUST_ID"
    assert "CUST_ID" not in service.default_features(ds)
    res = run_segmentation(ds, SegmentationParams(seed=42))  # k from the sweep
    assert 4 <= res.k <= 8, res.sweep.reason
    assert res.sweep.table.set_index("k").loc[res.k, "stability_ari"] >= 0.75
    # MINIMUM_PAYMENTS (313 missing) and CREDIT_LIMIT (1 missing) are imputed, not dropped
    assert {"MINIMUM_PAYMENTS", "CREDIT_LIMIT"} <= {c["column"] for c in res.preprocessing["numeric"]}
    means = res.profile.means
    book = means.loc["all"]
    segs = means.drop(index="all")
    # a cash-advance segment: cash advances several times the book's, with high balances
    cash = segs["CASH_ADVANCE"].idxmax()
    assert segs.loc[cash, "CASH_ADVANCE"] > 2.5 * book["CASH_ADVANCE"]
    assert segs.loc[cash, "BALANCE"] > 1.5 * book["BALANCE"]
    # a transactor segment: buys often, keeps a low balance and pays in full
    trans = segs["PRC_FULL_PAYMENT"].idxmax()
    assert segs.loc[trans, "PURCHASES_FREQUENCY"] > 1.3 * book["PURCHASES_FREQUENCY"]
    assert segs.loc[trans, "BALANCE"] < 0.5 * book["BALANCE"]
    assert segs.loc[trans, "CASH_ADVANCE"] < 0.2 * book["CASH_ADVANCE"]
    # a big-spender segment: purchases several times the book's
    spend = segs["PURCHASES"].idxmax()
    assert segs.loc[spend, "PURCHASES"] > 2.5 * book["PURCHASES"]
    assert len({cash, trans, spend}) == 3
    # names say it
    assert "cash-advance" in res.names[cash].lower()
    assert "transactor" in res.names[trans].lower()
    # every segment gets a rule that is readable and mostly right
    for s in res.segments:
        rule = res.profile.rules[s]
        assert " and " in rule.text or ">" in rule.text or "≤" in rule.text
        assert rule.precision > 0.5
    a = res.assignments()
    assert a["CUST_ID"].is_unique and len(a) == ds.n_rows
    assert np.isin(a["segment"], res.segments).all()
