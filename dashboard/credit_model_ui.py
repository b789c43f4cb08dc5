"""The credit page's model panel: settings, Regulation B and leakage decisions, training, stored models, the banner.

Every column decision the analyst makes here (a protected attribute included, a flagged column
kept) needs a reason and goes into :class:`~core.credit.params.CreditParams`, so it is part of the
model's fingerprint and of its run log.
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import streamlit as st

from core.credit.catalogue import default_monotone
from core.credit.features import leakage_preview
from core.credit.model import CreditModel
from core.credit.params import CreditParams
from core.credit.store import load_model, logged_params, model_runs, stored_models, train_or_load
from core.data import Dataset
from core.errors import StudioError
from core.formatting import column_label, count, pct
from dashboard import credit_ui as ui
from dashboard.shell import show_error

KEEP_OUT, KEEP_IN = "Leave out", "Keep (give a reason)"


def _monotone_editor(ds: Dataset, features: list[str]) -> dict[str, int]:
    defaults = default_monotone()
    numeric = [f for f in features if f in ds.schema.numeric]
    # the feature column shows readable names; the edited rows come back in the same order, so they map back by position
    table = pd.DataFrame({"feature": [column_label(f) for f in numeric], "direction": [defaults.get(f, 0) for f in numeric]})
    edited = st.data_editor(
        table, key=f"credit_monotone_{ds.fingerprint}", hide_index=True, height=260, width="stretch", disabled=["feature"],
        column_config={"feature": st.column_config.TextColumn("Feature"), "direction": st.column_config.SelectboxColumn(
            "Monotone", options=[-1, 0, 1], required=True,
            help="+1: a higher value never lowers risk; -1: never raises it; 0: free")})
    return {f: int(d) for f, d in zip(numeric, edited["direction"], strict=True) if int(d) != 0}


def _protected_overrides(ds: Dataset) -> dict[str, str]:
    protected = [c for c in ds.schema.protected_columns() if c in ds.features()]
    if not protected:
        st.caption("No column of this dataset is marked as a protected attribute or proxy (Home → Column roles).")
        return {}
    st.caption("Protected attributes and proxies stay out of the model (Regulation B) and are used on the Fairness tab: "
               + ui.features(protected) + ".")
    chosen = st.multiselect("Include a protected attribute anyway (logged override)", protected, key="credit_include_protected",
                            format_func=ui.option_label,
                            help="Only with a documented business necessity, reviewed by compliance.")
    out = {}
    for c in chosen:
        reason = st.text_input(f"Reason for including {ui.feature(c)}", key=f"credit_protected_reason_{c}")
        if reason.strip():
            out[c] = reason.strip()
        else:
            st.warning(f"Give a reason for including {ui.feature(c)}; until then it stays out.", icon=":material/gavel:")
    return out


@st.cache_data(show_spinner="Checking the columns for target leakage...", max_entries=8)
def _leaks(_ds: Dataset, ds_fp: str, exclude: tuple[str, ...], include: tuple[str, ...]) -> list[tuple[str, float, str]]:
    try:
        params = CreditParams(exclude=exclude, include_protected={c: "preview" for c in include})
        return [(f.column, f.auc, f.reason) for f in leakage_preview(_ds, params)]
    except StudioError:
        return []


def _leakage_decisions(ds: Dataset, exclude: list[str], include: dict[str, str]) -> dict[str, str]:
    flagged = _leaks(ds, ds.fingerprint, tuple(sorted(exclude)), tuple(sorted(include)))
    if not flagged:
        st.caption("Leakage check: no column gives the outcome away on its own or by its name.")
        return {}
    keep = {}
    st.markdown("**Possible target leakage** · decide for each column (the decision is logged with the model)")
    for column, _auc, reason in flagged:
        c1, c2 = st.columns([2, 3])
        choice = c1.radio(ui.feature(column), [KEEP_OUT, KEEP_IN], key=f"credit_leak_{column}", horizontal=True)
        c2.caption(ui.label(reason))
        if choice == KEEP_IN:
            why = c2.text_input(f"Why {ui.feature(column)} is known at application time", key=f"credit_leak_reason_{column}")
            if why.strip():
                keep[column] = why.strip()
            else:
                c2.warning("Without a reason it stays out.", icon=":material/warning:")
    return keep


def _train(ds: Dataset, params: CreditParams) -> None:
    bar = st.progress(0.0, text="Starting")

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    try:
        model = train_or_load(ds, params, progress=report, user=ui.current_user())
        ui.choose(ds, model)
        bar.progress(1.0, text=f"Model {model.fingerprint} ready")
    except StudioError as exc:
        bar.empty()
        show_error(exc, "Training failed")


def corrupt_notice(ds: Dataset) -> None:
    """A stored model that could not be read: say so, and offer to train it again."""
    bad = st.session_state.get(ui.CORRUPT)
    if not bad:
        return
    fp, moved = bad
    st.error(f"The stored credit model {fp} could not be read, so it was moved aside"
             + (f" (to {ui.label(moved)})" if moved else "") + ". Nothing else was changed.", icon=":material/broken_image:")
    c1, c2 = st.columns([1, 4])
    if c1.button("Train it again", key="credit_retrain", type="primary", icon=":material/refresh:"):
        st.session_state.pop(ui.CORRUPT, None)
        _train(ds, logged_params(fp) or CreditParams())
        st.rerun()
    if c2.button("Dismiss", key="credit_corrupt_dismiss"):
        st.session_state.pop(ui.CORRUPT, None)
        st.rerun()


def _stored(ds: Dataset) -> None:
    metas = [m for m in stored_models() if not [f for f in m.profiles if f not in ds.frame.columns]]
    if not metas:
        return
    labels = {f"{m.fingerprint} · trained on {m.dataset.name} · test AUC {m.metrics.xgboost.auc:.3f}"
              + (" (this dataset)" if m.dataset.fingerprint == ds.fingerprint else ""): m.fingerprint for m in metas}
    pick = st.selectbox("Stored models that can score this dataset", list(labels), key="credit_stored",
                        help="A model trained on another dataset with the same columns scores this one as a champion.")
    if st.button("Load this model", key="credit_load", icon=":material/download:"):
        try:
            ui.choose(ds, load_model(labels[pick]))
        except StudioError as exc:
            show_error(exc, "Loading failed")


def model_panel(ds: Dataset, model: CreditModel | None) -> None:
    """Settings, the train button (with progress) and the stored models to load."""
    with st.expander("Model settings, training and stored models", expanded=model is None, icon=":material/model_training:"):
        features = ds.features()
        protected = set(ds.schema.protected_columns())  # out already, unless overridden below
        left, right = st.columns([3, 2])
        with left:
            exclude = st.multiselect("Keep out of the model", [f for f in features if f not in protected], default=[],
                                     key="credit_exclude", format_func=ui.option_label)
            include = _protected_overrides(ds)
            c1, c2, c3 = st.columns(3)
            trees = c1.number_input("Max trees", 20, 3000, 1000, 20, key="credit_trees")
            depth = c2.selectbox("Depth", ["auto", 2, 3, 4, 5, 6, 8], key="credit_depth",
                                 help="auto: the depth with the least validation log-loss")
            lr = c3.number_input("Learning rate", 0.005, 1.0, 0.05, 0.005, format="%.3f", key="credit_lr")
            c1, c2, c3 = st.columns(3)
            encoding = c1.selectbox("Categoricals", ["native", "onehot"], key="credit_encoding")
            calibration = c2.selectbox("Calibration", ["auto", "isotonic", "platt"], key="credit_calibration")
            seed = c3.number_input("Seed", 0, 2**31 - 1, 42, key="credit_seed")
        with right:
            st.caption("Monotone constraints")
            monotone = _monotone_editor(ds, [f for f in features if f not in exclude and (f not in protected or f in include)])
        keep = _leakage_decisions(ds, exclude, include) if ds.schema.target else {}
        try:
            params = CreditParams(n_estimators=int(trees), max_depth=None if depth == "auto" else int(str(depth)),
                                  learning_rate=float(lr), encoding=cast(Any, encoding), calibration=cast(Any, calibration),
                                  seed=int(seed),
                                  exclude=tuple(exclude), monotone=monotone, include_protected=include, keep_flagged=keep)
        except StudioError as exc:
            show_error(exc, "These settings cannot be used")
            return
        if st.button("Train model", key="credit_train", type="primary", icon=":material/play_arrow:"):
            _train(ds, params)
        _stored(ds)


def model_banner(model: CreditModel, ds: Dataset) -> None:
    """What model is in use; a warning (never a green banner) when it underperforms its benchmark or overfits."""
    m = model.meta
    where = "" if model.trained_on(ds.fingerprint) else f" · trained on {ui.label(m.dataset.name)}, scoring this dataset"
    text = (f"Model `{model.fingerprint}`: {count(m.n_trees)} trees of depth {m.depth}, {len(model.feature_names)} features, "
            f"{m.split.how} split, {m.calibration} calibration · test AUC {m.metrics.xgboost.auc:.3f} "
            f"(logistic benchmark {m.metrics.logistic.auc:.3f}){where}.")
    health = m.health()
    if health:
        st.warning(text, icon=":material/warning:")
        for h in health:
            st.warning(h, icon=":material/trending_down:")
    else:
        st.success(text, icon=":material/check_circle:")
    for w in m.warnings:
        st.warning(ui.label(w), icon=":material/warning:")
    if m.excluded:
        with st.expander(f"{len(m.excluded)} columns not used by the model, and why"):
            st.dataframe(pd.DataFrame({"column": [column_label(c) for c in m.excluded], "reason": list(m.excluded.values())}),
                         hide_index=True, width="stretch", column_config={"column": "Column", "reason": "Reason"})
    st.caption(f"Default cutoff {pct(m.default_cutoff)} (the least-cost decision for calibrated PDs when a bad accepted "
               "costs five goods declined).")


def stored_runs(ds: Dataset) -> pd.DataFrame:
    runs = model_runs(ds)
    return runs.dropna(subset=["model_fingerprint"]).drop_duplicates("model_fingerprint") if len(runs) else runs
