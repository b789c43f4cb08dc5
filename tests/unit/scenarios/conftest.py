"""Tiny, seeded fixtures for the scenario engine: a few hundred rows and a 2-d latent VAE."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core.data.synthetic import generate_portfolio, true_logit

COLUMNS = ["age", "region", "employment_status", "annual_income", "card_utilisation", "credit_score", "debt_to_income",
           "delinquencies_24m", "inquiries_6m", "regional_unemployment", "policy_rate", "house_price_change",
           "product_type", "ead", "collateral_value", "tenure_months", "has_mortgage"]
TINY = dict(latent_dim=2, hidden=32, depth=2, epochs=3, batch_size=128, lr=2e-3, seed=3)  # fixed: not the product defaults


class TrueLogitScorer:
    """Test-only scorer: the synthetic portfolio's ground-truth PD, with linear per-feature attributions."""

    feature_names = ["credit_score", "debt_to_income", "card_utilisation", "delinquencies_24m", "inquiries_6m",
                     "regional_unemployment", "policy_rate", "annual_income", "tenure_months", "employment_status",
                     "product_type", "collateral_value", "ead", "days_past_due"]
    fingerprint = "true-logit"
    _linear = {"credit_score": -0.85 / 60, "debt_to_income": 0.9, "card_utilisation": 1.6, "regional_unemployment": 0.22,
               "policy_rate": 0.1}

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-true_logit(frame)))

    def explain(self, frame: pd.DataFrame):
        values = np.zeros((len(frame), len(self.feature_names)))
        for j, f in enumerate(self.feature_names):
            if f in self._linear:
                values[:, j] = self._linear[f] * frame[f].to_numpy(dtype=float)
        return SimpleNamespace(values=values, feature_names=list(self.feature_names))


@pytest.fixture(scope="session")
def portfolio():
    return generate_portfolio(800, seed=11)


@pytest.fixture(scope="session")
def frame(portfolio) -> pd.DataFrame:
    return portfolio.frame[COLUMNS].copy()


@pytest.fixture(scope="session")
def tiny_vae(frame):
    from core.scenarios.generator import TabularVAE, VAEParams

    return TabularVAE(VAEParams(**TINY)).fit(frame, ["region", "employment_status", "product_type"])


@pytest.fixture
def scorer():
    return TrueLogitScorer()
