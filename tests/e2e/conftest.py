"""A real browser against a real `streamlit run`: Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(workspace: Path, rows: int = 5000, port: int | None = None,
              env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, Path]:
    """Start ``dashboard.server`` on a free loopback port; ``env`` adds or overrides variables."""
    port = port or _free_port()
    log = workspace.parent / f"streamlit-{port}.log"
    full_env = {**os.environ, "STUDIO_WORKSPACE_DIR": str(workspace), "STUDIO_DEFAULT_ROWS": str(rows),
                "STUDIO_COPY_BACKEND": os.environ.get("STUDIO_E2E_COPY_BACKEND", "template"), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.server", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1"],
        cwd=ROOT, env=full_env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}", log


@contextmanager
def running_app(workspace: Path, rows: int = 5000, port: int | None = None,
                env: dict[str, str] | None = None) -> Iterator[str]:
    """A healthy app for the block; stopped after it, and no traceback may appear in its log."""
    proc, url, log = start_app(workspace, rows, port, env)
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    text = log.read_text()
    assert "Traceback" not in text, text[-4000:]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("streamlit exited before becoming healthy")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("streamlit did not become healthy")


def launch_browser(playwright, tmp_path: Path):
    return playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1440, "height": 1000},
    )


@pytest.fixture
def browser_available():
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Debian chromium is missing at /usr/bin/chromium; `make browser` installs it.")
        pytest.skip("chromium not installed (run `make browser`)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the playwright package is missing")
        pytest.skip("playwright not installed")


@pytest.fixture
def app_server(tmp_path, browser_available):
    with running_app(tmp_path / "workspace") as url:
        yield url
