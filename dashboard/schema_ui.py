"""Home's view of a dataset's schema: stored import notes, the evidence behind each column, the editor table.

UI glue only: the decisions live in :mod:`core.data.inference`, edits in :mod:`core.data.edits`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.auth import User
from core.data import Dataset
from core.data.edits import ROLE_OPTIONS, TAG_OPTIONS
from core.data.inference import InferenceReport
from core.data.schema import Role
from core.errors import WorkspaceError
from core.formatting import plain
from dashboard import loaders

EDIT_NOTES = "home_edit_notes"  # notes of the last edit applied in this session (survive the rerun after it)
_EDITOR_COLUMNS = ["column", "role", "tags", "unit", "dtype", "missing %", "distinct", "why"]


def current_user() -> User:
    """The signed-in user (see :mod:`dashboard.auth`)."""
    from dashboard.auth import current_user as signed_in

    return signed_in()


def in_workspace(ds: Dataset) -> bool:
    """Whether ``ds`` is the stored version of a workspace dataset (not the embedded default or a session edit)."""
    try:
        return loaders.workspace().dataset_meta(ds.name)["fingerprint"] == ds.fingerprint
    except WorkspaceError:
        return False


@st.cache_data(show_spinner=False, max_entries=16)
def _stored(name: str, fingerprint: str) -> tuple[list[str], dict | None]:
    from core.data.loaders import stored_notes

    notes, report = stored_notes(loaders.workspace(), name)
    return notes, report.to_dict() if report is not None else None


def notes_and_report(ds: Dataset) -> tuple[list[str], InferenceReport | None]:
    """The notes kept with a workspace dataset (import and last edit) and its inference report."""
    if not in_workspace(ds):
        return [], None
    notes, report = _stored(ds.name, ds.fingerprint)
    return list(notes), InferenceReport.from_dict(report) if report else None


def show_notes(notes: list[str]) -> None:
    """The notes as a visible list (never markdown from the file: names are escaped)."""
    warnings = [n for n in notes if n.startswith("Warning")]
    others = [n for n in notes if not n.startswith("Warning")]
    for n in warnings:
        st.warning(plain(n), icon=":material/warning:")
    if others:
        with st.container(border=True, key="home_notes"):
            st.markdown(f"**What the import found** ({len(others)} note{'s' if len(others) > 1 else ''})")
            st.markdown("\n".join(f"- {plain(n)}" for n in others))


def decisions_table(report: InferenceReport) -> pd.DataFrame:
    """One row per decision: column, what was decided, the evidence."""
    return pd.DataFrame([{"column": d.column, "topic": d.topic, "decision": d.outcome, "evidence": d.evidence}
                         for d in report.decisions], columns=["column", "topic", "decision", "evidence"])


def editor_frame(ds: Dataset, report: InferenceReport | None) -> pd.DataFrame:
    """The editable table: one row per column with its role, tags, unit and the evidence for its role."""
    summary = ds.column_summary().set_index("column")
    why: dict[str, str] = {}
    if report is not None:
        for d in report.decisions:
            if d.topic != "tags" and d.column not in why:
                why[d.column] = d.evidence
    s = ds.schema
    rows = []
    for c in ds.frame.columns:
        rows.append({
            "column": c, "role": s.roles.get(c, Role.IGNORE).value,
            "tags": sorted(t.value for t in s.tags_of(c)), "unit": s.units.get(c, ""),
            "dtype": summary.at[c, "dtype"], "missing %": float(summary.at[c, "missing_pct"]),
            "distinct": int(summary.at[c, "distinct"]), "why": why.get(c, ""),
        })
    return pd.DataFrame(rows, columns=_EDITOR_COLUMNS)


def edit_table(ds: Dataset, report: InferenceReport | None) -> pd.DataFrame:
    """Draw the editor and return what the analyst has in it."""
    return st.data_editor(
        editor_frame(ds, report), key=f"home_schema_{ds.fingerprint}", hide_index=True, width="stretch", height=380,
        disabled=["column", "unit", "dtype", "missing %", "distinct", "why"],
        column_config={
            "role": st.column_config.SelectboxColumn("role", options=ROLE_OPTIONS, required=True),
            "tags": st.column_config.MultiselectColumn("tags", options=TAG_OPTIONS,
                                                       help="What the column means: protected attributes and "
                                                            "proxies stay out of credit decisions"),
            "missing %": st.column_config.NumberColumn("missing %", format="%.2f"),
            "why": st.column_config.TextColumn("why (inference evidence)", width="large"),
        },
    )


def read_edits(ds: Dataset, edited: pd.DataFrame) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The roles and tags the analyst changed in the editor (only the changes)."""
    roles, tags = {}, {}
    for row in edited.itertuples(index=False):
        c = row.column
        if row.role != ds.schema.roles.get(c, Role.IGNORE).value:
            roles[c] = row.role
        new_tags = sorted(row.tags) if isinstance(row.tags, (list, tuple)) else []
        if new_tags != sorted(t.value for t in ds.schema.tags_of(c)):
            tags[c] = new_tags
    return roles, tags
