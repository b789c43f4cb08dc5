import json

import numpy as np
import pandas as pd

from core.scenarios.transforms import TabularTransformer


def test_round_trip_keeps_values_types_and_categories(frame):
    t = TabularTransformer().fit(frame, ["region", "employment_status", "product_type"])
    z, codes = t.transform(frame)
    assert np.isfinite(z).all() and (codes >= 0).all()
    back = t.inverse(z, codes)
    assert list(back.columns) == list(frame.columns)
    for c in ["region", "product_type", "delinquencies_24m", "has_mortgage"]:
        assert (back[c].astype(str).to_numpy() == frame[c].astype(str).to_numpy()).all(), c
    for c in ["annual_income", "credit_score", "debt_to_income"]:
        rel = np.abs(back[c].to_numpy(float) - frame[c].to_numpy(float)) / (frame[c].abs().to_numpy(float) + 1)
        assert np.median(rel) < 0.01, c
    assert back["credit_score"].dtype == frame["credit_score"].dtype
    assert isinstance(back["region"].dtype, pd.CategoricalDtype)


def test_discrete_integers_become_categories_and_unseen_values_get_minus_one(frame):
    t = TabularTransformer().fit(frame, ["region"])
    assert "has_mortgage" in t.categorical_names and "delinquencies_24m" in t.categorical_names
    assert "annual_income" in t.numeric_names
    spec = t.spec("region")
    codes = t.codes_of(spec, pd.Series(["Atlantis", frame["region"].iloc[0]]))
    assert codes[0] == -1 and codes[1] >= 0


def test_json_round_trip_is_exact(frame):
    t = TabularTransformer().fit(frame, ["region", "employment_status", "product_type"])
    t2 = TabularTransformer.from_dict(json.loads(json.dumps(t.to_dict())))
    z, codes = t.transform(frame)
    z2, codes2 = t2.transform(frame)
    assert np.array_equal(z, z2) and np.array_equal(codes, codes2)
    pd.testing.assert_frame_equal(t.inverse(z, codes), t2.inverse(z2, codes2))


def test_point_mass_at_zero_is_preserved():
    x = pd.DataFrame({"bal": np.r_[np.zeros(500), np.exp(np.random.default_rng(0).normal(8, 1, 500))], "k": ["a", "b"] * 500})
    t = TabularTransformer().fit(x, ["k"])
    z = np.random.default_rng(1).standard_normal((4000, 1)).astype(np.float32)
    out = t.inverse_numeric(z)["bal"]
    assert 0.4 < (out == 0).mean() < 0.6


def test_inverse_values_equal_the_quantile_function_column_by_column():
    """The blocked table lookup against np.interp on each column's own quantiles, rounded or kept at full precision."""
    from scipy.special import ndtr

    rng = np.random.default_rng(2)
    n = 20_000  # more than one block
    x = pd.DataFrame({"amount": rng.lognormal(8, 1, 3000).round(2), "share": rng.beta(2, 5, 3000) * np.pi,
                      "k": rng.choice(["a", "b"], 3000)})
    t = TabularTransformer().fit(x, ["k"])
    assert [s.decimals for s in t.numeric_] == [2, -1]  # one rounded column, one kept at full precision
    z = rng.standard_normal((n, 2)).astype(np.float32) * 1.5
    values = t.inverse_values(z)
    for j, spec in enumerate(t.numeric_):
        q = spec.quantiles
        u = ndtr(z[:, j].astype(np.float64))
        ref = np.interp(u, np.linspace(0, 1, q.size), q)
        ref = np.round(ref, spec.decimals) if spec.decimals >= 0 else ref
        # float32 probabilities: a few 1e-5 of the local grid cell, plus one unit of the last decimal where rounded
        cell = np.diff(q)[np.clip((u * (q.size - 1)).astype(int), 0, q.size - 2)]
        tol = 1e-4 * cell + (10.0 ** -spec.decimals if spec.decimals >= 0 else 1e-9)
        assert (np.abs(values[j] - ref) <= tol).all(), spec.name
        assert np.median(np.abs(values[j] - ref)) == 0 or spec.decimals < 0
        assert values[j].flags.c_contiguous
    assert np.array_equal(t.inverse_numeric(z)["amount"], values[0])
    out = np.full((2, n + 5), np.nan)
    t.inverse_values(z, out=out[:, 5:])  # into a column slice, as the sampler writes block by block
    assert np.array_equal(out[:, 5:], values) and np.isnan(out[:, :5]).all()
