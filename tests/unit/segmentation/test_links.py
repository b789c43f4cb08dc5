"""Holdings, the segment rule with its suitability filters, and the credit model found through the resolver."""

import numpy as np
import pandas as pd
import pytest

from core.data.dataset import Dataset
from core.data.inference import infer_schema
from core.data.schema import Tag
from core.segmentation.links import (
    NO_CREDIT_MODEL,
    credit_view,
    pd_by_segment,
    penetration,
    segment_exclusions,
    segment_offers,
)
from core.segmentation.offers.catalogue import default_catalogue, holding_columns


def _ds(frame, tags=None):
    schema = infer_schema(frame)
    for c, t in (tags or {}).items():
        schema = schema.with_tags(c, t)
    return Dataset.build("t", frame, schema, "test")


def test_holdings_come_from_product_tagged_flags_and_yes_no_columns():
    frame = pd.DataFrame({"has_mortgage": [1, 0, 1, 0], "housing": ["yes", "no", "no", "yes"], "loan": ["no", "yes", "no", "no"],
                          "has_pet": [1, 1, 0, 0], "balance": [1.0, 2, 3, 4]})
    ds = _ds(frame, {"has_pet": []})  # a flag the schema does not call a product is not a holding
    cols = holding_columns(ds)
    assert cols["mortgage"] == "has_mortgage" and cols["personal_loan"] == "loan" and "pet" not in cols


def test_segment_rule_takes_the_highest_lift_product_most_of_the_segment_lacks():
    labels = np.repeat([0, 1], 100)
    frame = pd.DataFrame({"has_mortgage": np.r_[np.ones(90), np.zeros(10), np.zeros(100)],
                          "has_cd": np.r_[np.zeros(70), np.ones(30), np.zeros(95), np.ones(5)],
                          "has_savings": np.r_[np.ones(100), np.ones(40), np.zeros(60)]})
    ds = _ds(frame)
    pen = penetration(ds, labels)
    assert pen.loc[0, "mortgage"] == 0.9 and pen.loc["all", "mortgage"] == 0.45
    offers = segment_offers(pen)
    assert offers[0].product == "cd"  # mortgage and savings are held by the majority already
    assert "holds it already" in offers[0].withheld["mortgage"]
    # segment 1 holds everything less than the book: no product clears a lift of 1
    assert offers[1].product is None and "less than the book" in offers[1].withheld["cd"]


def test_credit_products_need_a_pd_below_the_cutoff_and_a_heloc_needs_a_home():
    labels = np.repeat([0, 1, 2], 100)
    frame = pd.DataFrame({
        "has_heloc": np.r_[np.ones(30), np.zeros(70), np.zeros(100), np.zeros(100)],
        "has_mortgage": np.r_[np.ones(80), np.zeros(20), np.ones(10), np.zeros(90), np.zeros(100)],
        "has_personal_loan": np.r_[np.zeros(100), np.ones(20), np.zeros(80), np.ones(5), np.zeros(95)],
        "savings_balance": np.r_[np.full(100, 5e4), np.full(100, 4e4), np.full(100, 100.0)],
    })
    ds = _ds(frame)
    pen = penetration(ds, labels)
    means = frame.groupby(labels).mean()
    means.loc["all"] = frame.mean()
    mean_pd = pd.Series({0: 0.02, 1: 0.19, 2: 0.03, "all": 0.08})
    cat = default_catalogue()
    why = segment_exclusions(means, {}, cat, mean_pd, 1 / 6, pen)
    assert "not below" in why[1]["personal_loan"] and "not below" in why[1]["heloc"]  # 19% PD
    assert "holds no mortgage" in why[2]["heloc"]  # no home to secure a home-equity line
    assert "heloc" not in why[0]
    assert "savings are under a quarter" in why[2]["investment"]
    offers = segment_offers(pen, cat, why)
    assert offers[1].product != "personal_loan"
    no_model = segment_exclusions(means, {}, cat, None, 1 / 6, pen)
    assert all("no credit model" in no_model[s]["personal_loan"] for s in (0, 1, 2))


def test_credit_view_without_a_model(small_portfolio):
    view = credit_view(small_portfolio)
    assert view.pd is None and view.message == NO_CREDIT_MODEL


def test_credit_view_asks_the_resolver(monkeypatch, small_portfolio):
    class Model:
        fingerprint = "abc"

        def predict_pd(self, frame):
            return np.full(len(frame), 0.05)

    from core import resolver

    monkeypatch.setattr(resolver, "credit_model", lambda ds: Model())
    view = credit_view(small_portfolio)
    assert view.pd is not None and view.pd.shape == (small_portfolio.n_rows,) and view.model_fingerprint == "abc"
    assert view.cutoff == pytest.approx(default_catalogue().pd_cutoff)
    s = pd_by_segment(view.pd, np.zeros(small_portfolio.n_rows, dtype=int))
    assert s["all"] == pytest.approx(0.05)


def test_credit_view_survives_a_broken_model(monkeypatch, small_portfolio):
    class Broken:
        def predict_pd(self, frame):
            raise RuntimeError("boom")

    from core import resolver

    monkeypatch.setattr(resolver, "credit_model", lambda ds: Broken())
    assert "could not score" in credit_view(small_portfolio).message

    def raising(ds):
        raise OSError("disk")

    monkeypatch.setattr(resolver, "credit_model", raising)
    assert "could not be loaded" in credit_view(small_portfolio).message


def test_tags_name_the_synthetic_holdings(small_portfolio):
    assert all(small_portfolio.schema.has(c, Tag.PRODUCT) for c in holding_columns(small_portfolio).values())
