"""Names are true (every word checked against the profile), unique within a run and stable across k."""

import numpy as np
import pandas as pd
import pytest

from core.segmentation.naming import build_names, check_name, match_segments, name_is_true, name_key
from core.segmentation.profile import profile_segments
from core.segmentation.stable_names import inherited_names, name_chain


def _book(n=4000, seed=0):
    """Four groups: rich savers who spend little, young big spenders, retirees, and a middle group."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, 4, n)
    spend = np.where(seg == 1, 9_000, np.where(seg == 0, 600, 2_000)) * rng.lognormal(0, 0.3, n)
    savings = np.where(seg == 0, 120_000, np.where(seg == 1, 2_000, 20_000)) * rng.lognormal(0, 0.3, n)
    age = np.where(seg == 2, 72, np.where(seg == 1, 27, 45)) + rng.normal(0, 3, n)
    job = np.where(seg == 2, "retired", np.where(rng.random(n) < 0.1, "student", "employed"))
    has_mortgage = (rng.random(n) < np.where(seg == 3, 0.9, 0.1)).astype(int)
    frame = pd.DataFrame({"txn_amount_90d": spend, "savings_balance": savings, "age": age,
                          "employment_status": job, "has_mortgage": has_mortgage})
    return frame, seg


def _profile(frame, seg, pd_mean=None, numeric=("txn_amount_90d", "savings_balance", "age", "has_mortgage"),
             categorical=("employment_status",)):
    return profile_segments(frame, seg, list(numeric), list(categorical), rules=False, pd_mean=pd_mean)


def test_every_word_of_every_automatic_name_is_true_and_names_are_unique():
    frame, seg = _book()
    prof = _profile(frame, seg)
    names = prof.auto_names
    assert len({name_key(n) for n in names.values()}) == len(names)
    facts = prof.facts()
    for s, n in names.items():
        findings = check_name(n, facts, s, strict=True)
        assert findings, n  # every automatic name says something checkable
        assert all(f.verdict == "ok" for f in findings), (n, [f.message for f in findings])
    assert "savers" in names[0].lower() and "big spenders" not in names[0].lower()
    assert "big spenders" in names[1].lower() and "young" in names[1].lower()
    assert "retirees" in names[2].lower() or "older" in names[2].lower()
    assert "mortgage holders" in names[3].lower()


def test_a_rename_that_contradicts_the_profile_is_flagged():
    frame, seg = _book()
    pd_mean = pd.Series({0: 0.01, 1: 0.09, 2: 0.02, 3: 0.03, "all": 0.037})
    facts = _profile(frame, seg, pd_mean).facts(pd_mean)
    findings = check_name("Low-risk big spenders", facts, 0)  # segment 0 spends little; segment 0 PD is low
    verdicts = {f.phrase.lower(): f.verdict for f in findings}
    assert verdicts == {"low-risk": "ok", "big spenders": "contradicts"}
    bad = next(f for f in findings if f.verdict == "contradicts")
    assert "above the book" in bad.message and "on average" in bad.message
    findings = check_name("Safe young savers", facts, 1)  # segment 1: PD above the book, low savings
    assert {f.phrase.lower(): f.verdict for f in findings} == {"safe": "contradicts", "young": "ok",
                                                                 "savers": "contradicts"}
    assert not name_is_true("Young cash-advance users", facts, 1)  # no cash-advance column: cannot be checked


def test_levels_and_product_flags_are_checked_by_share():
    frame, seg = _book()
    facts = _profile(frame, seg).facts()
    assert [f.verdict for f in check_name("Retirees", facts, 2)] == ["ok"]
    assert [f.verdict for f in check_name("Retirees", facts, 1)] == ["contradicts"]
    assert [f.verdict for f in check_name("Mortgage holders", facts, 3)] == ["ok"]
    assert [f.verdict for f in check_name("Mortgage holders", facts, 0)] == ["contradicts"]


def test_a_name_without_claims_and_unknown_phrases():
    frame, seg = _book()
    facts = _profile(frame, seg).facts()
    assert check_name("Our best customers", facts, 0) == []
    findings = check_name("Cash-advance users", facts, 0)
    assert [f.verdict for f in findings] == ["unchecked"]
    assert "cannot be checked" in findings[0].message


def test_longest_phrase_wins_so_low_savings_is_not_read_as_savers():
    frame, seg = _book()
    facts = _profile(frame, seg).facts()
    findings = check_name("Low-savings big spenders", facts, 1)
    assert [(f.phrase.lower(), f.verdict) for f in findings] == [("low-savings", "ok"), ("big spenders", "ok")]


def test_segments_alike_on_their_strongest_columns_get_a_word_that_tells_them_apart():
    rng = np.random.default_rng(1)
    n = 3000
    seg = np.repeat([0, 1, 2], n // 3)
    income = np.where(seg < 2, 150_000, 40_000) * rng.lognormal(0, 0.1, n)
    digital = np.where(seg == 0, 0.9, np.where(seg == 1, 0.2, 0.55)) + rng.normal(0, 0.03, n)
    frame = pd.DataFrame({"annual_income": income, "digital_share": digital.clip(0, 1)})
    prof = profile_segments(frame, seg, ["annual_income", "digital_share"], rules=False)
    names = prof.auto_names
    assert "affluent" in names[0].lower() and "affluent" in names[1].lower()
    assert "digital" in names[0].lower() and "branch-loyal" in names[1].lower()
    assert not any("(" in n for n in names.values())


def test_groups_no_true_word_separates_are_numbered_not_merged():
    rng = np.random.default_rng(2)
    seg = np.repeat([0, 1, 2], 500)
    income = np.where(seg < 2, 150_000, 40_000) * rng.lognormal(0, 0.1, 1500)
    prof = profile_segments(pd.DataFrame({"annual_income": income}), seg, ["annual_income"], rules=False)
    assert len(set(prof.auto_names.values())) == 3
    assert sum("(2)" in n for n in prof.auto_names.values()) == 1


def test_no_raw_column_tokens_in_names_for_columns_the_vocabulary_does_not_know():
    rng = np.random.default_rng(3)
    seg = np.repeat([0, 1, 2], 800)
    frame = pd.DataFrame({
        "Avg_Open_To_Buy": np.where(seg == 0, 20_000, 2_000) * rng.lognormal(0, 0.2, 2400),
        "Total_Ct_Chng_Q4_Q1": np.where(seg == 1, 1.4, 0.7) + rng.normal(0, 0.05, 2400),
        "PURCHASES": np.where(seg == 2, 5_000, 400) * rng.lognormal(0, 0.2, 2400),
    })
    prof = profile_segments(frame, seg, list(frame.columns), rules=False)
    for n in prof.auto_names.values():
        low = n.lower()
        assert "open to buy" not in low and "ct chng" not in low and "avg" not in low and "q4" not in low, n
    assert "big spenders" in prof.auto_names[2].lower()
    assert len(set(prof.auto_names.values())) == 3


def test_an_inherited_name_is_kept_only_while_it_is_true():
    frame, seg = _book()
    facts = _profile(frame, seg).facts()
    names = build_names(facts, inherit={0: "Cash-hoarding savers", 1: "Savers who never spend"})
    assert names[0] == "Cash-hoarding savers"  # true ('savers') and unique
    assert names[1] != "Savers who never spend"  # segment 1 has low savings: refused


def test_match_segments_pairs_the_same_group_by_overlap():
    prev = np.array([0] * 50 + [1] * 50 + [2] * 100)
    cur = np.array([3] * 50 + [0] * 48 + [1] * 2 + [2] * 50 + [4] * 50)  # group 2 split in two halves
    assert match_segments(prev, cur) == {3: 0, 0: 1}


@pytest.mark.parametrize("seed", [0, 1])
def test_names_stay_with_the_same_group_across_k(seed):
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    frame, seg = _book(6000, seed)
    X = np.column_stack([np.log(frame["txn_amount_90d"]), np.log(frame["savings_balance"]), frame["age"] / 10,
                         frame["has_mortgage"]])
    X = (X - X.mean(0)) / X.std(0)
    centers = {k: KMeans(k, n_init=4, random_state=seed).fit(X).cluster_centers_ for k in (3, 4, 5)}
    chain = name_chain(frame, X, ["txn_amount_90d", "savings_balance", "age", "has_mortgage"], [], centers, seed=seed)
    for k in (4, 5):
        prev, cur = chain.links[k - 1], chain.links[k]
        pairs = match_segments(prev.labels, cur.labels)
        assert pairs, k
        for c, p in pairs.items():
            assert cur.names[c] == prev.names[p], (k, cur.names, prev.names)
    labels = KMeans(4, init=centers[4], n_init=1).fit(X).predict(X)
    inherited = inherited_names(chain, 4, labels)
    assert set(inherited.values()) <= set(chain.names(4).values()) and len(inherited) >= 3
    assert rng is not None


def test_debt_to_income_is_never_read_as_income():
    rng = np.random.default_rng(4)
    seg = np.repeat([0, 1], 600)
    frame = pd.DataFrame({"annual_income": np.where(seg == 0, 30_000, 90_000) * rng.lognormal(0, 0.1, 1200),
                          "debt_to_income": np.where(seg == 0, 0.9, 0.2) + rng.normal(0, 0.02, 1200)})
    prof = profile_segments(frame, seg, list(frame.columns), rules=False)
    assert "affluent" not in prof.auto_names[0].lower() and "indebted" in prof.auto_names[0].lower()
    assert [f.verdict for f in check_name("Affluent customers", prof.facts(), 0)] == ["contradicts"]


def test_a_concept_reading_several_columns_holds_when_one_of_them_does():
    rng = np.random.default_rng(5)
    seg = np.repeat([0, 1], 600)
    frame = pd.DataFrame({"PURCHASES_FREQUENCY": np.where(seg == 0, 0.8, 0.3) + rng.normal(0, 0.02, 1200),
                          "PURCHASES_TRX": np.where(seg == 0, 10, 12) + rng.normal(0, 0.5, 1200)})
    facts = profile_segments(frame, seg, list(frame.columns), rules=False).facts()
    assert [f.verdict for f in check_name("Frequent card users", facts, 0)] == ["ok"]
    assert [f.verdict for f in check_name("Occasional customers", facts, 0)] == ["contradicts"]


def test_a_name_never_says_the_same_word_twice():
    from core.segmentation.naming import Word, _compose

    words = [Word("Active", "adj", "activity", "txn_count_90d", "high", 3.0),
             Word("Big-ticket", "adj", "ticket", "txn_amount_90d", "high", 2.5),
             Word("Digital", "adj", "digital", "digital_share", "high", 2.0),
             Word("big spenders", "noun", "spend", "card_balance", "high", 4.0)]
    name, used = _compose(words, 2, [], "customers")
    assert name == "Active digital big spenders"
    assert [w.text for w in used] == ["Active", "Digital", "big spenders"]
