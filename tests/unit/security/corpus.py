"""The hostile SQL corpus and the sandbox fixtures shared by the unit, AppTest and CLI tests."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

CORPUS_FILE = Path(__file__).with_name("hostile_sql.json")
CANARY_TEXT = "CANARY-7f3e9b-content"
API_KEY = "sk-test-canary-0123456789abcdef"


@dataclass(frozen=True)
class Hostile:
    cls: str
    sql: str
    expect: str

    @property
    def id(self) -> str:
        return f"{self.cls}:{self.sql[:50]}"


@dataclass(frozen=True)
class Sandbox:
    """Paths a hostile query might try to read or write."""

    root: Path
    canary: Path
    out: Path
    outdir: Path
    duckdb_file: Path
    sqlite_file: Path

    def fill(self, template: str) -> str:
        return template.format(canary=self.canary, dir=self.canary.parent, out=self.out, outdir=self.outdir,
                               long="1+" * 60_000 + "1")


def load_corpus() -> list[Hostile]:
    raw = json.loads(CORPUS_FILE.read_text())["queries"]
    return [Hostile(q["class"], q["sql"], q["expect"]) for q in raw]


LOANS = pd.DataFrame({"a": range(100), "b": ["x", "y"] * 50})


def make_sandbox(root: Path, monkeypatch) -> Sandbox:
    """Canary files, an external DuckDB and SQLite file, the settings that point at them."""
    from core.settings import get_settings

    secret_dir = root / "secret"
    secret_dir.mkdir(parents=True)
    canary = secret_dir / "canary.csv"
    canary.write_text(f"a,b\n{CANARY_TEXT},1\n")
    dbs = root / "databases"
    dbs.mkdir()
    duck = dbs / "ext.duckdb"
    con = duckdb.connect(str(duck))
    con.register("_l", LOANS)
    con.execute("CREATE TABLE ds_loans AS SELECT * FROM _l")
    con.close()
    lite = dbs / "ext.sqlite"
    scon = sqlite3.connect(lite)
    LOANS.to_sql("ds_loans", scon, index=False)
    scon.close()
    monkeypatch.setenv("STUDIO_OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("STUDIO_SQL_TIMEOUT_S", "1")
    monkeypatch.setenv("STUDIO_SQL_DATABASE_DIRS", str(dbs))
    get_settings.cache_clear()
    return Sandbox(root, canary, root / "written" / "out.csv", root / "written" / "export", duck, lite)


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with a hash of its bytes (DuckDB write-ahead logs excluded)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(".wal")}


def catalogue(ws) -> tuple:
    """What the workspace holds: its catalogue, its tables and the loans table's rows."""
    tables = ws._read("SELECT table_name FROM duckdb_tables() ORDER BY 1")["table_name"].tolist()
    listing = ws.list_datasets()[["name", "n_rows", "fingerprint"]].to_dict("records")
    rows = ws.load_dataset("loans").to_dict("records")
    return tables, listing, rows


def assert_clean_message(message: str, hostile: Hostile) -> None:
    assert re.search(hostile.expect, message), (hostile.sql[:80], message)
    assert CANARY_TEXT not in message
    assert API_KEY not in message
    assert "Traceback" not in message
