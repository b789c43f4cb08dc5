"""AppTest of the segmentation page on the small default portfolio (3,000 rows in tests)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import default_dataset

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "segmentation.py")
TABS = ["Segments", "Profiles", "Map", "How many segments", "Products & risk", "Offers", "Export & runs"]


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, tab: str) -> AppTest:
    """Tabs are lazy (only the open one runs); select one as a click would."""
    at.session_state["seg_tab"] = tab
    return _run(at)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info] + \
        [w.value for w in at.warning] + [e.value for e in at.error] + [t.value for t in at.text]
    return "\n".join(str(p) for p in parts)


def test_every_tab_opens_and_the_evidence_is_shown():
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    assert at.title[0].value == "Customer segmentation"
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Segments (auto)", "Customers", "Silhouette", "Stability (ARI)"]  # k = auto by default
    assert at.metric[1].value == "3,000"
    for tab in TABS:
        _open(at, tab)
        assert not at.error, (tab, [e.value for e in at.error])
    _open(at, "How many segments")
    assert any("Suggested: k =" in m.value and "votes" in m.value for m in at.markdown)
    sweep = next(d.value for d in at.dataframe if "k" in d.value.columns and "stability_ari" in d.value.columns)
    assert sweep["k"].tolist() == list(range(2, 13))  # every k tried, k = 12 included
    _open(at, "Products & risk")
    assert any("train one on the credit explanation page" in i.value.lower() for i in at.info)


def test_changing_k_rebuilds_only_the_segmentation():
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    at.select_slider(key="seg_k").set_value(7)
    _run(at)
    assert at.metric[0].value == "7"


def test_rename_flags_contradictions_renders_plain_and_hands_off_to_copy():
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    at.select_slider(key="seg_k").set_value(4)
    _run(at)
    from dashboard.segmentation_ui import _names_key

    result = at.session_state["studio_segmentation_result"]
    spend = result.profile.means.drop(index="all")["txn_amount_90d"].astype(float)
    low = int(spend.idxmin())
    names_key = _names_key(result)
    names = dict(at.session_state[names_key]) if names_key in at.session_state else {}
    names[low] = "Big spenders"  # contradicts the profile
    other = next(s for s in result.segments if s != low)
    names[other] = "**Bold** ![x](http://evil.example/x.png) <b>html</b>"
    at.session_state[names_key] = names
    _run(at)
    result = at.session_state["studio_segmentation_result"]
    assert result.names[low] == "Big spenders"
    assert any("Big spenders" in e.value and "above the book" in e.value for e in at.error)
    labels = [e.label for e in at.expander]
    hostile = next(lbl for lbl in labels if "evil" in lbl)
    assert "\\*\\*Bold\\*\\*" in hostile and "!\\[x\\]" in hostile  # escaped, never markdown
    at.selectbox(key="seg_copy_pick").set_value(low)
    at.button(key="seg_to_copy").click()
    _run(at)
    brief = at.session_state["studio_segment_for_copy"]
    assert brief.name == "Big spenders" and brief.size > 0 and brief.kind == "segment"


def test_save_and_reload_a_run():
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    _open(at, "Export & runs")
    at.button(key="seg_save").click()
    _run(at)
    assert any("Saved as run" in s.value for s in at.success)
    at.button(key="seg_load").click()
    _run(at)
    assert any("Showing saved run" in i.value for i in at.info)
    at.button(key="seg_unload").click()
    _run(at)
    assert not any("Showing saved run" in i.value for i in at.info)


def test_a_fresh_session_finds_the_stored_credit_model_through_the_resolver():
    from core.credit.service import CreditParams, train_or_load

    ds = default_dataset()
    train_or_load(ds, CreditParams(n_estimators=60, learning_rate=0.1, early_stopping_rounds=10))
    at = _run(AppTest.from_file(PAGE, default_timeout=240))  # a new session: nothing in session state
    _open(at, "Products & risk")
    assert any("current credit model" in c.value for c in at.caption)
    assert at.session_state["studio_segmentation_result"].mean_pd is not None


def test_offers_are_computed_on_request_and_a_target_list_goes_to_the_copy_page():
    at = _run(AppTest.from_file(PAGE, default_timeout=300))
    _open(at, "Offers")
    assert any("Compute next-best offers" in b.label for b in at.button)
    assert not [d for d in at.dataframe if "AUC model" in d.value.columns]  # nothing trained before the click
    at.button(key="seg_offers_go").click()
    _run(at)
    ev = next(d.value for d in at.dataframe if "AUC model" in d.value.columns)
    assert {"AUC model", "AUC logistic", "AUC segment rule", "Top 10%: model"} <= set(ev.columns)
    at.button(key="seg_target_to_copy").click()
    _run(at)
    brief = at.session_state["studio_segment_for_copy"]
    assert brief.kind == "target_list" and brief.size > 0 and brief.copy_product


def test_the_map_is_pca_until_umap_is_asked_for():
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    _open(at, "Map")
    assert at.radio(key="seg_map").value == "pca"
    at.radio(key="seg_map").set_value("umap")
    _run(at)
    assert any("Compute the UMAP map" in b.label for b in at.button)  # not computed until asked


@pytest.mark.parametrize("method", ["gmm", "hdbscan"])
def test_other_methods_render(method):
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    # a full-covariance mixture on every default column is slow on a shared CPU: three columns show the page works
    at.multiselect(key="seg_features").set_value(["annual_income", "savings_balance", "txn_amount_90d"])
    at.selectbox(key="seg_method").set_value(method)
    _run(at)
    assert not at.error
    _open(at, "How many segments")
    assert not at.error


def test_no_features_asks_for_some():
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    at.multiselect(key="seg_features").set_value([])
    _run(at)
    assert any("Pick at least one feature" in i.value for i in at.info)


def test_one_feature_renders_with_a_note():
    at = _run(AppTest.from_file(PAGE, default_timeout=240))
    at.multiselect(key="seg_features").set_value(["annual_income"])
    _run(at)
    assert not at.error
    assert any("one feature" in c.value for c in at.caption)
