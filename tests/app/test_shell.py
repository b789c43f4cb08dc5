from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["pages/segmentation.py", "pages/credit_explanation.py", "pages/risk_scenarios.py", "pages/marketing_copy.py"]


def test_each_page_runs_on_its_own():
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / page), default_timeout=120).run()
        assert not at.exception, page
        assert at.title, page
