import json

import numpy as np
import pytest

from core import resolver
from core.credit.params import CreditParams
from core.credit.store import ARTIFACT, KIND, load_model, stored_models, train_or_load
from core.data.synthetic import generate_portfolio
from core.errors import InputError
from core.runtime.lifecycle import CorruptArtifactError
from core.runtime.registry import get_registry
from core.workspace import get_workspace

from .conftest import FAST


def test_train_or_load_registers_logs_and_reloads():
    ds = generate_portfolio(2500, seed=3)
    seen = []
    m = train_or_load(ds, CreditParams(**FAST), progress=lambda f, msg: seen.append(f))
    assert seen and max(seen) <= 1.0
    reg = get_registry()
    assert reg.has_artifact(ARTIFACT, m.fingerprint)
    folder = reg.artifact_dir(ARTIFACT, m.fingerprint)
    assert sorted(p.name for p in folder.iterdir()) == ["booster.json", "meta.json", "reference.npz"]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["dataset_fingerprint"] == ds.fingerprint and "calibrator" in meta and "benchmark" in meta
    runs = get_workspace().runs(kind="credit_model", dataset_fingerprint=ds.fingerprint)
    assert runs["model_fingerprint"].tolist() == [m.fingerprint]
    result = get_workspace().get_run(runs["run_id"][0]).result
    assert result["auc"] > 0.6 and result["excluded"]["age"].startswith("a protected attribute")

    assert train_or_load(ds, CreditParams(**FAST)) is m  # from memory, not retrained
    assert len(get_workspace().runs(kind="credit_model")) == 1
    reg.evict()
    again = resolver.credit_model(ds)
    assert again is not None and again is not m and again.fingerprint == m.fingerprint
    assert again.meta == m.meta  # typed metadata round-trips
    frame = ds.frame.iloc[:300]
    assert np.allclose(again.predict_pd(frame), m.predict_pd(frame))
    assert np.allclose(again.explain(frame).values, m.explain(frame).values)
    assert np.allclose(again.predict_benchmark_pd(frame), m.predict_benchmark_pd(frame))
    assert [s.fingerprint for s in stored_models()] == [m.fingerprint]


def test_newest_wins_and_an_analysts_choice_is_current_for_any_dataset():
    ds = generate_portfolio(2500, seed=3)
    assert resolver.credit_model(ds) is None
    older = train_or_load(ds, CreditParams(**FAST))
    newer = train_or_load(ds, CreditParams(**{**FAST, "max_depth": 3}))
    get_registry().evict()
    assert resolver.credit_model(ds).fingerprint == newer.fingerprint
    other = generate_portfolio(2500, seed=4)
    assert resolver.credit_model(other) is None
    resolver.choose(resolver.CREDIT, other, older.fingerprint)  # a champion trained elsewhere scores new data
    assert resolver.credit_model(other).fingerprint == older.fingerprint
    with pytest.raises(InputError):
        resolver.choose(resolver.CREDIT, other, "nope")


def test_model_scores_a_frame_with_its_columns_and_names_the_missing_ones():
    ds = generate_portfolio(2500, seed=3)
    m = train_or_load(ds, CreditParams(**FAST))
    frame = ds.frame[m.feature_names].iloc[:10].assign(extra=1)
    assert m.predict_pd(frame).shape == (10,)
    with pytest.raises(InputError, match="credit_score"):
        m.predict_pd(ds.frame.drop(columns=["credit_score"]))


def test_corrupt_artifact_is_moved_aside_and_reported():
    ds = generate_portfolio(2500, seed=3)
    m = train_or_load(ds, CreditParams(**FAST))
    reg = get_registry()
    folder = reg.artifact_dir(ARTIFACT, m.fingerprint)
    (folder / "booster.json").write_text("{not json")
    reg.evict()
    with pytest.raises(CorruptArtifactError) as info:
        load_model(m.fingerprint)
    assert info.value.moved_to is not None and info.value.moved_to.exists()
    assert not folder.exists()
    assert not reg.has_artifact(KIND.name, m.fingerprint)
    again = train_or_load(ds, CreditParams(**FAST))  # the page's "retrain" works at once
    assert again.fingerprint == m.fingerprint and reg.has_artifact(ARTIFACT, m.fingerprint)
