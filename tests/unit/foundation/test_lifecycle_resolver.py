import json
import threading
from pathlib import Path

import pytest
import torch

from core.data.dataset import DatasetRef
from core.errors import InputError, ModelLoadError
from core.runtime import device, lifecycle
from core.runtime.registry import get_registry

KIND = lifecycle.ArtifactKind("toy_model", "toy_model", version=3)


class Toy:
    def __init__(self, fingerprint: str, value: float, device: str = "cpu") -> None:
        self.fingerprint = fingerprint
        self.value = value
        self.device = device


def _write(model: Toy, folder: Path) -> dict:
    (folder / "weights.json").write_text(json.dumps({"value": model.value}))
    return {"value": model.value}


def _load(folder: Path, dev: str) -> Toy:
    meta = json.loads((folder / "meta.json").read_text())
    try:
        value = json.loads((folder / "weights.json").read_text())["value"]
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"unreadable toy ({exc})") from exc
    return Toy(meta["fingerprint"], value, dev)


def _fit_counter():
    calls = []

    def fit(dev: str) -> Toy:
        calls.append(dev)
        return Toy("fp1", 1.5, dev)

    return fit, calls


def test_fit_once_then_memory_then_disk(isolated_workspace):
    fit, calls = _fit_counter()
    describe = lambda m: {"name": "toy", "params": {"a": 1}, "seed": 7, "result": {"value": m.value}}  # noqa: E731
    ds = DatasetRef("d", "dsfp")
    a = lifecycle.load_or_fit(KIND, "fp1", fit=fit, load=_load, write=_write, describe=describe, dataset=ds)
    b = lifecycle.load_or_fit(KIND, "fp1", fit=fit, load=_load, write=_write, describe=describe, dataset=ds)
    assert a is b and calls == ["cpu"]
    meta = json.loads((lifecycle.artifact_dir(KIND, "fp1") / "meta.json").read_text())
    assert meta["version"] == 3 and meta["value"] == 1.5
    get_registry().evict()
    c = lifecycle.load_or_fit(KIND, "fp1", fit=fit, load=_load, write=_write)
    assert c is not a and c.value == 1.5 and calls == ["cpu"]
    from core.workspace import get_workspace

    runs = get_workspace().runs(kind="toy_model")
    assert len(runs) == 1 and runs.iloc[0]["model_fingerprint"] == "fp1" and runs.iloc[0]["dataset_fingerprint"] == "dsfp"


def test_concurrent_requests_train_once(isolated_workspace):
    calls = []
    gate = threading.Event()

    def slow_fit(dev: str) -> Toy:
        calls.append(dev)
        gate.wait(2)
        return Toy("fp2", 2.0, dev)

    out = []
    threads = [threading.Thread(target=lambda: out.append(
        lifecycle.load_or_fit(KIND, "fp2", fit=slow_fit, load=_load, write=_write))) for _ in range(3)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(m) for m in out}) == 1


def test_fingerprint_must_be_part_of_the_model(isolated_workspace):
    with pytest.raises(ModelLoadError, match="fingerprint"):
        lifecycle.load_or_fit(KIND, "expected", fit=lambda d: Toy("other", 1.0), load=_load, write=_write)
    assert not lifecycle.has_artifact(KIND, "expected")


def test_cuda_oom_falls_back_to_cpu_with_a_warning(isolated_workspace):
    tried = []

    def fit(dev: str) -> Toy:
        tried.append(dev)
        if dev == "cuda":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return Toy("fp3", 3.0, dev)

    model = lifecycle.load_or_fit(KIND, "fp3", fit=fit, load=_load, write=_write, device="cuda")
    assert tried == ["cuda", "cpu"] and model.device == "cpu"
    assert any("GPU failed" in w for w in device.device_info().warnings)


def test_other_errors_are_not_swallowed(isolated_workspace):
    def fit(dev: str) -> Toy:
        raise ValueError("bad data")

    with pytest.raises(ValueError):
        lifecycle.load_or_fit(KIND, "fp4", fit=fit, load=_load, write=_write, device="cuda")


def test_corrupt_artifact_moved_aside_and_reported(isolated_workspace):
    lifecycle.load_or_fit(KIND, "fp5", fit=lambda d: Toy("fp5", 5.0, d), load=_load, write=_write)
    get_registry().evict()
    folder = lifecycle.artifact_dir(KIND, "fp5")
    (folder / "weights.json").write_text("{not json")
    with pytest.raises(lifecycle.CorruptArtifactError) as info:
        lifecycle.load_artifact(KIND, "fp5", _load)
    moved = info.value.moved_to
    assert moved is not None and moved.exists() and not folder.exists()
    assert (moved / "weights.json").read_text() == "{not json"  # kept, not deleted
    # the retrain the page offers now works
    again = lifecycle.load_or_fit(KIND, "fp5", fit=lambda d: Toy("fp5", 6.0, d), load=_load, write=_write)
    assert again.value == 6.0


def test_resolver_newest_then_chosen(isolated_workspace):
    from core import resolver
    from core.workspace import get_workspace

    ds = DatasetRef("d", "dsX")
    assert resolver.current(resolver.CREDIT, ds) is None
    kind = lifecycle.ArtifactKind("credit_model", "credit_model")
    for fp in ("m1", "m2"):
        lifecycle.load_or_fit(kind, fp, fit=lambda d, fp=fp: Toy(fp, 1.0, d), load=_load, write=_write,
                              describe=lambda m: {"name": m.fingerprint}, dataset=ds)
    assert resolver.current(resolver.CREDIT, ds) == "m2"
    resolver.choose(resolver.CREDIT, ds, "m1")
    assert resolver.current(resolver.CREDIT, ds) == "m1"
    assert get_workspace().get_current(resolver.CREDIT, "dsX") == "m1"
    with pytest.raises(InputError):
        resolver.choose(resolver.CREDIT, ds, "nope")
    # a chosen artifact that disappeared falls back to the newest one that exists
    import shutil

    shutil.rmtree(lifecycle.artifact_dir(kind, "m1"))
    assert resolver.current(resolver.CREDIT, ds) == "m2"
    assert resolver.current(resolver.CREDIT, DatasetRef("d", "other")) is None


@pytest.mark.gpu
def test_a_model_fitted_on_cuda_is_registered_for_cuda_and_reloads_there(isolated_workspace, monkeypatch):
    monkeypatch.setenv("STUDIO_DEVICE", "cuda")
    from core.settings import get_settings

    get_settings.cache_clear()
    device._reset_for_tests()

    def fit(dev: str) -> Toy:
        x = torch.ones(4, device=dev)
        return Toy("fpg", float(x.sum().item()), str(x.device.type))

    model = lifecycle.load_or_fit(KIND, "fpg", fit=fit, load=_load, write=_write)
    assert (model.device, model.value) == ("cuda", 4.0)
    get_registry().evict()
    again = lifecycle.load_or_fit(KIND, "fpg", fit=fit, load=_load, write=_write)
    assert (again.device, again.value) == ("cuda", 4.0) and device.device_info().warnings == []
