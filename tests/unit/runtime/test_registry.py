import json
import threading

import pytest
import torch

from core.errors import ModelLoadError
from core.runtime import device
from core.runtime.registry import ModelRegistry, fingerprint_of


def test_each_model_loads_once_and_is_shared_across_threads(tmp_path):
    reg = ModelRegistry(tmp_path)
    calls = []

    def loader(dev):
        calls.append(dev)
        return torch.nn.Linear(4, 2)

    results = []
    threads = [threading.Thread(target=lambda: results.append(reg.get("vae", "fp1", loader, "cpu"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(r is results[0] for r in results)
    assert reg.get("vae", "fp2", loader, "cpu") is not results[0]  # another fingerprint, another model
    assert [m.fingerprint for m in reg.loaded()] == ["fp1", "fp2"]


def test_artifacts_round_trip_with_weights_only(tmp_path):
    reg = ModelRegistry(tmp_path)
    net = torch.nn.Linear(3, 1)

    def write(folder):
        torch.save(net.state_dict(), folder / "weights.pt")
        return {"config": {"in": 3, "out": 1}}

    fp = fingerprint_of("linear", {"in": 3})
    reg.save_artifact("linear", fp, write)
    assert reg.has_artifact("linear", fp)
    meta = reg.read_meta("linear", fp)
    assert meta["config"] == {"in": 3, "out": 1}
    state = torch.load(reg.artifact_dir("linear", fp) / "weights.pt", weights_only=True)
    again = torch.nn.Linear(3, 1)
    again.load_state_dict(state)
    assert torch.equal(again.weight, net.weight)
    assert [m["fingerprint"] for m in reg.list_artifacts("linear")] == [fp]


def test_a_failed_artifact_write_leaves_nothing(tmp_path):
    reg = ModelRegistry(tmp_path)

    def write(folder):
        (folder / "half.bin").write_bytes(b"x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        reg.save_artifact("m", "fp", write)
    assert not reg.has_artifact("m", "fp")
    assert list((tmp_path / "m").iterdir()) == []


def test_cuda_out_of_memory_falls_back_to_cpu_with_a_warning(tmp_path):
    reg = ModelRegistry(tmp_path)

    def loader(dev):
        if dev == "cuda":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return {"device": dev}

    model = reg.get("lm", "fp", loader, "cuda")
    assert model == {"device": "cpu"}
    assert device.resolve_device() == "cpu"
    assert any("GPU failed" in w for w in device.device_info().warnings)


def test_other_load_failures_become_model_load_errors(tmp_path):
    reg = ModelRegistry(tmp_path)

    def loader(dev):
        raise FileNotFoundError("weights.pt")

    with pytest.raises(ModelLoadError, match="failed to load"):
        reg.get("broken", "fp", loader, "cpu")
    assert reg.loaded() == []


def test_corrupt_meta_is_a_clear_error(tmp_path):
    reg = ModelRegistry(tmp_path)
    folder = reg.artifact_dir("m", "fp")
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text("{not json")
    with pytest.raises(ModelLoadError):
        reg.read_meta("m", "fp")
    assert json.dumps(fingerprint_of({"a": 1})) and fingerprint_of({"a": 1}) == fingerprint_of({"a": 1})
