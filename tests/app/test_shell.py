import os
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["pages/segmentation.py", "pages/credit_explanation.py", "pages/risk_scenarios.py", "pages/marketing_copy.py"]


def test_each_page_runs_on_its_own():
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / page), default_timeout=120).run()
        assert not at.exception, page
        assert at.title, page


def _corrupt_page():
    from pathlib import Path

    from core.runtime.lifecycle import CorruptArtifactError
    from dashboard.shell import guarded

    with guarded("The model could not be loaded"):
        raise CorruptArtifactError("The stored model ![x](http://evil.example/x.png) could not be read.",
                                   "It was moved aside; retrain it.", kind="credit_model", fingerprint="f",
                                   moved_to=Path("/tmp/.quarantine/f"))


def test_a_corrupt_artifact_is_a_plain_message():
    at = AppTest.from_function(_corrupt_page, default_timeout=60).run()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("The model could not be loaded")
    assert "\\!\\[x\\]\\(http" in error.value  # markdown made inert: no image fetched by the browser
    assert [c.value for c in at.caption] == ["It was moved aside; retrain it\\."]


def _unexpected_page():
    from dashboard.shell import guarded

    with guarded("The chart could not be drawn"):
        raise RuntimeError("secret-token-abc123 in /etc/studio/private")


def test_an_unexpected_error_shows_no_details():
    at = AppTest.from_function(_unexpected_page, default_timeout=60).run()
    assert not at.exception
    [error] = at.error
    assert "RuntimeError" in error.value and "secret-token" not in error.value and "/etc" not in error.value


_HOLDER = """
import time
from core.workspace import get_workspace
get_workspace()
print("ready", flush=True)
time.sleep(120)
"""


def test_a_second_server_on_one_workspace_gets_a_plain_message(isolated_workspace):
    from core import workspace

    workspace._reset_for_tests()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STUDIO_WORKSPACE_DIR": str(isolated_workspace)}
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for page in ["pages/home.py", "pages/credit_explanation.py"]:
            at = AppTest.from_file(str(ROOT / page), default_timeout=120).run()
            assert not at.exception, page
            [error] = at.error
            assert "already open in another Studio server or command" in error.value.replace("\\", "")
            assert not at.metric and not at.title  # the page stopped after the message
    finally:
        holder.kill()
        holder.wait()
