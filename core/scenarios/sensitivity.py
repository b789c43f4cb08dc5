"""What each driver really does on this book: the figures the sliders' help texts and the Drivers tab state.

For every driver alone, a probe shock a fifth of the way to its slider's adverse end (and, for the
policy rate, the same size as a cut) runs through the engine; the line reports the mean PD
before and after, the relative change, the mean log-odds change and the expected-loss change. These
are measured on the current book, credit model, generator and satellite, not assumed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.formatting import pct, pp, signed
from core.scenarios.results import ScenarioParams

PROBE_PARAMS = ScenarioParams(n_draws=1_000, shap_rows=0, seed=0)


def _probe(d) -> float:
    end = d.max if d.adverse > 0 else d.min
    v = round(end / 5 / d.step) * d.step
    return float(v if v != 0 else d.step * np.sign(end))


def driver_effects(engine, params: ScenarioParams = PROBE_PARAMS) -> pd.DataFrame:
    """One line per (driver, probe shock): mean PD, relative change, log-odds change, EL change."""
    rows = []
    for key, d in engine.presets.drivers.items():
        shocks = [_probe(d)]
        if key == "policy_rate":
            shocks.append(-shocks[0])
        for v in shocks:
            r = engine.run(engine.presets.custom({key: v}), params)
            p0, p1 = float(np.mean(r.pd_base)), float(np.mean(r.pd_stress))
            lo0 = np.log(np.clip(r.pd_base, 1e-9, 1 - 1e-9) / (1 - np.clip(r.pd_base, 1e-9, 1 - 1e-9)))
            lo1 = np.log(np.clip(r.pd_stress, 1e-9, 1 - 1e-9) / (1 - np.clip(r.pd_stress, 1e-9, 1 - 1e-9)))
            el0 = float(r.metrics.loc["expected_loss", "baseline"])
            el1 = float(r.metrics.loc["expected_loss", "stressed"])
            channel = r.channels.set_index("key").loc[key, "source"]
            rows.append({"key": key, "driver": d.label, "shock": v, "unit": d.unit, "channel": channel, "pd_base": p0,
                         "pd_stressed": p1, "pd_change_relative": p1 / p0 - 1 if p0 > 0 else float("nan"),
                         "log_odds_change": float(np.mean(lo1 - lo0)), "el_change_relative": el1 / el0 - 1 if el0 else float("nan")})
    return pd.DataFrame(rows)


def help_text(effects: pd.DataFrame, key: str, note: str) -> str:
    """A slider's help: its measured effect on this book, then how it is transmitted."""
    lines = effects[effects["key"] == key]
    said = []
    for r in lines.itertuples():
        said.append(f"{signed(r.shock, 0 if abs(r.shock) >= 1 else 1)} {r.unit} moves mean PD from {pct(r.pd_base, 2)} to "
                    f"{pct(r.pd_stressed, 2)} ({pp(r.pd_stressed - r.pd_base, 2)}, {signed(r.log_odds_change, 3)} log-odds) "
                    f"and expected loss by {pct(r.el_change_relative, 1)}, through {r.channel}")
    measured = "; ".join(said)
    return f"Measured on this book: {measured}. {note}" if measured else note
