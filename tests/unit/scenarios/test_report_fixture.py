"""A small hand-built ScenarioResult for report tests (no model or generator needed)."""

import numpy as np
import pandas as pd

from core.scenarios import ifrs9 as I9
from core.scenarios import loss as L
from core.scenarios.errors import Extrapolation
from core.scenarios.presets import load_presets
from core.scenarios.results import ScenarioParams, ScenarioResult, Side, by_group, metrics_table, shap_delta


def fake_result(scenario) -> ScenarioResult:
    P = load_presets()
    rng = np.random.default_rng(0)
    n = 400
    products = rng.choice(["mortgage", "revolving", "other"], n)
    ead = rng.lognormal(9, 1, n)
    pd_b = np.clip(rng.beta(1, 30, n), 1e-4, 0.9)
    pd_s = np.clip(pd_b * 1.8, 0, 0.99)
    lgd = np.full(n, 0.45)

    def side(p):
        dist = L.simulate_losses(p, lgd, ead, products, P.correlation, 2000, seed=1)
        return Side(pd.DataFrame({"x": np.arange(n)}), p, p, lgd, ead, dist, pd.Series({"credit_score": 0.1}))

    b, s = side(pd_b), side(pd_s)
    channels = pd.DataFrame([{"driver": "Unemployment", "key": "unemployment", "shock": 2.0, "unit": "pp",
                              "column": "regional_unemployment", "channel": "satellite (estimated)",
                              "source": "satellite (estimated)", "log_odds_per_unit": 0.25, "mean_log_odds": 0.5,
                              "rows_adjusted": 1.0, "adverse": "rise"}])
    st_b = I9.stage(pd_b, pd_b, np.full(n, 3.0), None)
    st_s = I9.stage(pd_s, pd_b, np.full(n, 3.0), None)
    used_b, e12b = I9.ecl(pd_b, lgd, ead, np.full(n, 3.0), st_b.stage, products == "revolving")
    used_s, e12s = I9.ecl(pd_s, lgd, ead, np.full(n, 3.0), st_s.stage, products == "revolving")
    ifrs9 = {"origination": "origination PD column", "backstop": "days past due",
             "baseline_table": I9.staging_table(st_b.stage, ead, used_b), "table": I9.staging_table(st_s.stage, ead, used_s),
             "ecl": float(used_s.sum()), "ecl_12m": float(e12s.sum()), "stage2_share": float(np.mean(st_s.stage == 2)),
             "baseline_ecl": float(used_b.sum()), "baseline_ecl_12m": float(e12b.sum()),
             "baseline_stage2_share": float(np.mean(st_b.stage == 2))}
    flag = Extrapolation("regional_unemployment", 3.0, 9.0, 10.2, 10.2, 0.3)
    return ScenarioResult(scenario, ScenarioParams(n_draws=2000), metrics_table(b, s), by_group(products, b, s, "product"),
                          None, shap_delta(b, s, channels), channels, [flag], ["A note.", "A note."], ["regional_unemployment"],
                          [], {}, products, ead, pd_b, pd_s, lgd, lgd, b.dist.losses, s.dist.losses, ifrs9,
                          {"expected_loss_low": 1.0, "expected_loss_high": 2.0}, {}, {"dataset": "d1"})
