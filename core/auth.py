"""Who is doing what: users, roles and the checks the product enforces (no UI here).

The dashboard signs users in (OIDC through Streamlit when an identity provider is configured,
otherwise a single local user bound to 127.0.0.1) and hands core functions a :class:`User`.
Core records that user on every run, edit, approval and export, and enforces:

* roles: ``analyst`` (work with data and models), ``reviewer`` (approve marketing copy),
  ``admin`` (delete datasets, manage the workspace);
* four-eyes review: the author or last editor of a piece of copy cannot approve it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from core.errors import StudioError


class Role(StrEnum):
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    """A signed-in person (or the local single user)."""

    id: str  # stable identifier: the OIDC subject or e-mail; "local" in single-user mode
    name: str
    email: str = ""
    roles: frozenset[Role] = field(default_factory=lambda: frozenset({Role.ANALYST}))
    local: bool = False

    def can(self, role: Role | str) -> bool:
        return Role(role) in self.roles or Role.ADMIN in self.roles

    @property
    def label(self) -> str:
        """How the user appears in audit trails: ``"Ana Lyst <ana@bank.example>"``."""
        return f"{self.name} <{self.email}>" if self.email else self.name


LOCAL_USER = User("local", "Local analyst", "", frozenset(Role), local=True)


def parse_roles(values: Iterable[str] | str | None) -> frozenset[Role]:
    """Roles named in a claim or a roles file (unknown names ignored; none means analyst)."""
    if values is None:
        return frozenset({Role.ANALYST})
    if isinstance(values, str):
        values = [v for v in values.replace(";", ",").replace(" ", ",").split(",")]
    known = {r.value for r in Role}
    roles = frozenset(Role(v.strip().lower()) for v in values if v and v.strip().lower() in known)
    return roles or frozenset({Role.ANALYST})


class PermissionDenied(StudioError):
    """The signed-in user may not do this."""


def require(user: User, role: Role | str, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``user`` holds ``role`` (admins hold every role)."""
    if not user.can(role):
        raise PermissionDenied(f"{user.name} may not {action}: this needs the {Role(role).value} role.",
                               "Ask an administrator to grant the role, or ask a colleague who holds it.")


def check_four_eyes(author_ids: Iterable[str], reviewer: User) -> None:
    """Raise unless ``reviewer`` holds the reviewer role and is none of the authors/editors.

    The rule compares user ids, so in single-user local mode (one id for everybody) it refuses
    every approval of the local user's own work: four-eyes review needs sign-in.
    """
    require(reviewer, Role.REVIEWER, "approve copy")
    authors = {a for a in author_ids if a}
    if reviewer.id in authors:
        raise PermissionDenied("You wrote or edited this variant, so you cannot approve it (four-eyes rule).",
                               "Ask another reviewer to approve it.")
