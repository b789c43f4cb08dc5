import numpy as np
import pandas as pd
import pytest

from core.scenarios import loss as L
from core.scenarios.presets import load_presets

P = load_presets()


def test_lgd_is_bounded_collateral_driven_and_takes_the_downturn_add_on():
    products = np.array(["mortgage", "mortgage", "revolving", "other", "auto"])
    ead = np.array([100.0, 100.0, 50.0, 20.0, 30.0])
    coll = np.array([200.0, 80.0, 0.0, 0.0, 30.0])
    lgd = L.lgd(products, ead, coll, P.lgd["products"])
    assert lgd[0] == pytest.approx(0.10 + 0.05)  # well covered: the floor plus costs
    assert lgd[1] > lgd[0]  # less collateral, more loss
    assert lgd[2] == 0.80 and lgd[3] == 0.65
    down = L.lgd(products, ead, coll, P.lgd["products"], downturn_addon=0.1)
    assert np.all(down >= lgd) and np.all((down >= 0) & (down <= 1))


def test_basel_retail_correlations():
    products = np.array(["mortgage", "revolving", "other", "other"])
    rho = L.asset_correlation(products, np.array([0.02, 0.02, 0.0001, 0.5]), P.correlation)
    assert rho[0] == 0.15 and rho[1] == 0.04
    assert rho[2] == pytest.approx(0.16, abs=1e-3) and rho[3] == pytest.approx(0.03, abs=1e-3)


def _book(n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    pd_ = np.clip(rng.beta(1, 40, n), 1e-4, 0.9)
    ead = rng.lognormal(9, 1, n)
    products = rng.choice(["mortgage", "revolving", "other", "auto"], n)
    return pd_, np.full(n, 0.5), ead, products


def test_simulated_mean_matches_expected_loss_and_tail_is_ordered():
    pd_, lgd, ead, products = _book()
    d = L.simulate_losses(pd_, lgd, ead, products, P.correlation, n_draws=20_000, seed=1)
    s = d.summary
    assert s["mean_loss"] == pytest.approx(s["expected_loss"], rel=0.03)
    assert s["expected_loss"] < s["var_99"] < s["es_99"] and s["var_99"] < s["var_999"] <= s["es_999"]
    assert s["var_999"] == pytest.approx(s["asrf_var_999"], rel=0.1)  # the MC agrees with the Basel formula


def test_bucketing_matches_exact_per_exposure_simulation():
    from scipy.special import ndtr, ndtri

    pd_, lgd, ead, products = _book(3000, seed=2)
    z = np.random.default_rng(3).standard_normal(4000)
    rho = L.asset_correlation(products, pd_, P.correlation)
    cond = ndtr((ndtri(pd_)[None] - np.sqrt(rho)[None] * z[:, None]) / np.sqrt(1 - rho)[None])
    exact = cond @ (lgd * ead)  # conditional expected loss per draw
    approx = L.simulate_losses(pd_, lgd, ead, products, P.correlation, n_draws=4000, factor=z, seed=0)
    q_exact = np.quantile(exact, [0.5, 0.99])
    q_approx = np.quantile(approx.losses, [0.5, 0.99])
    assert np.allclose(q_exact, q_approx, rtol=0.08)


def test_same_seed_same_draws():
    pd_, lgd, ead, products = _book(2000)
    a = L.simulate_losses(pd_, lgd, ead, products, P.correlation, 5000, seed=4)
    b = L.simulate_losses(pd_, lgd, ead, products, P.correlation, 5000, seed=4)
    assert np.array_equal(a.losses, b.losses)


def test_exposure_and_product_lookup_fall_back_sensibly():
    f = pd.DataFrame({"credit_amount": [100, 200], "purpose": ["car", "tv"]})
    ead, note = L.exposure(f)
    assert list(ead) == [100, 200] and "credit_amount" in note
    assert list(L.product_class(f)) == ["other", "other"]
    ead, note = L.exposure(pd.DataFrame({"x": [1, 2]}))
    assert list(ead) == [1, 1] and "No exposure column" in note
