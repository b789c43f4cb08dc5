"""Real browser: open every tab of the segmentation page, then send a segment to the copy page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCREENSHOTS, launch_browser, running_app
from tests.e2e.test_browser import wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TABS = ["Segments", "Profiles", "Map", "How many segments", "Products & risk", "Offers", "Export & runs"]


@pytest.fixture
def small_app(tmp_path, browser_available):
    with running_app(tmp_path / "workspace", rows=3000) as url:
        yield url


def _no_exception(page, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, f"exception box on {where}"


def test_every_tab_renders_and_a_segment_reaches_the_copy_page(small_app, tmp_path):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        ctx = launch_browser(p, tmp_path)
        page = ctx.new_page()
        page.goto(f"{small_app}/segmentation")
        wait_idle(page, 300_000)
        _no_exception(page, "segmentation")
        for i, tab in enumerate(TABS):
            page.get_by_role("tab", name=tab, exact=True).click()
            wait_idle(page, 300_000)
            if tab == "Offers":
                page.get_by_role("button", name="Compute next-best offers").click()
                wait_idle(page, 300_000)
                page.get_by_text("On held-out customers").wait_for(timeout=300_000)
            _no_exception(page, tab)
            page.set_viewport_size({"width": 1440, "height": 2400})
            page.wait_for_timeout(500)
            page.screenshot(path=str(SCREENSHOTS / f"segmentation_{i}_{tab.lower().replace(' ', '_').replace('&', 'and')}.png"),
                            full_page=True)
            page.set_viewport_size({"width": 1440, "height": 1000})
        page.get_by_role("tab", name="Segments", exact=True).click()
        wait_idle(page, 300_000)
        name = page.locator(".st-key-seg_copy_pick input").first.input_value().strip()
        assert name
        page.get_by_role("button", name="Write copy for this segment").click()
        page.wait_for_url("**/copy", timeout=120_000)
        wait_idle(page, 300_000)
        _no_exception(page, "copy")
        assert "Marketing copy" in page.locator("h1").first.inner_text()
        sent = page.get_by_text("From segmentation:", exact=False)
        sent.first.wait_for(timeout=60_000)
        assert name in sent.first.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "segment_to_copy.png"), full_page=True)
        ctx.close()
