"""One typed settings object for the whole app.

Values come, in order of precedence, from environment variables prefixed ``STUDIO_`` (for example
``STUDIO_WORKSPACE_DIR=/data/studio``), from a ``studio.env`` file in the working directory, and
from the defaults below.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)


class Settings(BaseSettings):
    """Runtime configuration of Retail AIGC Studio."""

    model_config = SettingsConfigDict(env_prefix="STUDIO_", env_file="studio.env", extra="ignore")

    workspace_dir: Path = Field(Path("workspace"), description="Folder for the DuckDB store, artifacts and exports.")
    db_file: str = Field("studio.duckdb", description="DuckDB file name inside the workspace.")
    device: Literal["auto", "cuda", "mps", "cpu"] = Field("auto", description="Compute device; auto picks CUDA, then MPS, then CPU.")
    default_rows: int = Field(50_000, ge=500, le=10_000_000, description="Customers in the embedded synthetic portfolio.")
    seed: int = Field(42, description="Default random seed.")
    threads: int = Field(0, ge=0, le=1024, description="Compute threads per process (0 = every core); set once at start-up.")
    max_upload_mb: int = Field(200, ge=1, description="Largest file accepted for upload, in MiB.")
    copy_backend: Literal["local", "openai", "template"] = Field("local", description="Marketing-copy generation backend.")
    llm_model_path: str = Field("", description="Local model directory or GGUF file; empty uses the embedded Gemma 3 270M.")
    llm_adapter: bool = Field(True, description="Merge the shipped fine-tuned adapter into the embedded language model "
                              "(off: the base model with few-shot prompts).")
    llm_cpu_int8: bool = Field(True, description="On the CPU, run the language model's Linear layers in int8: decoding "
                               "is memory-bound, so about 2x the tokens/s of float32 (measured 10-14 against 5-6).")
    openai_base_url: str = Field("http://localhost:8000/v1", description="OpenAI-compatible endpoint for the copy page.")
    openai_model: str = Field("", description="Model name served at the endpoint.")
    openai_api_key: str = Field("", description="API key for the endpoint, if it needs one.")
    openai_timeout_s: float = Field(30.0, gt=0, description="Timeout of one endpoint call, in seconds.")
    sql_timeout_s: float = Field(30.0, gt=0, le=3600, description="Wall-clock limit of one SQL query; it is cancelled after.")
    sql_memory_mb: int = Field(1024, ge=64, description="Memory limit of the SQL sandbox, in MiB.")
    sql_threads: int = Field(2, ge=1, le=64, description="Threads one SQL query may use.")
    sql_max_rows: int = Field(5_000_000, ge=1, description="Most rows a SQL query may return.")
    sql_database_dirs: str = Field("", description="Folders external DuckDB/SQLite files may be read from "
                                   "(comma or path-separator separated); empty: <workspace>/databases.")
    server_address: str = Field("127.0.0.1", description="Address the server listens on; anything but loopback "
                                "needs an identity provider (OIDC) configured.")
    oidc_client_id: str = Field("", description="OIDC client id (with the metadata URL: sign-in is on).")
    oidc_client_secret: str = Field("", description="OIDC client secret.")
    oidc_server_metadata_url: str = Field("", description="The provider's .well-known/openid-configuration URL.")
    oidc_redirect_uri: str = Field("", description="https://<studio host>/oauth2callback; empty: "
                                   "http://localhost:<port>/oauth2callback.")
    oidc_cookie_secret: str = Field("", description="Secret signing the sign-in cookie; empty: a random one kept "
                                    "in the workspace.")
    oidc_scope: str = Field("openid profile email", description="Scopes asked of the identity provider.")
    auth_roles_claim: str = Field("roles", description="ID-token claim holding the user's roles (dotted path "
                                  "for nested claims, e.g. realm_access.roles).")
    auth_roles_file: str = Field("", description="YAML/JSON/TOML file mapping e-mail -> roles; it overrides the claim.")
    auth_default_roles: str = Field("analyst", description="Roles of a signed-in user the claim and file give none "
                                    "(empty: no access).")
    sql_url_schemes: str = Field("postgresql,mysql,mariadb,mssql,oracle",
                                 description="SQLAlchemy URL schemes the External database tab accepts.")
    scheduler_address: str = Field("", description="Dask scheduler for batch jobs (tcp://host:8786); empty starts a local cluster.")

    @property
    def db_path(self) -> Path:
        return self.workspace_dir / self.db_file

    @property
    def artifacts_dir(self) -> Path:
        return self.workspace_dir / "artifacts"

    @property
    def exports_dir(self) -> Path:
        return self.workspace_dir / "exports"


SETTINGS_WARNINGS: list[str] = []


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once.

    An invalid value (say ``STUDIO_DEVICE=tpu``) must not keep the app from starting: the defaults
    are used instead and the problem is recorded in :data:`SETTINGS_WARNINGS` for the sidebar.
    """
    SETTINGS_WARNINGS.clear()
    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            SETTINGS_WARNINGS.append(f"Setting STUDIO_{field.upper()} is invalid ({err['msg']}); using defaults.")
            logger.warning(SETTINGS_WARNINGS[-1])
        return Settings.model_construct()
