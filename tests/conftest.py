"""Shared fixtures: every test gets its own workspace folder and a small default portfolio."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_workspace(tmp_path, monkeypatch):
    """Point the settings at a fresh workspace and reset process-wide singletons."""
    from core import workspace
    from core.runtime import device, registry
    from core.settings import get_settings

    monkeypatch.setenv("STUDIO_WORKSPACE_DIR", str(tmp_path / "workspace"))
    monkeypatch.setenv("STUDIO_DEFAULT_ROWS", os.environ.get("STUDIO_TEST_ROWS", "3000"))
    monkeypatch.setenv("STUDIO_COPY_BACKEND", "template")
    get_settings.cache_clear()
    workspace._reset_for_tests()
    registry._reset_for_tests()
    device._reset_for_tests()
    yield tmp_path / "workspace"
    workspace._reset_for_tests()
    registry._reset_for_tests()
    get_settings.cache_clear()


@pytest.fixture
def shared_data():
    """The folder of real datasets, or skip when it is not beside the project."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA


@pytest.fixture
def small_portfolio():
    from core.data.synthetic import generate_portfolio

    return generate_portfolio(3000, seed=7)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` need a CUDA device; without one they are skipped, with the reason."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # noqa: BLE001 - torch missing or broken: no GPU either way
        has_cuda = False
    if not has_cuda:
        skip = pytest.mark.skip(reason="needs a CUDA device")
        for item in gpu_items:
            item.add_marker(skip)
