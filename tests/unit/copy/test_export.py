import csv
import io
import json

import pytest

from core.copy.backends.template import TemplateBackend
from core.copy.export import ExportError, export_rows, to_csv, to_html_email, to_json, to_markdown
from core.copy.generate import CopyRequest, generate_copy
from core.copy.review import edit_variant, set_status
from core.export import safe_cell as neutralise_cell
from tests.unit.copy.conftest import AUTHOR, REVIEWER


@pytest.fixture
def batch(segment):
    b = generate_copy(CopyRequest("high_yield_savings", "email_body", segment, "friendly", "en", 3, 1), TemplateBackend())
    set_status(b, b.variants[0].id, "approved", REVIEWER)
    return b


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(value):
    assert neutralise_cell(value).startswith("'")


@pytest.mark.parametrize("value", ["Earn 4.10% APY", "", 12, None, "a=b"])
def test_other_cells_are_untouched(value):
    assert neutralise_cell(value) == value


def test_csv_export_neutralises_injected_copy(batch):
    v = batch.variants[0]
    edit_variant(batch, v.id, "=cmd|' /C calc'!A0 Earn 4.10% APY with High-Yield Savings.", AUTHOR)
    assert v.passed
    set_status(batch, v.id, "approved", REVIEWER)
    rows = export_rows(batch)
    text = to_csv(rows).decode("utf-8-sig")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == 1
    for cell in parsed[0].values():
        assert not cell or cell[0] not in "=+-@"
    assert parsed[0]["body"].startswith("'=")


def test_only_approved_variants_are_exported(batch):
    rows = export_rows(batch)
    assert [r["variant_id"] for r in rows] == [batch.variants[0].id]
    assert rows[0]["model_fingerprint"].startswith("template-") and rows[0]["seed"] == 1


def test_nothing_approved_is_refused(segment):
    b = generate_copy(CopyRequest("cd_12_month", "sms", segment, "friendly", "en", 2, 1), TemplateBackend())
    with pytest.raises(ExportError, match="No variant is approved"):
        export_rows(b)


def test_export_rechecks_every_variant(batch):
    v = batch.variants[0]
    v.body = "Risk-free savings!"  # tampered with after approval
    with pytest.raises(ExportError, match="no longer passes"):
        export_rows(batch)


def test_json_and_markdown(batch):
    rows = export_rows(batch)
    data = json.loads(to_json(batch, rows))
    assert data["batch"]["request"]["product_id"] == "high_yield_savings"
    assert data["variants"][0]["findings"] and data["events"][0]["action"] == "generated"
    md = to_markdown(batch, rows)
    assert "# Approved copy" in md and "| D2 |" in md and "Member FDIC" in md


def test_html_email_is_rendered_and_escaped(batch):
    v = batch.variants[0]
    edit_variant(batch, v.id, "Hello <script>alert(1)</script>, earn 4.10% APY with High-Yield Savings.", AUTHOR)
    set_status(batch, v.id, "approved", REVIEWER)
    page = to_html_email(batch, subject="A better home for your savings")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "A better home for your savings" in page and "100 Harbor Street" in page and "Member FDIC" in page


def test_html_email_refuses_a_failing_subject_or_another_channel(batch, segment):
    with pytest.raises(ExportError, match="subject line"):
        to_html_email(batch, subject="Earn 4.10% APY today")
    sms = generate_copy(CopyRequest("cd_12_month", "sms", segment, "friendly", "en", 1, 1), TemplateBackend())
    set_status(sms, sms.variants[0].id, "approved", REVIEWER)
    with pytest.raises(ExportError, match="email-body"):
        to_html_email(sms)


def test_local_mode_cannot_approve_and_exports_a_labelled_draft(segment):
    from core.auth import LOCAL_USER, PermissionDenied
    from core.copy.export import DRAFT_LABEL, draft_rows, file_stem

    b = generate_copy(CopyRequest("high_yield_savings", "email_body", segment, "friendly", "en", 4, 1),
                      TemplateBackend(), user=LOCAL_USER)
    with pytest.raises(PermissionDenied):  # four-eyes is not weakened: the local user wrote the copy
        set_status(b, b.variants[0].id, "approved", LOCAL_USER)
    set_status(b, b.variants[1].id, "rejected", LOCAL_USER)
    with pytest.raises(ExportError, match="No variant is approved"):
        export_rows(b)
    rows = draft_rows(b, LOCAL_USER)
    ids = [r["variant_id"] for r in rows]
    assert ids == [v.id for v in b.variants if v.outcome == "pass" and v.status != "rejected"] and ids
    assert b.variants[1].id not in ids
    assert {r["approval"] for r in rows} == {DRAFT_LABEL} and {r["reviewer"] for r in rows} == {""}
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows).decode("utf-8-sig"))))
    assert list(parsed[0])[0] == "approval" and {p["approval"] for p in parsed} == {DRAFT_LABEL}
    data = json.loads(to_json(b, rows))
    assert data["approval"] == DRAFT_LABEL and "two different users" in data["why"]
    assert to_markdown(b, rows).startswith(f"# {DRAFT_LABEL}")
    assert file_stem(b, draft=True).endswith("_UNAPPROVED_DRAFT")


def test_a_draft_never_holds_copy_that_needs_review(segment):
    from core.auth import LOCAL_USER
    from core.copy.export import draft_rows

    b = generate_copy(CopyRequest("personal_loan", "sms", segment, "friendly", "en", 3, 1), TemplateBackend(),
                      user=LOCAL_USER)
    v = b.variants[0]
    edit_variant(b, v.id, "Your approval is certain with our personal loan.", LOCAL_USER)
    assert v.outcome != "pass"
    assert v.id not in [r["variant_id"] for r in draft_rows(b, LOCAL_USER)]


def test_approved_export_is_labelled_approved(batch):
    rows = export_rows(batch)
    assert {r["approval"] for r in rows} == {"approved"}
    assert json.loads(to_json(batch, rows))["approval"] == "approved"
    assert to_markdown(batch, rows).startswith("# Approved copy")
