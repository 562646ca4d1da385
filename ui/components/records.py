"""Uniform access to the records the app shows.

Answers and triage results arrive as dataclasses from `qa`, but their nested parts (findings, candidates,
next questions, sentences) may be dataclasses or plain dicts; the pages read them through `get` so that
both shapes render the same way.
"""
from __future__ import annotations

from typing import Any

from kg.model import Entity


def get(record: Any, key: str, default: Any = None) -> Any:
    """`record[key]` for mappings, `record.key` otherwise; `default` when absent or None."""
    if record is None:
        return default
    if isinstance(record, dict):
        value = record.get(key, default)
    else:
        value = getattr(record, key, default)
    return default if value is None else value


def first(record: Any, *keys: str, default: Any = None) -> Any:
    """The first of `keys` that `record` has (records name the same thing differently)."""
    for key in keys:
        value = get(record, key)
        if value is not None:
            return value
    return default


def entity_id(value: Any) -> str:
    """The CURIE of an entity given as an Entity, a dict with "id", or a plain CURIE string."""
    if isinstance(value, str):
        return value
    return str(get(value, "id", ""))


def entity_name(value: Any, fallback: str = "") -> str:
    if isinstance(value, str):
        return fallback or value
    return str(get(value, "name", "") or fallback or entity_id(value))


def as_entity(value: Any) -> Entity | None:
    """An Entity from an Entity or the contract's {"id", "name", "type", "xrefs"} dict; None otherwise."""
    if isinstance(value, Entity):
        return value
    if isinstance(value, dict) and value.get("id") and value.get("type"):
        try:
            return Entity(id=value["id"], type=value["type"], name=value.get("name") or value["id"],
                          xrefs=list(value.get("xrefs") or []))
        except ValueError:
            return None
    return None
