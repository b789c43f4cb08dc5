import threading

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
