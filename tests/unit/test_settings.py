from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings, get_settings


def test_environment_feeds_the_typed_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_WORKSPACE_DIR", str(tmp_path / "ws"))
    monkeypatch.setenv("STUDIO_DEVICE", "cpu")
    monkeypatch.setenv("STUDIO_MAX_UPLOAD_MB", "5")
    get_settings.cache_clear()
    s = get_settings()
    assert s.device == "cpu" and s.max_upload_mb == 5
    assert s.db_path == tmp_path / "ws" / "studio.duckdb"
    assert s.artifacts_dir == tmp_path / "ws" / "artifacts"


def test_settings_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STUDIO_WORKSPACE_DIR", raising=False)
    monkeypatch.delenv("STUDIO_DEFAULT_ROWS", raising=False)
    Path("studio.env").write_text("STUDIO_DEFAULT_ROWS=1234\nSTUDIO_COPY_BACKEND=openai\n")
    monkeypatch.delenv("STUDIO_COPY_BACKEND", raising=False)
    s = Settings()
    assert s.default_rows == 1234 and s.copy_backend == "openai"


def test_absurd_values_are_refused(monkeypatch):
    monkeypatch.setenv("STUDIO_DEVICE", "tpu")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("STUDIO_DEVICE", "cpu")
    monkeypatch.setenv("STUDIO_DEFAULT_ROWS", "-5")
    with pytest.raises(ValidationError):
        Settings()


def test_invalid_environment_falls_back_to_defaults_with_a_warning(monkeypatch):
    from core import settings

    monkeypatch.setenv("STUDIO_DEVICE", "tpu")
    get_settings.cache_clear()
    s = get_settings()
    assert s.device == "auto"
    assert any("STUDIO_DEVICE" in w for w in settings.SETTINGS_WARNINGS)
    get_settings.cache_clear()
