"""The workspace: an embedded DuckDB database that keeps datasets and the run log.

Tables:

``datasets``
    one row per imported dataset: name, source, schema (JSON), fingerprint, rows, columns, time,
    and its metadata (JSON: the import notes and the inference report, who imported or edited it).
    The frame itself lives in a table ``ds_<name>``.
``runs``
    one row per fitted model, segmentation, scenario or copy batch: kind, name, status,
    parameters, seed, dataset and model fingerprints, result summary (JSON), artifact path,
    created/updated timestamps. Enough to reproduce and export any result later.
``current_choice``
    per (kind, dataset fingerprint) the model, generator or segmentation run the analysts chose as
    current (see :mod:`core.resolver`), who chose it and when.
``run_tables``
    named frames attached to a run (segment assignments, approved copy, ...), stored in tables
    ``rt_<run id>_<name>``.

Every write runs in one transaction under a process-wide lock, so two browser sessions writing at
once lose nothing and a failed write leaves nothing half-done. DuckDB persists on commit, so a
restart finds everything.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from core.auth import LOCAL_USER, Role, User, require
from core.dataset_names import IF_EXISTS, DatasetExistsError, collision_key, versioned
from core.dataset_names import safe_name as _safe_name
from core.errors import WorkspaceError
from core.workspace_tables import MIGRATIONS, RUN_STATUSES, SCHEMA_SQL, RunRecord

__all__ = ["RUN_STATUSES", "RunRecord", "Workspace", "WorkspaceLockedError", "get_workspace"]

def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class WorkspaceLockedError(WorkspaceError):
    """Another process (a second server, a CLI command) holds the workspace file."""


def _lock_message(path: Path, exc: duckdb.Error) -> WorkspaceLockedError:
    pid = re.search(r"PID (\d+)", str(exc))
    holder = f" (process {pid.group(1)})" if pid else ""
    return WorkspaceLockedError(
        f"The workspace {path} is already open in another Studio server or command{holder}. "
        "Two servers cannot share one workspace.",
        "Stop the other process, or give this one its own folder with STUDIO_WORKSPACE_DIR.",
    )


class Workspace:
    """A DuckDB-backed store of datasets and runs. One instance per database file per process."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._con = duckdb.connect(str(self.path))
            self._con.execute(SCHEMA_SQL)
            for statement in MIGRATIONS:
                self._con.execute(statement)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise _lock_message(self.path, exc) from None
            raise WorkspaceError(
                f"The workspace database {self.path} cannot be opened: {str(exc).splitlines()[0]}",
                "Check the folder's permissions and free space, or set STUDIO_WORKSPACE_DIR.",
            ) from exc
        except duckdb.Error as exc:
            raise WorkspaceError(
                f"The workspace database {self.path} cannot be opened: {exc}",
                "Check that no other Studio process holds it, or set STUDIO_WORKSPACE_DIR.",
            ) from exc

    # ---- plumbing ----------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            cur = self._con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                yield cur
                cur.execute("COMMIT")
            except BaseException as exc:
                cur.execute("ROLLBACK")
                if isinstance(exc, WorkspaceError):
                    raise
                if isinstance(exc, duckdb.Error):
                    raise WorkspaceError(f"The workspace write failed and was rolled back: {exc}") from exc
                raise
            finally:
                cur.close()

    def _read(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self._lock:
            cur = self._con.cursor()
            try:
                return cur.execute(sql, params or []).df()
            finally:
                cur.close()

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # ---- datasets ----------------------------------------------------------------------
    def find_collision(self, name: str) -> str | None:
        """The stored dataset that ``name`` would be confused with (same name once cleaned), if any."""
        key = collision_key(name)
        for existing in self.list_datasets()["name"].tolist():
            if collision_key(existing) == key:
                return str(existing)
        return None

    def versioned_name(self, name: str) -> str:
        """A free name for keeping both: ``q3_portfolio_v2``, ``_v3``, ... (within 60 characters)."""
        return versioned(name, self.list_datasets()["name"].tolist())

    def save_dataset(self, name: str, frame: pd.DataFrame, *, source: str, schema: dict, fingerprint: str,
                     if_exists: str = "refuse", user: User = LOCAL_USER, meta: dict | None = None) -> str:
        """Store a frame as a workspace dataset; returns the name it was stored under.

        A name that collides with a stored dataset (see :func:`collision_key`) is never silently
        replaced: ``if_exists="refuse"`` raises :class:`DatasetExistsError` (with a versioned name to
        suggest), ``"replace"`` replaces the stored dataset under its existing name, ``"keep_both"``
        stores the new one under :meth:`versioned_name`. The import is logged as a
        ``dataset_import`` run with ``user``, in the same transaction. ``meta`` is kept with the
        dataset (the import notes and inference report, so every later session shows them).
        """
        if if_exists not in IF_EXISTS:
            raise WorkspaceError(f"Unknown choice '{if_exists}' for an existing dataset.")
        key = _safe_name(name)
        with self._lock:  # the collision check and the write see the same catalogue
            existing = self.find_collision(name)
            if existing is not None:
                if if_exists == "refuse":
                    raise DatasetExistsError(name, existing, self.versioned_name(existing))
                key = existing if if_exists == "replace" else self.versioned_name(existing)
            table = f"ds_{key}"
            with self._tx() as cur:
                cur.register("_incoming", frame)
                try:
                    cur.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _incoming')
                finally:
                    cur.unregister("_incoming")
                cur.execute("DELETE FROM datasets WHERE name = ?", [key])
                cur.execute(
                    "INSERT INTO datasets (name, source, schema_json, fingerprint, n_rows, n_cols, created_at, "
                    "meta_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [key, source, json.dumps(schema), fingerprint, len(frame), frame.shape[1], _now(),
                     json.dumps(meta or {}, default=str)],
                )
                self._audit(cur, "dataset_import", user, name=key, dataset_fingerprint=fingerprint,
                            params={"source": source, "if_exists": if_exists, "replaced": existing or "",
                                    "rows": len(frame), "columns": frame.shape[1]})
        return key

    @staticmethod
    def _audit(cur: duckdb.DuckDBPyConnection, kind: str, user: User, *, name: str = "", params: dict | None = None,
               dataset_fingerprint: str | None = None, result: dict | None = None) -> str:
        """A run row for an action (import, delete, export, approval) inside the caller's transaction."""
        run_id = uuid.uuid4().hex[:12]
        now = _now()
        cur.execute(
            "INSERT INTO runs (run_id, kind, name, status, params_json, dataset_fingerprint, result_json, created_at, "
            "updated_at, user_id) VALUES (?, ?, ?, 'done', ?, ?, ?, ?, ?, ?)",
            [run_id, kind, name, json.dumps(params or {}, default=str), dataset_fingerprint,
             json.dumps(result or {}, default=str), now, now, user.id],
        )
        return run_id

    def record(self, kind: str, user: User, *, name: str = "", params: dict | None = None,
               dataset_fingerprint: str | None = None, result: dict | None = None) -> str:
        """Log that ``user`` did something (an edit, an export, an approval); returns the run id.

        The one call areas make for actions that are not model runs, e.g.
        ``ws.record("segment_export", user, name="members.csv", params={"rows": 1200})``.
        """
        with self._tx() as cur:
            return self._audit(cur, kind, user, name=name, params=params, dataset_fingerprint=dataset_fingerprint,
                               result=result)

    def list_datasets(self) -> pd.DataFrame:
        return self._read("SELECT name, source, n_rows, n_cols, fingerprint, created_at FROM datasets ORDER BY created_at DESC")

    def dataset_meta(self, name: str) -> dict:
        df = self._read("SELECT * FROM datasets WHERE name = ?", [_safe_name(name)])
        if df.empty:
            raise WorkspaceError(f"There is no workspace dataset named '{name}'.")
        row = df.iloc[0].to_dict()
        row["schema"] = json.loads(row.pop("schema_json") or "{}")
        raw = row.pop("meta_json", None)
        row["meta"] = json.loads(raw) if isinstance(raw, str) and raw else {}
        return row

    def load_dataset(self, name: str) -> pd.DataFrame:
        meta = self.dataset_meta(name)
        return self._read(f'SELECT * FROM "ds_{meta["name"]}"')

    def delete_dataset(self, name: str, *, user: User) -> None:
        """Remove a dataset and its table: admins only; logged as a ``dataset_delete`` run with the user.

        Raises:
            PermissionDenied: ``user`` is not an admin.
        """
        require(user, Role.ADMIN, "delete datasets")
        meta = self.dataset_meta(name)
        key = meta["name"]
        with self._tx() as cur:
            cur.execute(f'DROP TABLE IF EXISTS "ds_{key}"')
            cur.execute("DELETE FROM datasets WHERE name = ?", [key])
            self._audit(cur, "dataset_delete", user, name=key, dataset_fingerprint=meta["fingerprint"],
                        params={"source": meta["source"], "rows": int(meta["n_rows"])})

    def tables(self) -> list[str]:
        """Names of the datasets a SQL query may read (as ``ds_<name>``)."""
        return [f"ds_{n}" for n in self.list_datasets()["name"].tolist()]

    def dataset_arrow(self, name: str) -> pa.Table:
        """A read-only Arrow copy of a dataset's table, for the SQL sandbox (never this connection)."""
        meta = self.dataset_meta(name)
        with self._lock:
            cur = self._con.cursor()
            try:
                return cur.sql(f'SELECT * FROM "ds_{meta["name"]}"').to_arrow_table()
            finally:
                cur.close()

    # ---- runs --------------------------------------------------------------------------
    def log_run(
        self,
        kind: str,
        *,
        name: str = "",
        params: dict | None = None,
        seed: int | None = None,
        dataset_fingerprint: str | None = None,
        model_fingerprint: str | None = None,
        status: str = "done",
        result: dict | None = None,
        artifact: str | None = None,
        tables: dict[str, pd.DataFrame] | None = None,
        user: str = "",
    ) -> str:
        """Record a run (and any frames attached to it) in one transaction; returns the run id.

        ``user`` is the id of the signed-in user who made it (``core.auth.User.id``).
        """
        if status not in RUN_STATUSES:
            raise WorkspaceError(f"Unknown run status '{status}'.")
        run_id = uuid.uuid4().hex[:12]
        now = _now()
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO runs (run_id, kind, name, status, params_json, seed, dataset_fingerprint, model_fingerprint, "
                "result_json, artifact, created_at, updated_at, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id, kind, name, status, json.dumps(params or {}, default=str), seed,
                    dataset_fingerprint, model_fingerprint, json.dumps(result or {}, default=str),
                    artifact, now, now, user,
                ],
            )
            for tname, frame in (tables or {}).items():
                self._put_table(cur, run_id, tname, frame)
        return run_id

    def update_run(self, run_id: str, *, status: str | None = None, result: dict | None = None,
                   name: str | None = None, tables: dict[str, pd.DataFrame] | None = None) -> None:
        """Update a run's status, name, result or attached frames atomically."""
        self.get_run(run_id)
        with self._tx() as cur:
            if status is not None:
                if status not in RUN_STATUSES:
                    raise WorkspaceError(f"Unknown run status '{status}'.")
                cur.execute("UPDATE runs SET status = ? WHERE run_id = ?", [status, run_id])
            if result is not None:
                cur.execute("UPDATE runs SET result_json = ? WHERE run_id = ?", [json.dumps(result, default=str), run_id])
            if name is not None:
                cur.execute("UPDATE runs SET name = ? WHERE run_id = ?", [name, run_id])
            for tname, frame in (tables or {}).items():
                self._put_table(cur, run_id, tname, frame)
            cur.execute("UPDATE runs SET updated_at = ? WHERE run_id = ?", [_now(), run_id])

    @staticmethod
    def _put_table(cur: duckdb.DuckDBPyConnection, run_id: str, name: str, frame: pd.DataFrame) -> None:
        table = f"rt_{run_id}_{_safe_name(name)}"
        cur.register("_incoming", frame)
        try:
            cur.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _incoming')
        finally:
            cur.unregister("_incoming")
        cur.execute("DELETE FROM run_tables WHERE run_id = ? AND name = ?", [run_id, name])
        cur.execute("INSERT INTO run_tables VALUES (?, ?, ?, ?)", [run_id, name, table, len(frame)])

    def run_table(self, run_id: str, name: str) -> pd.DataFrame:
        df = self._read("SELECT table_name FROM run_tables WHERE run_id = ? AND name = ?", [run_id, name])
        if df.empty:
            raise WorkspaceError(f"Run {run_id} has no table named '{name}'.")
        return self._read(f'SELECT * FROM "{df.iloc[0, 0]}"')

    def run_table_names(self, run_id: str) -> list[str]:
        return self._read("SELECT name FROM run_tables WHERE run_id = ? ORDER BY name", [run_id])["name"].tolist()

    def runs(self, kind: str | None = None, dataset_fingerprint: str | None = None) -> pd.DataFrame:
        """The run log, newest first, optionally filtered by kind and dataset."""
        sql = ("SELECT run_id, kind, name, status, seed, dataset_fingerprint, model_fingerprint, created_at, updated_at, "
               "user_id FROM runs")
        where, params = [], []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if dataset_fingerprint:
            where.append("dataset_fingerprint = ?")
            params.append(dataset_fingerprint)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._read(sql + " ORDER BY created_at DESC", params)

    def get_run(self, run_id: str) -> RunRecord:
        df = self._read("SELECT * FROM runs WHERE run_id = ?", [run_id])
        if df.empty:
            raise WorkspaceError(f"There is no run with id '{run_id}'.")
        r = df.iloc[0]
        return RunRecord(
            run_id=r["run_id"], kind=r["kind"], name=r["name"] or "", status=r["status"],
            params=json.loads(r["params_json"] or "{}"),
            seed=None if pd.isna(r["seed"]) else int(r["seed"]),
            dataset_fingerprint=r["dataset_fingerprint"], model_fingerprint=r["model_fingerprint"],
            result=json.loads(r["result_json"] or "{}"), artifact=r["artifact"],
            created_at=r["created_at"], updated_at=r["updated_at"],
            user="" if pd.isna(r.get("user_id")) else str(r.get("user_id")),
        )

    # ---- the current choice per kind and dataset (see core.resolver) ----------------------
    def set_current(self, kind: str, dataset_fingerprint: str, ref: str, user: str = "") -> None:
        """Record that ``ref`` (a model fingerprint or run id) is the current ``kind`` for a dataset."""
        with self._tx() as cur:
            cur.execute("DELETE FROM current_choice WHERE kind = ? AND dataset_fingerprint = ?", [kind, dataset_fingerprint])
            cur.execute("INSERT INTO current_choice VALUES (?, ?, ?, ?, ?)", [kind, dataset_fingerprint, ref, user, _now()])

    def get_current(self, kind: str, dataset_fingerprint: str) -> str | None:
        df = self._read("SELECT ref FROM current_choice WHERE kind = ? AND dataset_fingerprint = ?", [kind, dataset_fingerprint])
        return None if df.empty else str(df.iloc[0, 0])

    def clear_current(self, kind: str, dataset_fingerprint: str) -> None:
        with self._tx() as cur:
            cur.execute("DELETE FROM current_choice WHERE kind = ? AND dataset_fingerprint = ?", [kind, dataset_fingerprint])


_workspaces: dict[Path, Workspace] = {}
_ws_lock = threading.Lock()


def get_workspace(path: Path | str | None = None) -> Workspace:
    """The process-wide workspace for a database file (default: the settings' ``db_path``)."""
    if path is None:
        from core.settings import get_settings

        path = get_settings().db_path
    key = Path(path).resolve()
    with _ws_lock:
        if key not in _workspaces:
            _workspaces[key] = Workspace(key)
        return _workspaces[key]


def _reset_for_tests() -> None:
    with _ws_lock:
        for ws in _workspaces.values():
            ws.close()
        _workspaces.clear()
