"""The ranges a scenario run and a generator fit accept: one place for the page, the CLI and the core.

Kept free of heavy imports so ``studio`` can check its arguments before loading torch or pandas.
"""

from __future__ import annotations

DRAWS = (1_000, 1_000_000)  # Monte Carlo draws of the systematic factor
PORTFOLIO_ROWS = (100, 5_000_000)  # rows of a generated or stressed portfolio
EPOCHS = (1, 1_000)  # generator training epochs when the analyst sets them (None: automatic)
