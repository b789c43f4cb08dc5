import json
import time

import pytest

from core.cli.main import main


def test_batch_score_in_process(book, tmp_path, capsys):
    from core.credit.artifact import write_model
    from core.credit.service import ARTIFACT
    from core.runtime.registry import get_registry

    model = book["model"]  # into this test's workspace
    get_registry().save_artifact(ARTIFACT, model.fingerprint, lambda folder: write_model(model, folder))
    code = main(["batch", "score", str(book["layouts"][3]), "--out", str(tmp_path / "o"), "--model",
                 book["model"].fingerprint, "--in-process"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, out
    assert out["rows"] == len(book["frame"]) and out["partitions"] == 3 and "run_id" in out


def test_batch_errors_exit_2(tmp_path, capsys):
    code = main(["batch", "score", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--model", "nope",
                 "--in-process"])
    assert code == 2
    assert "error" in json.loads(capsys.readouterr().out)
    code = main(["batch", "scenario", str(tmp_path), "--out", str(tmp_path / "o")])
    assert code == 2


def test_generate_is_reproducible(tmp_path):
    from core.scale.partitions import read_table
    from core.scale.synthetic import write_portfolio

    a = write_portfolio(tmp_path / "a", 2_500, seed=5, chunk_rows=1_000)
    write_portfolio(tmp_path / "b", 2_500, seed=5, chunk_rows=1_000)
    assert a["rows"] == 2_500 and a["files"] == 3
    fa, fb = read_table(tmp_path, "a"), read_table(tmp_path, "b")
    assert fa.equals(fb)
    assert fa["customer_id"].is_unique


def test_handle_reports_and_cancels():
    from core.progress import Cancelled
    from core.scale.handle import get, submit

    def work(progress, cancel):
        for i in range(200):
            progress(i / 200, f"step {i}")
            cancel.check()
            time.sleep(0.01)
        return {"ok": True}

    job = submit("test", "a test job", work)
    assert get(job.id) is job
    time.sleep(0.1)
    job.cancel()
    job.wait(5)
    assert job.status == "cancelled" and 0 < job.fraction < 1
    done = submit("test", "quick", lambda p, c: {"rows": 3}).wait(5)
    assert done.status == "done" and done.summary == {"rows": 3}
    failed = submit("test", "bad", lambda p, c: (_ for _ in ()).throw(Cancelled("x"))).wait(5)
    assert failed.status == "cancelled"


@pytest.mark.gpu
def test_gpu_worker_advertises_the_resource():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from core.scale.engine import close_client, engine_info, get_client

    try:
        client = get_client("", n_workers=1, gpus=1)
        assert engine_info(client).gpus == 1
    finally:
        close_client()


def test_workers_start_while_a_page_script_is_main(tmp_path, monkeypatch):
    """Under Streamlit ``__main__`` is the page being run; spawned workers must not run it."""
    import sys
    import types

    from core.scale.engine import close_client, get_client

    page = tmp_path / "a_page.py"
    page.write_text("raise SystemExit('the page ran inside a worker')\n")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", fake)
    try:
        client = get_client("", n_workers=1, gpus=0)
        assert client.submit(lambda x: x + 1, 41).result(timeout=120) == 42
        assert sys.modules["__main__"] is fake  # put back after the start
    finally:
        close_client()
