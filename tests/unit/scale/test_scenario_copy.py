"""Scenario stress + Monte Carlo and copy batches: the cluster gives the in-memory figures whatever the split."""

import json

import numpy as np
import pandas as pd
import pytest

from core.scale.adapters import scenarios as S
from core.scale.partitions import read_table
from core.scale.scenario import ScenarioParams, run_scenario


def _params(**kw):
    return ScenarioParams(n_draws=2_000, noise_chunk=500, sample_rows=1_500, **kw)


@pytest.fixture(scope="module")
def in_memory(book, generator, tmp_path_factory):
    out = tmp_path_factory.mktemp("scn") / "out"
    summary = run_scenario(book["layouts"][1], out, model=book["model"], scenario=S.scenario("severely_adverse"),
                           generator=generator, params=_params(partitions=1), log=False)
    return summary, out


@pytest.mark.parametrize("k", [3, 7])
def test_scenario_is_independent_of_partitioning(book, generator, in_memory, cluster_client, tmp_path, k):
    ref, ref_out = in_memory
    out = tmp_path / "out"
    summary = run_scenario(book["layouts"][k], out, model=book["model"], scenario=S.scenario("severely_adverse"),
                           generator=generator, params=_params(partitions=k), client=cluster_client, log=False)
    assert summary["partitions"] == k
    pd.testing.assert_frame_equal(read_table(out, "scenario"), read_table(ref_out, "scenario"), check_exact=True)
    for side in ("baseline", "stressed"):
        for key in ("var_99", "var_999", "es_99", "es_999"):
            assert summary[side][key] == pytest.approx(ref[side][key], rel=1e-9)
        assert summary[side]["expected_loss"] == ref[side]["expected_loss"]
    assert summary["by_product"] == ref["by_product"]


def test_stress_moves_losses_up_and_matches_the_loss_engine(book, in_memory):
    summary, out = in_memory
    assert summary["stressed"]["expected_loss"] > summary["baseline"]["expected_loss"]
    assert summary["stressed"]["var_999"] > summary["baseline"]["var_999"]
    assert summary["redrawn"], "the generator redrew dependent columns"
    rows = read_table(out, "scenario")
    from core.scenarios.loss import simulate_losses
    from core.scenarios.presets import load_presets

    names = np.asarray(S.classes(), dtype=object)[rows["class"].to_numpy()]
    factor, _ = S.draws(42, 2_000)
    area = simulate_losses(rows["pd_stress"].to_numpy(), rows["lgd_stress"].to_numpy(), rows["ead"].to_numpy(), names,
                           load_presets().correlation, 2_000, 42, 256, factor)
    # the area's rank buckets and the batch's global-edge buckets agree to well inside the Monte Carlo noise
    assert summary["stressed"]["var_99"] == pytest.approx(area.summary["var_99"], rel=2e-3)
    assert summary["stressed"]["expected_loss"] == pytest.approx(area.expected_loss, rel=1e-12)


def test_copy_batches_on_the_cluster(cluster_client, tmp_path):
    from core.scale.copy_batches import read_briefs, run_copy

    briefs = [{"name": f"Segment {i}", "size": 1000 * (i + 1), "share": 0.1 * (i + 1), "traits": ["higher income"]}
              for i in range(2)]
    path = tmp_path / "briefs.jsonl"
    path.write_text("\n".join(json.dumps(b) for b in briefs))
    briefs = read_briefs(path)
    kw = {"products": None, "channels": ["sms", "email_subject"], "n": 2, "backend": "template", "log": False}
    a = run_copy(briefs, tmp_path / "a", client=cluster_client, **kw)
    b = run_copy(briefs, tmp_path / "b", **kw)
    assert a["requests"] == b["requests"] == 2 * len(a["products"]) * 2
    pd.testing.assert_frame_equal(read_table(tmp_path / "a", "copy"), read_table(tmp_path / "b", "copy"))
    copy = read_table(tmp_path / "a", "copy")
    assert copy["passed"].all() and set(copy["segment"]) == {"Segment 0", "Segment 1"}
