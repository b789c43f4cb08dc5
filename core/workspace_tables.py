"""The workspace's tables (DDL and migrations) and the typed row of its run log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS datasets (
    name VARCHAR PRIMARY KEY,
    source VARCHAR,
    schema_json VARCHAR,
    fingerprint VARCHAR,
    n_rows BIGINT,
    n_cols INTEGER,
    created_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    name VARCHAR,
    status VARCHAR NOT NULL,
    params_json VARCHAR,
    seed BIGINT,
    dataset_fingerprint VARCHAR,
    model_fingerprint VARCHAR,
    result_json VARCHAR,
    artifact VARCHAR,
    created_at TIMESTAMP,
    updated_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS current_choice (
    kind VARCHAR,
    dataset_fingerprint VARCHAR,
    ref VARCHAR NOT NULL,
    user_id VARCHAR,
    chosen_at TIMESTAMP,
    PRIMARY KEY (kind, dataset_fingerprint)
);
CREATE TABLE IF NOT EXISTS run_tables (
    run_id VARCHAR,
    name VARCHAR,
    table_name VARCHAR,
    n_rows BIGINT,
    PRIMARY KEY (run_id, name)
);
"""
# added after the first release; existing workspaces get them on open
MIGRATIONS = (
    "ALTER TABLE runs ADD COLUMN IF NOT EXISTS user_id VARCHAR",
    "ALTER TABLE datasets ADD COLUMN IF NOT EXISTS meta_json VARCHAR",
)

RUN_STATUSES = ("running", "done", "failed", "saved")


@dataclass(frozen=True)
class RunRecord:
    """A row of the run log."""

    run_id: str
    kind: str
    name: str
    status: str
    params: dict
    seed: int | None
    dataset_fingerprint: str | None
    model_fingerprint: str | None
    result: dict
    artifact: str | None
    created_at: datetime
    updated_at: datetime
    user: str = ""
