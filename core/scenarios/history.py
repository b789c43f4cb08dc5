"""The book observed over time: customer-period rows the generator, the satellite model and early warning learn from.

A :class:`PortfolioHistory` wraps a panel (one row per customer and period, the book's columns plus
a period column). The embedded default carries its own (``dataset.history``, 2020Q1-2024Q4); a
bank's file becomes one when it has an id column repeated over a period column
(:func:`split_panel`): the latest period is the book, the rest is its history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data import Dataset
from core.errors import DataError

PERIOD_NAMES = ("quarter", "period", "as_of", "snapshot_date", "month", "reporting_date", "date")
MIN_PERIODS = 4


class HistoryError(DataError):
    """A panel that cannot serve as history (one period, no id, unordered periods)."""


@dataclass(frozen=True)
class PortfolioHistory:
    """Customer-period rows; ``period_index`` numbers the periods 0..P-1 in time order."""

    frame: pd.DataFrame
    id_column: str
    period_column: str
    target: str | None
    period_labels: tuple[str, ...]
    period_index: np.ndarray

    @classmethod
    def build(cls, frame: pd.DataFrame, id_column: str, period_column: str, target: str | None) -> PortfolioHistory:
        if id_column not in frame.columns or period_column not in frame.columns:
            raise HistoryError("The history needs an id column and a period column.",
                               "Mark the customer id and the period (quarter, month or date) on Home.")
        p = frame[period_column]
        if isinstance(p.dtype, pd.CategoricalDtype) and p.cat.ordered:
            labels = [str(c) for c in p.cat.categories]
            idx = p.cat.codes.to_numpy().astype(np.int64)
        else:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = pd.to_datetime(p, errors="coerce", format="mixed") if not pd.api.types.is_numeric_dtype(p) else p
            if values.isna().any():
                values = p.astype(str)
            uniq = np.sort(pd.unique(values.dropna()))
            labels = [str(u)[:10] for u in uniq]
            idx = np.searchsorted(uniq, values.to_numpy())
        if len(labels) < MIN_PERIODS:
            raise HistoryError(f"The history has {len(labels)} periods; at least {MIN_PERIODS} are needed to learn "
                               "how the book moves with the economy.", "Add more periods of the same customers.")
        return cls(frame, id_column, period_column, target, tuple(labels), idx)

    @classmethod
    def of(cls, dataset: Dataset) -> PortfolioHistory | None:
        """The dataset's history, or ``None`` when it has none."""
        h = getattr(dataset, "history", None)
        if h is None or dataset.schema.id_column is None:
            return None
        period = next((c for c in PERIOD_NAMES if c in h.columns), None)
        if period is None:
            return None
        return cls.build(h, dataset.schema.id_column, period, dataset.schema.target)

    @property
    def n_periods(self) -> int:
        return len(self.period_labels)

    def period_means(self, column: str) -> np.ndarray:
        """(P,) the column's mean in each period."""
        x = pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype=np.float64)
        sums = np.bincount(self.period_index, np.nan_to_num(x), self.n_periods)
        counts = np.bincount(self.period_index, np.isfinite(x).astype(float), self.n_periods)
        return sums / np.maximum(counts, 1)

    def forward_mean(self, column: str, horizon: int = 4) -> np.ndarray:
        """Per row: the column over the next ``horizon`` periods (NaN where they are not all observed).

        The period means' forward path plus the row's own offset from its period's mean, so a
        region's unemployment keeps its regional gap while the national path moves.
        """
        means = self.period_means(column)
        fwd = np.full(self.n_periods, np.nan)
        for t in range(self.n_periods - horizon):
            fwd[t] = means[t + 1:t + 1 + horizon].mean()
        x = pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype=np.float64)
        return x - means[self.period_index] + fwd[self.period_index]

    def at_as_of(self, column: str) -> np.ndarray:
        """Per row: the column moved to the last period's level (its own offset kept)."""
        means = self.period_means(column)
        x = pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype=np.float64)
        return x - means[self.period_index] + means[-1]

    def seen_range(self, column: str) -> tuple[float, float]:
        x = pd.to_numeric(self.frame[column], errors="coerce")
        return float(x.min()), float(x.max())

    def sample_rows(self, n: int, seed: int, *, labelled: bool = False) -> np.ndarray:
        """Row positions of a random sample stratified by period (``labelled``: with a known target)."""
        ok = np.ones(len(self.frame), dtype=bool)
        if labelled and self.target:
            ok = self.frame[self.target].notna().to_numpy()
        rows = np.flatnonzero(ok)
        if rows.size <= n:
            return rows
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(rows, n, replace=False))

    def next_period_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """``(row at t, row of the same customer at t + 1)`` position pairs."""
        ids = self.frame[self.id_column]
        codes = ids.cat.codes.to_numpy() if isinstance(ids.dtype, pd.CategoricalDtype) else pd.factorize(ids)[0]
        key = codes.astype(np.int64) * (self.n_periods + 1) + self.period_index
        order = np.argsort(key, kind="stable")
        k = key[order]
        nxt = np.searchsorted(k, k + 1)
        found = (nxt < k.size) & (k[np.minimum(nxt, k.size - 1)] == k + 1)
        return order[found], order[nxt[found]]


def split_panel(frame: pd.DataFrame, id_column: str, period_column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(book, history)`` from a panel: the latest period's row of each customer, and every row."""
    if not frame[id_column].duplicated().any():
        raise HistoryError("Each customer appears once: this file is a book, not a history.",
                           "Upload customer-period rows (one per customer and quarter or month) to estimate a history.")
    order = frame.sort_values([period_column]).index
    book = frame.loc[order].drop_duplicates(id_column, keep="last").sort_index()
    return book.reset_index(drop=True), frame
