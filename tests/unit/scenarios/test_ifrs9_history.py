import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.scenarios import ifrs9 as I9
from core.scenarios.history import HistoryError, PortfolioHistory, split_panel


def test_staging_by_ratio_floor_and_backstop():
    now = np.array([0.004, 0.03, 0.03, 0.001, 0.2])
    orig = np.array([0.001, 0.01, 0.02, 0.0004, 0.2])
    dpd = np.array([0, 0, 0, 0, 95])
    st = I9.stage(now, orig, np.full(5, 3.0), dpd)
    # 4x but only +0.9 pp lifetime: below the floor; 3x and +6 pp: stage 2; 1.5x: stage 1; tiny PDs: stage 1; 95 dpd: stage 3
    assert st.stage.tolist() == [1, 2, 1, 1, 3]
    late = I9.stage(np.array([0.01]), np.array([0.01]), np.array([3.0]), np.array([31]))
    assert late.stage[0] == 2 and late.reason[0] == "30+ days past due"


def test_lifetime_ecl_exceeds_12_month_and_stage3_is_lgd_times_ead():
    pd12, lgd, ead, years = np.full(3, 0.05), np.full(3, 0.4), np.full(3, 100.0), np.array([5.0, 5.0, 5.0])
    used, e12 = I9.ecl(pd12, lgd, ead, years, np.array([1, 2, 3]), np.zeros(3, bool))
    assert used[0] == pytest.approx(e12[0]) and used[1] > 2 * e12[1] and used[2] == pytest.approx(40.0)
    t = I9.staging_table(np.array([1, 2, 3]), ead, used).set_index("stage")
    assert t.loc["total", "ecl"] == pytest.approx(used.sum())


def test_weights_must_sum_to_one_and_are_never_rescaled():
    rows = [{"name": "a", "weight": 0.5, "ecl": 10, "ecl_12m": 5}, {"name": "b", "weight": 1.0, "ecl": 30, "ecl_12m": 15}]
    with pytest.raises(InputError, match="150.0%, not 100%"):
        I9.probability_weighted(rows)
    rows[1]["weight"] = 0.5
    assert I9.probability_weighted(rows)["weighted_ecl"] == pytest.approx(20.0)
    with pytest.raises(InputError, match="0 or more"):
        I9.check_weights({"a": -0.2, "b": 1.2})


def test_history_periods_lags_and_panel_split(portfolio):
    h = PortfolioHistory.of(portfolio)
    assert h is not None and h.n_periods == 20 and h.period_labels[-1] == "2024Q4"
    means = h.period_means("regional_unemployment")
    assert means.argmax() == 6 and means.max() > 9  # the recession peak, 2021Q3
    fwd = h.forward_mean("policy_rate")
    assert np.isnan(fwd[h.period_index == 19]).all() and np.isfinite(fwd[h.period_index == 10]).all()
    now, nxt = h.next_period_rows()
    assert (h.period_index[nxt] == h.period_index[now] + 1).all()
    ids = h.frame[h.id_column].astype(str).to_numpy()
    assert (ids[now] == ids[nxt]).all()
    book, hist = split_panel(h.frame.astype({"customer_id": str}), "customer_id", "quarter")
    assert book["customer_id"].is_unique and len(hist) == len(h.frame)
    with pytest.raises(HistoryError, match="appears once"):
        split_panel(book, "customer_id", "quarter")
    with pytest.raises(HistoryError, match="at least 4"):
        PortfolioHistory.build(pd.DataFrame({"id": [1, 1], "q": ["a", "b"]}), "id", "q", None)
