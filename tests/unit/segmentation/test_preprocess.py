import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.segmentation.preprocess import Preprocessor


def test_skewed_money_is_logged_relative_to_its_median_and_choices_are_recorded():
    rng = np.random.default_rng(1)
    savings = np.where(rng.random(2000) < 0.4, 0.0, rng.lognormal(9, 1.2, 2000))
    frame = pd.DataFrame({"savings": savings, "age": rng.normal(45, 10, 2000)})
    pre = Preprocessor(["savings", "age"]).fit(frame)
    ch = {c["column"]: c for c in pre.choices_["numeric"]}
    assert ch["savings"]["transform"].startswith("log1p(x / ")
    assert ch["age"]["transform"] == "none"
    X = pre.transform(frame)
    assert X.dtype == np.float32 and X.shape == (2000, 2)
    # zeros stay within a few robust units of typical balances instead of ~8 log-units away
    assert np.abs(X[:, 0]).max() <= 5.0


def test_constant_and_all_missing_columns_are_dropped_with_a_note():
    frame = pd.DataFrame({"x": np.arange(100.0), "const": 1.0, "empty": np.nan})
    pre = Preprocessor(["x", "const", "empty"]).fit(frame)
    assert pre.used_columns == ["x"]
    assert set(pre.dropped_) == {"const", "empty"}
    assert any("single value" in n for n in pre.notes_) and any("missing" in n for n in pre.notes_)


def test_missing_values_are_imputed_with_the_median():
    frame = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0]})
    X = Preprocessor(["x"]).fit_transform(frame)
    assert np.isfinite(X).all()


def test_a_huge_outlier_is_clipped():
    x = np.r_[np.random.default_rng(2).normal(100, 10, 999), 1e12]
    X = Preprocessor(["x"], clip=5.0).fit_transform(pd.DataFrame({"x": x}))
    assert X.max() == pytest.approx(5.0)
    assert np.abs(X[:-1]).max() < 5.0


def test_categoricals_are_one_hot_with_a_cap_on_levels():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"city": rng.choice([f"c{i}" for i in range(30)], 3000), "n": rng.normal(size=3000)})
    pre = Preprocessor(["n"], ["city"], max_levels=5).fit(frame)
    X = pre.transform(frame)
    assert X.shape[1] == 1 + 5  # 4 kept levels + "other"
    assert "city=other" in pre.feature_names_out_
    assert any("pooled" in n for n in pre.notes_)
    assert np.allclose((X[:, 1:] > 0).sum(axis=1), 1)


def test_only_categorical_features_work_with_a_note():
    frame = pd.DataFrame({"a": list("xyz") * 50, "b": list("pq") * 75})
    pre = Preprocessor([], ["a", "b"]).fit(frame)
    assert pre.transform(frame).shape == (150, 5)
    assert any("Only categorical" in n for n in pre.notes_)


def test_nothing_usable_raises_a_plain_error():
    frame = pd.DataFrame({"const": [1.0] * 10, "empty": [np.nan] * 10})
    with pytest.raises(DataError, match="constant or empty"):
        Preprocessor(["const", "empty"]).fit(frame)
