import numpy as np
import pandas as pd
import pytest

from core.data.synthetic import (
    PERSONA_NAMES,
    TRUE_DRIVERS,
    MacroConditions,
    generate_frame,
    generate_portfolio,
    true_logit,
)


def test_same_seed_same_portfolio_and_other_seed_differs():
    a, ta = generate_frame(2000, seed=3)
    b, tb = generate_frame(2000, seed=3)
    c, _ = generate_frame(2000, seed=4)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta, tb)
    assert not a["annual_income"].equals(c["annual_income"])


def test_columns_types_and_ranges():
    ds = generate_portfolio(5000, seed=1)
    f = ds.frame
    assert f["customer_id"].is_unique
    assert f["credit_score"].between(300, 850).all()
    assert f["card_utilisation"].between(0, 1).all()
    assert (f["ead"] >= 0).all() and (f["annual_income"] > 0).all()
    assert set(f["default_12m"].unique()) == {0, 1}
    assert 0.03 < f["default_12m"].mean() < 0.15
    assert set(ds.truth["persona"].cat.categories) == set(PERSONA_NAMES)
    assert "persona" not in f.columns  # ground truth is never a feature
    # PII is flagged and kept out of the features
    assert set(ds.schema.pii) == {"full_name", "email"}
    assert not set(ds.schema.pii) & set(ds.features())
    assert ds.schema.target == "default_12m" and ds.schema.id_column == "customer_id"
    # secured exposures carry collateral, unsecured do not
    secured = f["product_type"].isin(["mortgage", "auto"])
    assert (f.loc[secured, "collateral_value"] > 0).all()
    assert (f.loc[~secured, "collateral_value"] == 0).all()


def test_every_persona_present_with_documented_shares():
    _, truth = generate_frame(20_000, seed=0)
    shares = truth["persona"].value_counts(normalize=True)
    assert shares.min() > 0.08
    assert abs(shares["young_professional"] - 0.22) < 0.02


def test_default_flag_follows_the_true_risk_function():
    f, truth = generate_frame(30_000, seed=5)
    np.testing.assert_allclose(truth["true_logit"], true_logit(f))
    # realised default rates rise across deciles of the true PD
    dec = pd.qcut(truth["true_pd"], 10, labels=False)
    rates = f.groupby(dec)["default_12m"].mean().to_numpy()
    assert rates[-1] > 5 * rates[0]
    assert (np.diff(rates) > -0.005).all()  # monotone up to sampling noise


def test_true_drivers_dominate_the_risk_function():
    f, _ = generate_frame(20_000, seed=2)
    z = true_logit(f)
    rng = np.random.default_rng(0)
    effect = {}
    for col in [*TRUE_DRIVERS, "inquiries_6m", "tenure_months", "policy_rate", "age"]:
        g = f.copy()
        g[col] = rng.permutation(g[col].to_numpy())
        effect[col] = float(np.mean(np.abs(true_logit(g) - z)))
    weakest_driver = min(effect[c] for c in TRUE_DRIVERS)
    assert all(effect[c] < weakest_driver for c in effect if c not in TRUE_DRIVERS)


def test_interaction_strength_depends_on_unemployment():
    f, _ = generate_frame(5000, seed=9)
    stretched = f.assign(card_utilisation=0.9, debt_to_income=0.6)
    relaxed = f.assign(card_utilisation=0.1, debt_to_income=0.6)
    low = stretched.assign(regional_unemployment=3.0), relaxed.assign(regional_unemployment=3.0)
    high = stretched.assign(regional_unemployment=9.0), relaxed.assign(regional_unemployment=9.0)
    gap_low = np.mean(true_logit(low[0]) - true_logit(low[1]))
    gap_high = np.mean(true_logit(high[0]) - true_logit(high[1]))
    assert gap_high > gap_low * 1.5


def test_macro_snapshot_keeps_customers_and_raises_defaults():
    base = generate_portfolio(20_000, seed=11)
    stressed = generate_portfolio(20_000, seed=11, macro=MacroConditions(unemployment_shift_pp=5, house_price_shift_pct=-30))
    pd.testing.assert_series_equal(base.frame["annual_income"], stressed.frame["annual_income"])
    assert (stressed.frame["regional_unemployment"] - base.frame["regional_unemployment"]).round(6).eq(5).all()
    mortgages = base.frame["product_type"] == "mortgage"
    assert (stressed.frame.loc[mortgages, "collateral_value"] < base.frame.loc[mortgages, "collateral_value"]).all()
    assert stressed.truth["true_pd"].mean() > base.truth["true_pd"].mean() * 1.3
    assert stressed.frame["default_12m"].mean() > base.frame["default_12m"].mean()
    assert stressed.fingerprint != base.fingerprint


def test_rejects_non_positive_size():
    with pytest.raises(ValueError):
        generate_frame(0)
