"""Start the app: ``python -m dashboard.server [streamlit options]``.

Equivalent to ``streamlit run streamlit_app.py`` with four decisions made here, once:

* Streamlit's legacy discovery of ``pages/`` is switched off before the first request, so a deep
  link such as ``/credit`` opens in the app's own ``st.navigation``.
* **Where it listens.** Without an identity provider the studio is single-user local mode and binds
  to 127.0.0.1; asking it to listen anywhere else (``--server.address 0.0.0.0``,
  ``STREAMLIT_SERVER_ADDRESS``, ``STUDIO_SERVER_ADDRESS``) is refused with a message. With OIDC
  configured it binds where it is told.
* **Sign-in from the environment.** ``STUDIO_OIDC_*`` settings become Streamlit's ``[auth]``
  secrets section (a private file in the workspace, readable by this user only), beside any
  ``.streamlit/secrets.toml`` the operator keeps.
* **One upload limit.** ``server.maxUploadSize`` is set from ``STUDIO_MAX_UPLOAD_MB`` and nowhere else.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "streamlit_app.py"
SECRETS_NAME = "auth-secrets.toml"


class ServeRefused(SystemExit):
    """The server will not start as asked (exit status 2, message on stderr)."""


@dataclass
class ServePlan:
    """The ``streamlit run`` arguments and what the operator is told."""

    argv: list[str]
    address: str
    oidc: bool
    notes: list[str] = field(default_factory=list)


def _is_loopback(address: str) -> bool:
    if address.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _take_option(args: list[str], name: str) -> tuple[list[str], str | None]:
    """Remove ``--name VALUE`` / ``--name=VALUE`` from ``args``; return the rest and the last value."""
    rest, value, i = [], None, 0
    while i < len(args):
        arg = args[i]
        if arg == name and i + 1 < len(args):
            value, i = args[i + 1], i + 2
            continue
        if arg.startswith(name + "="):
            value, i = arg.split("=", 1)[1], i + 1
            continue
        rest.append(arg)
        i += 1
    return rest, value


def default_secrets_files(cwd: Path | None = None) -> list[Path]:
    """Where Streamlit looks for ``secrets.toml`` by default (user-wide, then the working folder)."""
    return [Path.home() / ".streamlit" / "secrets.toml", (cwd or Path.cwd()) / ".streamlit" / "secrets.toml"]


def file_auth_section(files: list[Path]) -> dict:
    """The ``[auth]`` section of the first secrets file that has a usable one (later files win)."""
    section: dict = {}
    for path in files:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(data.get("auth"), dict):
            section = {**section, **data["auth"]}
    return section


def auth_is_configured(section: dict) -> bool:
    """True when an ``[auth]`` section names a provider (itself, or one ``[auth.<name>]`` sub-section)."""
    def complete(d: dict) -> bool:
        return bool(d.get("client_id") and d.get("server_metadata_url"))

    return bool(section.get("redirect_uri") and section.get("cookie_secret")) and (
        complete(section) or any(isinstance(v, dict) and complete(v) for v in section.values()))


def env_auth_section(settings: Settings, port: str) -> dict | None:
    """Streamlit's ``[auth]`` section from the ``STUDIO_OIDC_*`` settings, or None when they are not set."""
    if not (settings.oidc_client_id and settings.oidc_server_metadata_url):
        return None
    return {
        "redirect_uri": settings.oidc_redirect_uri or f"http://localhost:{port}/oauth2callback",
        "cookie_secret": settings.oidc_cookie_secret or _kept_cookie_secret(settings),
        "client_id": settings.oidc_client_id,
        "client_secret": settings.oidc_client_secret,
        "server_metadata_url": settings.oidc_server_metadata_url,
        "client_kwargs": {"scope": settings.oidc_scope, "prompt": "select_account"},
    }


def _private_dir(settings: Settings) -> Path:
    folder = settings.workspace_dir / ".secrets"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def _kept_cookie_secret(settings: Settings) -> str:
    # random once per workspace, so a restart keeps everyone signed in
    path = _private_dir(settings) / "cookie_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_env_secrets(settings: Settings, section: dict) -> Path:
    """Write the ``[auth]`` section to a file only this user can read; return its path."""
    path = _private_dir(settings) / SECRETS_NAME
    body = "# written by dashboard.server from STUDIO_OIDC_* settings; do not edit\n[auth]\n" + "".join(
        f"{k} = {_toml_value(v)}\n" for k, v in section.items())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(body)
    os.chmod(path, 0o600)
    return path


def plan(args: list[str], settings: Settings, *, environ: dict[str, str] | None = None,
         secrets_files: list[Path] | None = None) -> ServePlan:
    """Decide the ``streamlit run`` command line.

    Raises:
        ServeRefused: asked to listen beyond this machine with no identity provider configured.
    """
    env = os.environ if environ is None else environ
    notes: list[str] = []
    rest, address = _take_option(list(args), "--server.address")
    rest, upload = _take_option(rest, "--server.maxUploadSize")
    rest, files_arg = _take_option(rest, "--secrets.files")
    _, port = _take_option(list(rest), "--server.port")
    port = port or env.get("STREAMLIT_SERVER_PORT", "8501")
    if upload is not None and upload != str(settings.max_upload_mb):
        notes.append(f"--server.maxUploadSize {upload} ignored: the upload limit is STUDIO_MAX_UPLOAD_MB "
                     f"({settings.max_upload_mb} MiB).")
    files = [Path(files_arg)] if files_arg else (secrets_files or default_secrets_files())
    env_section = env_auth_section(settings, port)
    if env_section is not None:
        files = [*files, write_env_secrets(settings, env_section)]
    oidc = auth_is_configured(file_auth_section(files))
    requested = address or env.get("STREAMLIT_SERVER_ADDRESS") or settings.server_address or "127.0.0.1"
    if not oidc and not _is_loopback(requested):
        raise ServeRefused(
            f"Refusing to listen on {requested}: no identity provider is configured, so the studio runs in "
            "single-user local mode and listens on 127.0.0.1 only. To serve a team, configure sign-in (OIDC: "
            "STUDIO_OIDC_CLIENT_ID, STUDIO_OIDC_CLIENT_SECRET, STUDIO_OIDC_SERVER_METADATA_URL, or an [auth] "
            "section in .streamlit/secrets.toml; see 'Deploying for a team' in the README)."
        )
    if not oidc:
        notes.append("No identity provider configured: single-user local mode on 127.0.0.1.")
    argv = ["streamlit", "run", str(APP), *rest, "--server.address", requested,
            "--server.maxUploadSize", str(settings.max_upload_mb)]
    for path in files:
        argv += ["--secrets.files", str(path)]
    return ServePlan(argv, requested, oidc, notes)


def main(args: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    try:
        serve = plan(sys.argv[1:] if args is None else args, get_settings())
    except ServeRefused as exc:
        print(exc.code, file=sys.stderr)  # noqa: T201 - the operator's terminal
        sys.exit(2)
    for note in serve.notes:
        print(note, file=sys.stderr)  # noqa: T201
    PagesManager.uses_pages_directory = False
    sys.argv = serve.argv
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
