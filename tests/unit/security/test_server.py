"""dashboard.server: where the studio listens, the upload limit, sign-in settings from the environment."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.settings import get_settings
from dashboard.server import ServeRefused, auth_is_configured, plan

ROOT = Path(__file__).resolve().parents[3]
AUTH = """[auth]
redirect_uri = "https://studio.bank.example/oauth2callback"
cookie_secret = "a-long-random-cookie-secret-for-tests"
client_id = "studio"
client_secret = "s3cret"
server_metadata_url = "https://login.bank.example/.well-known/openid-configuration"
"""


def _arg(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == name]


def test_local_mode_binds_loopback_and_sets_the_upload_limit(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_MAX_UPLOAD_MB", "37")
    get_settings.cache_clear()
    serve = plan(["--server.port", "8999", "--server.maxUploadSize", "1024"], get_settings(), environ={},
                 secrets_files=[tmp_path / "none.toml"])
    assert not serve.oidc and serve.address == "127.0.0.1"
    assert _arg(serve.argv, "--server.address") == ["127.0.0.1"]
    assert _arg(serve.argv, "--server.maxUploadSize") == ["37"]  # one limit, from settings
    assert any("ignored" in n for n in serve.notes) and any("local mode" in n for n in serve.notes)


@pytest.mark.parametrize("how", ["arg", "arg=", "env", "setting"])
@pytest.mark.parametrize("address", ["0.0.0.0", "::", "10.1.2.3", "studio.bank.example"])
def test_all_interfaces_without_sign_in_is_refused(monkeypatch, tmp_path, how, address):
    args, environ = [], {}
    if how == "arg":
        args = ["--server.address", address]
    elif how == "arg=":
        args = [f"--server.address={address}"]
    elif how == "env":
        environ = {"STREAMLIT_SERVER_ADDRESS": address}
    else:
        monkeypatch.setenv("STUDIO_SERVER_ADDRESS", address)
        get_settings.cache_clear()
    with pytest.raises(ServeRefused, match="single-user local mode.*127.0.0.1 only"):
        plan(args, get_settings(), environ=environ, secrets_files=[tmp_path / "none.toml"])


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_addresses_are_fine_without_sign_in(tmp_path, address):
    serve = plan(["--server.address", address], get_settings(), environ={}, secrets_files=[tmp_path / "n.toml"])
    assert serve.address == address and not serve.oidc


def test_with_a_secrets_file_provider_it_binds_where_told(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(AUTH)
    serve = plan(["--server.address", "0.0.0.0"], get_settings(), environ={}, secrets_files=[secrets])
    assert serve.oidc and _arg(serve.argv, "--server.address") == ["0.0.0.0"]
    assert _arg(serve.argv, "--secrets.files") == [str(secrets)]


def test_oidc_from_the_environment_becomes_a_private_secrets_file(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_OIDC_CLIENT_ID", "studio")
    monkeypatch.setenv("STUDIO_OIDC_CLIENT_SECRET", "from-env-secret")
    monkeypatch.setenv("STUDIO_OIDC_SERVER_METADATA_URL", "http://127.0.0.1:9/.well-known/openid-configuration")
    get_settings.cache_clear()
    serve = plan(["--server.port", "8765", "--server.address", "0.0.0.0"], get_settings(), environ={},
                 secrets_files=[tmp_path / "none.toml"])
    written = Path(_arg(serve.argv, "--secrets.files")[-1])
    assert serve.oidc and written.is_relative_to(get_settings().workspace_dir)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    auth = tomllib.loads(written.read_text())["auth"]
    assert auth["client_secret"] == "from-env-secret"
    assert auth["redirect_uri"] == "http://localhost:8765/oauth2callback"
    assert len(auth["cookie_secret"]) >= 32
    # the cookie secret is kept: a restart signs nobody out
    again = plan([], get_settings(), environ={}, secrets_files=[tmp_path / "none.toml"])
    assert tomllib.loads(Path(_arg(again.argv, "--secrets.files")[-1]).read_text())["auth"]["cookie_secret"] == \
        auth["cookie_secret"]


def test_incomplete_auth_section_is_not_sign_in():
    assert not auth_is_configured({"client_id": "x"})
    assert not auth_is_configured({"redirect_uri": "r", "cookie_secret": "c", "client_id": "x"})
    assert auth_is_configured({"redirect_uri": "r", "cookie_secret": "c",
                               "okta": {"client_id": "x", "server_metadata_url": "u"}})


def test_the_command_refuses_before_starting_streamlit(tmp_path):
    env = {**os.environ, "STUDIO_WORKSPACE_DIR": str(tmp_path / "ws"), "HOME": str(tmp_path)}
    env.pop("STUDIO_OIDC_CLIENT_ID", None)
    done = subprocess.run([sys.executable, "-m", "dashboard.server", "--server.address", "0.0.0.0",
                           "--server.headless", "true"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Refusing to listen on 0.0.0.0" in done.stderr and "Traceback" not in done.stderr


def test_config_toml_hides_error_details_and_sets_no_upload_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert "maxUploadSize" not in config.get("server", {}) and "address" not in config.get("server", {})
