"""The macro cycle behind the embedded default: twenty quarters with a recession and a rate shock.

The synthetic book is observed quarterly from 2020Q1 to 2024Q4 (the as-of date is 2025-01-01).
Over those five years the national economy goes through two episodes a stress test asks about:

* **a deep recession** (2020Q3-2022Q2): unemployment rises from 3.8% to a 9.6% peak in 2021Q3,
  house prices fall to -31% year on year at the trough, average earnings fall 7%, and the policy
  rate is cut to 0.25%;
* **a rate shock with a housing correction** (2023Q1-2024Q2): the policy rate rises from 0.75% to a
  7.0% peak in 2024Q1, unemployment rises again to 5.6%, house prices fall 12% year on year.

The last quarter (2024Q4) is the book as it stands: unemployment 4.4%, policy rate 4.0%, house
prices +3% year on year. Regions add a fixed offset to unemployment (Pacific +0.8 pp ... South
-0.4 pp) and move house prices the other way (-1.5 x the unemployment offset), so the regional
range at the trough covers the severely adverse preset (+5 pp unemployment, -33% house prices,
rates cut by 375 bp) and at the peak the stagflation preset (+300 bp). The paths are knots, one
per quarter, written in :data:`KNOTS` so a reader can check them against the presets; they are a
synthetic design, not a forecast or a replay of any real cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUARTERS = ("2020Q1", "2020Q2", "2020Q3", "2020Q4", "2021Q1", "2021Q2", "2021Q3", "2021Q4", "2022Q1", "2022Q2",
            "2022Q3", "2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4")

# One value per quarter of QUARTERS: national unemployment (%), policy rate (%), house prices (% y/y),
# average earnings (index, 2024Q4 = 100).
KNOTS: dict[str, tuple[float, ...]] = {
    "unemployment": (3.8, 4.0, 4.6, 5.8, 7.4, 8.8, 9.6, 9.2, 8.3, 7.2,
                     6.2, 5.4, 4.9, 4.7, 4.9, 5.4, 5.6, 5.2, 4.7, 4.4),
    "policy_rate": (2.50, 2.25, 1.25, 0.50, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25,
                    0.25, 0.75, 1.75, 3.00, 4.50, 6.00, 7.00, 6.50, 5.25, 4.00),
    "house_prices": (5.0, 4.0, 0.0, -8.0, -18.0, -26.0, -31.0, -27.0, -18.0, -8.0,
                     0.0, 5.0, 8.0, 7.0, 2.0, -6.0, -12.0, -9.0, -3.0, 3.0),
    "earnings": (93.0, 93.5, 92.1, 89.8, 87.9, 87.0, 86.5, 87.0, 88.4, 90.2,
                 92.1, 94.0, 95.8, 97.2, 98.1, 97.7, 96.7, 97.2, 98.6, 100.0),
}
REGION_UNEMPLOYMENT_OFFSET = {"Northeast": 0.1, "Midwest": -0.2, "South": -0.4, "West": 0.3, "Pacific": 0.8}
HOUSE_PRICE_PER_UNEMPLOYMENT_OFFSET = -1.5


@dataclass(frozen=True)
class MacroPath:
    """National macro series by quarter (index 0 = 2020Q1); regional values via :meth:`regional`."""

    unemployment: np.ndarray
    policy_rate: np.ndarray
    house_prices: np.ndarray
    earnings: np.ndarray
    labels: tuple[str, ...]

    @property
    def n_quarters(self) -> int:
        return len(self.labels)

    @property
    def as_of(self) -> int:
        """Index of the last observed quarter (the book as it stands)."""
        return self.n_quarters - 1

    def regional(self, quarter: int | np.ndarray, region_offset: np.ndarray) -> dict[str, np.ndarray]:
        """Unemployment, policy rate and house-price change for customers in regions with ``region_offset``."""
        q = np.asarray(quarter)
        return {"unemployment": self.unemployment[q] + region_offset, "policy_rate": self.policy_rate[q] + 0 * region_offset,
                "house_prices": self.house_prices[q] + HOUSE_PRICE_PER_UNEMPLOYMENT_OFFSET * region_offset}

    def house_price_index(self) -> np.ndarray:
        """National house-price level by quarter (2024Q4 = 1), rebuilt from the year-on-year changes."""
        growth_q = (1.0 + self.house_prices / 100.0) ** 0.25
        level = np.cumprod(growth_q)
        return level / level[-1]

    def earnings_growth(self) -> np.ndarray:
        """Average earnings, % change on four quarters earlier (the first year against its own start)."""
        e = self.earnings
        prev = np.concatenate([np.full(4, e[0]), e[:-4]])
        return (e / prev - 1.0) * 100.0

    def table(self) -> dict[str, list]:
        return {"quarter": list(self.labels), "unemployment": self.unemployment.tolist(),
                "policy_rate": self.policy_rate.tolist(), "house_prices": self.house_prices.tolist(),
                "earnings": self.earnings.tolist()}


def macro_path(quarters: int | None = None) -> MacroPath:
    """The documented cycle; ``quarters`` keeps the last ``quarters`` of it (always ending at 2024Q4)."""
    n = len(QUARTERS) if quarters is None else int(quarters)
    if not 1 <= n <= len(QUARTERS):
        raise ValueError(f"quarters must lie between 1 and {len(QUARTERS)}")
    sl = slice(len(QUARTERS) - n, None)
    arr = {k: np.asarray(v, dtype=np.float64)[sl] for k, v in KNOTS.items()}
    return MacroPath(arr["unemployment"], arr["policy_rate"], arr["house_prices"], arr["earnings"], tuple(QUARTERS[sl]))
