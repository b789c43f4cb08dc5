"""The reusable "Run on the cluster" panel: submit a batch job, follow it as partitions complete, cancel.

Shown for datasets over a size threshold. The job runs in the background (``core.scale.handle``) on
the process's cluster; a fragment re-runs every second to show its progress, so the rest of the page
stays usable meanwhile. The page keeps only the job's id in the session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from core.formatting import count, money, number, pct, plain

THRESHOLD_ROWS = 1_000_000


def _input_folder(dataset: Any) -> Path:
    """The dataset as partitioned Parquet in the workspace (written once per fingerprint)."""
    from core.scale.partitions import part_path, write_parquet
    from core.settings import get_settings

    folder = get_settings().workspace_dir / "batch" / dataset.fingerprint / "input"
    if not (folder / "part-00000.parquet").exists():
        step = 500_000
        for i, start in enumerate(range(0, dataset.n_rows, step)):
            write_parquet(dataset.frame.iloc[start:start + step], part_path(folder.parent, "input", i))
    return folder


def _work(kind: str, dataset: Any, model: Any, extra: dict, user: Any, out: Path) -> Any:
    from core.scale import handle

    if kind == "score":
        from core.scale.book import BookParams, run_book

        return handle.on_cluster(run_book, _input_folder(dataset), out, model=model, schema=dataset.schema,
                                 params=BookParams(shap=True, **extra), user=user)
    if kind == "segment":
        from core.scale.book import BookParams, run_book

        return handle.on_cluster(run_book, _input_folder(dataset), out, model=model, segment=True, schema=dataset.schema,
                                 params=BookParams(**extra), user=user)
    if kind == "scenario":
        from core.scale.adapters import scenarios as S
        from core.scale.scenario import ScenarioParams, run_scenario

        scenario = extra.pop("scenario", None) or S.scenario()
        return handle.on_cluster(run_scenario, _input_folder(dataset), out, model=model, scenario=scenario,
                                 schema=dataset.schema, params=ScenarioParams(**extra), user=user)
    raise ValueError(kind)


def cluster_panel(kind: str, dataset: Any, *, model: Any = None, key: str, threshold: int = THRESHOLD_ROWS,
                  **extra: Any) -> None:
    """The panel for one page: ``kind`` is ``score``, ``segment`` or ``scenario``."""
    if dataset is None or dataset.n_rows < threshold:
        return
    from core.scale import handle

    state_key = f"cluster_job_{key}"
    with st.expander(f"Run on the cluster ({count(dataset.n_rows)} customers)", expanded=False):
        st.caption("Large books run as a batch on the cluster (partitioned Parquet, the same models, the same "
                   "numbers); you can keep working on this page meanwhile.")
        job = handle.get(st.session_state.get(state_key))
        running = job is not None and not job.done
        if st.button("Run on the cluster", key=f"{key}_cluster_run", disabled=running, icon=":material/hub:"):
            from core.settings import get_settings

            out = get_settings().workspace_dir / "batch" / dataset.fingerprint / kind
            job = handle.submit(kind, f"{kind} of {dataset.name}",
                                _work(kind, dataset, model, dict(extra), _user(), out))
            st.session_state[state_key] = job.id
        if job is not None:
            _progress(job.id, key)


def _user() -> Any:
    try:
        from dashboard.auth import current_user  # the signed-in user, where sign-in exists
    except ImportError:
        from core.auth import LOCAL_USER

        return LOCAL_USER
    return current_user()


@st.fragment(run_every=1.0)
def _progress(job_id: str, key: str) -> None:
    from core.scale import handle

    job = handle.get(job_id)
    if job is None:
        return
    if not job.done:
        st.progress(job.fraction, text=plain(job.message))
        if st.button("Cancel", key=f"{key}_cluster_cancel", icon=":material/stop_circle:"):
            job.cancel()
        return
    if job.status == "done" and job.summary:
        _summary(job.summary, job.seconds)
    elif job.status == "cancelled":
        st.info("The batch was stopped; nothing it was writing was kept.", icon=":material/info:")
    else:
        st.error(plain(f"The batch failed: {job.error} {job.hint}".strip()), icon=":material/error:")


def _summary(s: dict, seconds: float) -> None:
    cols = st.columns(3)
    cols[0].metric("Customers", count(s.get("rows", 0)))
    cols[1].metric("Partitions", count(s.get("partitions", 0)))
    cols[2].metric("Seconds", number(seconds, 1))
    if "scores" in s:
        sc = s["scores"]
        c = st.columns(3)
        c[0].metric("Mean PD", pct(sc["mean_pd"]))
        c[1].metric("Declined", pct(sc["declined_share"]))
        c[2].metric("Expected loss", money(sc["expected_loss"]))
    if s.get("segments"):
        import pandas as pd

        st.dataframe(pd.DataFrame([{"Segment": x["name"], "Customers": count(x["size"]), "Share": pct(x["share"])}
                                   for x in s["segments"]]), hide_index=True)
    if "stressed" in s:
        c = st.columns(3)
        c[0].metric("Expected loss (stressed)", money(s["stressed"]["expected_loss"]),
                    money(s["change"]["expected_loss"]))
        c[1].metric("VaR 99.9% (stressed)", money(s["stressed"]["var_999"]))
        c[2].metric("ES 99% (stressed)", money(s["stressed"]["es_99"]))
    st.caption(plain(f"Results: {s.get('out', '')}"))
