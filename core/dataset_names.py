"""Dataset names in the workspace: how a name is cleaned, when two names collide, the next free version.

A stored dataset is never silently replaced: two names that differ only in case, punctuation or
past their first 60 characters (``Q3 Portfolio.csv`` and ``q3-portfolio.csv``) collide, and the
analyst chooses to replace the stored one or keep both (``q3_portfolio_v2``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.errors import WorkspaceError

MAX_NAME = 60
IF_EXISTS = ("refuse", "replace", "keep_both")


class DatasetExistsError(WorkspaceError):
    """A dataset of the same (or an indistinguishable) name is already in the workspace."""

    def __init__(self, name: str, existing: str, suggestion: str) -> None:
        super().__init__(
            f"A dataset named '{existing}' is already in the workspace, and '{name}' would be stored under "
            "the same name.",
            f"Replace '{existing}', or keep both (the new one as '{suggestion}').",
        )
        self.name = name
        self.existing = existing
        self.suggestion = suggestion


def safe_name(name: str) -> str:
    """The stored form of a name: letters, digits and underscores, lower case, at most 60 characters."""
    cleaned = re.sub(r"[^0-9a-zA-Z_]+", "_", name.strip()).strip("_").lower()
    if not cleaned:
        raise WorkspaceError("A dataset needs a name made of letters or digits.")
    return cleaned[:MAX_NAME].rstrip("_")


def collision_key(name: str) -> str:
    """What two names share when they would be confused: case, punctuation and length past 60 ignored."""
    return re.sub(r"[^0-9a-z]", "", safe_name(name))


def versioned(name: str, taken_names: Iterable[str]) -> str:
    """``name`` with the first free ``_v2``, ``_v3``... suffix, cut to fit in 60 characters."""
    base = safe_name(name)
    taken = {collision_key(n) for n in taken_names}
    for version in range(2, 10_000):
        suffix = f"_v{version}"
        candidate = base[: MAX_NAME - len(suffix)].rstrip("_") + suffix
        if collision_key(candidate) not in taken:
            return candidate
    raise WorkspaceError(f"There are too many versions of '{base}'.", "Delete old versions or pick another name.")
