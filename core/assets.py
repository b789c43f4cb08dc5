"""The one way to find the product's data files (templates, rules, catalogues, presets).

``assets/`` is a package installed with the project, so these functions work from a checkout, an
editable install and a wheel alike. Nothing else builds paths to it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def assets_root() -> Path:
    """The folder holding the assets."""
    return Path(str(resources.files("assets")))


def asset_path(*parts: str) -> Path:
    """Path of a file or folder under ``assets/`` (e.g. ``asset_path("credit", "reason_codes.json")``)."""
    return assets_root().joinpath(*parts)


def read_text(*parts: str) -> str:
    return asset_path(*parts).read_text(encoding="utf-8")


def read_json(*parts: str) -> Any:
    return json.loads(read_text(*parts))
