"""The marketing-copy page: generate, review, approve, export, and the bad-input paths."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.auth import Role, User
from core.briefs import SegmentBrief

AUTHOR = User("ana", "Ana Analyst", "ana@bank.example", frozenset({Role.ANALYST}))
REVIEWER = User("rita", "Rita Reviewer", "rita@bank.example", frozenset({Role.REVIEWER}))
USER_KEY = "studio_user"

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages/marketing_copy.py")


@pytest.fixture(scope="module", autouse=True)
def _engine():
    """Train (or load) the meaning model once, outside the per-test workspace."""
    from tests.unit.copy.conftest import warm_engine

    return warm_engine()


def _page(user: User = AUTHOR) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=600)
    at.session_state[USER_KEY] = user
    at.run()
    assert not at.exception
    return at


def _describe(at: AppTest, name="Young families", traits="Parents with children\nHigh card spend") -> AppTest:
    at.text_input(key="copy_seg_name").input(name)
    at.text_area(key="copy_seg_traits").input(traits)
    return at


def test_page_starts_with_the_form_and_the_rules():
    at = _page()
    assert at.title[0].value == "Marketing copy"
    assert at.button(key="copy_generate")
    assert any("Describe a segment" in i.value for i in at.info)


def test_generate_review_approve_and_export():
    at = _describe(_page())
    at.selectbox(key="copy_product").select("high_yield_savings")
    at.selectbox(key="copy_channel").select("sms")
    at.button(key="copy_generate").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Variants kept" in labels and "Grounded in the catalogue" in labels and "Usable" in labels
    assert next(m for m in at.metric if m.label == "Variants kept").value == "5 / 5"
    texts = [t.value for t in at.text if t.value.startswith("Lakeside Bank:")]
    assert texts and all("Reply STOP to opt out." in t for t in texts)
    assert any("A reviewer must approve" in i.value for i in at.info)

    approve = [b for b in at.button if b.key and b.key.startswith("copy_approved_")]
    approve[0].click().run()  # the author (an analyst) tries: only a reviewer may approve
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("needs the reviewer role" in e for e in errors), errors
    at.session_state[USER_KEY] = REVIEWER
    approve = [b for b in at.button if b.key and b.key.startswith("copy_approved_")]
    approve[0].click().run()
    assert not at.exception
    downloads = [b.label for b in at.get("download_button")]
    assert downloads == ["CSV (1)", "JSON (1)", "Markdown (1)"]

    from core.workspace import get_workspace

    runs = get_workspace().runs(kind="copy_batch")
    assert len(runs) == 1


def test_local_mode_says_why_nothing_can_be_approved_and_exports_a_labelled_draft():
    from core.auth import LOCAL_USER
    from core.copy.export import DRAFT_LABEL

    at = _describe(_page(LOCAL_USER))
    at.selectbox(key="copy_product").select("high_yield_savings")
    at.selectbox(key="copy_channel").select("sms")
    at.button(key="copy_generate").click().run()
    assert not at.exception
    assert any("two different users" in w.value for w in at.warning)
    approve = [b for b in at.button if b.key and b.key.startswith(("copy_approved_", "copy_bulk_approved_"))]
    assert approve and all(b.disabled for b in approve)
    assert any(DRAFT_LABEL in e.value for e in at.error)
    downloads = [b.label for b in at.get("download_button")]
    assert downloads and all(label.split(" (")[0].endswith("draft") for label in downloads), downloads
    assert not any(b.label.startswith("HTML") for b in at.get("download_button"))


def test_bulk_approve_audit_view_and_campaign_results():
    at = _describe(_page())
    at.selectbox(key="copy_product").select("high_yield_savings")
    at.selectbox(key="copy_channel").select("push")
    at.button(key="copy_generate").click().run()
    at.session_state[USER_KEY] = REVIEWER
    bulk = next(b for b in at.button if b.key and b.key.startswith("copy_bulk_approved_"))
    assert bulk.label.startswith("Approve all")
    bulk.click().run()
    assert not at.exception
    assert any("variant(s) updated" in m.value for m in at.success)
    assert [b.label for b in at.get("download_button")][0].startswith("CSV (")
    at.segmented_control(key="copy_view").set_value("Audit").run()
    assert not at.exception
    frame = next(d.value for d in at.dataframe if "user" in d.value.columns)  # the audit trail (not the rules table)
    assert {"approved", "generated"} <= set(frame["action"])
    assert set(frame.loc[frame["action"] == "approved", "user"]) == {"Rita Reviewer"}
    assert set(frame.loc[frame["action"] == "generated", "user"]) == {"Ana Analyst"}
    at.segmented_control(key="copy_view").set_value("Campaign results").run()
    at.button(key="copy_results_simulate").click().run()
    assert not at.exception
    assert any("beats control" in m.value for m in at.success)


def test_check_copy_written_elsewhere():
    at = _page()
    at.segmented_control(key="copy_view").set_value("Check copy").run()
    at.selectbox(key="copy_check_product").select("personal_loan")
    at.text_area(key="copy_check_text").input("We won't check your credit. Everyone qualifies.").run()
    at.button(key="copy_check_go").click().run()
    assert not at.exception
    badges = [m.value for m in at.markdown]
    assert any("needs review" in b or "blocked" in b for b in badges)


def test_edit_that_breaks_a_rule_cannot_be_approved():
    at = _describe(_page())
    at.selectbox(key="copy_product").select("everyday_checking")
    at.button(key="copy_generate").click().run()
    edit = [t for t in at.text_area if t.key and t.key.startswith("copy_edit_")][0]
    vid = edit.key.rsplit("_", 1)[-1]
    edit.input("Free checking, risk-free!").run()
    next(b for b in at.button if b.key and b.key.startswith("copy_save_") and b.key.endswith(vid)).click().run()
    assert not at.exception
    approve = next(b for b in at.button if b.key and b.key.startswith("copy_approved_") and b.key.endswith(vid))
    assert approve.disabled
    assert any("U4b" in c.value or "U3" in c.value for c in at.caption)


def test_segment_sent_from_the_segmentation_page_is_offered():
    at = AppTest.from_file(PAGE, default_timeout=600)
    at.session_state[USER_KEY] = AUTHOR
    from dashboard import state

    at.session_state[state.SEGMENT_FOR_COPY] = SegmentBrief(
        "Affluent retirees", 420, 0.04, "Retired, high balances", ("premium", "pension income"))
    at.run()
    assert not at.exception
    assert at.radio(key="copy_segment_source").value.startswith("From segmentation: Affluent retirees")
    at.selectbox(key="copy_product").select("cd_12_month")
    at.button(key="copy_generate").click().run()
    assert not at.exception and at.text


def test_empty_brief_says_what_to_do():
    at = _page()
    at.button(key="copy_generate").click().run()
    assert not at.exception
    assert any("needs a name" in e.value for e in at.error)


def test_absurd_brief_is_refused():
    at = _describe(_page(), name="!!!!!!!!!!", traits="")
    at.button(key="copy_generate").click().run()
    assert not at.exception
    assert any("does not read as a description" in e.value for e in at.error)


def test_chinese_copy_from_templates():
    at = _describe(_page())
    at.selectbox(key="copy_language").select("zh")
    at.button(key="copy_generate").click().run()
    assert not at.exception
    sent = [t.value for t in at.text if "STOP" in t.value]
    assert sent and all("回复STOP退订" in t for t in sent)


def test_model_that_fails_to_load_falls_back_to_templates_and_says_so(monkeypatch, tmp_path):
    from core.settings import get_settings

    monkeypatch.setenv("STUDIO_COPY_BACKEND", "local")
    monkeypatch.setenv("STUDIO_LLM_MODEL_PATH", str(tmp_path / "no-such-model"))
    get_settings.cache_clear()
    at = _describe(_page())
    assert at.selectbox(key="copy_backend").value == "local"
    at.button(key="copy_generate").click().run()
    assert not at.exception
    assert any("could not load" in w.value for w in at.warning)
    assert at.text


def test_endpoint_timeout_falls_back_to_templates(monkeypatch):
    import httpx

    from core.copy.backends import openai_compat
    from core.settings import get_settings

    monkeypatch.setenv("STUDIO_OPENAI_MODEL", "served-model")
    monkeypatch.setenv("STUDIO_OPENAI_TIMEOUT_S", "0.5")
    monkeypatch.setenv("STUDIO_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    get_settings.cache_clear()

    def timeout(self, *a, **k):
        raise httpx.ReadTimeout("timed out")

    monkeypatch.setattr(openai_compat.httpx.Client, "send", timeout)
    at = _describe(_page())
    at.selectbox(key="copy_backend").select("openai")
    at.button(key="copy_generate").click().run()
    assert not at.exception
    assert any("did not answer within 0.5 s" in w.value.replace("\\", "") for w in at.warning)  # plain() escapes


@pytest.mark.parametrize("n", [500])
def test_five_hundred_variants_are_bounded(n):
    at = _describe(_page())
    at.number_input(key="copy_n").set_value(n)
    at.selectbox(key="copy_channel").select("banner")
    at.button(key="copy_generate").click(). run()
    assert not at.exception
    kept = next(m for m in at.metric if m.label == "Variants kept").value
    assert int(kept.split(" / ")[0]) <= 500
