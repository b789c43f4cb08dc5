import threading
from pathlib import Path

import pandas as pd
import pytest

from core.errors import WorkspaceError
from core.workspace import Workspace, get_workspace


def test_runs_are_logged_with_everything_needed_to_reproduce(isolated_workspace):
    ws = get_workspace()
    rid = ws.log_run("segmentation", name="k=6", params={"k": 6, "method": "kmeans"}, seed=42,
                     dataset_fingerprint="abc", model_fingerprint="def", result={"silhouette": 0.31},
                     tables={"assignments": pd.DataFrame({"customer_id": ["a", "b"], "segment": [0, 1]})})
    run = ws.get_run(rid)
    assert run.kind == "segmentation" and run.params == {"k": 6, "method": "kmeans"} and run.seed == 42
    assert run.dataset_fingerprint == "abc" and run.result["silhouette"] == 0.31
    assert ws.run_table(rid, "assignments")["segment"].tolist() == [0, 1]
    ws.update_run(rid, status="saved", name="Final segments")
    assert ws.get_run(rid).status == "saved" and ws.get_run(rid).name == "Final segments"
    assert ws.runs(kind="segmentation")["run_id"].tolist() == [rid]


def test_restart_finds_everything(tmp_path):
    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.save_dataset("d", pd.DataFrame({"x": [1, 2, 3]}), source="t", schema={"roles": {"x": "numeric"}}, fingerprint="f")
    rid = ws.log_run("credit_model", params={"depth": 3})
    ws.close()
    again = Workspace(path)
    assert again.load_dataset("d")["x"].tolist() == [1, 2, 3]
    assert again.get_run(rid).params == {"depth": 3}
    again.close()


def test_concurrent_writers_lose_nothing(isolated_workspace):
    ws = get_workspace()
    errors = []

    def writer(i):
        try:
            for j in range(20):
                ws.log_run("copy_batch", name=f"{i}-{j}", params={"i": i, "j": j},
                           tables={"variants": pd.DataFrame({"text": [f"{i}-{j}"]})})
        except Exception as exc:  # pragma: no cover - surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(ws.runs(kind="copy_batch")) == 80


def test_failed_write_is_rolled_back(isolated_workspace):
    ws = get_workspace()
    ok = pd.DataFrame({"x": [1]})
    with pytest.raises(WorkspaceError):  # the second table's name is unusable: the whole run is refused
        ws.log_run("segmentation", tables={"ok": ok, "!!!": ok})
    assert ws.runs().empty
    assert not [t for t in ws._read("SELECT table_name FROM duckdb_tables()")["table_name"] if t.startswith("rt_")]


def test_unknown_status_and_missing_run(isolated_workspace):
    ws = get_workspace()
    with pytest.raises(WorkspaceError):
        ws.log_run("x", status="weird")
    with pytest.raises(WorkspaceError, match="no run"):
        ws.get_run("nope")


# ---- nothing silently lost -------------------------------------------------------------------------------
def _save(ws, name, frame, **kw):
    return ws.save_dataset(name, frame, source=f"upload:{name}", schema={}, fingerprint=str(len(frame)), **kw)


@pytest.mark.parametrize("second", ["q3-portfolio", "Q3_PORTFOLIO", "q3 portfolio!", "Q3Portfolio", " q3..portfolio "])
def test_colliding_names_are_refused_with_a_versioned_suggestion(isolated_workspace, second):
    from core.workspace import DatasetExistsError

    ws = get_workspace()
    first = pd.DataFrame({"x": [1, 2, 3]})
    assert _save(ws, "Q3 Portfolio", first) == "q3_portfolio"
    with pytest.raises(DatasetExistsError) as info:
        _save(ws, second, pd.DataFrame({"x": [9]}))
    assert info.value.existing == "q3_portfolio" and info.value.suggestion == "q3_portfolio_v2"
    assert ws.load_dataset("q3_portfolio")["x"].tolist() == [1, 2, 3]  # untouched
    assert ws.list_datasets()["name"].tolist() == ["q3_portfolio"]


def test_keep_both_and_replace(isolated_workspace):
    ws = get_workspace()
    _save(ws, "Q3 Portfolio", pd.DataFrame({"x": [1]}))
    assert _save(ws, "q3-portfolio", pd.DataFrame({"x": [2]}), if_exists="keep_both") == "q3_portfolio_v2"
    assert _save(ws, "q3 portfolio", pd.DataFrame({"x": [3]}), if_exists="keep_both") == "q3_portfolio_v3"
    assert _save(ws, "Q3portfolio", pd.DataFrame({"x": [4]}), if_exists="replace") == "q3_portfolio"
    assert ws.load_dataset("q3_portfolio")["x"].tolist() == [4]
    assert ws.load_dataset("q3_portfolio_v2")["x"].tolist() == [2]
    assert sorted(ws.list_datasets()["name"]) == ["q3_portfolio", "q3_portfolio_v2", "q3_portfolio_v3"]


def test_names_sharing_their_first_60_characters_collide(isolated_workspace):
    from core.workspace import DatasetExistsError

    ws = get_workspace()
    stem = "retail_portfolio_quarterly_snapshot_for_the_credit_risk_team_"  # 61 characters
    assert len(stem) > 60
    first = _save(ws, stem + "january", pd.DataFrame({"x": [1]}))
    with pytest.raises(DatasetExistsError) as info:
        _save(ws, stem + "february", pd.DataFrame({"x": [2]}))
    kept = _save(ws, stem + "february", pd.DataFrame({"x": [2]}), if_exists="keep_both")
    assert len(kept) <= 60 and kept.endswith("_v2") and kept == info.value.suggestion
    assert ws.load_dataset(first)["x"].tolist() == [1] and ws.load_dataset(kept)["x"].tolist() == [2]


_HOLDER = """
import sys, time
from core.workspace import Workspace
ws = Workspace(sys.argv[1])
print("ready", flush=True)
time.sleep(60)
"""


def test_a_second_process_gets_a_plain_message(tmp_path):
    import subprocess
    import sys

    from core.workspace import WorkspaceLockedError

    path = tmp_path / "shared.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WorkspaceLockedError) as info:
            Workspace(path)
        message = str(info.value)
        assert "already open in another Studio server" in message and f"process {holder.pid}" in message
        assert "STUDIO_WORKSPACE_DIR" in message and "IO Error" not in message
    finally:
        holder.kill()
        holder.wait()
