"""The per-customer next-best offer on a real campaign (UCI bank marketing, 45,211 calls, target y)."""

import pytest

from core.segmentation.offers.nbo import OfferParams, next_best_offers
from core.segmentation.result import SegmentationParams
from core.segmentation.service import run_segmentation

from .test_segmentation_ccgeneral import load

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_response_propensity_beats_the_segment_rule_without_the_leaking_call_duration():
    ds = load("bank_marketing_full.csv")
    seg = run_segmentation(ds, SegmentationParams(k=4, seed=42), sweep=False)
    off = next_best_offers(ds, seg, OfferParams(response_product="term_deposit", seed=42))
    assert "duration" not in off.features  # known only after the call
    assert "age" not in off.features and "marital" not in off.features  # protected
    ev = off.evaluation.iloc[0]
    assert 0.74 < ev["model_auc"] < 0.9  # with duration it would be ~0.93
    assert ev["model_auc"] > ev["segment_rule_auc"] + 0.1
    assert ev["model_precision"] > 2.5 * ev["base_rate"]
    assert ev["model_precision"] > ev["segment_rule_precision"]
