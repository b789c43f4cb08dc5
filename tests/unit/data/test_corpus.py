"""The bad-input corpus: every file loads with the inference its manifest states, or is refused plainly."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core import errors
from core.data.loaders import prepare_file
from core.data.schema import Role
from tests.unit.data.conftest import CORPUS

MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["files"]


def _load(case: dict):
    return prepare_file(case["file"], (CORPUS / case["file"]).read_bytes(), 10)


def test_every_corpus_file_is_in_the_manifest():
    on_disk = {p.name for p in CORPUS.glob("*.csv")}
    assert on_disk == {c["file"] for c in MANIFEST}


@pytest.mark.parametrize("case", MANIFEST, ids=[c["file"] for c in MANIFEST])
def test_corpus_inference(case):
    p = _load(case)
    ds = p.dataset
    s = ds.schema
    assert s.target == case["target"]
    if case["target"] is not None:
        assert s.positive_label == case["positive_label"]
        assert ds.target_vector().sum() > 0
    assert s.id_column == case["id"]
    for col, role in case.get("roles", {}).items():
        assert s.roles[col].value == role, col
    for col, unit in case.get("units", {}).items():
        assert s.units.get(col) == unit, col
    if "pii" in case:
        assert sorted(s.pii) == sorted(case["pii"])
    for col in case.get("excluded", []):
        assert col in p.report.excluded, col
        assert col not in ds.features()
    for col, tags in case.get("tags", {}).items():
        assert set(tags) <= {t.value for t in s.tags_of(col)}, col
    for col, expected in case.get("first_row", {}).items():
        got = ds.frame[col].iloc[0]
        if isinstance(got, pd.Timestamp):
            assert str(got.date()) == expected, col
        elif isinstance(expected, float):
            assert got == pytest.approx(expected, rel=1e-9), col
        else:
            assert got == expected, col
    for phrase in case.get("notes", []):
        assert any(phrase in n for n in p.notes), (phrase, p.notes)
    # never a feature: ids, PII, the target, excluded columns
    feats = set(ds.features())
    assert not feats & set(s.pii) and s.id_column not in feats and s.target not in feats
    # every numeric feature holds numbers, every datetime column holds dates
    for col in s.numeric:
        assert pd.api.types.is_numeric_dtype(ds.frame[col]), col
    for col in s.columns(Role.DATETIME):
        assert pd.api.types.is_datetime64_any_dtype(ds.frame[col]), col


@pytest.mark.parametrize("case", [c for c in MANIFEST if "forced_target_error" in c], ids=lambda c: c["file"])
def test_refused_targets_get_a_plain_message(case):
    want = case["forced_target_error"]
    with pytest.raises(getattr(errors, want["error"])) as exc:
        prepare_file(case["file"], (CORPUS / case["file"]).read_bytes(), 10, target=want["target"])
    assert want["message"] in exc.value.message and exc.value.hint
