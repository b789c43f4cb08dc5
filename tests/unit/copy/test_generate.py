"""Orchestration: batches, the 100%-pass bar, bad input, fallbacks, review."""

import pytest

from core.briefs import SegmentBrief
from core.copy.backends.base import Backend, Candidate
from core.copy.backends.template import TemplateBackend
from core.copy.generate import MAX_VARIANTS, CopyRequest, generate_copy, make_backend
from core.copy.ranking import dedupe, distinct_n
from core.copy.review import edit_variant, set_status
from core.errors import InputError, ModelError
from tests.unit.copy.conftest import AUTHOR, REVIEWER, SEGMENTS

VIOLATIONS = [
    "Guaranteed approval! Act now: 0% APR, no credit check, risk-free!",
    "Free checking with 9.99% interest and a $500 bonus. Member FDIC.",
    "You're pre-approved. Lowest rates in town, government-backed loan.",
    "Earn 5.25% APY, fixed forever, can't lose. Reply STOP to opt out.",
    "No interest for 24 months!!! Hurry, limited time only.",
    "Our #1 card: instant approval, $0 fees, eliminate your debt.",
    "Earn 4.10% APY with High-Yield Savings.",
    "Lock in 6.625% APR for 30 years with our mortgage counselors.",
    "Get 1.5% cash back on every purchase with the Everyday Cash Rewards Card.",
    "",
]


class ViolatingBackend(Backend):
    """A mocked model that writes violating copy on purpose (and sometimes clean copy)."""

    name = "mock"
    label = "mock violating model"
    languages = frozenset({"en"})

    def fingerprint(self) -> str:
        return "mock-violating"

    def generate(self, prompt, n, seed, max_new_tokens, stream=None, should_stop=None):
        out = []
        for i in range(n):
            if should_stop is not None and should_stop():
                break
            text = VIOLATIONS[(seed + i) % len(VIOLATIONS)] + "\nProduct: leaked next example"
            if stream:
                stream(i, text)
            out.append(Candidate(text, i, self.name, seed, tokens=12, seconds=0.001, finish_reason="stop"))
        return out


class FailingBackend(ViolatingBackend):
    name = "failing"
    label = "failing endpoint"

    def generate(self, *a, **k):
        raise ModelError("The endpoint did not answer within 1 s.")


def _all_variants_pass(engine, batch):
    for v in batch.variants:
        verdict = engine.check(v.body, batch.product, batch.request.channel, batch.request.language)
        assert verdict.passed, (v.body, [f.rule_id for f in verdict.blocking])
        assert verdict.final_text == v.final_text
    return True


@pytest.mark.parametrize("language", ["en", "zh"])
def test_template_batches_over_all_products_channels_and_tones_all_pass(catalogue, engine, language):
    backend = TemplateBackend()
    kept = 0
    for pid in catalogue.products:
        for channel in catalogue.channels:
            for t, tone in enumerate(catalogue.tones):
                seg = SEGMENTS[t % len(SEGMENTS)]
                batch = generate_copy(CopyRequest(pid, channel, seg, tone, language, 4, seed=t), backend)
                assert _all_variants_pass(engine, batch)
                assert all(v.passed for v in batch.variants)
                kept += len(batch.variants)
    assert kept >= 0.9 * len(catalogue.products) * len(catalogue.channels) * len(catalogue.tones) * 4


@pytest.mark.parametrize("seed", range(6))
def test_mocked_violating_model_never_gets_a_failing_variant_through(catalogue, engine, segment, seed):
    backend = ViolatingBackend()
    for pid in catalogue.products:
        for channel in ("sms", "push", "email_body"):
            batch = generate_copy(CopyRequest(pid, channel, segment, "friendly", "en", 5, seed=seed), backend)
            assert _all_variants_pass(engine, batch)
            for v in batch.variants:
                set_status(batch, v.id, "approved", REVIEWER)
            for v in batch.blocked:
                assert not v.passed and v.blocking
            # the model's candidates are kept, set aside or dropped as duplicates; template top-ups come on top
            assert batch.stats["candidates"] == (batch.stats["kept_from_model"] + len(batch.blocked)
                                                 + batch.stats["duplicates_dropped"])
            assert sum(v.backend == backend.name for v in batch.variants) == batch.stats["kept_from_model"]


def test_violating_candidates_are_blocked_with_reasons(segment):
    batch = generate_copy(CopyRequest("personal_loan", "sms", segment, "friendly", "en", 5, seed=0), ViolatingBackend())
    reasons = {f["rule_id"] for v in batch.blocked for f in v.findings if f["action"] == "block"}
    assert {"U2", "U3", "G1"} <= reasons
    for v in batch.variants + batch.blocked:
        assert "Product:" not in v.body  # only the first line of a completion is used


def test_same_seed_same_batch(segment):
    a = generate_copy(CopyRequest("cd_12_month", "push", segment, "premium", "en", 5, seed=3), TemplateBackend())
    b = generate_copy(CopyRequest("cd_12_month", "push", segment, "premium", "en", 5, seed=3), TemplateBackend())
    assert [v.final_text for v in a.variants] == [v.final_text for v in b.variants]


def test_variants_are_distinct_and_ranked(segment):
    batch = generate_copy(CopyRequest("cash_rewards_card", "push", segment, "friendly", "en", 8, seed=1), TemplateBackend())
    scores = [v.score for v in batch.variants]
    assert scores == sorted(scores, reverse=True)
    texts = [v.body for v in batch.variants]
    assert len(set(texts)) == len(texts)
    again, dropped = dedupe(batch.variants + batch.variants, "en")
    assert dropped == len(batch.variants)
    assert 0 < distinct_n(texts) <= 1


def test_five_hundred_variants_are_bounded_with_progress(segment):
    seen = []
    batch = generate_copy(CopyRequest("high_yield_savings", "sms", segment, "friendly", "en", 5000, seed=1),
                          TemplateBackend(), progress=lambda fraction, message: seen.append(fraction))
    assert batch.stats["made"] == MAX_VARIANTS
    assert len(batch.variants) <= MAX_VARIANTS
    assert any("at most 500" in n for n in batch.notes)
    assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) > 10


def test_model_backend_limits_are_said():
    class Small(ViolatingBackend):
        max_variants = 3

    batch = generate_copy(CopyRequest("personal_loan", "sms", SEGMENTS[0], "friendly", "en", 10, 1), Small())
    assert batch.stats["made"] == 3 and any("at most 3" in n for n in batch.notes)


@pytest.mark.parametrize("segment", [
    None, SegmentBrief("", 0, 0), SegmentBrief("!!!!!!!!", 0, 0), SegmentBrief("aaaaaaaaaaaa", 0, 0),
    SegmentBrief("12345 67890", 0, 0),
])
def test_empty_or_absurd_briefs_are_refused(segment):
    with pytest.raises(InputError):
        generate_copy(CopyRequest("personal_loan", "sms", segment), TemplateBackend())


def test_product_not_in_catalogue_is_refused(segment):
    with pytest.raises(InputError, match="not a product"):
        generate_copy(CopyRequest("crypto_wallet", "sms", segment), TemplateBackend())


@pytest.mark.parametrize(("field", "value", "match"), [
    ("channel", "fax", "not a channel"), ("tone", "aggressive", "not a tone"), ("language", "fr", "not supported"),
    ("n", 0, "at least one"),
])
def test_bad_request_fields_are_refused(segment, field, value, match):
    req = CopyRequest("personal_loan", "sms", segment)
    req = CopyRequest(**{**req.__dict__, field: value})
    with pytest.raises(InputError, match=match):
        generate_copy(req, TemplateBackend())


def test_language_the_model_cannot_write_falls_back_to_templates(segment):
    batch = generate_copy(CopyRequest("high_yield_savings", "sms", segment, "friendly", "zh", 3, 1), ViolatingBackend())
    assert batch.backend["backend"] == "template"
    assert any("does not write Simplified Chinese" in n for n in batch.notes)
    assert batch.variants and all(v.encoding == "UCS-2" for v in batch.variants)


def test_backend_failure_falls_back_to_templates_and_says_so(segment):
    batch = generate_copy(CopyRequest("auto_loan", "push", segment, "friendly", "en", 3, 1), FailingBackend())
    assert batch.backend["backend"] == "template"
    assert any("did not answer" in n for n in batch.notes)
    assert batch.variants


def test_model_that_fails_to_load_falls_back_to_templates(monkeypatch, tmp_path):
    from core.settings import get_settings

    monkeypatch.setenv("STUDIO_LLM_MODEL_PATH", str(tmp_path / "missing-model"))
    get_settings.cache_clear()
    backend, notes = make_backend("local")
    assert backend.name == "template"
    assert notes and "could not load" in notes[0]


def test_personal_data_in_the_brief_never_reaches_the_prompt():
    seg = SegmentBrief("Young savers", 10, 0.1, "Contact jane.doe@example.com or 555-123-4567",
                       ("SSN 123-45-6789", "card 4111 1111 1111 1111"))
    seen = {}

    class Spy(ViolatingBackend):
        def generate(self, prompt, n, seed, max_new_tokens, stream=None, should_stop=None):
            seen["prompt"] = prompt.text
            return super().generate(prompt, n, seed, max_new_tokens, stream, should_stop)

    batch = generate_copy(CopyRequest("high_yield_savings", "sms", seg, "friendly", "en", 2, 1), Spy())
    for secret in ("jane.doe", "555-123-4567", "123-45-6789", "4111"):
        assert secret not in seen["prompt"]
    assert any("aggregates only" in n for n in batch.notes)


def test_edit_is_rechecked_and_only_passing_variants_can_be_approved(segment, engine):
    batch = generate_copy(CopyRequest("high_yield_savings", "push", segment, "friendly", "en", 3, 1), TemplateBackend())
    v = batch.variants[0]
    edit_variant(batch, v.id, "Risk-free savings at 9% APY!", AUTHOR)
    assert not v.passed and v.status == "pending" and v.edits
    with pytest.raises(InputError, match="cannot be approved"):
        set_status(batch, v.id, "approved", REVIEWER)
    edit_variant(batch, v.id, "Act now: earn 4.10% APY with High-Yield Savings.", AUTHOR)
    assert v.passed and "Act now" not in v.body
    with pytest.raises(InputError, match="sign-off note"):  # the engine rewrote it: a reviewer must say why it may go
        set_status(batch, v.id, "approved", REVIEWER)
    set_status(batch, v.id, "approved", REVIEWER, signoff="Urgency removed by the engine; the APY matches the catalogue.")
    assert batch.approved() == [v]
    assert [e["action"] for e in batch.events][-3:] == ["edited", "edited", "approved"]


def test_cancel_stops_between_candidates(segment):
    calls = {"n": 0}

    def stop():
        calls["n"] += 1
        return calls["n"] > 3

    batch = generate_copy(CopyRequest("personal_loan", "sms", segment, "friendly", "en", 10, 1), ViolatingBackend(),
                          should_stop=stop)
    assert batch.stats["candidates"] < 15


def test_first_person_is_unusable_also_capitalised_but_not_the_state_abbreviation(catalogue):
    from core.copy.usability import assess

    product = catalogue.product("personal_loan")
    first = assess("Lakeside Bank: My personal loan is here for you today.", product, None, "en", check_trait=False)
    assert any(r.startswith("first person") for r in first.reasons)
    address = assess("Visit Lakeside Bank, 100 Harbor Street, Portland, ME 04101, for a personal loan.", product, None,
                     "en", check_trait=False)
    assert not any(r.startswith("first person") for r in address.reasons)


def test_copy_about_a_sibling_product_of_the_same_kind_is_off_product(catalogue):
    """Copy for the cash-back card that sells travel points (the model's "A travel card that keeps up with you")."""
    from core.copy.usability import assess, sibling_cues

    cash, travel = catalogue.product("cash_rewards_card"), catalogue.product("travel_card")
    assert dict(sibling_cues(cash, catalogue, "en")).get("travel") == travel.label("en")
    wrong = assess("A travel card that keeps up with you", cash, None, "en", check_trait=False, catalogue=catalogue)
    assert any(r.startswith("off-product: it speaks of the Voyager Travel Card") for r in wrong.reasons), wrong.reasons
    right = assess("Earn 1.5% cash back on every purchase with the Everyday Cash Rewards Card.", cash, None, "en",
                   check_trait=False, catalogue=catalogue)
    assert right.usable, right.reasons
    # a word both products' catalogue texts use is no cue, and the bank's own brand word in two names points at neither
    cues = {c for c, _ in sibling_cues(travel, catalogue, "en")}
    assert "everyday" not in cues and "cash back" in cues
    zh = assess("旅行者信用卡，积分翻倍。", cash, None, "zh", check_trait=False, catalogue=catalogue)
    assert any(r.startswith("off-product: it speaks of") for r in zh.reasons), zh.reasons


def test_no_template_variant_trips_the_sibling_or_incoherence_checks(catalogue, segment):
    for pid in catalogue.products:
        for channel in catalogue.channels:
            batch = generate_copy(CopyRequest(pid, channel, segment, "friendly", "en", 6, 3), TemplateBackend())
            for v in batch.variants + batch.blocked:
                reasons = v.usability.get("reasons", [])
                assert not any(w in r for r in reasons for w in ("speaks of", "currency sign", "word is cut off",
                                                                 "markup", "web address", "figure is cut off",
                                                                 "prompt's own")), (pid, channel, v.body)


def test_an_address_that_is_not_the_banks_a_cut_figure_and_the_prompts_labels_are_unusable(catalogue):
    """The fine-tuned model's misses in the quality run: invented domains, "lakeside." cut short, "with 1." """
    from core.copy.usability import assess

    p = catalogue.product("high_yield_savings")
    said = {"Earn 4.10% APY with High-Yield Savings. Learn more at high-yield.savings.lakesidebank.": "not the bank's",
            "See lakesidebank.me for High-Yield Savings.": "not the bank's",
            "High-Yield Savings earns 4.10% APY. Get started at lakeside.": "address is cut off",
            "Keep it fresh in your mind with High-Yield Savings with 1.": "figure is cut off",
            "See the Lakeside Bank - approved marketing copy for High-Yield Savings.": "prompt's own labels"}
    for text, why in said.items():
        assert any(why in r for r in assess(text, p, None, "en", catalogue=catalogue).reasons), text
    ok = assess("Earn 4.10% APY on every dollar with High-Yield Savings. Details at lakeside.bank/savings.", p, None,
                "en", catalogue=catalogue)
    assert ok.usable, ok.reasons


def test_a_currency_sign_without_an_amount_is_incoherent(catalogue):
    from core.copy.usability import assess

    p = catalogue.product("auto_loan")
    assert any("currency sign" in r for r in assess("auto loans are more than $$", p, None, "en").reasons)
    # the quality run's own misses: a rate announced and never given, a word cut at its apostrophe, markup
    said = {"buying a car is easy when the interest rate starts at , and the option to refinance is there.": "amount",
            "We love our auto loans because they'.": "word is cut off",
            "This means you don’ <i>li</i> t spend more than you will put on the auto loan.": "markup"}
    for text, why in said.items():
        assert any(why in r for r in assess(text, p, None, "en").reasons), text
    for fine in ("Auto loans with rates from 5.49% APR for new and used cars.", "We're here for your next car loan.",
                 "Your auto loan, at a fixed rate: one payment you know.", "An auto loan for new customers only.",
                 "An auto loan that fits your budget.", "Drive home with an auto loan from us."):
        reasons = assess(fine, p, None, "en").reasons
        assert not any(w in r for r in reasons for w in ("amount", "cut off", "markup")), (fine, reasons)
    assert not any("currency sign" in r for r in assess("Auto loans from $5,000 for new and used cars.", p, None,
                                                          "en").reasons)


def test_a_control_token_written_as_text_ends_the_copy():
    from core.copy.postprocess import postprocess

    cand = Candidate("Your monthly mortgage payments, and start using them with<start_of_image>", 0, "local", 1,
                     finish_reason="stop")
    text, fixes = postprocess(cand, "email_body", "en")
    assert text == "Your monthly mortgage payments, and start using them with" and "<" not in text
    assert "cut a control token the model wrote as text" in fixes


def test_a_preposition_its_verb_strands_is_not_a_cut_off_sentence(catalogue):
    from core.copy.usability import assess

    p = catalogue.product("mortgage_30_fixed")
    for fine in ("The mortgage for the home you've been dreaming of.", "A fixed rate worth waiting for.",
                 "A mortgage you can count on."):
        assert not any("cut off" in r for r in assess(fine, p, None, "en").reasons), fine
    for cut in ("Buy the home you want with", "A mortgage for the", "Apply today and", "Start saving for"):
        assert any("cut off" in r for r in assess(cut, p, None, "en").reasons), cut
