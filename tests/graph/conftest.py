"""Helpers for the graph tests: record counting over an importer's stream."""
from __future__ import annotations

from collections import Counter

import pytest

from kg.model import Entity, Fact


def count_records(records) -> Counter:
    """Counter of "Entity:<type>" and "Fact:<predicate>" over a record stream."""
    c: Counter = Counter()
    for r in records:
        c[f"Entity:{r.type}" if isinstance(r, Entity) else f"Fact:{r.predicate}"] += 1
    return c


@pytest.fixture
def counter():
    return count_records
