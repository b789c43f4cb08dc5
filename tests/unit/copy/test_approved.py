"""The embedded model's copy is held to the team's approved copy: words nobody approved, copy unlike any of it."""

import numpy as np
import pytest

from core.copy.approved import NEAREST_MIN, build, get_approved
from core.copy.usability import assess

# written by the fine-tuned model on the bench, each set aside by a blind reader for a claim nobody made
INVENTED = [
    ("travel_card", "Planning a trip? The travel card has no foreign transaction fees. See our full terms and watch "
                    "videos at lakeside.bank.", "videos"),
    ("high_yield_savings", "Build a savings habit with our automatic swaps", "swaps"),
    ("personal_loan", "A personal loan for college expenses? Lakeside Bank is your place!", "college"),
    ("cash_rewards_card", "See how it works with our weekday gift card!", "gift"),
    ("everyday_checking", "Every day checking cash advance with easy account management", "advance"),
]


@pytest.mark.parametrize(("pid", "text", "word"), INVENTED)
def test_a_word_no_approved_copy_for_the_product_uses_is_off_script(catalogue, pid, text, word):
    product = catalogue.product(pid)
    assert word in [w.lower() for w in get_approved(catalogue).off_script(text, product)]
    use = assess(text, product, None, "en", approved=get_approved(catalogue), catalogue=catalogue)
    assert not use.usable and any(r.startswith("off-script") and f"'{word}" in r.lower() for r in use.reasons)


def test_catalogue_words_word_forms_and_the_segments_own_words_are_not_off_script(catalogue):
    ap = get_approved(catalogue)
    cash = catalogue.product("cash_rewards_card")
    assert ap.off_script("Earn 1.5% cash back on every purchase with the Everyday Cash Rewards Card.", cash) == []
    assert ap.off_script("Purchases earn cash back, and there is no annual fee.", cash) == []  # forms of its words
    # a retiree segment's copy may speak of retirement: the brief's words (and their forms) are allowed
    retire = "Retirement plans? The Everyday Cash Rewards Card has no annual fee."
    assert "Retirement" in ap.off_script(retire, cash)
    assert ap.off_script(retire, cash, ("Affluent retirees", "Retired customers with high deposit balances")) == []


def test_the_check_is_for_the_embedded_model_only_and_english_only(catalogue):
    p = catalogue.product("high_yield_savings")
    text = "Build a savings habit with our automatic swaps"
    assert not any(r.startswith("off-script") for r in assess(text, p, None, "en", catalogue=catalogue).reasons)
    zh = assess("高收益储蓄，每一元都享4.10%年化收益。", p, None, "zh", approved=get_approved(catalogue))
    assert not any(r.startswith(("off-script", "unlike")) for r in zh.reasons)


def test_the_nearest_line_threshold_is_what_nine_in_ten_approved_lines_reach_against_the_others(catalogue, engine):
    ap = get_approved(catalogue)
    enc = engine.meaning.encoder
    loo = []
    for lines in ap.lines.values():
        v = np.asarray(enc.encode(list(lines)))
        s = v @ v.T
        np.fill_diagonal(s, -1.0)
        loo.extend(s.max(axis=1))
    assert len(loo) >= 300
    assert abs(float(np.percentile(loo, 10)) - NEAREST_MIN) <= 0.01


def test_copy_unlike_any_approved_line_is_set_aside_and_approved_copy_is_not(catalogue, engine):
    ap = get_approved(catalogue)
    enc = engine.meaning.encoder
    cd = catalogue.product("cd_12_month")
    far = assess("Grow in style with the one that works better for your life.", cd, None, "en", enc, check_trait=False,
                 catalogue=catalogue, approved=ap)
    assert any(r.startswith("unlike the approved copy") for r in far.reasons)
    line = ap.lines["cd_12_month"][0]
    near, nearest = ap.nearest(line, cd, enc)
    assert nearest == line and near > 0.99


def test_an_empty_corpus_leaves_only_the_catalogue_and_plain_words(tmp_path, catalogue):
    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")
    ap = build(catalogue, tmp_path / "none.jsonl")
    # the few-shot examples still count as approved copy; the catalogue's own words always pass
    p = catalogue.product("mortgage_30_fixed")
    assert ap.off_script("A payment that stays the same for 30 years.", p) == []


def test_the_word_pair_limit_is_the_median_approved_lines_share_against_the_rest(catalogue):
    from core.copy.approved import NOVEL_PAIRS_MAX

    ap = get_approved(catalogue)
    shares = [ap.novel_pairs(line, catalogue.product(pid), exclude=line) for pid, lines in ap.lines.items()
              for line in lines]
    assert abs(float(np.median(shares)) - NOVEL_PAIRS_MAX) <= 0.03


@pytest.mark.parametrize(("pid", "text"), [
    # garbles a blind reader set aside, each close in meaning to a real claim
    ("everyday_checking", "Your checking account is ready to deposit a new day. Start with the everyday Checking"),
    ("travel_card", "Hello there, you're planning a trip abroad? Our Voyager Travel Card has two times the point "
                    "cost when it comes to meals."),
    ("managed_portfolio", "A diversified portfolio for money you build on goals"),
])
def test_a_garbled_phrase_is_unlike_the_approved_copy_and_its_clean_form_is_not(catalogue, pid, text):
    from core.copy.approved import NOVEL_PAIRS_MAX

    ap = get_approved(catalogue)
    p = catalogue.product(pid)
    assert ap.novel_pairs(text, p) > NOVEL_PAIRS_MAX
    use = assess(text, p, None, "en", approved=ap, catalogue=catalogue)
    assert any("word pairs" in r for r in use.reasons)
    assert ap.novel_pairs(" ".join(p.benefit_texts("en")[:1]) + " with the " + p.label("en"), p) <= NOVEL_PAIRS_MAX


class _SmallModel:
    """A model backend held to the approved copy that writes one good line and the rest invented."""

    @staticmethod
    def make(lines):
        from core.copy.backends.base import Backend, Candidate

        class Small(Backend):
            name, label, approved_check = "small", "small test model", True

            def fingerprint(self):
                return "small-test"

            def generate(self, prompt, n, seed, max_new_tokens, stream=None, should_stop=None):
                return [Candidate(lines[i % len(lines)], i, self.name, seed, tokens=8, seconds=0.0, finish_reason="stop")
                        for i in range(n)]

        return Small()


def test_a_short_model_batch_is_topped_up_from_the_templates_and_says_so(catalogue, segment):
    from core.copy.generate import CopyRequest, generate_copy

    good = "Earn 1.5% cash back on every purchase with the Everyday Cash Rewards Card."
    invented = "See how it works with our weekday gift card and watch videos at lakeside.bank!"
    batch = generate_copy(CopyRequest("cash_rewards_card", "push", segment, "friendly", "en", 4, seed=3),
                          _SmallModel.make([good, invented]))
    assert batch.stats["kept"] == 4 and batch.stats["kept_from_model"] == 1
    assert batch.variants[0].backend == "small" and batch.variants[0].body == good
    assert {v.backend for v in batch.variants[1:]} == {"template"}
    assert any("come from the template backend" in n for n in batch.notes)
    assert any("off-script" in r for v in batch.blocked for r in v.usability["reasons"])
    # every topped-up variant went through the same rules
    for v in batch.variants:
        assert v.passed


@pytest.mark.parametrize(("pid", "text", "says"), [
    ("cash_rewards_card", "Everyday Cash Rewards Card", False),  # the product's name alone
    ("cd_12_month", "A CD that matures", False),
    ("personal_loan", "Lakeside Bank has a personal loan. Learn more at lakeside.bank.", False),
    ("auto_loan", "Your car loan decision in one business day?", True),
    ("managed_portfolio", "Your first step? A $500 minimum to start with the Guided Investing Portfolio.", True),
    ("travel_card", "Travel card with 2x points", True),
])
def test_copy_that_states_no_benefit_or_fact_says_nothing(catalogue, pid, text, says):
    from core.copy.approved import STATES_MIN

    ap = get_approved(catalogue)
    p = catalogue.product(pid)
    assert (ap.states(text, p) >= STATES_MIN) is says
    reasons = assess(text, p, None, "en", approved=ap, catalogue=catalogue).reasons
    assert any(r.startswith("says nothing") for r in reasons) is not says


def test_a_word_cut_at_its_hyphen_or_a_stray_period_is_cut_off(catalogue):
    p = catalogue.product("cd_12_month")
    cut = assess("A 12-Month CD has a rate locked for the full 12-m. .", p, None, "en").reasons
    assert any("cut off" in r for r in cut)
    whole = assess("A 12-Month CD has a rate locked for the full 12-month term.", p, None, "en").reasons
    assert not any("cut off" in r for r in whole)


def test_a_product_with_no_approved_copy_says_so_and_still_fills_the_batch(catalogue, segment, monkeypatch):
    from core.copy import generate
    from core.copy.approved import ApprovedCopy
    from core.copy.generate import CopyRequest, generate_copy

    monkeypatch.setattr(generate, "get_approved", lambda cat: ApprovedCopy({}, frozenset(), {}))
    good = "Earn 1.5% cash back on every purchase with the Everyday Cash Rewards Card."
    batch = generate_copy(CopyRequest("cash_rewards_card", "push", segment, "friendly", "en", 3, seed=3),
                          _SmallModel.make([good]))
    assert any("has no line for Everyday Cash Rewards Card" in n for n in batch.notes)
    assert batch.stats["kept"] == 3 and all(v.passed for v in batch.variants)
