"""The scenario generators (VAE, GAN) through the one model lifecycle.

    gen = train_or_load_generator(dataset, VAEParams(epochs=20), progress=cb, cancel=token)
    gen = load_generator(fingerprint)
    gen = current_generator(dataset)                  # the resolver's current one, loaded

A generator learns the book's columns (features and target, never ids, PII or dates) from the
book's **history** when it has one (:func:`training_frame`: customer-quarters sampled evenly over
the cycle, so the recession and the rate shock are inside the range it has seen), else from the
book itself. Its fingerprint hashes the dataset, the family, the parameters and the layout
version, and is set when the model is built (never assigned afterwards).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import resolver
from core.data import Dataset, DatasetRef
from core.errors import InputError, ModelLoadError
from core.progress import CancelToken, Progress
from core.runtime.lifecycle import ArtifactKind, load_artifact, load_or_fit
from core.runtime.registry import fingerprint_of
from core.scenarios.generator import TabularVAE, VAEParams
from core.scenarios.history import PortfolioHistory

logger = logging.getLogger(__name__)
VAE_KIND = ArtifactKind("scenario_vae", "scenario_vae", version=2)
GAN_KIND = ArtifactKind("scenario_gan", "scenario_gan", version=1)
KINDS = {"vae": VAE_KIND, "gan": GAN_KIND}
MAX_TRAIN_ROWS = 60_000
MIN_TRAIN_ROWS = 20_000


def generator_columns(dataset: Dataset) -> tuple[list[str], list[str]]:
    """(columns, categorical) a generator models: the features and the target (for TSTR)."""
    cols = dataset.schema.features()
    cats = [c for c in cols if c in set(dataset.schema.categorical)]
    target = dataset.schema.target
    if target and target in dataset.frame.columns:
        cols = [*cols, target]
        cats = [*cats, target]
    return cols, cats


def training_frame(dataset: Dataset, seed: int = 0, max_rows: int = MAX_TRAIN_ROWS) -> tuple[pd.DataFrame, str]:
    """``(rows, source)``: what the generator learns from.

    With a history: as many customer-periods with a known outcome as the book has customers (at least
    20,000, at most ``max_rows``),
    sampled evenly over the periods, in the book's dtypes. Without: the book.
    """
    cols, _ = generator_columns(dataset)
    history = PortfolioHistory.of(dataset)
    if history is None or not set(cols) <= set(history.frame.columns):
        return dataset.frame[cols], "the book"
    rows = history.sample_rows(min(max_rows, max(len(dataset.frame), MIN_TRAIN_ROWS)), seed, labelled=True)
    frame = history.frame.iloc[rows][cols].reset_index(drop=True)
    for c in cols:  # the book's dtypes (a history's target is a float with gaps)
        if frame[c].dtype != dataset.frame[c].dtype:
            try:
                frame[c] = frame[c].astype(dataset.frame[c].dtype)
            except (TypeError, ValueError):
                pass
    return frame, f"{len(frame):,} customer-periods over {history.n_periods} periods of history"


def generator_key(dataset: Dataset, params: Any, family: str = "vae") -> str:
    kind = KINDS[family]
    return fingerprint_of(kind.name, kind.version, dataset.fingerprint, params.to_dict())


def _fit_vae(dataset: Dataset, params: VAEParams, fp: str, progress: Progress | None,
             cancel: CancelToken | None):
    def fit(device: str) -> TabularVAE:
        frame, _ = training_frame(dataset, params.seed)
        _, cats = generator_columns(dataset)
        return TabularVAE(params, device, fingerprint=fp).fit(frame, cats, progress, cancel)

    return fit


def train_or_load_generator(dataset: Dataset, params: Any = None, family: str = "vae", *,
                            progress: Progress | None = None, cancel: CancelToken | None = None, user=None,
                            log_run: bool = True):
    """The generator for ``(dataset, family, params)``: from memory, from its artifact, or trained now."""
    if family not in KINDS:
        raise InputError(f"Unknown generator family '{family}'.", f"Use one of: {', '.join(KINDS)}.")
    kind = KINDS[family]
    params = params or _default_params(family)
    fp = generator_key(dataset, params, family)
    _, source = training_frame(dataset, getattr(params, "seed", 0))
    fit = _fit_vae(dataset, params, fp, progress, cancel) if family == "vae" else _fit_gan(dataset, params, fp, progress, cancel)

    def write(model, folder: Path) -> dict:
        meta = model.write(folder)
        meta.update({"dataset_fingerprint": dataset.fingerprint, "dataset_name": dataset.name, "n_rows": len(dataset.frame),
                     "trained_on": source})
        return meta

    def describe(model) -> dict:
        return {"name": f"Scenario {family.upper()} on {dataset.name}", "params": params.to_dict(), "seed": params.seed,
                "result": {**model.history_.to_dict(), "columns": model.columns, "trained_on": source}}

    return load_or_fit(kind, fp, fit=fit, load=lambda folder, dev: _load(family, folder, dev), write=write,
                       describe=describe if log_run else None, dataset=dataset, user=user, progress=progress)


def _default_params(family: str):
    if family == "gan":
        from core.scenarios.gan import GANParams

        return GANParams()
    return VAEParams()


def _fit_gan(dataset: Dataset, params: Any, fp: str, progress: Progress | None, cancel: CancelToken | None):
    from core.scenarios.gan import TabularGAN

    def fit(device: str):
        frame, _ = training_frame(dataset, params.seed)
        _, cats = generator_columns(dataset)
        return TabularGAN(params, device, fingerprint=fp).fit(frame, cats, progress, cancel)

    return fit


def _load(family: str, folder: Path, device: str):
    if family == "gan":
        from core.scenarios.gan import TabularGAN

        return TabularGAN.load(folder, device)
    return TabularVAE.load(folder, device)


def _loader(family: str):
    def load(folder: Path, device: str):
        return _load(family, folder, device)

    return load


def load_generator(fingerprint: str, family: str | None = None):
    """A stored generator by fingerprint (its family found from the artifact when not given)."""
    for fam in ([family] if family else list(KINDS)):
        kind = KINDS.get(fam)
        if kind is None:
            continue
        from core.runtime.lifecycle import has_artifact

        if has_artifact(kind, fingerprint):
            return load_artifact(kind, fingerprint, _loader(fam))
    raise ModelLoadError(f"There is no stored scenario generator {fingerprint}.", "Train one on the Risk scenarios page.")


def current_generator(dataset: Dataset | DatasetRef, family: str | None = None):
    """The current scenario generator of ``dataset`` (:func:`core.resolver.current`; optionally of one family), or ``None``."""
    fp = resolver.current(resolver.GENERATOR, dataset, family)
    return None if fp is None else load_generator(fp, family)


def stored_generators(dataset: Dataset) -> list[dict]:
    """Metadata of every stored generator trained on this dataset, newest first."""
    from core.runtime.registry import get_registry

    out = []
    for fam, kind in KINDS.items():
        for meta in get_registry().list_artifacts(kind.name):
            if meta.get("dataset_fingerprint") == dataset.fingerprint:
                out.append({**meta, "family": fam})
    return out


def seen_share(generator, frame: pd.DataFrame, column: str) -> float:
    """Share of ``frame``'s values of ``column`` inside the generator's training range."""
    rng = generator.seen_range(column)
    if not isinstance(rng, tuple):
        return 1.0
    x = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    return float(np.mean((x >= rng[0]) & (x <= rng[1])))
