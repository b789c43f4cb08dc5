from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_home_shows_the_default_portfolio():
    at = AppTest.from_file(str(ROOT / "pages/home.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Retail AIGC Studio"
    labels = [m.label for m in at.metric]
    assert "Customers (rows)" in labels
    rows = next(m for m in at.metric if m.label == "Customers (rows)")
    assert rows.value == "3,000"
    assert any("Target rate" in m.label for m in at.metric)
    assert at.sidebar.selectbox[0].value.startswith("Synthetic portfolio")


def test_entrypoint_navigation_runs():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Retail AIGC Studio"
