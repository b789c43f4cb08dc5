"""Home: bring your own data (a file, SQL over the workspace, an external database), and the admins' delete.

Every import goes through the workspace's collision check: a name that would be confused with a
stored dataset (case, punctuation, the first 60 characters) is never silently replaced; the
analyst is asked to replace it or keep both (the new one under a versioned name). Both SQL tabs
run through :mod:`core.data.sql`, the one guarded path.
"""

from __future__ import annotations

import streamlit as st

from core.auth import Role, User
from core.data import Dataset
from core.data.inference import InferenceReport
from core.data.loaders import import_dataset, prepare_file
from core.data.sql import query_database, query_workspace
from core.errors import StudioError
from core.formatting import count, plain
from core.workspace import DatasetExistsError
from dashboard import loaders, state
from dashboard.shell import show_error

PENDING = "home_pending_import"  # {"ds", "notes", "existing", "suggestion"} while the analyst decides
FLASH = "home_import_flash"  # messages to show once after the rerun that follows an import


def _activate(name: str, n_rows: int) -> None:
    state.put(state.DATASET_CHOICE, f"{name} ({n_rows:,} rows)")
    state.pop(state.DATASET)


def _store(ds: Dataset, notes: list[str], user: User, if_exists: str = "refuse",
           report: InferenceReport | None = None) -> None:
    """Import into the workspace; on a name collision, park the dataset and ask (see :func:`collision_prompt`)."""
    try:
        stored = import_dataset(loaders.workspace(), ds, if_exists, user=user, notes=notes, report=report)
    except DatasetExistsError as exc:
        st.session_state[PENDING] = {"ds": ds, "notes": notes, "existing": exc.existing, "suggestion": exc.suggestion,
                                     "report": report}
        st.rerun()
    except StudioError as exc:
        show_error(exc, f"'{ds.name}' was not imported")
        return
    st.session_state.pop(PENDING, None)
    # the notes are stored with the dataset and shown under its summary on every visit (home_ui.overview)
    st.session_state[FLASH] = [f"Imported {count(ds.n_rows)} rows as '{stored}'."]
    _activate(stored, ds.n_rows)
    st.rerun()


def collision_prompt(user: User) -> None:
    """Messages after an import, and the question for a parked import whose name collides.

    Always one container at this place on the page, empty or not, so the elements below keep their
    identity (an expander the analyst opened stays open across the reruns of an import).
    """
    slot = st.container(key="home_import_messages")
    with slot:
        for message in st.session_state.pop(FLASH, []):
            st.success(plain(message), icon=":material/check_circle:")
        pending = st.session_state.get(PENDING)
        if not pending:
            return
        ds: Dataset = pending["ds"]
        st.warning(plain(f"A dataset named '{pending['existing']}' is already in the workspace, and "
                         f"'{ds.name}' would be stored under the same name. Nothing has been replaced."),
                   icon=":material/content_copy:")
        replace_col, keep_col, cancel_col = st.columns(3)
        if replace_col.button(plain(f"Replace '{pending['existing']}'"), key="home_collision_replace",
                              icon=":material/swap_horiz:"):
            _store(ds, pending["notes"], user, "replace", pending.get("report"))
        if keep_col.button(plain(f"Keep both (new one as '{pending['suggestion']}')"), key="home_collision_keep",
                           icon=":material/library_add:", type="primary"):
            _store(ds, pending["notes"], user, "keep_both", pending.get("report"))
        if cancel_col.button("Cancel the import", key="home_collision_cancel", icon=":material/close:"):
            st.session_state.pop(PENDING, None)
            st.rerun()


def importer(user: User) -> None:
    """Bring your own data: a file, a SQL query over the workspace, or an external database."""
    from core.settings import get_settings

    settings = get_settings()
    tab_file, tab_sql, tab_db = st.tabs(["Upload a file", "SQL over the workspace", "External database"])
    with tab_file:
        up = st.file_uploader("CSV or Parquet (gzipped or zipped is fine)", type=["csv", "parquet", "txt", "tsv", "gz", "zip"],
                              key="home_upload",
                              help=f"Up to {settings.max_upload_mb} MiB.")
        target = st.text_input("Target column (optional; inferred when empty)", key="home_upload_target")
        if up is not None and st.button("Import file", key="home_import_file", icon=":material/upload:"):
            try:
                prepared = prepare_file(up.name, up.getvalue(), settings.max_upload_mb, target=target.strip() or None)
            except StudioError as exc:
                show_error(exc, f"'{up.name}' was not imported")
            else:
                _store(prepared.dataset, prepared.notes, user, report=prepared.report)
    with tab_sql:
        ws = loaders.workspace()
        tables = ws.tables()
        st.caption(plain("Tables: " + (", ".join(tables) + "." if tables else "none yet: import a file first.")
                         + f" One SELECT, read-only, at most {settings.sql_timeout_s:g} s."))
        example = f"SELECT * FROM {tables[0]} LIMIT 1000" if tables else "SELECT * FROM ds_<name of an imported file> LIMIT 1000"
        sql = st.text_area("SELECT query", key="home_sql", placeholder=example)
        name = st.text_input("Save as", value="query_result", key="home_sql_name")
        if st.button("Run and import", key="home_sql_run", icon=":material/database:") and sql.strip():
            try:
                ds, notes = query_workspace(ws, sql, name, user=user)
            except StudioError as exc:
                show_error(exc, "The query was not imported")
            else:
                _store(ds, notes, user)
    with tab_db:
        url = st.text_input("Database (a DuckDB or SQLite file on the server, or a database URL)",
                            key="home_db_url", help="Files must sit in a folder the administrator allowed "
                            "(STUDIO_SQL_DATABASE_DIRS); URLs need SQLAlchemy and the driver.")
        sql = st.text_area("SELECT query", key="home_db_sql")
        name = st.text_input("Save as", value="external_query", key="home_db_name")
        if st.button("Query and import", key="home_db_run", icon=":material/cloud_download:") and url and sql:
            try:
                ds, notes = query_database(url, sql, name, user=user)
            except StudioError as exc:
                show_error(exc, "The query was not imported")
            else:
                _store(ds, notes, user)


def dataset_admin(user: User) -> None:
    """Delete a workspace dataset: admins only (others are told who can)."""
    if not user.can(Role.ADMIN):
        st.caption("Only administrators can delete datasets.")
        return
    listing = loaders.workspace().list_datasets()
    if listing.empty:
        st.caption("The workspace holds no imported dataset.")
        return
    names = listing["name"].tolist()
    name = st.selectbox("Dataset to delete", names, key="home_delete_name")
    sure = st.checkbox(plain(f"Delete '{name}' and its table for every user"), key="home_delete_confirm")
    if st.button("Delete dataset", key="home_delete_run", icon=":material/delete:", disabled=not sure):
        try:
            loaders.workspace().delete_dataset(name, user=user)
        except StudioError as exc:
            show_error(exc, "The dataset was not deleted")
            return
        if str(state.get(state.DATASET_CHOICE, "")).startswith(f"{name} ("):
            state.pop(state.DATASET_CHOICE)
            state.pop(state.DATASET)
        st.session_state[FLASH] = [f"Deleted '{name}'."]
        st.rerun()
