"""The credit model's public entry points, for other pages and the CLI.

::

    from core.credit.service import train_or_load, load_model, CreditParams
    model = train_or_load(dataset, CreditParams())   # trains, or loads the artifact for this key
    model = core.resolver.credit_model(dataset)        # the current model of a dataset, or None
    model.feature_names; model.predict_pd(frame); model.explain(frame); model.fingerprint
"""

from __future__ import annotations

from core.credit.model import CreditModel
from core.credit.params import CreditParams
from core.credit.store import ARTIFACT, KIND, load_model, model_runs, stored_models, train_or_load
from core.credit.training import fit_credit_model, model_key

__all__ = ["ARTIFACT", "KIND", "CreditModel", "CreditParams", "fit_credit_model", "load_model",
           "model_key", "model_runs", "stored_models", "train_or_load"]

