"""The distributed book pass equals the in-memory path: margins, PD, SHAP and labels bit for bit; sums exact."""

import numpy as np
import pandas as pd
import pytest

from core.scale.adapters import data as D
from core.scale.adapters import segmentation as G
from core.scale.book import BookParams, run_book
from core.scale.partitions import open_source, read_table


@pytest.fixture(scope="module")
def fitted(book):
    frame = book["frame"]
    sample = frame.iloc[:2500]
    return G.fit(D.dataset(sample, "sample", book["dataset"].schema), None, "kmeans", 4, 42)


@pytest.fixture(scope="module")
def reference(book, fitted, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    params = BookParams(shap=True, write_shap=True, sample_rows=1500)
    summary = run_book(book["layouts"][1], out, model=book["model"], segment=True, params=params,
                       segmentation=fitted, log=False)
    return summary, out


def _strip(summary):
    return {k: v for k, v in summary.items() if k not in ("executor", "seconds", "timings", "partitions", "input", "out",
                                                          "input_fingerprint", "params")}


@pytest.mark.parametrize("k", [1, 3, 7])
def test_cluster_equals_in_memory(book, fitted, reference, cluster_client, tmp_path, k):
    ref_summary, ref_out = reference
    out = tmp_path / f"out{k}"
    params = BookParams(shap=True, write_shap=True, sample_rows=1500)
    summary = run_book(book["layouts"][k], out, model=book["model"], segment=True, params=params, segmentation=fitted,
                       client=cluster_client, log=False)
    assert summary["partitions"] == k and summary["executor"] == "dask"
    for table in ("scores", "shap", "reasons"):
        pd.testing.assert_frame_equal(read_table(out, table), read_table(ref_out, table), check_exact=True)
    assert _strip(summary) == _strip(ref_summary)  # counts, exact sums, SHAP means, profiles, names: identical


def test_in_memory_path_is_the_products(book, fitted, reference):
    summary, out = reference
    frame, model = book["frame"], book["model"]
    scores = read_table(out, "scores")
    assert np.array_equal(scores["margin"].to_numpy(), model.predict_margin(frame))
    assert np.array_equal(scores["pd"].to_numpy(), model.predict_pd(frame))
    shap = read_table(out, "shap")
    e = model.explain(frame)
    assert np.array_equal(shap[[f"shap_{f}" for f in e.feature_names]].to_numpy(), e.values)
    labels = fitted.segmenter.predict(fitted.preprocessor.transform(frame))
    assert np.array_equal(scores["segment"].to_numpy(), labels)
    assert summary["scores"]["declined"] == int((model.predict_pd(frame) >= summary["cutoff"]).sum())
    mean_abs = pd.Series(summary["shap"]["mean_abs"])
    np.testing.assert_allclose(mean_abs.to_numpy(), e.mean_abs().reindex(mean_abs.index).to_numpy(), rtol=1e-12, atol=0)
    # segment sizes and means against the segmentation area's own profile of the whole frame
    from core.segmentation.profile import profile_segments

    prof = profile_segments(frame, labels, list(fitted.numeric), list(fitted.categorical), rules=False)
    for seg in summary["segments"]:
        assert seg["size"] == int(prof.sizes.loc[seg["id"], "size"])
        np.testing.assert_allclose(pd.Series(seg["means"]).to_numpy(),
                                   prof.means.loc[seg["id"], list(seg["means"])].to_numpy(dtype=float), rtol=1e-12)
    # EL against the scenario area's loss functions on the whole frame
    from core.scale.adapters.scenarios import baseline_el

    ead, el = baseline_el(frame, book["dataset"].schema, model.predict_pd(frame))
    assert summary["scores"]["expected_loss"] == pytest.approx(float(el.sum()), rel=1e-12)
    assert summary["scores"]["exposure"] == pytest.approx(float(ead.sum()), rel=1e-12)


def test_hashed_sample_is_the_same_whatever_the_split(book, cluster_client):
    from core.scale.common import hashed_sample, probe
    from core.scale.partitions import plan
    from core.scale.runner import Cluster, InProcess

    samples = []
    for k, ex in ((1, InProcess()), (7, Cluster(cluster_client))):
        inp = probe(open_source(book["layouts"][k]))
        samples.append(hashed_sample(ex, inp, plan(inp.source), ["customer_id", "age"], rows=500, salt=3))
    pd.testing.assert_frame_equal(samples[0], samples[1])
    assert 300 < len(samples[0]) < 700


def test_segment_batch_fits_once_on_the_sample(book, tmp_path):
    summary = run_book(book["layouts"][3], tmp_path / "seg", segment=True, params=BookParams(k=3, sample_rows=1200),
                       log=True)
    assert summary["kind"] == "segment" and summary["segmentation"]["k"] == 3
    assert sum(s["size"] for s in summary["segments"]) == len(book["frame"])
    names = [s["name"] for s in summary["segments"]]
    assert len(set(names)) == len(names)
    from core.workspace import get_workspace

    runs = get_workspace().runs(kind="batch_segment")
    assert len(runs) == 1 and runs.iloc[0]["user_id"] == "local"


def test_bad_cutoff_and_missing_model_are_plain_errors(book, tmp_path):
    from core.errors import InputError

    with pytest.raises(InputError):
        run_book(book["layouts"][1], tmp_path / "x", model=None, segment=False)
    with pytest.raises(InputError, match="cutoff"):
        run_book(book["layouts"][1], tmp_path / "y", model=book["model"], params=BookParams(cutoff=1.5))
    assert not (tmp_path / "y").exists()


def test_large_batches_score_as_predict_margin(book):
    """Past the small-batch size the adapter predicts in place: the margins are still predict_margin's, bit for bit."""
    from core.scale.adapters import credit as C

    frame = pd.concat([book["frame"]] * 2, ignore_index=True)
    assert len(frame) > C._SMALL
    assert np.array_equal(C.margin(book["model"], frame), book["model"].predict_margin(frame))
