"""Triage tests on the full graph reuse the session's KGContext (tests/conftest.py: full_context)."""
from __future__ import annotations

import pytest

from qa.triage_urgency import RedFlagRules


@pytest.fixture(scope="session")
def triager(full_context):
    return full_context.triager


@pytest.fixture(scope="session")
def rules() -> RedFlagRules:
    """The shipped red-flag table (data/triage_red_flags.toml), read once for all the pure-logic tests."""
    return RedFlagRules.load()
