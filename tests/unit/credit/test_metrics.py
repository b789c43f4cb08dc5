import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from core.credit import metrics as M


@pytest.fixture
def scored():
    rng = np.random.default_rng(0)
    p = rng.random(5000)
    y = (rng.random(5000) < p).astype(int)
    return y, p


def test_summary_measures(scored):
    y, p = scored
    s = M.summary(y, p)
    assert s["auc"] == pytest.approx(roc_auc_score(y, p))
    assert s["gini"] == pytest.approx(2 * s["auc"] - 1)
    assert 0 < s["ks"] < 1
    assert s["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert s["log_loss"] > 0
    assert np.isnan(M.auc(np.zeros(10), np.arange(10)))


def test_calibration_and_gains(scored):
    y, p = scored
    cal = M.calibration_table(y, p)
    assert len(cal) == 10 and np.all(np.abs(cal["mean_pd"] - cal["observed"]) < 0.06)
    g = M.gains_table(y, p)
    assert g["cum_bads_captured"].iloc[-1] == pytest.approx(1.0)
    assert g["lift"].iloc[0] > 1.5 and g["bad_rate"].is_monotonic_decreasing


def test_confusion_and_cost_cutoff(scored):
    y, p = scored
    c = M.confusion(y, p, 0.5)
    assert c.tp + c.fp + c.tn + c.fn == len(y)
    assert c.approval_rate == pytest.approx(np.mean(p < 0.5))
    best = M.cost_based_cutoff(y, p, 5, 1)
    assert best["bayes_cutoff"] == pytest.approx(1 / 6)
    assert abs(best["cutoff"] - 1 / 6) < 0.08  # p is calibrated, so the empirical optimum is near Bayes
    curve = M.cost_curve(y, p, 5, 1)
    assert best["cost_per_applicant"] == pytest.approx(curve["cost"].min())


def test_psi():
    rng = np.random.default_rng(1)
    a = rng.normal(size=20000)
    assert M.psi(a, rng.normal(size=20000)) < 0.01
    assert M.psi(a, rng.normal(0.5, 1, size=20000)) > 0.1
    assert M.psi_label(0.3) == "significant shift"
