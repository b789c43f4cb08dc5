"""AppTest of the segmentation page on the small default portfolio (3,000 rows in tests)."""

import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "segmentation.py")


@pytest.fixture(autouse=True)
def no_credit_model(monkeypatch):
    monkeypatch.setitem(sys.modules, "core.credit.service", None)


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_runs_and_shows_segments_and_evidence():
    at = _run(AppTest.from_file(PAGE, default_timeout=180))
    assert at.title[0].value == "Customer segmentation"
    assert not at.error
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Segments (auto)", "Customers", "Silhouette", "Stability (ARI)"]  # k = auto by default
    assert at.metric[1].value == "3,000"
    assert any("Suggested: k =" in m.value for m in at.markdown)
    assert any("Train one on the Credit explanation page".lower() in i.value.lower() for i in at.info)


def test_changing_k_rebuilds_only_the_segmentation():
    at = _run(AppTest.from_file(PAGE, default_timeout=180))
    at.select_slider(key="seg_k").set_value(7)
    t = time.perf_counter()
    _run(at)
    assert time.perf_counter() - t < 10  # the sweep is cached; the bench measures the 2 s bar on 50k rows
    assert at.metric[0].value == "7"


def test_rename_save_reload_and_copy_hand_off():
    at = _run(AppTest.from_file(PAGE, default_timeout=180))
    at.select_slider(key="seg_k").set_value(4)
    _run(at)
    # the names editor shows (and returns) the names kept for this exact segmentation; AppTest cannot type
    # into a data editor, so set the kept names as the editor would
    from dashboard.segmentation_ui import _names_key

    names_key = _names_key(at.session_state["studio_segmentation_result"])
    names = dict(at.session_state[names_key])
    names[0] = "Our best customers"
    at.session_state[names_key] = names
    _run(at)
    result = at.session_state["studio_segmentation_result"]
    assert result.names[0] == "Our best customers"
    at.button(key="seg_save").click()
    _run(at)
    assert any("Saved as run" in s.value for s in at.success)
    at.selectbox(key="seg_copy_pick").set_value(0)
    at.button(key="seg_to_copy").click()
    _run(at)
    brief = at.session_state["studio_segment_for_copy"]
    assert brief.name == "Our best customers" and brief.size > 0
    at.button(key="seg_load").click()
    _run(at)
    assert any("Showing saved run" in i.value for i in at.info)
    at.button(key="seg_unload").click()
    _run(at)
    assert not any("Showing saved run" in i.value for i in at.info)


@pytest.mark.parametrize("method", ["gmm", "hdbscan"])
def test_other_methods_render(method):
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    at.selectbox(key="seg_method").set_value(method)
    _run(at)
    assert not at.error


def test_no_features_asks_for_some():
    at = _run(AppTest.from_file(PAGE, default_timeout=180))
    at.multiselect(key="seg_features").set_value([])
    _run(at)
    assert any("Pick at least one feature" in i.value for i in at.info)


def test_one_feature_renders_with_a_note():
    at = _run(AppTest.from_file(PAGE, default_timeout=180))
    at.multiselect(key="seg_features").set_value(["age"])
    _run(at)
    assert not at.error
    assert any("one feature" in c.value for c in at.caption)


@pytest.mark.xfail(reason="AppTest (Streamlit 1.67) drops a button click on a page reached with at.switch_page under "
                          "st.navigation: the button reads False on the rerun. The same click switches pages in a real "
                          "browser (checked with Playwright against `streamlit run`).", strict=False)
def test_copy_button_switches_to_the_copy_page_under_navigation():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=240)
    at.switch_page("pages/segmentation.py")
    _run(at)
    at.button(key="seg_to_copy").click()
    _run(at)
    assert at.session_state["studio_segment_for_copy"].size > 0
    assert at.title[0].value == "Marketing copy"
