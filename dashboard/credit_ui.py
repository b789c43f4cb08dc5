"""Shared pieces of the credit page: cached core calls, the current model, the cutoff, small helpers.

The page's tabs live in their own modules (``credit_model_ui``, ``credit_perf_ui``,
``credit_global_ui``, ``credit_applicant_ui``, ``credit_fair_export_ui``). Heavy results are cached
per (model fingerprint, dataset fingerprint) with ``st.cache_resource``: they are immutable arrays
shared by every session.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import resolver
from core.auth import User
from core.credit.global_shap import GlobalSample, sample_explanation
from core.credit.model import CreditModel
from core.credit.reason_export import ALL, APPROVED, reference_from_sample
from core.credit.reasons import Reference
from core.credit.scores import Scores, score_dataset
from core.data import Dataset
from core.formatting import column_label, pct, plain
from core.runtime.lifecycle import CorruptArtifactError

SAMPLE_ROWS = 5000
REFERENCES = {"Approved applicants": APPROVED, "All applicants": ALL}
CORRUPT = "credit_corrupt_artifact"  # session key: the fingerprint of a model that could not be read
CUTOFF_MIN, CUTOFF_MAX = 0.001, 0.999


def current_user() -> User:
    """The signed-in user (the local user in single-user local mode)."""
    from dashboard.auth import current_user as signed_in

    return signed_in()


# ---- cached core calls ---------------------------------------------------------------------------
@st.cache_resource(show_spinner="Scoring every applicant...", max_entries=4)
def cached_scores(_model: CreditModel, _ds: Dataset, model_fp: str, ds_fp: str) -> Scores:
    return score_dataset(_model, _ds)


@st.cache_resource(show_spinner="Explaining a stratified sample...", max_entries=4)
def cached_sample(_model: CreditModel, _ds: Dataset, _scores: Scores, model_fp: str, ds_fp: str, n: int) -> GlobalSample:
    return sample_explanation(_model, _ds.frame, _scores.y, n, seed=0)


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_reference(_sample: GlobalSample, model_fp: str, ds_fp: str, kind: str, cutoff: float) -> Reference:
    return reference_from_sample(_sample, kind, cutoff)


def sample_of(model: CreditModel, ds: Dataset, scores: Scores) -> GlobalSample:
    return cached_sample(model, ds, scores, model.fingerprint, ds.fingerprint, SAMPLE_ROWS)


def reference(model: CreditModel, ds: Dataset, scores: Scores, label: str, cutoff: float) -> Reference:
    return cached_reference(sample_of(model, ds, scores), model.fingerprint, ds.fingerprint, REFERENCES[label],
                            round(cutoff, 4))


# ---- the model ---------------------------------------------------------------------------------------
def current_model(ds: Dataset) -> CreditModel | None:
    """The current credit model of this dataset (the resolver's answer); a corrupt one is reported, not raised."""
    for _ in range(3):
        try:
            return resolver.credit_model(ds)
        except CorruptArtifactError as exc:
            # the bad artifact was moved aside: report it, and let the resolver answer with the next one
            st.session_state[CORRUPT] = (exc.fingerprint, str(exc.moved_to or ""))
    return None


def choose(ds: Dataset, model: CreditModel) -> None:
    resolver.choose(resolver.CREDIT, ds, model.fingerprint, current_user())


# ---- the cutoff (one per model, so another dataset's model never inherits a stale value) -------------
def cutoff_key(model: CreditModel) -> str:
    return f"credit_cutoff_{model.fingerprint}"


def default_cutoff(model: CreditModel) -> float:
    return float(np.clip(round(model.meta.default_cutoff, 3), CUTOFF_MIN, CUTOFF_MAX))


def current_cutoff(model: CreditModel) -> float:
    return float(st.session_state.get(cutoff_key(model), default_cutoff(model)))


def applicant_label(applicant_id: object, p: float, cutoff: float) -> str:
    return f"{applicant_id} · PD {pct(p, 2)} · {'declined' if p >= cutoff else 'approved'}"


def label(text: object) -> str:
    """A user-controlled string made safe for markdown, labels and captions."""
    return plain(text)


def feature(name: object) -> str:
    """A column as the analyst reads it (:func:`core.formatting.column_label`), safe for markdown and widget labels."""
    return plain(column_label(name))


def features(names) -> str:
    """Several columns, readable and comma-separated, safe for markdown."""
    return ", ".join(feature(n) for n in names)


def option_label(option: object) -> str:
    """``format_func`` for a widget whose options are raw column names: shown readable, kept raw as the value."""
    return column_label(option)


def labelled(frame, *columns: str):
    """A copy of ``frame`` for display with the raw column names in ``columns`` shown readable (data keeps raw names)."""
    out = frame.copy()
    for c in columns:
        if c in out.columns:
            out[c] = [column_label(v) if isinstance(v, str) and v else v for v in out[c]]
    return out
