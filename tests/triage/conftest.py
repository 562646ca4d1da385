"""Triage tests on the full graph reuse the session's KGContext (tests/conftest.py: full_context)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def triager(full_context):
    return full_context.triager
