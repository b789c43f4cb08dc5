"""Scenario presets, driver definitions, LGD and correlation settings, read from ``assets/scenarios/presets.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.assets import asset_path
from core.errors import InputError

PRESETS_FILE = asset_path("scenarios", "presets.json")


@dataclass(frozen=True)
class Driver:
    """A macro driver the analyst can shock, and how the shock reaches the data and PD."""

    key: str
    label: str
    unit: str  # "pp", "%", "bp"
    semantic: str  # the schema semantic that names the column in a dataset
    op: str  # "add" (same unit as the column), "pct" (x (1 + v/100)), "add_bp" (v/100 points), "add_share" (pp of a share)
    min: float
    max: float
    step: float
    overlay_log_odds_per_unit: float
    overlay_products: tuple[str, ...] | None = None
    overlay_note: str = ""
    collateral_products: tuple[str, ...] = ()
    kind: str = "macro"  # "macro": the economy (satellite model); "customer": the customer's own column (credit model)
    adverse: int = 1  # +1: a rise is adverse; -1: a fall is adverse
    floor: float | None = None  # the column cannot go below this (the policy rate's 0%)
    identities: tuple[dict, ...] = ()  # columns that move with this one by accounting (debt-to-income, balance)

    def label_with_unit(self) -> str:
        return f"{self.label} ({self.unit})"


@dataclass(frozen=True)
class Scenario:
    """A named set of shocks (driver key -> value in the driver's unit) plus loss settings."""

    key: str
    name: str
    shocks: dict[str, float] = field(default_factory=dict)
    lgd_downturn_addon: float = 0.0
    ifrs9_weight: float = 0.0
    description: str = ""
    sources: tuple[dict, ...] = ()
    severity: int | None = None  # presets: 0 = baseline ... higher = harsher (the order their descriptions state)

    def to_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "shocks": dict(self.shocks), "lgd_downturn_addon": self.lgd_downturn_addon,
                "ifrs9_weight": self.ifrs9_weight, "description": self.description, "sources": list(self.sources),
                "severity": self.severity}

    @classmethod
    def from_dict(cls, d: dict) -> Scenario:
        return cls(d["key"], d["name"], {k: float(v) for k, v in d.get("shocks", {}).items()},
                   float(d.get("lgd_downturn_addon", 0.0)), float(d.get("ifrs9_weight", 0.0)), d.get("description", ""),
                   tuple(d.get("sources", ())), d.get("severity"))

    def is_baseline(self) -> bool:
        return not any(v != 0 for v in self.shocks.values())

    def baseline(self) -> Scenario:
        return Scenario("baseline", "Baseline", {}, 0.0, 0.0, "No shock.")


@dataclass(frozen=True)
class Presets:
    drivers: dict[str, Driver]
    scenarios: dict[str, Scenario]
    lgd: dict
    correlation: dict
    raw: dict = field(repr=False, default_factory=dict)

    def by_severity(self) -> list[Scenario]:
        """The presets from the mildest to the harshest, as their descriptions order them."""
        return sorted(self.scenarios.values(), key=lambda s: (s.severity is None, s.severity or 0))

    def match(self, shocks: dict[str, float], lgd_downturn_addon: float) -> Scenario | None:
        """The preset with exactly these shocks and add-on, if any (so the page names what the sliders set)."""
        for s in self.scenarios.values():
            keys = set(shocks) | set(s.shocks)
            if all(abs(float(shocks.get(k, 0.0)) - float(s.shocks.get(k, 0.0))) < 1e-9 for k in keys) \
                    and abs(lgd_downturn_addon - s.lgd_downturn_addon) < 1e-9:
                return s
        return None

    def scenario(self, key: str) -> Scenario:
        if key not in self.scenarios:
            raise InputError(f"There is no scenario preset '{key}'.", f"Pick one of: {', '.join(self.scenarios)}.")
        return self.scenarios[key]

    def custom(self, shocks: dict[str, float], lgd_downturn_addon: float = 0.0, name: str = "Custom") -> Scenario:
        """A scenario from hand-set shocks, each checked against its driver's slider range."""
        clean = {}
        for k, v in shocks.items():
            if k not in self.drivers:
                raise InputError(f"Unknown driver '{k}'.", f"Use one of: {', '.join(self.drivers)}.")
            d = self.drivers[k]
            if not d.min <= float(v) <= d.max:
                raise InputError(f"The {d.label.lower()} shock {v:g} {d.unit} is outside {d.min:g}..{d.max:g} {d.unit}.")
            if float(v) != 0.0:
                clean[k] = float(v)
        if not 0.0 <= lgd_downturn_addon <= 0.5:
            raise InputError("The LGD downturn add-on must lie between 0 and 0.5.")
        desc = ", ".join(f"{self.drivers[k].label} {v:+g} {self.drivers[k].unit}" for k, v in clean.items()) or "No shock."
        return Scenario("custom", name, clean, float(lgd_downturn_addon), 0.0, desc,
                        ({"title": "Analyst-defined", "url": "", "note": "Shocks set by hand on the page."},))


def _driver(key: str, d: dict) -> Driver:
    products = d.get("overlay_products")
    return Driver(key, d["label"], d["unit"], d["semantic"], d["op"], float(d["min"]), float(d["max"]), float(d["step"]),
                  float(d["overlay_log_odds_per_unit"]), tuple(products) if products else None, d.get("overlay_note", ""),
                  tuple(d.get("collateral_products", ())), d.get("kind", "macro"), int(d.get("adverse", 1)),
                  None if d.get("floor") is None else float(d["floor"]), tuple(d.get("identities", ())))


@lru_cache(maxsize=4)
def load_presets(path: str | None = None) -> Presets:
    """The presets file (cached); a broken file is an :class:`InputError` naming it."""
    p = Path(path) if path else PRESETS_FILE
    try:
        raw = json.loads(p.read_text())
        drivers = {k: _driver(k, v) for k, v in raw["drivers"].items()}
        scenarios = {s["key"]: Scenario.from_dict(s) for s in raw["scenarios"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"The scenario presets file {p} cannot be read ({exc}).", "Restore assets/scenarios/presets.json.") from exc
    for s in scenarios.values():
        unknown = set(s.shocks) - set(drivers)
        if unknown:
            raise InputError(f"The preset '{s.key}' shocks unknown drivers: {', '.join(sorted(unknown))}.")
    return Presets(drivers, scenarios, raw["lgd"], raw["correlation"], raw)
