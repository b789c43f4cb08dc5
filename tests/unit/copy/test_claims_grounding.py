"""Claims and grounding: the splitter, number binding to the fact it is attached to, unsupported features."""

import pytest

from core.copy.claims import split_claims
from core.copy.grounding import bind_numbers, check_features, check_numbers


def texts(text, language="en"):
    return [c.text for c in split_claims(text, language)]


def test_english_claims_split_at_sentence_ends_not_inside_numbers_or_domains():
    assert texts("We won't check your credit. Everyone qualifies.") == ["We won't check your credit.",
                                                                        "Everyone qualifies."]
    assert texts("Earn 4.10% APY at lakeside.bank/savings. Member FDIC.") == [
        "Earn 4.10% APY at lakeside.bank/savings.", "Member FDIC."]


def test_chinese_claims_split_at_commas_unless_a_number_binds_the_clauses():
    assert texts("不看信用记录，人人都能办，一分钱不用花，全市最划算的信用卡。", "zh") == [
        "不看信用记录", "人人都能办", "一分钱不用花", "全市最划算的信用卡。"]
    assert texts("前3个月消费满$1,000，即可获得$200现金奖励。", "zh")[0] == "前3个月消费满$1,000，即可获得$200现金奖励。"


def roles(text, language="en"):
    return [(b.number.text, b.role) for b in bind_numbers(text, language)]


def test_numbers_are_bound_to_the_fact_next_to_them():
    assert roles("Get a $200 cash bonus after you spend $1,000 in the first 3 months.") == [
        ("$200", "bonus"), ("$1,000", "spend"), ("3", "period_months")]
    assert roles("前3个月消费满$1,000，即可获得$200现金奖励。", "zh") == [
        ("3", "period_months"), ("$1,000", "spend"), ("$200", "bonus")]
    assert roles("Borrow $2,000 to $40,000.") == [("$2,000", "loan_amount"), ("$40,000", "loan_amount")]


@pytest.mark.parametrize("text", [
    "Earn a $1,000 bonus at your local convenience store.",  # the spending threshold sold as the bonus
    "Earn $200 in bonuses if you spend $200 or more.",  # the bonus sold as the threshold
    "Rates starting at 28.49% APR.",  # the top of the range sold as the start
])
def test_a_catalogue_number_on_the_wrong_fact_is_a_mismatch(catalogue, text):
    issues = check_numbers(text, catalogue.product("cash_rewards_card"), "en")
    assert [i.rule_id for i in issues] == ["G3"]
    assert issues[0].claim == text and issues[0].matched in issues[0].message


def test_true_numbers_on_their_own_facts_pass(catalogue):
    product = catalogue.product("cash_rewards_card")
    assert check_numbers("Get a $200 cash bonus after you spend $1,000 in the first 3 months.", product, "en") == []
    assert check_numbers("Enjoy 0% intro APR on purchases for 15 months.", product, "en") == []
    assert check_numbers("Earn 1.5% cash back on every purchase.", product, "en") == []


def test_a_number_the_catalogue_never_states_is_not_grounded(catalogue):
    issues = check_numbers("Save 10.5% on every purchase.", catalogue.product("cash_rewards_card"), "en")
    assert [i.rule_id for i in issues] == ["G1"]


def test_features_the_product_lacks_are_unsupported(catalogue):
    savings = catalogue.product("high_yield_savings")
    assert [i.rule_id for i in check_features("Earn cash back on every purchase.", savings, "en")] == ["G4"]
    assert [i.rule_id for i in check_features("储蓄账户消费也能享受现金回馈。", savings, "zh")] == ["G4"]
    card = catalogue.product("cash_rewards_card")
    assert check_features("Earn cash back on every purchase.", card, "en") == []


@pytest.mark.parametrize("text, language", [("Earn 4.10% APY on every $ amount you spend.", "en"),
                                            ("Swipe your card and earn 4.10% APY on your purchases.", "en"),
                                            ("每一美元消费享4.10%的年收益率", "zh")])
def test_a_deposit_yield_tied_to_spending_is_bound_to_the_wrong_fact(catalogue, text, language):
    issues = check_numbers(text, catalogue.product("high_yield_savings"), language)
    assert [i.rule_id for i in issues] == ["G3"] and "not on spending" in issues[0].message


def test_a_deposit_yield_on_the_balance_passes(catalogue):
    p = catalogue.product("high_yield_savings")
    for text in ("Earn 4.10% APY on every dollar you save.", "4.10% APY on every dollar"):
        assert check_numbers(text, p, "en") == []


def test_the_meaning_classifiers_read_a_claim_without_the_products_own_catalogue_texts():
    from core.copy.claims import catalogue_view

    texts = ["interest only on what you use", "funds for renovations and big plans"]
    names = ["Home Equity Line of Credit", "home equity line"]
    # the catalogue's own sentence: nothing left to judge
    assert catalogue_view("Interest only on what you use.", texts, names) is None
    assert catalogue_view("Our Home Equity Line of Credit charges interest only on what you use.", texts, names) is None
    # what the copy adds around a catalogue fact is still read
    assert catalogue_view("Everyone qualifies for interest only on what you use.", texts, names) == "Everyone qualifies for ."
    # a claim without catalogue text is read whole
    assert catalogue_view("We never check your credit.", texts, names) == "We never check your credit."
    assert catalogue_view("享受房屋净值信用额度，随借随还。", ["随借随还"], ["房屋净值信用额度"], "zh") is None
    assert catalogue_view("人人都能办，随借随还。", ["随借随还"], ["房屋净值信用额度"], "zh") == "人人都能办， 。"


def test_a_violation_beside_a_catalogue_fact_is_still_caught(engine):
    v = engine.check("Everyone qualifies for interest only on what you use.", "heloc", "push")
    assert v.outcome == "block"
    assert engine.check("Interest only on what you use.", "heloc", "push").outcome == "pass"
