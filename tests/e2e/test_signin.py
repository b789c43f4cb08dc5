"""Sign-in in a real browser against a real local OIDC provider (oidc-provider-mock) started by the test.

The studio is started through ``dashboard.server`` with the ``STUDIO_OIDC_*`` settings only (the
server turns them into Streamlit's ``[auth]`` section), chromium opens it, is sent to the provider,
picks a user and comes back signed in with the roles of the ID token's ``roles`` claim. The flow
is timed (redirect -> provider -> back -> signed in) and the figures written to
``tests/e2e/screenshots/signin_timing.json``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import SCREENSHOTS, _free_port, launch_browser, running_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REVIEWER = "rui@bank.example"
ANALYST = "ana@bank.example"


@pytest.fixture
def provider():
    mock = pytest.importorskip("oidc_provider_mock")
    users = [
        mock.User(sub=REVIEWER, claims={"email": REVIEWER, "name": "Rui Reviewer", "roles": ["analyst", "reviewer"]}),
        mock.User(sub=ANALYST, claims={"email": ANALYST, "name": "Ana Analyst", "roles": ["studio-analyst"]}),
    ]
    with mock.run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def signin_app(tmp_path, provider, browser_available):
    port = _free_port()
    workspace = tmp_path / "workspace"
    env = {"HOME": str(tmp_path),
           "STUDIO_OIDC_CLIENT_ID": "retail-aigc-studio", "STUDIO_OIDC_CLIENT_SECRET": "test-client-secret",
           "STUDIO_OIDC_SERVER_METADATA_URL": f"{provider}/.well-known/openid-configuration",
           "STUDIO_OIDC_REDIRECT_URI": f"http://localhost:{port}/oauth2callback"}
    with running_app(workspace, rows=2000, port=port, env=env):
        # the redirect URI registered at the provider names localhost: the browser must use the same host
        yield f"http://localhost:{port}", workspace


def _idle(page, timeout_ms: int = 120_000) -> None:
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    page.wait_for_selector(idle, timeout=timeout_ms)
    page.wait_for_timeout(500)
    page.wait_for_selector(idle, timeout=timeout_ms)


def _sign_in(page, app_url: str, who: str) -> dict[str, float]:
    """Walk the flow and time it; returns seconds per leg."""
    page.goto(app_url)
    page.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
    assert page.locator('[data-testid="stSidebar"]').count() == 0 or \
        "Dataset" not in page.locator('[data-testid="stSidebar"]').inner_text()
    t0 = time.perf_counter()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=60_000)
    page.get_by_role("button", name=who).wait_for(timeout=30_000)
    t1 = time.perf_counter()
    page.get_by_role("button", name=who).click()
    page.wait_for_url(f"{app_url}/**", timeout=60_000)
    t2 = time.perf_counter()
    page.locator('[data-testid="stSidebar"]').get_by_text("Sign out").wait_for(timeout=120_000)
    t3 = time.perf_counter()
    return {"to_provider_s": t1 - t0, "provider_to_app_s": t2 - t1, "app_to_signed_in_s": t3 - t2,
            "total_s": t3 - t0}


def test_sign_in_with_a_real_oidc_provider(signin_app, tmp_path):
    from playwright.sync_api import sync_playwright

    app_url, workspace = signin_app
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        ctx = launch_browser(p, tmp_path)
        page = ctx.new_page()
        page.goto(app_url)
        page.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
        page.screenshot(path=str(SCREENSHOTS / "signin_page.png"), full_page=True)
        assert page.locator("h1").first.inner_text() == "Retail AIGC Studio"
        assert page.get_by_text("Customers (rows)").count() == 0  # nothing of the studio before sign-in
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # not even the list of pages

        timing = _sign_in(page, app_url, REVIEWER)
        _idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "Rui Reviewer" in sidebar and "analyst, reviewer" in sidebar
        assert "Single-user local mode" not in sidebar
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(SCREENSHOTS / "signin_done.png"), full_page=True)

        # a new tab of the same browser is signed in too (the identity cookie)
        second = ctx.new_page()
        second.goto(f"{app_url}/credit")
        second.locator('[data-testid="stSidebar"]').get_by_text("Sign out").wait_for(timeout=120_000)
        second.close()

        # sign out, then the other user: roles from a prefixed claim value
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/oauth2/end_session**", timeout=60_000)  # the provider ends its session too
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{app_url}/**", timeout=60_000)
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        warm = _sign_in(page, app_url, ANALYST)
        _idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "Ana Analyst" in sidebar and f"{ANALYST} · analyst" in sidebar
        assert f"{ANALYST} · analyst, reviewer" not in sidebar
        ctx.close()
    figures = {"first_sign_in": timing, "second_sign_in": warm, "load": os.getloadavg()[0]}
    (SCREENSHOTS / "signin_timing.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))
    assert Path(workspace / ".secrets" / "auth-secrets.toml").stat().st_mode & 0o077 == 0


def test_local_mode_home_badge_sql_refusal_and_collision_prompt(app_server, tmp_path):
    """Without a provider: the badge, a refused query in the SQL tab, and the collision prompt, in a browser."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import wait_idle

    data = "income,region,default\n" + "".join(f"{1000 + 37 * (i % 11)},{'NS'[i % 2]},{int(i % 5 == 0)}\n"
                                               for i in range(300))
    first, second = tmp_path / "Q3 Portfolio.csv", tmp_path / "q3-portfolio.csv"
    first.write_text(data)
    second.write_text(data)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        ctx = launch_browser(p, tmp_path)
        page = ctx.new_page()
        page.goto(app_server)
        wait_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert "Single-user local mode" in sidebar.inner_text() and "Sign out" not in sidebar.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "home_local_mode.png"))

        def open_importer():
            expander = page.locator("details", has_text="Bring your own data")
            if expander.get_attribute("open") is None:
                page.get_by_text("Bring your own data").click()
            page.get_by_role("tab", name="Upload a file").wait_for(timeout=30_000)

        for path in (first, second):
            open_importer()
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
            wait_idle(page)
            page.get_by_role("button", name="Import file").click()
            wait_idle(page)
        prompt = page.locator('[data-testid="stAlertContentWarning"]', has_text="already in the workspace")
        prompt.wait_for(timeout=60_000)
        assert page.get_by_role("button", name="Keep both (new one as 'q3_portfolio_v2')").count() == 1
        prompt.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "home_collision_prompt.png"))
        page.get_by_role("button", name="Keep both (new one as 'q3_portfolio_v2')").click()
        wait_idle(page)
        page.locator('[data-testid="stAlertContentSuccess"]',
                     has_text="Imported 300 rows as 'q3_portfolio_v2'").wait_for(timeout=60_000)

        open_importer()
        page.get_by_role("tab", name="SQL over the workspace").click()
        page.get_by_label("SELECT query").first.fill("SELECT 1 /* ; */ ; COPY (SELECT 1) TO '/tmp/studio-e2e-x.csv'")
        page.get_by_role("button", name="Run and import").click()
        refusal = page.locator('[data-testid="stAlertContentError"]', has_text="Only one statement is allowed")
        refusal.wait_for(timeout=60_000)
        wait_idle(page)
        refusal.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "home_sql_refused.png"))
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not Path("/tmp/studio-e2e-x.csv").exists()
        ctx.close()
