import torch

from core.runtime import device


def test_env_override_and_auto(monkeypatch):
    monkeypatch.setenv("STUDIO_DEVICE", "cpu")
    device._reset_for_tests()
    assert device.resolve_device() == "cpu"
    device._reset_for_tests()
    monkeypatch.setenv("STUDIO_DEVICE", "auto")
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert device.resolve_device() == expected


def test_cuda_requested_without_cuda_warns(monkeypatch):
    if torch.cuda.is_available():
        return
    monkeypatch.setenv("STUDIO_DEVICE", "cuda")
    device._reset_for_tests()
    assert device.resolve_device() == "cpu"
    info = device.device_info()
    assert info.name == "cpu" and any("no CUDA" in w for w in info.warnings)


def test_oom_detection():
    assert device.is_oom(torch.OutOfMemoryError("CUDA out of memory"))
    assert not device.is_oom(ValueError("shape mismatch"))
