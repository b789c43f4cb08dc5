"""A bank's own loan-book CSV (units in the numbers, `;`, a BOM): defaults, names and k on few features."""

import numpy as np
import pandas as pd
import pytest

from core.data.loaders import load_file
from core.segmentation import features as features_mod
from core.segmentation import service
from core.segmentation.choose_k import choose_k
from core.segmentation.naming import check_name, name_is_true, name_key
from core.segmentation.profile import profile_segments

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _loan_book_csv(n: int = 600, seed: int = 7) -> bytes:
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(10_000_000, 99_999_999), n, replace=False)
    grade = rng.choice(list("ABCDEFG"), n, p=[.15, .25, .25, .15, .1, .06, .04])
    gi = np.array(["ABCDEFG".index(g) for g in grade])
    rate = 6 + gi * 3 + rng.normal(0, 1, n)
    amount = rng.lognormal(9.3, 0.6, n).round()
    term = rng.choice(["36 months", "60 months"], n, p=[.7, .3])
    income = rng.lognormal(11, 0.5, n).round(-2)
    home = rng.choice(["RENT", "OWN", "MORTGAGE"], n, p=[.4, .1, .5])
    purpose = rng.choice(["debt_consolidation", "credit_card", "home_improvement", "car", "other"], n)
    emp = rng.choice(["< 1 year", "1 year", "2 years", "5 years", "10+ years"], n)
    status = np.where(rng.random(n) < 0.05 + gi * 0.04, "Charged Off", "Fully Paid")
    issue = [f"{MONTHS[m]}-{y}" for m, y in zip(rng.integers(0, 12, n), rng.integers(2015, 2019, n), strict=True)]
    lines = ["Member Id;Loan Amnt;Int Rate;Term;Annual Inc.;Grade;Home Ownership;Purpose;Emp Length;Loan Status;Issue D"]
    for i in range(n):
        rate_text = f"{rate[i]:.2f}".replace(".", ",")  # a decimal comma: "20,38%"
        lines.append(f"{ids[i]};$ {int(amount[i]):,};{rate_text}%;{term[i]};$ {int(income[i]):,};{grade[i]};"
                     f"{home[i]};{purpose[i]};{emp[i]};{status[i]};{issue[i]}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def loan_book():
    ds, _ = load_file("loan_book.csv", _loan_book_csv(), 50)
    return ds


def test_a_loan_book_segments_on_the_loan_and_the_borrower_not_on_income_alone(loan_book):
    feats = service.default_features(loan_book)
    assert feats == ["Loan Amnt", "Int Rate", "Term", "Annual Inc.", "Grade", "Home Ownership", "Purpose",
                     "Emp Length"]
    assert loan_book.schema.units.get("Int Rate") == "%" and loan_book.schema.units.get("Term") == "months"
    for never in ("Member Id", "Issue D", "Loan Status"):
        assert never not in feats
    why = features_mod.left_out(loan_book, feats)
    assert "target" in why["Loan Status"]  # said on the page, not dropped silently


def test_a_customer_file_keeps_credit_terms_out_of_the_defaults():
    """With behaviour or balance columns, the loan's terms and the grade stay out (and the page says why)."""
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"card_balance": rng.lognormal(7, 1, n), "txn_count_90d": rng.poisson(20, n),
                          "loan_amount": rng.lognormal(9, 0.5, n), "grade": rng.choice(list("ABC"), n)})
    from .conftest import make_dataset

    ds = make_dataset(frame)
    feats = service.default_features(ds)
    assert feats == ["card_balance", "txn_count_90d"]
    why = features_mod.left_out(ds, feats)
    assert "describes the credit" in why["loan_amount"] and "describes the credit" in why["grade"]


def _income_bands(k: int = 5, n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    income = rng.lognormal(11, 0.5, n)
    edges = np.quantile(income, np.linspace(0, 1, k + 1)[1:-1])
    return pd.DataFrame({"Annual Inc.": income}), np.searchsorted(edges, income)


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_segments_that_differ_on_income_alone_get_graded_true_unique_names(k):
    frame, seg = _income_bands(k)
    prof = profile_segments(frame, seg, ["Annual Inc."], [], {"income": "Annual Inc."}, rules=False)
    names = prof.auto_names
    assert len({name_key(n) for n in names.values()}) == k, names
    assert not any("(" in n for n in names.values()), names
    facts = prof.facts()
    for s, n in names.items():
        assert name_is_true(n, facts, s), (n, [f.message for f in check_name(n, facts, s, strict=True)])
    if k == 5:
        # the three lower bands all read 'modest-income' until graded; the top two are told apart already
        assert [names[s] for s in (0, 1, 2)] == ["Lowest-income customers", "Second-lowest-income customers",
                                                  "Mid-income customers"]


def test_a_graded_word_the_profile_contradicts_is_flagged():
    frame, seg = _income_bands(5)
    facts = profile_segments(frame, seg, ["Annual Inc."], [], {"income": "Annual Inc."}, rules=False).facts()
    findings = check_name("Highest-income customers", facts, 0)
    assert [f.verdict for f in findings] == ["contradicts"]
    assert "lowest" in findings[0].message and "5 segments" in findings[0].message
    assert [f.verdict for f in check_name("Second lowest income customers", facts, 1)] == ["ok"]
    assert [f.verdict for f in check_name("2nd-lowest-income customers", facts, 1)] == ["ok"]


def _table(ks, sil, ch, db, ari):
    return pd.DataFrame({"k": ks, "silhouette": sil, "calinski_harabasz": ch, "davies_bouldin": db,
                         "inertia": np.linspace(100, 10, len(ks)), "bic": np.nan, "stability_ari": ari,
                         "stability_sd": 0.01})


def test_one_feature_k_is_not_taken_from_scores_that_improve_with_every_k():
    """On one continuous column Calinski-Harabasz and Davies-Bouldin improve with each slice: not evidence of k=12."""
    ks = list(range(2, 13))
    t = _table(ks, [0.59, 0.54, 0.53, 0.53, 0.53, 0.52, 0.53, 0.53, 0.52, 0.52, 0.53],
               [5688, 6705, 7723, 9010, 10459, 11545, 13118, 14265, 15527, 16297, 18422],
               [0.575, 0.563, 0.572, 0.534, 0.531, 0.524, 0.52, 0.515, 0.518, 0.527, 0.519],
               [0.99, 0.94, 0.90, 0.87, 0.93, 0.72, 0.90, 0.71, 0.70, 0.55, 0.81])
    choice = choose_k(t, knee=5)
    assert choice.k != 12
    assert "calinski_harabasz" not in choice.votes
    assert choice.k == 2 and choice.votes == {"silhouette": 2, "stability": 2, "elbow": 5}
    assert "keep improving up to the largest k tried (k = 12)" in choice.reason
