import io

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from core.briefs import SegmentBrief
from core.data.schema import Tag
from core.errors import DataError, InputError, StudioError, WorkspaceError
from core.segmentation import exports, runs, service
from core.segmentation import features as features_mod
from core.segmentation.embed import embed
from core.segmentation.privacy import REDACTED, PersonalData
from core.segmentation.report import render_report
from core.segmentation.result import SegmentationParams
from core.segmentation.service import run_segmentation

from .conftest import make_dataset


def test_default_features_come_from_the_tags(small_portfolio):
    feats = service.default_features(small_portfolio)
    schema = small_portfolio.schema
    assert "employment_status" in feats and "product_type" in feats and "has_mortgage" in feats  # categoricals join
    for c in ("customer_id", "full_name", "email", "default_12m", "application_date", "age", "region",
              "regional_unemployment", "policy_rate", "credit_score", "loan_purpose", "ead", "collateral_value"):
        assert c not in feats, c
    assert all(not schema.has(c, Tag.PROTECTED) for c in feats)


def test_default_features_on_other_data_skip_ids_pii_targets():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(300)], "email": [f"a{i}@x.com" for i in range(300)],
                          "balance": rng.lognormal(7, 1, 300), "spend": rng.lognormal(6, 1, 300),
                          "has_card": rng.integers(0, 2, 300), "default": rng.integers(0, 2, 300)})
    ds = make_dataset(frame)
    assert service.default_features(ds) == ["balance", "spend", "has_card"]


def test_a_calendar_field_is_not_a_default_feature_but_can_be_picked():
    """The month of the last call says when the bank phoned, not what the customer does (bank marketing)."""
    rng = np.random.default_rng(2)
    n = 400
    frame = pd.DataFrame({"balance": rng.lognormal(7, 1, n), "job": rng.choice(["admin.", "technician", "retired"], n),
                          "month": rng.choice(["may", "jun", "jul", "Aug", "nov"], n),
                          "day_of_week": rng.choice(["mon", "tue", "wed", "thu", "fri"], n)})
    for c in ("job", "month", "day_of_week"):
        frame[c] = frame[c].astype("category")
    ds = make_dataset(frame)
    feats = service.default_features(ds)
    assert "month" not in feats and "day_of_week" not in feats
    assert feats == ["balance", "job"]  # an attribute with a few levels still joins
    why = features_mod.left_out(ds, feats)
    assert "calendar field" in why["month"] and "calendar field" in why["day_of_week"]
    assert "month" in service.usable_features(ds)  # the analyst may still pick it
    assert not features_mod.is_calendar_field(pd.Series(["may", "other"]))  # every level must be a calendar name
    assert not features_mod.is_calendar_field(pd.Series([1, 2, 3]))


def test_a_unique_non_sequential_customer_number_never_becomes_a_feature():
    rng = np.random.default_rng(1)
    n = 600
    frame = pd.DataFrame({"CLIENTNUM": rng.choice(np.arange(700_000_000, 800_000_000), n, replace=False),
                          "balance": rng.lognormal(7, 1, n), "spend": rng.lognormal(6, 1, n)})
    ds = make_dataset(frame)
    role = ds.schema.roles["CLIENTNUM"]
    # the data area's inference may mark it as the id; if it does not, segmentation's own guard must catch it
    assert role in ("numeric", "id")
    assert "CLIENTNUM" not in service.default_features(ds) and "CLIENTNUM" not in service.usable_features(ds)
    prep = service.prepare(ds, ["CLIENTNUM", "balance", "spend"])
    assert prep.features == ("balance", "spend")
    why = "customer number" if role == "numeric" else "its role is 'id'"
    assert any("'CLIENTNUM' was left out" in n and why in n for n in prep.notes)


@pytest.mark.slow
def test_persona_recovery_on_the_synthetic_default_at_six_segments():
    """K-means k=6 on the default features (categoricals and holdings included) recovers the personas."""
    from core.data.synthetic import generate_portfolio

    ds = generate_portfolio()  # the embedded default: 50k customers, seed 42
    res = run_segmentation(ds, SegmentationParams(method="kmeans", k=6, seed=42), sweep=False)
    ari = adjusted_rand_score(ds.truth["persona"], res.labels)
    assert ari >= 0.85


def test_run_segmentation_end_to_end_with_sweep(small_portfolio):
    res = run_segmentation(small_portfolio)
    assert res.sweep is not None and res.k == res.sweep.suggested_k
    assert res.labels.shape == (small_portfolio.n_rows,)
    assert res.profile.sizes["size"].sum() == small_portfolio.n_rows
    assert set(res.names) == set(res.segments)
    assert res.metrics["silhouette"] > 0
    assert not res.penetration.empty and res.next_best
    assert res.mean_pd is None and "Credit explanation" in res.credit_message
    # the RFM cell sits beside the name (several segments may share a cell), names are unique and true
    assert set(res.profile.rfm_cells) == set(res.segments)
    assert len(set(res.names.values())) == len(res.names)
    assert res.contradictions() == {}
    assert "age" in res.profile.means.columns and "age" not in res.params.features  # described, not a feature


def test_change_of_k_reuses_the_sweep_and_keeps_names_of_the_same_groups(small_portfolio):
    prep = service.prepare(small_portfolio)
    sw = service.run_sweep(prep, "kmeans", 42, dataset=small_portfolio)
    a = service.segment(small_portfolio, prep, "kmeans", 4, 42, sweep=sw)
    b = service.segment(small_portfolio, prep, "kmeans", 5, 42, sweep=sw)
    assert a.k == 4 and b.k == 5 and a.sweep is b.sweep
    from core.segmentation.naming import match_segments

    pairs = match_segments(a.labels, b.labels)
    assert pairs and all(b.names[c] == a.names[p] for c, p in pairs.items())


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
    emb = embed(service.prepare(ds, ["a"]))
    assert emb.coords.shape == (ds.n_rows, 2)


def test_constant_and_all_missing_columns_are_dropped_with_a_note(blobs):
    ds, lab = blobs
    ds2 = make_dataset(ds.frame.assign(const=5.0, empty=np.nan))
    res = run_segmentation(ds2, SegmentationParams(features=("a", "b", "c", "const"), k=3), sweep=False)
    assert "const" not in res.preprocessing["numeric"] and any("const" in n for n in res.notes)
    assert adjusted_rand_score(lab, res.labels) > 0.95


def test_only_constant_features_is_a_plain_error(blobs):
    ds, _ = blobs
    with pytest.raises(DataError, match="constant or empty"):
        run_segmentation(make_dataset(ds.frame.assign(const=5.0)), SegmentationParams(features=("const",), k=3), sweep=False)


def test_only_categorical_features():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"region": rng.choice(["N", "S", "E", "W"], 400), "tier": rng.choice(["gold", "basic"], 400)})
    res = run_segmentation(make_dataset(frame), SegmentationParams(features=("region", "tier"), k=3), sweep=False)
    assert any("Only categorical" in n for n in res.notes)
    assert len(res.segments) == 3 and len(set(res.names.values())) == 3


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
    csv = pd.read_csv(io.BytesIO(exports.members_csv(small_portfolio, named)), encoding="utf-8-sig")
    assert list(csv.columns[:3]) == ["customer_id", "segment", "segment_name"] and len(csv) == small_portfolio.n_rows
    assert {"annual_income", "segment_offer"} <= set(csv.columns)  # features and the segment's offer travel along
    assert csv["customer_id"].str.match(r"^P[0-9a-f]{16}$").all()  # pseudonymised by default
    assert (csv.loc[csv["segment"] == 0, "segment_name"] == "Big fish").all()
    real = pd.read_csv(io.BytesIO(exports.members_csv(small_portfolio, named, pseudonymise_ids=False)), encoding="utf-8-sig")
    assert real["customer_id"].tolist() == small_portfolio.frame["customer_id"].tolist()
    pq = pd.read_parquet(io.BytesIO(exports.members_parquet(small_portfolio, named)))
    assert pq["customer_id"].tolist() == csv["customer_id"].tolist()
    brief = named.brief(0)
    assert isinstance(brief, SegmentBrief) and brief.name == "Big fish"
    assert brief.size == int(named.profile.sizes.loc[0, "size"]) and brief.aggregates and brief.products_held
    assert "Big fish" in brief.description
    text = str(brief.to_dict())  # aggregates only: no customer-level value or PII anywhere in the brief
    assert "@example.com" not in text and "C0000001" not in text


def test_a_hostile_name_cannot_run_as_a_formula_in_the_export(small_portfolio):
    res = run_segmentation(small_portfolio, SegmentationParams(k=3), sweep=False)
    named = res.with_names({0: '=HYPERLINK("http://evil.example","click")', 1: "@SUM(A1:A9)", 2: "＋cmd"})
    text = exports.members_csv(small_portfolio, named).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and "'＋cmd" in text
    assert ',=HYPERLINK' not in text and ",@SUM" not in text


def test_personal_data_planted_in_a_name_never_reaches_the_brief(small_portfolio):
    res = run_segmentation(small_portfolio, SegmentationParams(k=3), sweep=False)
    person = small_portfolio.frame.loc[5, "full_name"]
    email = small_portfolio.frame.loc[6, "email"]
    cid = small_portfolio.frame.loc[7, "customer_id"]
    named = res.with_names({0: f"Friends of {person} ({email}) {cid} call +1 415 555 0100"})
    brief = named.brief(0, PersonalData(small_portfolio))
    for secret in (person, email, cid, "555 0100"):
        assert secret not in brief.name and secret not in brief.description, secret
    assert brief.name.startswith("Friends of") and REDACTED in brief.name


def test_report_html_escapes_hostile_names_and_flags_contradicting_ones(small_portfolio):
    res = run_segmentation(small_portfolio, SegmentationParams(k=4), sweep=True)
    low_spender = int(res.profile.means.drop(index="all")["txn_amount_90d"].astype(float).idxmin())
    html = render_report(res.with_names({0: "Big <script>alert(1)</script> ![x](http://evil/x.png)",
                                         low_spender: "Big spenders"}))
    assert html.startswith("<!doctype html>") and "&lt;script&gt;" in html and "<script>alert" not in html
    assert "How many segments" in html and "bootstrap ARI" in html and "Name check" in html
    assert "@example.com" not in html and "e+0" not in html


def test_save_and_reload_a_run_and_the_resolver_knows_it(small_portfolio):
    from core import resolver

    res = run_segmentation(small_portfolio, SegmentationParams(k=4, seed=7), sweep=True).with_names({2: "Renamed"})
    run_id = runs.save_run(res, "my run")
    assert resolver.segmentation(small_portfolio) == run_id
    assert run_id in runs.list_runs(small_portfolio.fingerprint)["run_id"].tolist()
    back = runs.load_run(run_id, small_portfolio)
    assert back.run_id == run_id and back.params.seed == 7 and back.params.k == 4
    assert back.names[2] == "Renamed" and back.names[0] == res.names[0]
    assert np.array_equal(back.labels, res.labels)
    assert back.sweep is not None and back.sweep.suggested_k == res.sweep.suggested_k
    render_report(back)  # the reloaded sweep table renders


def test_reloading_on_another_dataset_is_refused(small_portfolio):
    from core.data.synthetic import generate_portfolio

    res = run_segmentation(small_portfolio, SegmentationParams(k=3), sweep=False)
    run_id = runs.save_run(res)
    with pytest.raises(WorkspaceError, match="another dataset"):
        runs.load_run(run_id, generate_portfolio(500, seed=1))
