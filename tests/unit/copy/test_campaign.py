"""Campaign results: Wilson intervals, Holm correction, validation, and the simulator's true winner."""

import pandas as pd
import pytest

from core.copy.campaign import analyse, holm, import_results, simulate_campaign, two_proportion_p, wilson, winners
from core.errors import InputError


def test_wilson_interval_matches_the_textbook_value():
    low, high = wilson(10, 100)
    assert low == pytest.approx(0.05523, abs=1e-4) and high == pytest.approx(0.17437, abs=1e-4)
    assert wilson(0, 0) == (0.0, 0.0)
    assert wilson(0, 50)[0] == pytest.approx(0.0, abs=1e-12)


def test_holm_adjusts_step_down_and_keeps_order():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]


def test_two_proportion_test_sees_a_real_difference():
    assert two_proportion_p(360, 10000, 250, 10000) < 0.001
    assert two_proportion_p(250, 10000, 250, 10000) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_the_analysis_finds_the_simulators_true_winner(seed):
    ids = [f"v{i:03d}" for i in range(1, 7)]
    truth = {"v004": 0.037}
    results = simulate_campaign("b1", ids, truth, control_rate=0.025, sends_per_arm=10000, segments=("a", "b"),
                                seed=seed)
    analysis = analyse(import_results(results, {"b1"}))
    assert analysis.winner == "v004"
    sig = analysis.by_variant[analysis.by_variant["significant"]]["variant_id"].tolist()
    assert sig == ["v004"]  # no false winner among five null variants after Holm
    assert set(analysis.by_segment["segment"]) == {"a", "b"}
    row = analysis.by_variant.set_index("variant_id").loc["v004"]
    assert row.conversion_low < row.conversion < row.conversion_high
    lo, hi = wilson(int(row.conversions), int(row.sends), z=3.29)  # a 99.9% interval holds the truth
    assert lo < 0.037 < hi
    assert winners(analysis, {"v004": "Earn 4.10% APY."}) == {"Earn 4.10% APY.": pytest.approx(row.lift / 0.025, rel=0.3)}


def test_no_winner_when_nothing_beats_control():
    results = simulate_campaign("b1", ["v001", "v002"], {}, control_rate=0.03, sends_per_arm=4000, seed=1)
    assert analyse(import_results(results)).winner is None


@pytest.mark.parametrize("change,message", [
    (lambda f: f.drop(columns=["sends"]), "lacks"),
    (lambda f: f.assign(clicks=f["sends"] + 1), "more clicks"),
    (lambda f: f.assign(conversions=-1), "whole numbers"),
    (lambda f: f[f["variant_id"] != "control"], "control"),
    (lambda f: f.assign(batch_id="other"), "never exported"),
])
def test_bad_results_files_get_a_plain_message(change, message):
    base = simulate_campaign("b1", ["v001"], {}, control_rate=0.03, sends_per_arm=1000, seed=0)
    with pytest.raises(InputError, match=message):
        import_results(change(base.copy()), {"b1"})


def test_results_columns_are_case_insensitive():
    base = simulate_campaign("b1", ["v001"], {}, control_rate=0.03, sends_per_arm=1000, seed=0)
    out = import_results(base.rename(columns=str.upper))
    assert isinstance(out, pd.DataFrame) and len(out) == 2
