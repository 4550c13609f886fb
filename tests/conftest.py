"""Shared test fixtures: where the third-party corpora are, and skipping cleanly when they are not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
# ../shared sits beside a checkout on CI and developer machines; a user's fresh clone has none.
SHARED = Path(os.environ.get("CONFLICTWIRE_SHARED", REPO.parent / "shared")).resolve()
SHARED_DATA = SHARED / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or a clean skip when the corpora are not beside this checkout."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"third-party corpus not available: {path}")
    return path


@pytest.fixture
def shared_data():
    return shared_path
