import io
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.workspace import get_workspace
from tests.unit.security.corpus import API_KEY, CANARY_TEXT, LOANS, catalogue, load_corpus, make_sandbox, snapshot

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "pages/home.py")


def _texts(at: AppTest) -> list[str]:
    out = []
    for kind in ("error", "warning", "info", "success", "caption", "markdown", "text", "code", "exception"):
        out += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    return out


def test_home_shows_the_default_portfolio():
    at = AppTest.from_file(HOME, default_timeout=120).run()
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


def test_local_mode_badge_without_a_provider():
    at = AppTest.from_file(HOME, default_timeout=120).run()
    assert not at.exception
    sidebar = [m.value for m in at.sidebar.markdown]
    assert any("Single-user local mode" in m for m in sidebar)
    assert not [b for b in at.sidebar.button if b.key == "auth_sign_out"]


# ---- the hostile corpus through both SQL tabs ----------------------------------------------------------
@pytest.fixture
def box(tmp_path, monkeypatch):
    sandbox = make_sandbox(tmp_path / "box", monkeypatch)
    get_workspace().save_dataset("loans", LOANS, source="test", schema={}, fingerprint="f0")
    return sandbox


@pytest.mark.parametrize(("tab", "area", "button"), [("workspace", "home_sql", "home_sql_run"),
                                                     ("external", "home_db_sql", "home_db_run")])
def test_hostile_corpus_is_refused_in_the_sql_tabs(box, tmp_path, tab, area, button):
    at = AppTest.from_file(HOME, default_timeout=120).run()
    if tab == "external":
        at.text_input(key="home_db_url").input(str(box.duckdb_file))
    ws = get_workspace()
    before_files, before_ws = snapshot(tmp_path), catalogue(ws)
    for hostile in load_corpus():
        at.text_area(key=area).input(box.fill(hostile.sql))
        at.button(key=button).click().run()
        assert not at.exception, hostile.sql
        errors = [e.value.replace("\\", "") for e in at.error]
        assert len(errors) == 1 and re.search(hostile.expect, errors[0]), (hostile.sql[:80], errors)
        shown = " ".join(_texts(at))
        assert CANARY_TEXT not in shown and API_KEY not in shown
    assert snapshot(tmp_path) == before_files and catalogue(ws) == before_ws
    assert not box.out.parent.exists()


def test_a_good_query_is_imported_and_becomes_the_dataset(box):
    at = AppTest.from_file(HOME, default_timeout=120).run()
    at.text_area(key="home_sql").input("SELECT a % 7 AS k, b FROM ds_loans WHERE a >= 40")
    at.text_input(key="home_sql_name").input("upper loans")
    at.button(key="home_sql_run").click().run()
    assert not at.exception and not at.error
    assert at.sidebar.selectbox[0].value == "upper_loans (60 rows)"
    assert any("Imported 60 rows as 'upper_loans'" in s.value.replace("\\", "") for s in at.success)
    runs = get_workspace().runs(kind="dataset_import")
    assert runs.loc[runs["name"] == "upper_loans", "user_id"].tolist() == ["local"]


# ---- uploads never silently replace ---------------------------------------------------------------------
def _csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


FIRST = pd.DataFrame({"income": [i % 37 for i in range(200)], "region": ["n", "s"] * 100,
                      "default": [0, 1, 0, 0] * 50})
SECOND = FIRST.assign(income=FIRST["income"] * 10)


def _upload(at: AppTest, name: str, frame: pd.DataFrame) -> AppTest:
    at.file_uploader(key="home_upload").upload(name, _csv(frame), "text/csv")
    at.run()
    at.button(key="home_import_file").click().run()
    return at


@pytest.mark.parametrize(("choice", "names", "kept_income"), [
    ("home_collision_keep", ["q3_portfolio", "q3_portfolio_v2"], 36),
    ("home_collision_replace", ["q3_portfolio"], 360),
    ("home_collision_cancel", ["q3_portfolio"], 36),
])
def test_a_colliding_upload_asks_before_anything_is_replaced(choice, names, kept_income):
    at = _upload(AppTest.from_file(HOME, default_timeout=120).run(), "Q3 Portfolio.csv", FIRST)
    assert not at.exception and at.sidebar.selectbox[0].value == "q3_portfolio (200 rows)"
    at = _upload(at, "q3-portfolio.csv", SECOND)
    assert not at.exception
    warning = next(w.value for w in at.warning if "already in the workspace" in w.value)
    assert "q3\\_portfolio" in warning or "q3_portfolio" in warning
    ws = get_workspace()
    assert ws.load_dataset("q3_portfolio")["income"].max() == 36  # nothing replaced while asking
    at.button(key=choice).click().run()
    assert not at.exception
    assert sorted(ws.list_datasets()["name"]) == names
    assert ws.load_dataset("q3_portfolio")["income"].max() == kept_income
    assert not [w for w in at.warning if "already in the workspace" in w.value]


# ---- admins alone delete ---------------------------------------------------------------------------------
SIGNED_IN_AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                  "client_id": "studio", "client_secret": "s",
                  "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


def _signed_in(email: str, roles: list[str]) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=120)
    at.secrets["auth"] = SIGNED_IN_AUTH
    at.user = {"is_logged_in": True, "email": email, "name": email.split("@")[0].title(), "sub": email,
               "roles": roles}
    return at.run()


def test_only_admins_see_and_use_the_delete_action(box):
    analyst = _signed_in("ana@bank.example", ["analyst"])
    assert not analyst.exception
    assert not [b for b in analyst.button if b.key == "home_delete_run"]
    assert any("Only administrators can delete datasets" in c.value for c in analyst.caption)
    admin = _signed_in("root@bank.example", ["admin"])
    admin.selectbox(key="home_delete_name").select("loans").run()
    admin.checkbox(key="home_delete_confirm").check().run()
    admin.button(key="home_delete_run").click().run()
    assert not admin.exception
    ws = get_workspace()
    assert ws.list_datasets().empty
    assert ws.runs(kind="dataset_delete")["user_id"].tolist() == ["root@bank.example"]


def test_signed_out_users_see_only_the_sign_in_page():
    at = AppTest.from_file(HOME, default_timeout=120)
    at.secrets["auth"] = SIGNED_IN_AUTH
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.key for b in at.button] == ["auth_sign_in"]
    assert not at.metric and not at.sidebar.selectbox


def test_signed_in_user_is_shown_with_roles_and_a_user_without_roles_is_stopped(monkeypatch):
    at = _signed_in("rui@bank.example", ["Studio-Reviewer", "analyst"])
    assert not at.exception
    assert any("Rui" in m.value for m in at.sidebar.markdown)
    assert any("analyst, reviewer" in c.value for c in at.sidebar.caption)
    monkeypatch.setenv("STUDIO_AUTH_DEFAULT_ROLES", "")
    from core.settings import get_settings

    get_settings.cache_clear()
    nobody = _signed_in("guest@bank.example", ["marketing"])
    assert not nobody.exception and not nobody.metric
    assert any("hold no role" in e.value for e in nobody.error)
