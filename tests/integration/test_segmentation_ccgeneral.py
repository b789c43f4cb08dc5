"""Segmentation on real card-holder behaviour (Kaggle CC GENERAL, 8,950 customers)."""

import re
from pathlib import Path

import numpy as np
import pytest

from core.segmentation import service
from core.segmentation.result import SegmentationParams
from core.segmentation.service import run_segmentation

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def shared_file(name: str) -> Path:
    """A file of ../shared/data beside the checkout (or beside the folder of worktrees), else skip."""
    for base in (ROOT.parent, ROOT.parent.parent):
        p = base / "shared" / "data" / name
        if p.exists():
            return p
    pytest.skip(f"../shared/data/{name} is not available")


def load(name: str):
    from core.data.loaders import load_file

    path = shared_file(name)
    ds, _ = load_file(path.name, path.read_bytes(), 200)
    return ds


@pytest.fixture(scope="module")
def cc_general():
    return load("cc_general.csv")


@pytest.fixture(scope="module")
def cc_result(cc_general):
    return run_segmentation(cc_general, SegmentationParams(seed=42))  # k from the consensus


def test_cc_general_segments_are_recognisable(cc_general, cc_result):
    ds, res = cc_general, cc_result
    assert ds.schema.id_column == "CUST_ID"
    assert "CUST_ID" not in service.default_features(ds)
    assert 3 <= res.k <= 8, res.sweep.reason
    assert res.sweep.table.set_index("k").loc[res.k, "stability_ari"] >= 0.75
    # MINIMUM_PAYMENTS (313 missing) and CREDIT_LIMIT (1 missing) are imputed, not dropped
    assert {"MINIMUM_PAYMENTS", "CREDIT_LIMIT"} <= {c["column"] for c in res.preprocessing["numeric"]}
    means = res.profile.means
    book = means.loc["all"]
    segs = means.drop(index="all")
    cash = segs["CASH_ADVANCE"].astype(float).idxmax()  # a cash-advance segment
    assert segs.loc[cash, "CASH_ADVANCE"] > 2.5 * book["CASH_ADVANCE"]
    trans = segs["PRC_FULL_PAYMENT"].astype(float).idxmax()  # transactors: pay in full, low balance
    assert segs.loc[trans, "BALANCE"] < 0.5 * book["BALANCE"]
    assert "cash-advance" in res.names[cash].lower()
    assert "transactor" in res.names[trans].lower() or "pay-in-full" in res.names[trans].lower()
    for s in res.segments:
        assert res.profile.rules[s].precision > 0.5
    a = res.assignments()
    assert a["CUST_ID"].is_unique and len(a) == ds.n_rows
    assert np.isin(a["segment"], res.segments).all()


def test_cc_general_names_are_true_unique_and_hold_no_raw_column_token(cc_general, cc_result):
    res = cc_result
    names = [res.name(s) for s in res.segments]
    assert len(set(names)) == len(names)
    assert res.contradictions() == {}
    for n in names:
        low = n.lower()
        for raw in ("prc", "trx", "oneoff", "installments purchases", "balance frequency", "cash advance trx", "_"):
            assert raw not in low, (n, raw)
        assert not re.search(r"[A-Z]{3,}", n), n  # no upper-case column names


def test_bank_marketing_names_and_features():
    ds = load("bank_marketing_full.csv")
    feats = service.default_features(ds)
    assert "duration" not in feats and "age" not in feats and "marital" not in feats  # leak and protected
    assert "month" not in feats and "day" not in feats  # when the bank called, not what the customer does
    res = run_segmentation(ds, SegmentationParams(seed=42))
    names = [res.name(s) for s in res.segments]
    assert len(set(names)) == len(names) and res.contradictions() == {}
    for n in names:
        assert not re.search(r"\b(pdays|poutcome|month|contact|campaign|day)\b", n.lower()), n
