"""Who a signed-in person is: a :class:`core.auth.User` from the identity provider's claims.

Roles come from, in this order:

1. the **roles file** (``STUDIO_AUTH_ROLES_FILE``: YAML, JSON or TOML mapping e-mail -> roles), when
   it names the user: the bank's own list wins over the provider;
2. the **roles claim** of the ID token (``STUDIO_AUTH_ROLES_CLAIM``, default ``roles``; a dotted path
   such as ``realm_access.roles`` reads Keycloak's nested claim). Values may carry a prefix
   (``studio-admin``, ``Studio.Reviewer``) and may be a list or a comma-separated string;
3. ``STUDIO_AUTH_DEFAULT_ROLES`` (``analyst``; empty gives a signed-in user no access).

Role names: ``analyst``, ``reviewer`` (also ``compliance_reviewer``), ``admin``; others are ignored.
"""

from __future__ import annotations

import json
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.auth import Role, User
from core.errors import StudioError
from core.settings import Settings, get_settings

_ALIASES = {"analyst": Role.ANALYST, "reviewer": Role.REVIEWER, "compliance_reviewer": Role.REVIEWER,
            "compliance": Role.REVIEWER, "admin": Role.ADMIN, "administrator": Role.ADMIN}
_PREFIX = re.compile(r"^(retail[_\- .]?aigc[_\- .]?)?studio[_\- .:/]+", re.IGNORECASE)


class AuthConfigError(StudioError):
    """The sign-in configuration (roles file, claims) cannot be used."""


def role_names(values: object) -> frozenset[Role]:
    """Roles named by a claim value or a roles-file entry; unknown names are ignored."""
    if values is None:
        return frozenset()
    if isinstance(values, str):
        items: Iterable[object] = re.split(r"[,;\s]+", values)
    elif isinstance(values, Iterable):
        items = values
    else:
        return frozenset()
    out = set()
    for item in items:
        name = _PREFIX.sub("", str(item).strip()).lower().replace("-", "_").replace(" ", "_")
        if name in _ALIASES:
            out.add(_ALIASES[name])
    return frozenset(out)


def claim(claims: Mapping[str, Any], path: str) -> object:
    """A claim by name, or by a dotted path into nested claims (``realm_access.roles``)."""
    if path in claims:
        return claims[path]
    node: object = claims
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


_cache: dict[tuple[str, float], dict[str, frozenset[Role]]] = {}
_cache_lock = threading.Lock()


def load_roles_file(path: str | Path) -> dict[str, frozenset[Role]]:
    """E-mail (lower case) -> roles from a YAML, JSON or TOML file; re-read when the file changes.

    The file is a mapping of e-mail to a list (or comma-separated string) of roles, at the top
    level or under a ``users`` key::

        users:
          ana@bank.example: [analyst]
          rui@bank.example: [analyst, reviewer]
          it-admin@bank.example: admin
    """
    p = Path(path).expanduser()
    try:
        stamp = p.stat().st_mtime
    except OSError:
        raise AuthConfigError(f"The roles file {p} cannot be read.",
                              "Check STUDIO_AUTH_ROLES_FILE and the file's permissions.") from None
    key = (str(p.resolve()), stamp)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif p.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # yaml, toml and json each raise their own error types
        raise AuthConfigError(f"The roles file {p.name} is not valid {p.suffix.lstrip('.').upper() or 'JSON'}.",
                              "Fix the file; it maps each e-mail to a list of roles.") from exc
    if isinstance(data, Mapping) and isinstance(data.get("users"), Mapping):
        data = data["users"]
    if not isinstance(data, Mapping):
        raise AuthConfigError(f"The roles file {p.name} is not a mapping of e-mail to roles.",
                              "Write one line per user: ana@bank.example: [analyst, reviewer].")
    mapping = {str(email).strip().lower(): role_names(roles) for email, roles in data.items()}
    with _cache_lock:
        _cache.clear()
        _cache[key] = mapping
    return mapping


def roles_for(claims: Mapping[str, Any], settings: Settings | None = None) -> frozenset[Role]:
    """The roles of the person these claims describe (roles file, then claim, then the default)."""
    s = settings or get_settings()
    email = str(claims.get("email") or "").strip().lower()
    if s.auth_roles_file and email:
        listed = load_roles_file(s.auth_roles_file)
        if email in listed:
            return listed[email]
    from_claim = role_names(claim(claims, s.auth_roles_claim)) if s.auth_roles_claim else frozenset()
    return from_claim or role_names(s.auth_default_roles)


def user_from_claims(claims: Mapping[str, Any], settings: Settings | None = None) -> User:
    """A :class:`User` from ID-token claims: id is the e-mail (lower case), else the subject."""
    email = str(claims.get("email") or "").strip().lower()
    sub = str(claims.get("sub") or "").strip()
    if not (email or sub):
        raise AuthConfigError("The identity provider sent neither an e-mail nor a subject for this user.",
                              "Ask the administrator to release the email claim to the studio.")
    uid = email or f"sub:{sub}"
    name = str(claims.get("name") or claims.get("preferred_username") or email or sub)
    return User(uid, name, email, roles_for(claims, settings), local=False)
