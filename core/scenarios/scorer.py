"""What the scenario engine needs from a credit model, and where it finds the current one."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from core.data import Dataset
from core.runtime.registry import fingerprint_of
from core.scenarios.errors import NoCreditModelError


@runtime_checkable
class Scorer(Protocol):
    """A PD model (``core.credit``'s model satisfies it)."""

    @property
    def feature_names(self) -> list[str]: ...

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray: ...

    def explain(self, frame: pd.DataFrame) -> Any: ...


def scorer_fingerprint(scorer: Scorer) -> str:
    return str(getattr(scorer, "fingerprint", None) or fingerprint_of(type(scorer).__name__, list(scorer.feature_names)))


def logit_of(scorer: Scorer, frame: pd.DataFrame) -> np.ndarray:
    """The scorer's log-odds for ``frame``."""
    p = np.clip(np.asarray(scorer.predict_pd(frame[list(scorer.feature_names)]), dtype=np.float64), 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def credit_model_for(dataset: Dataset):
    """The current credit model of this dataset (:mod:`core.resolver`), or :class:`NoCreditModelError` saying how to get one."""
    from core import resolver

    try:
        model = resolver.credit_model(dataset)
    except ImportError as exc:  # the credit package is not installed in this build
        raise NoCreditModelError("The credit model is not available in this installation.",
                                 "Install the credit module, then train a model on the Credit explanation page.") from exc
    if model is None:
        raise NoCreditModelError("No credit model has been trained on this dataset yet; scenarios need one to score PD.",
                                 "Train one on the Credit explanation page, or with the button here.")
    return model


def ensure_credit_model(dataset: Dataset, user=None, progress=None):
    """The current credit model, or one trained now with default settings and made current (page and CLI)."""
    from core import resolver

    model = resolver.credit_model(dataset)
    if model is not None:
        return model
    from core.credit.params import CreditParams
    from core.credit.store import train_or_load

    kwargs = {"progress": progress} if progress is not None else {}
    model = train_or_load(dataset, CreditParams(), **kwargs)
    resolver.choose(resolver.CREDIT, dataset, model.fingerprint, user)
    return model
