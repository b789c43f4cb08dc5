import io
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from core.briefs import SegmentBrief
from core.errors import DataError, InputError, StudioError, WorkspaceError
from core.segmentation import service
from core.segmentation.report import render_report
from core.segmentation.service import SegmentationParams, run_segmentation

from .conftest import make_dataset


@pytest.fixture(autouse=True)
def no_credit_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "core.credit.service", None)


def test_default_features_are_behaviour_and_balances_never_ids_or_pii(small_portfolio):
    from core.data.synthetic import BEHAVIOUR_COLUMNS

    assert service.default_features(small_portfolio) == list(BEHAVIOUR_COLUMNS)


def test_default_features_on_other_data_skip_ids_pii_targets_and_flags():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(300)], "email": [f"a{i}@x.com" for i in range(300)],
                          "balance": rng.lognormal(7, 1, 300), "spend": rng.lognormal(6, 1, 300),
                          "has_card": rng.integers(0, 2, 300), "default": rng.integers(0, 2, 300)})
    ds = make_dataset(frame)
    assert service.default_features(ds) == ["balance", "spend"]


def test_persona_recovery_on_the_synthetic_default():
    """KMeans k=6 on behaviour and balance features recovers the generator's personas."""
    from core.data.synthetic import generate_portfolio

    ds = generate_portfolio()  # the embedded default: 50k customers, seed 42
    res = run_segmentation(ds, SegmentationParams(method="kmeans", k=6, seed=42), sweep=False)
    ari = adjusted_rand_score(ds.truth["persona"], res.labels)
    print(f"persona recovery ARI = {ari:.3f}")
    assert ari >= 0.6


def test_run_segmentation_end_to_end_with_sweep(small_portfolio):
    res = run_segmentation(small_portfolio)
    assert res.sweep is not None and res.k == res.sweep.suggested_k
    assert res.labels.shape == (small_portfolio.n_rows,)
    assert res.profile.sizes["size"].sum() == small_portfolio.n_rows
    assert set(res.names) == set(res.segments)
    assert res.metrics["silhouette"] > 0
    assert not res.penetration.empty and res.next_best
    assert res.mean_pd is None and "Credit explanation" in res.credit_message
    # the RFM cell sits beside the name (several segments may share a cell), names are unique
    assert set(res.profile.rfm_cells) == set(res.segments)
    assert not any("·" in n for n in res.names.values())
    assert len(set(res.names.values())) == len(res.names)


def test_change_of_k_reuses_the_sweep(small_portfolio):
    prep = service.prepare(small_portfolio)
    sw = service.run_sweep(prep, "kmeans", 42)
    a = service.segment(small_portfolio, prep, "kmeans", 4, 42, sweep=sw)
    b = service.segment(small_portfolio, prep, "kmeans", 7, 42, sweep=sw)
    assert a.k == 4 and b.k == 7 and a.sweep is b.sweep


@pytest.mark.parametrize("method", ["gmm", "hdbscan"])
def test_other_methods(small_portfolio, method):
    res = run_segmentation(small_portfolio, SegmentationParams(method=method, k=4), sweep=False)
    assert res.labels.shape == (small_portfolio.n_rows,)
    assert len(res.segments) >= 2


# ---- bad input -------------------------------------------------------------------------------
def test_fewer_rows_than_k():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 3.0, 1.0, 0.0]})
    with pytest.raises(InputError) as e:
        run_segmentation(make_dataset(frame), SegmentationParams(k=6), sweep=False)
    assert "fewer than the 6 segments" in e.value.message


def test_one_feature_works_with_a_note(blobs):
    ds, _ = blobs
    res = run_segmentation(ds, SegmentationParams(features=("a",), k=2), sweep=False)
    assert any("one feature" in n for n in res.notes)
    assert len(res.segments) == 2
    emb = service.embed(service.prepare(ds, ["a"]))
    assert emb.coords.shape == (ds.n_rows, 2)


def test_constant_and_all_missing_columns_are_dropped_with_a_note(blobs):
    ds, lab = blobs
    frame = ds.frame.assign(const=5.0, empty=np.nan)
    ds2 = make_dataset(frame)
    # an all-missing column is inferred as numeric only if its dtype is; force the roles
    res = run_segmentation(ds2, SegmentationParams(features=("a", "b", "c", "const"), k=3), sweep=False)
    assert "const" not in res.preprocessing["numeric"] and any("const" in n for n in res.notes)
    assert adjusted_rand_score(lab, res.labels) > 0.95


def test_only_constant_features_is_a_plain_error(blobs):
    ds, _ = blobs
    ds2 = make_dataset(ds.frame.assign(const=5.0))
    with pytest.raises(DataError, match="constant or empty"):
        run_segmentation(ds2, SegmentationParams(features=("const",), k=3), sweep=False)


def test_only_categorical_features():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"region": rng.choice(["N", "S", "E", "W"], 400), "tier": rng.choice(["gold", "basic"], 400)})
    res = run_segmentation(make_dataset(frame), SegmentationParams(features=("region", "tier"), k=3), sweep=False)
    assert any("Only categorical" in n for n in res.notes)
    assert len(res.segments) == 3 and all(isinstance(n, str) and n for n in res.names.values())


def test_a_huge_outlier_does_not_own_a_segment(blobs):
    ds, lab = blobs
    frame = ds.frame.copy()
    frame.loc[0, "a"] = 1e15
    res = run_segmentation(make_dataset(frame), SegmentationParams(features=("a", "b", "c"), k=3), sweep=False)
    assert res.profile.sizes["size"].min() > 100
    assert adjusted_rand_score(lab, res.labels) > 0.9


def test_no_id_column_uses_row_numbers(blobs):
    ds, _ = blobs
    ds2 = make_dataset(ds.frame.drop(columns=["customer_id"]))
    res = run_segmentation(ds2, SegmentationParams(k=3), sweep=False)
    a = res.assignments()
    assert list(a.columns) == ["row", "segment", "segment_name"]
    assert a["row"].tolist() == list(range(ds2.n_rows))
    assert any("no id column" in n for n in res.notes)


def test_ids_and_pii_are_refused_as_features(small_portfolio):
    res = run_segmentation(small_portfolio, SegmentationParams(features=("customer_id", "email", "age", "annual_income"), k=3),
                           sweep=False)
    assert res.params.features == ("age", "annual_income")
    assert any("customer_id" in n for n in res.notes) and any("email" in n for n in res.notes)


def test_no_usable_feature_is_a_plain_error(small_portfolio):
    with pytest.raises(StudioError, match="No usable feature"):
        service.prepare(small_portfolio, ["customer_id", "full_name"])


# ---- names, exports, report, runs, brief ---------------------------------------------------------
def test_rename_export_and_brief(small_portfolio):
    res = run_segmentation(small_portfolio, SegmentationParams(k=4), sweep=False)
    named = res.with_names({0: "Big fish", 1: "  "})
    assert named.names[0] == "Big fish" and named.names[1] == res.names[1] and res.names[0] != "Big fish"
    csv = pd.read_csv(io.BytesIO(service.to_csv_bytes(named)))
    assert list(csv.columns) == ["customer_id", "segment", "segment_name"] and len(csv) == small_portfolio.n_rows
    assert (csv.loc[csv["segment"] == 0, "segment_name"] == "Big fish").all()
    pq = pd.read_parquet(io.BytesIO(service.to_parquet_bytes(named)))
    assert pq.equals(named.assignments())
    brief = named.brief(0)
    assert isinstance(brief, SegmentBrief) and brief.name == "Big fish"
    assert brief.size == int(named.profile.sizes.loc[0, "size"]) and brief.aggregates and brief.products_held
    assert "Big fish" in brief.description
    # aggregates only: no customer-level value or PII anywhere in the brief
    text = str(brief.to_dict())
    assert "@example.com" not in text and "C0000001" not in text


def test_report_html(small_portfolio):
    res = run_segmentation(small_portfolio, SegmentationParams(k=4), sweep=True)
    html = render_report(res.with_names({0: "Big <fish>"}))
    assert html.startswith("<!doctype html>") and "Big &lt;fish&gt;" in html
    assert "How many segments" in html and "bootstrap ARI" in html
    assert "@example.com" not in html


def test_save_and_reload_a_run(small_portfolio):
    res = run_segmentation(small_portfolio, SegmentationParams(k=4, seed=7), sweep=True).with_names({2: "Renamed"})
    run_id = service.save_run(res, "my run")
    runs = service.list_runs(small_portfolio.fingerprint)
    assert run_id in runs["run_id"].tolist()
    back = service.load_run(run_id, small_portfolio)
    assert back.run_id == run_id and back.params.seed == 7 and back.params.k == 4
    assert back.names[2] == "Renamed"
    assert np.array_equal(back.labels, res.labels)
    assert back.sweep is not None and back.sweep.suggested_k == res.sweep.suggested_k
    render_report(back)  # the reloaded sweep table renders


def test_reloading_on_another_dataset_is_refused(small_portfolio):
    from core.data.synthetic import generate_portfolio

    res = run_segmentation(small_portfolio, SegmentationParams(k=3), sweep=False)
    run_id = service.save_run(res)
    with pytest.raises(WorkspaceError, match="another dataset"):
        service.load_run(run_id, generate_portfolio(500, seed=1))
