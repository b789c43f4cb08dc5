"""Fidelity of the product's generators on a dataset: the same split they trained on, one report each.

The page's Fidelity tab and ``studio scenario fidelity`` call :func:`evaluate` (one generator) and
:func:`compare` (every trained generator plus a Gaussian copula fitted on the same training rows),
which recommends the generator to use for the dataset.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from core.data import Dataset
from core.scenarios.copula import GaussianCopula
from core.scenarios.fidelity import FidelityReport, fidelity_report, recommend
from core.scenarios.generators import generator_columns, training_frame
from core.scenarios.trainer import holdout_rows


def split(dataset: Dataset, generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rows the generator trained on, rows it held out)`` (recomputed from its seed)."""
    seed = generator.params.seed
    frame, _ = training_frame(dataset, seed)
    hold = holdout_rows(len(frame), generator.params.valid_share, seed)
    mask = np.zeros(len(frame), dtype=bool)
    mask[hold] = True
    return frame.loc[~mask].reset_index(drop=True), frame.loc[mask].reset_index(drop=True)


def evaluate(generator, dataset: Dataset, n: int = 5000, seed: int = 0, with_privacy: bool = True) -> FidelityReport:
    train, hold = split(dataset, generator)
    syn = generator.sample(min(n, max(len(train), 1000)), seed=seed)
    _, cats = generator_columns(dataset)
    t = dataset.schema.target
    return fidelity_report(train, hold, syn, cats, target=t, positive=dataset.schema.positive_label,
                           semantics=dataset.schema.semantics, max_rows=n, seed=seed, with_privacy=with_privacy)


def compare(generators: dict, dataset: Dataset, n: int = 5000, seed: int = 0) -> tuple[dict[str, FidelityReport], str, str]:
    """Reports for each generator and a Gaussian copula on the same split; ``(reports, best, why)``."""
    reports = {fam: evaluate(g, dataset, n, seed) for fam, g in generators.items()}
    if generators:
        ref = next(iter(generators.values()))
        train, hold = split(dataset, ref)
        _, cats = generator_columns(dataset)
        t0 = time.perf_counter()
        cop = GaussianCopula(seed).fit(train, cats)
        secs = time.perf_counter() - t0
        syn = cop.sample(min(n, len(train)), seed=seed)
        rep = fidelity_report(train, hold, syn, cats, target=dataset.schema.target, positive=dataset.schema.positive_label,
                              semantics=dataset.schema.semantics, max_rows=n, seed=seed)
        rep.scores["train_seconds"] = round(secs, 2)
        reports["gaussian copula"] = rep
    best, why = recommend(reports)
    return reports, best, why
