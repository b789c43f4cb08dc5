"""The per-customer next-best offer: propensity per product, suitability and risk filters, target lists."""

import io

import numpy as np
import pandas as pd
import pytest

from core.data.dataset import Dataset
from core.data.inference import infer_schema
from core.data.schema import Tag
from core.errors import DataError, InputError
from core.segmentation.links import CreditView
from core.segmentation.offers import propensity as P
from core.segmentation.offers.catalogue import default_catalogue
from core.segmentation.offers.nbo import OfferParams, next_best_offers
from core.segmentation.offers.suitability import HELD, NO_PD, OK, RISK, SECURED
from core.segmentation.offers.targets import target_brief, target_list, target_list_csv
from core.segmentation.result import SegmentationParams
from core.segmentation.service import run_segmentation


@pytest.fixture(scope="module")
def book():
    from core.data.synthetic import generate_portfolio

    ds = generate_portfolio(4000, seed=3)
    seg = run_segmentation(ds, SegmentationParams(k=4, seed=3), sweep=False)
    return ds, seg


def _with_credit(seg, pd_hat, cutoff=0.1):
    from dataclasses import replace

    return replace(seg, credit=CreditView(pd_hat, "test model", "fp", cutoff))


def test_features_leave_out_protected_geographic_leaking_and_product_count_columns(book):
    ds, _ = book
    feats = P.propensity_features(ds, ["has_mortgage"])
    for c in ("age", "region", "regional_unemployment", "n_products", "product_type", "loan_amount", "ead",
              "collateral_value", "has_mortgage", "customer_id", "full_name", "default_12m"):
        assert c not in feats, c
    assert "has_heloc" in feats and "annual_income" in feats  # other holdings and behaviour stay


def test_a_column_that_gives_the_holding_away_is_caught():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    X = pd.DataFrame({"balance": np.where(y == 1, rng.lognormal(8, 1, 2000), 0.0), "noise": rng.normal(size=2000)})
    assert set(P.leaks(X, y, [])) == {"balance"}


def test_offers_respect_holdings_risk_and_collateral(book):
    ds, seg = book
    rng = np.random.default_rng(1)
    pd_hat = rng.uniform(0.0, 0.3, ds.n_rows)
    seg2 = _with_credit(seg, pd_hat, cutoff=0.1)
    off = next_best_offers(ds, seg2, OfferParams(seed=1))
    j = {p: i for i, p in enumerate(off.products)}
    held_mortgage = ds.frame["has_mortgage"].to_numpy() == 1
    assert (off.codes[held_mortgage, j["mortgage"]] == HELD).all()
    credit_rows = off.codes[:, j["personal_loan"]]
    assert (credit_rows[pd_hat >= 0.1] != OK).all()  # nobody at or above the cutoff gets credit
    assert (credit_rows[(pd_hat >= 0.1) & (ds.frame["has_personal_loan"].to_numpy() == 0)] == RISK).all()
    no_home = (ds.frame["has_mortgage"].to_numpy() == 0) & (ds.frame["has_heloc"].to_numpy() == 0) & (pd_hat < 0.1)
    assert (off.codes[no_home, j["heloc"]] == SECURED).all()  # no HELOC without a home
    # every offer made is allowed, to a customer who does not hold it, with a reason
    made = off.offers["offer"].to_numpy()
    min_lift = default_catalogue().min_lift
    assert min_lift > 1
    for p, i in j.items():
        rows = made == p
        assert (off.codes[rows, i] == OK).all()
        # likelier than the book by the catalogue's minimum lift (an offer at 1.01x the book is no targeting)
        assert (off.scores[rows, i] > min_lift * off.base_rates[p]).all()
        assert (off.offers.loc[rows, "offer_lift"] >= min_lift).all()
    assert off.offers.loc[made == "personal_loan", "offer_reason"].str.contains("under the 10.0% cutoff").all()
    # the holdout evaluation: model, logistic benchmark and segment rule side by side
    ev = off.evaluation.set_index("product")
    assert {"model_auc", "logistic_auc", "segment_rule_auc", "model_precision", "segment_rule_lift"} <= set(ev.columns)
    assert ev.loc["mortgage", "model_auc"] > 0.75


def test_without_a_credit_model_no_credit_product_is_offered(book):
    ds, seg = book
    off = next_best_offers(ds, seg, OfferParams(seed=2))
    j = off.column("credit_card")
    assert set(np.unique(off.codes[:, j])) <= {HELD, NO_PD}
    assert any("No credit model" in n for n in off.notes)


def test_response_mode_learns_from_the_target(book):
    ds, seg = book
    off = next_best_offers(ds, seg, OfferParams(response_product="cd", seed=4))  # default_12m stands in for a response
    assert off.mode == "response" and off.products == ("cd",)
    assert "default_12m" not in off.features
    with pytest.raises(InputError, match="not in the offer catalogue"):
        next_best_offers(ds, seg, OfferParams(response_product="yacht"))


def test_target_list_export_and_brief_carry_no_personal_data(book):
    ds, seg = book
    off = next_best_offers(ds, seg, OfferParams(seed=5))
    product = off.offers["offer"].replace("", np.nan).dropna().iloc[0]
    lst = target_list(ds, seg, off, product, share=0.05)
    assert 0 < len(lst) <= round(0.05 * ds.n_rows) and lst["propensity"].is_monotonic_decreasing
    csv = pd.read_csv(io.BytesIO(target_list_csv(ds, seg, off, product, 0.05)), encoding="utf-8-sig")
    assert csv["customer_id"].str.match(r"^P[0-9a-f]{16}$").all()
    brief = target_brief(ds, seg, off, product, 0.05)
    assert brief.kind == "target_list" and brief.next_best_product == product and brief.copy_product
    assert brief.size == len(lst) and 0 < brief.share < 1
    text = str(brief.to_dict())
    for secret in ds.frame["customer_id"].head(50).tolist() + ds.frame["email"].head(50).tolist():
        assert secret not in text
    with pytest.raises(InputError):
        target_list(ds, seg, off, product, share=1.5)


def test_no_holdings_and_no_target_is_a_plain_error():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"balance": rng.lognormal(7, 1, 400), "spend": rng.lognormal(6, 1, 400)})
    ds = Dataset.build("t", frame, infer_schema(frame), "t")
    seg = run_segmentation(ds, SegmentationParams(k=2), sweep=False)
    with pytest.raises(DataError, match="No product holdings"):
        next_best_offers(ds, seg)


def test_holdings_are_read_only_from_product_tags(book):
    ds, _ = book
    assert all(ds.schema.has(c, Tag.PRODUCT) for c in ds.frame.columns if c.startswith("has_"))
