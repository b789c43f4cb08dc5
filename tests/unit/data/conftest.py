"""Data-test fixtures: the real datasets beside the project, whichever layout it is checked out in."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture
def shared_data():
    """``../shared/data`` next to the checkout, or next to the folder holding it (a worktree), or skip."""
    for base in (ROOT.parent, ROOT.parent.parent):
        folder = base / "shared" / "data"
        if (folder / "german_credit.csv").exists():
            return folder
    pytest.skip("../shared/data is not available")
