"""Meaning-level violations however phrased (EN and ZH), their negations, and the corpus."""

import pytest

from core.copy.corpus import MEANING_CLASSES, load_corpus

ISSUE_EXAMPLES = [
    ("We won't check your credit. Everyone qualifies.", "personal_loan", "en"),
    ("Your approval is certain.", "personal_loan", "en"),
    ("Zero-cost borrowing: pay nothing extra, ever", "personal_loan", "en"),
    ("The best personal loan rates in America.", "personal_loan", "en"),
    ("不看信用记录，人人都能办，一分钱不用花，全市最划算的信用卡。", "cash_rewards_card", "zh"),
    ("Earn a $1,000 bonus at your local convenience store", "cash_rewards_card", "en"),
    ("Earn $200 in bonuses if you spend $200 or more", "cash_rewards_card", "en"),
    ("Save 10 times more than you earn with this credit card", "cash_rewards_card", "en"),
    ("With this card you will earn a savings account", "cash_rewards_card", "en"),
    ("Special offers that expire at midnight tonight", "cash_rewards_card", "en"),
]


@pytest.mark.parametrize("text,product,language", ISSUE_EXAMPLES)
def test_the_issue_examples_are_never_passed(engine, text, product, language):
    v = engine.check(text, product, "email_body", language)
    assert v.outcome in ("review", "block"), [f.to_dict() for f in v.findings]
    flagged = [f for f in v.findings if f.action in ("review", "block")]
    assert all(f.rule_id and f.reason and f.source for f in flagged)


def test_every_meaning_finding_names_its_claim_and_why(engine):
    v = engine.check("Approval is certain. Earn 1.5% cash back on every purchase.", "cash_rewards_card", "push")
    meaning = [f for f in v.findings if f.rule_id.startswith("M")]
    assert meaning and meaning[0].claim == "Approval is certain."
    assert "meaning classifier" in meaning[0].detail and meaning[0].message().startswith(meaning[0].title)


@pytest.mark.parametrize("text,product", [
    ("Approval is subject to a credit check.", "personal_loan"),
    ("Earn 1.5% cash back on every purchase, with no annual fee.", "cash_rewards_card"),
    ("Grow your savings at 4.10% APY, with $100 to open.", "high_yield_savings"),
])
def test_contrast_sentences_pass(engine, text, product):
    assert engine.check(text, product, "email_body").outcome == "pass"


def test_the_rule_file_names_a_meaning_rule_for_every_class(engine):
    classes = {r.meaning for r in engine.rules if r.meaning}
    assert classes == set(MEANING_CLASSES)


def test_the_corpus_is_balanced_and_the_held_out_part_is_disjoint():
    train, held = load_corpus("train"), load_corpus("heldout")
    assert len(train) + len(held) >= 300
    assert not {e.text for e in train} & {e.text for e in held}
    for split in (train, held):
        violating = sum(e.violating for e in split)
        assert 0.35 <= violating / len(split) <= 0.65
        assert {e.language for e in split} == {"en", "zh"}
        assert {e.channel for e in split} >= {"email_subject", "email_body", "sms", "push", "banner"}
    assert {e.product for e in held} >= {"cash_rewards_card", "travel_card", "personal_loan", "auto_loan",
                                         "mortgage_30_fixed", "heloc", "high_yield_savings", "cd_12_month",
                                         "everyday_checking", "managed_portfolio"}


class _CountingEncoder:
    """The engine's own encoder, counting the claims it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.texts = inner, []

    def encode(self, texts):
        self.texts += list(texts)
        return self.inner.encode(texts)


def test_the_screen_passes_plain_template_claims_without_the_encoder_and_never_a_violation(engine):
    from core.copy.backends.template import TemplateBackend
    from core.copy.claims import split_claims

    model = engine.meaning.model
    screen = model.screens["en"]
    assert engine.meaning.flag_below("en") <= screen.pass_above < 1.0
    assert model.metrics["en"]["screen"]["cv_violations_passed"] == 0.0
    counting = _CountingEncoder(engine.meaning.encoder)
    ctx = {"product": engine.catalogue.product("cash_rewards_card"), "channel": "email_body", "tone": "friendly",
           "language": "en", "theme": "general"}
    claims = list(dict.fromkeys(c.text for i in range(20)
                                for c in split_claims(TemplateBackend().render_one(ctx, i, 3), "en")))
    probs = model.predict(claims, "en", counting)
    assert len(counting.texts) < len(claims)  # some template claims never reach the encoder
    assert (probs[:, 0] >= engine.meaning.flag_below("en")).mean() > 0.9
    violations = [t for t, _, lang in ISSUE_EXAMPLES[:4] if lang == "en"]
    counting.texts.clear()
    probs = model.predict(violations, "en", counting)
    assert counting.texts == violations  # the screen passes none of them: all go through the full model
    assert (probs[:, 0] < engine.meaning.flag_below("en")).all()
