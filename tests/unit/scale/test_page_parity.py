"""One code path per job: the batch gives the numbers the pages give on the same rows (reasons, scenario stress)."""

import numpy as np
import pytest

from core.scale.adapters import credit as C
from core.scale.adapters import data as D
from core.scale.adapters import scenarios as S
from core.scale.book import BookParams, run_book
from core.scale.partitions import read_table

CUTOFF = 0.1


def test_batch_reasons_are_the_credit_pages(book, tmp_path):
    from core.credit.reason_export import export_reasons
    from core.credit.scores import score_dataset

    model, ds = book["model"], book["dataset"]
    # a sample rate of 1: the batch's reference population is built on every row, as below
    run_book(book["layouts"][3], tmp_path / "o", model=model, params=BookParams(cutoff=CUTOFF, shap=True,
                                                                                sample_rows=len(ds.frame)), log=False)
    batch = read_table(tmp_path / "o", "reasons").set_index("customer_id").sort_index()
    scores = score_dataset(model, ds)
    page = export_reasons(model, ds, scores, CUTOFF, reference=C.reference(model, ds.frame, CUTOFF))
    assert len(page) == len(batch) == int((scores.pd >= CUTOFF).sum()) > 0
    for rec in page:
        row = batch.loc[rec.id]
        assert row["pd"] == rec.pd
        for k in range(4):
            r = rec.reasons[k] if k < len(rec.reasons) else None
            assert row[f"reason_{k + 1}_code"] == (r.code if r else "")
            assert row[f"reason_{k + 1}_text"] == (r.text if r else "")
            if r:
                assert row[f"reason_{k + 1}_contribution"] == r.contribution


def test_batch_scenario_is_the_scenario_pages_run(book, generator, tmp_path):
    from core.scale.scenario import ScenarioParams, run_scenario
    from core.scenarios.engine import ScenarioEngine
    from core.scenarios.results import ScenarioParams as PageParams

    model = book["model"]
    n = len(book["frame"])
    scn = S.scenario("adverse")
    summary = run_scenario(book["layouts"][1], tmp_path / "s", model=model, scenario=scn, generator=generator,
                           params=ScenarioParams(n_draws=2_000, sample_rows=n, noise_chunk=n, partitions=1), log=False)
    rows = read_table(tmp_path / "s", "scenario")
    ds = D.dataset(read_table(book["layouts"][1].parent, book["layouts"][1].name), "batch sample", book["dataset"].schema)
    page = ScenarioEngine(ds, generator, model).run(scn, PageParams(n_draws=2_000, seed=42, shap_rows=0))
    np.testing.assert_array_equal(rows["pd_base"].to_numpy(), page.pd_base)
    np.testing.assert_array_equal(rows["pd_stress"].to_numpy(), page.pd_stress)
    np.testing.assert_array_equal(rows["lgd_stress"].to_numpy(), page.lgd_stress)
    np.testing.assert_array_equal(rows["ead"].to_numpy(), page.ead)
    el = float(np.sum(page.pd_stress * page.lgd_stress * page.ead))
    assert summary["stressed"]["expected_loss"] == pytest.approx(el, rel=1e-12)
    assert summary["stressed"]["expected_loss"] > summary["baseline"]["expected_loss"]
    assert summary["redrawn"] == page.dependents
