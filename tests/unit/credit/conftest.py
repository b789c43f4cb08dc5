"""Small credit models built once per session (no workspace needed: fit_credit_model is pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.credit.params import CreditParams
from core.credit.training import fit_credit_model
from core.data.synthetic import generate_portfolio

# a fixed depth keeps the shared fixtures quick; the depth search has its own test
FAST = dict(n_estimators=120, learning_rate=0.1, early_stopping_rounds=30, max_depth=4)


@pytest.fixture(scope="session")
def portfolio():
    return generate_portfolio(4000, seed=11)


@pytest.fixture(scope="session")
def model(portfolio):
    return fit_credit_model(portfolio, CreditParams(**FAST))


@pytest.fixture(scope="session")
def onehot_model(portfolio):
    return fit_credit_model(portfolio, CreditParams(encoding="onehot", **FAST))


def tiny_dataset(n: int = 600, seed: int = 0, **extra):
    """A small mixed-type dataset with a known signal, built through the foundation's loaders."""
    from core.data.loaders import build_dataset

    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    cat = rng.choice(["a", "b", "c"], n)
    logit = -1 + 1.0 * x1 - 0.8 * x2 + np.where(cat == "c", 1.0, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "cat": cat, **extra, "default": y})
    ds, _ = build_dataset("tiny", frame, "test", target="default")
    return ds
