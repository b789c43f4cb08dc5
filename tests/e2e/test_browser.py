"""One real-browser journey: every page opens without an exception box; bad data gets a message."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCREENSHOTS, launch_browser

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = [
    ("", "home", "Retail AIGC Studio"),
    ("segmentation", "segmentation", "Customer segmentation"),
    ("credit", "credit", "Credit explanation"),
    ("scenarios", "scenarios", "Risk scenarios"),
    ("copy", "copy", "Marketing copy"),
]


def wait_idle(page, timeout_ms: int = 180_000) -> None:
    """Wait until the app has rendered a title and its script has stopped running (twice in a row)."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=timeout_ms)
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    for _ in range(2):  # a rerun may start right after the first run ends
        page.wait_for_selector(idle, timeout=timeout_ms)
        page.wait_for_timeout(700)
    page.wait_for_selector(idle, timeout=timeout_ms)


def test_every_page_renders_without_exception(app_server, tmp_path):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        ctx = launch_browser(p, tmp_path)
        nav_counts = {}
        for path, shot, title in PAGES:
            page = ctx.new_page()  # a fresh session per page: each URL must work as a direct link
            page.goto(f"{app_server}/{path}")
            wait_idle(page)
            page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
            assert page.locator('[data-testid="stException"]').count() == 0, f"exception box on {shot}"
            assert page.get_by_text("Page not found").count() == 0, f"'Page not found' pop-up on {shot}"
            assert title in page.locator("h1").first.inner_text()
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            nav_counts[shot] = {t: nav.count(t) for _, _, t in PAGES[1:]}
            page.close()
            # Streamlit's automatic pages/ discovery must not leak raw file names into the navigation
            assert not any(raw in nav.lower() for raw in ("streamlit app", "credit explanation\n\nhome")), nav
        ctx.close()
    for shot, counts in nav_counts.items():
        assert all(c == 1 for c in counts.values()), f"navigation on {shot} lists a page twice or never: {counts}"


def test_bad_upload_shows_a_clear_message_and_keeps_the_app(app_server, tmp_path):
    from playwright.sync_api import sync_playwright

    bad = tmp_path / "one_class.csv"
    bad.write_text("income,region,default\n" + "".join(f"{1000 + 37 * (i % 7)},N,0\n" for i in range(50)))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with sync_playwright() as p:
        ctx = launch_browser(p, tmp_path)
        page = ctx.new_page()
        page.goto(app_server)
        wait_idle(page)
        page.get_by_text("Bring your own data").click()
        target = page.get_by_label("Target column (optional; inferred when empty)")
        target.fill("default")
        target.press("Enter")
        wait_idle(page)
        for upload, expected in ((empty, "empty"), (bad, "single class")):
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
            wait_idle(page)
            page.get_by_role("button", name="Import file").click()
            page.locator('[data-testid="stAlertContentError"]', has_text=expected).wait_for(timeout=60_000)
            wait_idle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
        page.locator('[data-testid="stAlertContentError"]').first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "home_bad_upload.png"))
        # the app still works and the default data is still selected
        assert "5,000 rows" in page.locator('[data-testid="stSidebar"]').inner_text()
        ctx.close()
