import json

import numpy as np
import pytest

from core.credit.model import CreditParams
from core.credit.service import ARTIFACT, CreditModel, latest_model, train_or_load
from core.data.synthetic import generate_portfolio
from core.errors import ModelLoadError
from core.runtime.registry import get_registry
from core.workspace import get_workspace

from .conftest import FAST


def test_train_or_load_registers_logs_and_reloads(isolated_workspace):
    ds = generate_portfolio(2500, seed=3)
    seen = []
    m = train_or_load(ds, CreditParams(**FAST), progress=lambda f, msg: seen.append(f))
    assert seen and seen[-1] == 1.0
    reg = get_registry()
    assert reg.has_artifact(ARTIFACT, m.fingerprint)
    folder = reg.artifact_dir(ARTIFACT, m.fingerprint)
    assert sorted(p.name for p in folder.iterdir()) == ["booster.json", "meta.json", "reference.npz"]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["dataset_fingerprint"] == ds.fingerprint and "calibrator" in meta and "benchmark" in meta
    runs = get_workspace().runs(kind="credit_model", dataset_fingerprint=ds.fingerprint)
    assert runs["model_fingerprint"].tolist() == [m.fingerprint]
    assert get_workspace().get_run(runs["run_id"][0]).result["auc"] > 0.6

    assert train_or_load(ds, CreditParams(**FAST)) is m  # from memory, not retrained
    assert len(get_workspace().runs(kind="credit_model")) == 1
    reg.evict()
    again = latest_model(ds)
    assert again is not None and again is not m and again.fingerprint == m.fingerprint
    frame = ds.frame.iloc[:300]
    assert np.allclose(again.predict_pd(frame), m.predict_pd(frame))
    assert np.allclose(again.explain(frame).values, m.explain(frame).values)
    assert np.allclose(again.predict_benchmark_pd(frame), m.predict_benchmark_pd(frame))
    assert again.feature_names == m.feature_names


def test_latest_model_is_none_for_other_data_and_newest_wins(isolated_workspace):
    ds = generate_portfolio(2500, seed=3)
    assert latest_model(ds) is None
    train_or_load(ds, CreditParams(**FAST))
    newer = train_or_load(ds, CreditParams(max_depth=3, **FAST))
    get_registry().evict()
    assert latest_model(ds).fingerprint == newer.fingerprint
    assert latest_model(generate_portfolio(2500, seed=4)) is None


def test_predict_pd_ignores_extra_columns_and_needs_features(isolated_workspace):
    ds = generate_portfolio(2500, seed=3)
    m = train_or_load(ds, CreditParams(**FAST))
    frame = ds.frame[m.feature_names].iloc[:10].assign(extra=1)
    assert m.predict_pd(frame).shape == (10,)
    from core.errors import InputError

    with pytest.raises(InputError):
        m.predict_pd(ds.frame.drop(columns=["credit_score"]))


def test_corrupt_artifact_raises_model_load_error(tmp_path):
    (tmp_path / "meta.json").write_text("{not json")
    with pytest.raises(ModelLoadError):
        CreditModel.load(tmp_path)
