"""``studio sql``: the same guarded path as the Home tabs; refusals exit 2 with one JSON error line."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from core.cli import main as cli
from core.workspace import get_workspace
from tests.unit.security.corpus import (
    API_KEY,
    CANARY_TEXT,
    LOANS,
    assert_clean_message,
    catalogue,
    load_corpus,
    make_sandbox,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[3]
CORPUS = load_corpus()


@pytest.fixture
def box(tmp_path, monkeypatch):
    sandbox = make_sandbox(tmp_path / "box", monkeypatch)
    get_workspace().save_dataset("loans", LOANS, source="test", schema={}, fingerprint="f0")
    return sandbox


def _main(*argv: str) -> tuple[int, list[dict]]:
    out = io.StringIO()
    with redirect_stdout(out):
        rc = cli.main(list(argv))
    return rc, [json.loads(line) for line in out.getvalue().splitlines()]


def _subprocess(*argv: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    from core.settings import get_settings

    env = {**os.environ, "PYTHONPATH": str(ROOT), "STUDIO_WORKSPACE_DIR": str(get_settings().workspace_dir),
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "core.cli", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_rows_come_back_as_json_records(box):
    rc, rows = _main("sql", "SELECT b, count(*) AS n, avg(a) AS mean FROM ds_loans GROUP BY b ORDER BY b")
    assert rc == 0 and rows == [{"b": "x", "n": 50, "mean": 49.0}, {"b": "y", "n": 50, "mean": 50.0}]
    rc, rows = _main("sql", "SELECT count(*) AS n FROM ds_loans", "--database", str(box.sqlite_file))
    assert rc == 0 and rows == [{"n": 100}]


@pytest.mark.parametrize("where", ["workspace", "duckdb"])
def test_every_hostile_query_exits_2_with_one_json_error(box, tmp_path, where):
    extra = [] if where == "workspace" else ["--database", str(box.duckdb_file)]
    ws = get_workspace()
    before_files, before_ws = snapshot(tmp_path), catalogue(ws)
    for hostile in CORPUS:
        rc, lines = _main("sql", box.fill(hostile.sql), *extra)
        assert rc == 2 and len(lines) == 1 and set(lines[0]) == {"error"}, hostile.sql
        assert_clean_message(lines[0]["error"], hostile)
    assert snapshot(tmp_path) == before_files and catalogue(ws) == before_ws
    assert not box.out.parent.exists()


@pytest.mark.slow
def test_one_query_of_each_class_in_a_real_subprocess(box, tmp_path):
    """The installed command line, end to end: one process per class of the corpus."""
    first_of_class = {}
    for hostile in CORPUS:
        first_of_class.setdefault(hostile.cls, hostile)
    env = {"STUDIO_OPENAI_API_KEY": API_KEY, "STUDIO_SQL_TIMEOUT_S": "1",
           "STUDIO_SQL_DATABASE_DIRS": str(box.duckdb_file.parent)}
    before = snapshot(tmp_path)
    for hostile in first_of_class.values():
        done = _subprocess("sql", box.fill(hostile.sql), env_extra=env)
        lines = done.stdout.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, (hostile.sql[:60], done.stdout, done.stderr[-500:])
        assert_clean_message(json.loads(lines[0])["error"], hostile)
        assert "Traceback" not in done.stderr and CANARY_TEXT not in done.stderr and API_KEY not in done.stderr
    assert snapshot(tmp_path) == before and not box.out.parent.exists()


_HOLDER = """
import sys, time
from core.workspace import get_workspace
get_workspace()
print("ready", flush=True)
time.sleep(120)
"""


def test_a_second_process_on_the_same_workspace_gets_a_plain_error(box):
    from core import workspace
    from core.settings import get_settings

    workspace._reset_for_tests()  # this test process lets go; another process holds the workspace
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STUDIO_WORKSPACE_DIR": str(get_settings().workspace_dir)}
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        done = _subprocess("sql", "SELECT count(*) FROM ds_loans")
        lines = done.stdout.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, done.stdout + done.stderr[-500:]
        message = json.loads(lines[0])["error"]
        assert re.search(r"already open in another Studio server or command \(process \d+\)", message)
        assert "Traceback" not in done.stderr and "IO Error" not in message
    finally:
        holder.kill()
        holder.wait()
