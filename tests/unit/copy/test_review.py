"""Review: signed-in author and reviewer, four-eyes, sign-off for 'review' verdicts, bulk actions, PII."""

import pytest

from core.auth import LOCAL_USER, PermissionDenied
from core.briefs import SegmentBrief
from core.copy.backends.template import TemplateBackend
from core.copy.generate import CopyRequest, generate_copy
from core.copy.prompts import clean_segment, render_prompt
from core.copy.review import bulk_set_status, edit_variant, set_status
from core.errors import InputError
from tests.unit.copy.conftest import AUTHOR, REVIEWER


@pytest.fixture
def batch(engine, segment):
    return generate_copy(CopyRequest("high_yield_savings", "push", segment, n=4), TemplateBackend(), engine=engine,
                         user=AUTHOR)


def test_the_author_cannot_approve_their_own_batch(batch):
    v = batch.variants[0]
    assert v.author_id == AUTHOR.id
    with pytest.raises(PermissionDenied):
        set_status(batch, v.id, "approved", AUTHOR)
    set_status(batch, v.id, "approved", REVIEWER)
    assert v.status == "approved" and v.reviewer["id"] == REVIEWER.id and v.reviewer["at"]
    assert batch.events[-1]["user_id"] == REVIEWER.id and batch.events[-1]["action"] == "approved"


def test_an_editor_cannot_approve_what_they_edited(batch):
    v = batch.variants[1]
    edit_variant(batch, v.id, "Earn 4.10% APY on your savings with High-Yield Savings.", REVIEWER)
    with pytest.raises(PermissionDenied):
        set_status(batch, v.id, "approved", REVIEWER)


def test_local_single_user_mode_cannot_approve_its_own_copy(engine, segment):
    b = generate_copy(CopyRequest("high_yield_savings", "push", segment, n=1), TemplateBackend(), engine=engine,
                      user=LOCAL_USER)
    with pytest.raises(PermissionDenied):
        set_status(b, b.variants[0].id, "approved", LOCAL_USER)


def test_a_review_verdict_needs_a_sign_off_note_and_a_block_cannot_be_approved(batch):
    v = batch.variants[2]
    edit_variant(batch, v.id, "Our savings rate tops every other bank's.", AUTHOR)
    assert v.outcome in ("review", "block")
    if v.outcome == "review":
        with pytest.raises(InputError):
            set_status(batch, v.id, "approved", REVIEWER)
        set_status(batch, v.id, "approved", REVIEWER, signoff="Substantiated by the rate survey of 11/2026.")
        assert v.signoff and v in batch.approved()
    else:
        with pytest.raises(InputError):
            set_status(batch, v.id, "approved", REVIEWER, signoff="ok")


def test_bulk_approve_skips_what_it_may_not_approve_and_says_why(batch):
    edit_variant(batch, batch.variants[0].id, "Risk-free savings at 9% APY!", AUTHOR)
    result = bulk_set_status(batch, [v.id for v in batch.variants], "approved", REVIEWER)
    assert batch.variants[0].id not in result["done"]
    assert len(result["done"]) >= 1
    assert any(k.startswith("skipped: ") for k in result)
    assert all(v.status == "approved" for v in batch.variants if v.id in result["done"])


def test_nothing_personal_reaches_a_prompt(catalogue):
    brief = SegmentBrief(
        name="Young families of Mr John Smith john.smith@mail.com", size=10, share=0.01,
        description="Customer 123-45-6789 born 04/12/1961, IBAN GB82 WEST 1234 5698 7654 32, call +1 (555) 123-4567",
        traits=("card 4111 1111 1111 1111", "account 123456789012", "likes travel"))
    clean, notes = clean_segment(brief)
    prompt = render_prompt(catalogue, catalogue.product("travel_card"), "push", "friendly", "en", clean)
    for secret in ("John", "Smith", "john.smith", "123-45-6789", "04/12/1961", "GB82", "5698", "555",
                   "4111", "123456789012"):
        assert secret not in prompt.text, secret
    assert "likes travel" in prompt.text
    assert notes
