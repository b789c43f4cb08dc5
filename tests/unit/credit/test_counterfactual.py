import itertools

import numpy as np
import pytest

from core.credit.actionability import band_order, change_rule, change_rules
from core.credit.counterfactual import find_counterfactual
from core.errors import InputError


def _declined(model, portfolio, cutoff, k=12):
    p = model.predict_pd(portfolio.frame)
    return np.flatnonzero(p >= cutoff)[:k]


def test_only_plausible_features_and_directions(model):
    rules = change_rules(model)
    for fixed in ("region", "regional_unemployment", "policy_rate", "credit_score", "delinquencies_24m", "inquiries_6m",
                  "has_mortgage", "ead", "tenure_months", "txn_count_90d", "product_type", "loan_purpose"):
        assert fixed not in rules, fixed
    assert rules["collateral_value"].direction == 1  # more collateral, never less
    assert rules["card_utilisation"].direction == -1 and rules["debt_to_income"].direction == -1
    assert rules["savings_balance"].direction == 1 and rules["loan_amount"].direction == -1


def _reachable(model, x0, rules, max_changes=3):
    """Oracle: some set of ``max_changes`` actionable numeric features moved to the end of their range approves."""
    pos = {f: j for j, f in enumerate(model.feature_names)}
    rows = []
    for combo in itertools.combinations([f for f, r in rules.items() if not r.levels], max_changes):
        y = x0.copy()
        for f in combo:
            lo, hi = model.bounds[f]
            y[pos[f]] = hi if rules[f].direction > 0 else lo
        rows.append(y)
    return model.pd_from_margin(model.margin_from_matrix(np.array(rows)))


def test_counterfactual_options_reach_the_cutoff_plausibly(model, portfolio):
    cutoff = 0.15
    rules = change_rules(model)
    declined = _declined(model, portfolio, cutoff, 60)
    x = model.encoder.native_matrix(portfolio.frame.iloc[declined])
    best = np.array([_reachable(model, x[k], rules).min() for k in range(len(declined))])
    reachable, hopeless = declined[best < cutoff][:8], declined[best >= cutoff][:3]
    assert len(reachable) >= 5  # the sample holds applicants a plausible change can approve
    found = 0
    for i in [*reachable, *hopeless]:
        row = portfolio.frame.iloc[[i]]
        cf = find_counterfactual(model, row, cutoff)
        if not cf.found:
            assert i not in reachable, f"row {i}: a plausible change approves it, the search missed it"
            assert "No plausible change" in cf.message and cf.closest_pd >= cutoff
            continue
        found += 1
        assert 1 <= len(cf.options) <= 3
        assert len({frozenset(c.feature for c in o.changes) for o in cf.options}) == len(cf.options)  # diverse
        for o in cf.options:
            assert o.pd_after < cutoff <= cf.pd_before and o.decision == "approved"
            assert model.predict_pd(o.row_after)[0] == pytest.approx(o.pd_after)
            assert len(o.changes) <= 3
            for c in o.changes:
                rule = rules[c.feature]
                lo, hi = model.bounds[c.feature]
                assert np.sign(c.after - c.before) == rule.direction
                assert min(lo, c.before) - 1e-9 <= c.after <= max(hi, c.before) + 1e-9
    assert found >= len(reachable)


def test_band_levels_move_up_only():
    assert band_order(["<0", "0<=X<200", ">=200", "no checking"]) == ("<0", "0<=X<200", ">=200")
    rule = change_rule("some_savings", ("balance",), 0, ["<100", "100<=X<500", ">=1000", "none known"])
    assert rule is not None and rule.targets("100<=X<500") == [">=1000"] and rule.targets("none known") == list(rule.levels)
    assert change_rule("region_code", ("geographic",), 0, ["a", "b"]) is None
    assert change_rule("mystery", (), 0, None) is None  # no plausible direction known
    assert change_rule("mystery", (), 1, None).direction == -1  # a monotone constraint says which way lowers risk


def test_none_when_nothing_may_change_and_bad_input(model, portfolio):
    i = _declined(model, portfolio, 0.15, 1)[0]
    cf = find_counterfactual(model, portfolio.frame.iloc[[i]], 0.15, immutable=set(model.feature_names))
    assert not cf.found and "No feature" in cf.message and cf.row_after is None
    assert cf.fixed["credit_score"] == "kept fixed by the analyst"
    cf = find_counterfactual(model, portfolio.frame.iloc[[i]], 0.0005)
    assert not cf.found and cf.row_after is None
    p = model.predict_pd(portfolio.frame)
    cf = find_counterfactual(model, portfolio.frame.iloc[[int(np.argmin(p))]], 0.5)
    assert cf.found and not cf.options and "no change needed" in cf.message
    with pytest.raises(InputError):
        find_counterfactual(model, portfolio.frame.iloc[:2], 0.5)
    with pytest.raises(InputError):
        find_counterfactual(model, portfolio.frame.iloc[[0]], 1.5)
