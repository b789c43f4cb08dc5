import sys
import types

import numpy as np
import pandas as pd
import pytest

from core.segmentation.links import NO_CREDIT_MODEL, credit_link, next_best_products, pd_by_segment, penetration


def test_penetration_and_next_best_product():
    labels = np.repeat([0, 1], 100)
    frame = pd.DataFrame({"has_mortgage": np.r_[np.ones(90), np.zeros(10), np.zeros(100)],
                          "has_cd": np.r_[np.zeros(70), np.ones(30), np.zeros(95), np.ones(5)],
                          "has_savings": np.r_[np.ones(100), np.ones(40), np.zeros(60)]})
    pen = penetration(frame, labels)
    assert pen.loc[0, "mortgage"] == 0.9 and pen.loc["all", "mortgage"] == 0.45
    nb = next_best_products(pen)
    assert nb[0]["product"] == "cd"  # mortgage and savings are held by the majority already
    assert nb[1]["product"] == "savings"


def test_penetration_from_a_product_type_column():
    frame = pd.DataFrame({"product_type": ["card", "loan", "card", "card"]})
    pen = penetration(frame, np.array([0, 0, 1, 1]), "product_type")
    assert set(pen.columns) == {"card", "loan"}


def test_credit_link_without_a_credit_module(monkeypatch, small_portfolio):
    monkeypatch.setitem(sys.modules, "core.credit.service", None)  # import fails
    link = credit_link(small_portfolio)
    assert link.pd is None and link.message == NO_CREDIT_MODEL


def test_credit_link_with_a_model(monkeypatch, small_portfolio):
    class Model:
        fingerprint = "abc"

        def predict_pd(self, frame):
            return np.full(len(frame), 0.05)

    fake = types.ModuleType("core.credit.service")
    fake.latest_model = lambda ds: Model()
    monkeypatch.setitem(sys.modules, "core.credit.service", fake)
    link = credit_link(small_portfolio)
    assert link.pd is not None and link.pd.shape == (small_portfolio.n_rows,)
    s = pd_by_segment(link.pd, np.zeros(small_portfolio.n_rows, dtype=int))
    assert s["all"] == pytest.approx(0.05)


def test_credit_link_survives_a_broken_model(monkeypatch, small_portfolio):
    class Broken:
        def predict_pd(self, frame):
            raise RuntimeError("boom")

    fake = types.ModuleType("core.credit.service")
    fake.latest_model = lambda ds: Broken()
    monkeypatch.setitem(sys.modules, "core.credit.service", fake)
    link = credit_link(small_portfolio)
    assert link.pd is None and "could not score" in link.message
