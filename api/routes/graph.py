"""Reading the graph: entities, search, facts, paths, version and sources (licenses, attributions)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from kg.model import Entity, Fact
from kg.store.base import GraphStore
from kgqa.context import KGContext
from api.auth import require_role
from api.deps import get_context, require_ready, run_blocking
from api.errors import ApiError, error_responses
from api.models import (CURIE_PATTERN, MAX_ID_CHARS, EntityDetail, EntityPage, EntityType, FactPage, PathsOut,
                        Predicate, SourcesOut, VersionOut)

router = APIRouter(prefix="/v1", tags=["graph"])
_ERRORS = error_responses(401, 403, 422, 429, 503, 504)
_ERRORS_404 = error_responses(401, 403, 404, 422, 429, 503, 504)
reader = require_role("reader")
store_ready = require_ready("store")

MAX_OFFSET = 10_000          # deep pages cost the store more than they help a client
MAX_FACT_OFFSET = 1_000_000
MAX_HOPS = 4

EntityId = Annotated[str, Path(min_length=3, max_length=MAX_ID_CHARS, pattern=CURIE_PATTERN,
                               description="a CURIE (preferred id or any xref), e.g. HP:0001945",
                               examples=["HP:0001945"])]


def _store(ctx: KGContext) -> GraphStore:
    return ctx.store


def _resolve(store: GraphStore, entity_id: str, what: str = "entity") -> Entity:
    entity = store.get_entity(entity_id)
    if entity is None:  # maybe an xref of another concept
        preferred = store.resolve(entity_id)
        entity = store.get_entity(preferred) if preferred else None
    if entity is None:
        raise ApiError(404, "not_found", f"no {what} with id {entity_id!r} in the graph (try /v1/entities?q=...)")
    return entity


def _fact_json(fact: Fact, names: dict[str, Entity]) -> dict[str, Any]:
    d = fact.to_json()
    if fact.subject in names:
        d["subject_name"] = names[fact.subject].name
    if fact.object in names:
        d["object_name"] = names[fact.object].name
    return d


def entity_detail(ctx: KGContext, entity_id: str) -> dict[str, Any]:
    entity = _resolve(_store(ctx), entity_id)
    return {**entity.to_json(), "description": entity.description,
            "synonyms": [{"text": s.text, "kind": s.kind, "source": s.source} for s in entity.synonyms],
            "sources": list(entity.sources), "requested_id": entity_id if entity_id != entity.id else None}


def search_page(ctx: KGContext, q: str, types: list[str] | None, limit: int, offset: int) -> dict[str, Any]:
    found = _store(ctx).search(q, limit=limit + 1, types=types or None, offset=offset)
    return {"query": q, "items": [e.to_json() for e in found[:limit]], "limit": limit, "offset": offset,
            "next_offset": offset + limit if len(found) > limit else None}


def facts_page(ctx: KGContext, entity_id: str, predicates: list[str] | None, direction: str,
               limit: int, offset: int) -> dict[str, Any]:
    store = _store(ctx)
    entity = _resolve(store, entity_id)
    predicates = predicates or None
    total = store.count_facts(entity.id, predicates, direction)
    facts = store.facts(entity.id, predicates, direction, limit=limit, offset=offset) if offset < total else []
    names = store.get_entities(sorted({f.subject for f in facts} | {f.object for f in facts}))
    return {"entity": entity.to_json(), "total": total, "items": [_fact_json(f, names) for f in facts],
            "limit": limit, "offset": offset, "next_offset": offset + limit if offset + limit < total else None}


def paths_json(ctx: KGContext, source: str, target: str, max_hops: int, limit: int,
               predicates: list[str] | None) -> dict[str, Any]:
    store = _store(ctx)
    a = _resolve(store, source, "'from' entity")
    b = _resolve(store, target, "'to' entity")
    if a.id == b.id:
        raise ApiError(422, "invalid_request", "'from' and 'to' name the same entity")
    paths = store.shortest_paths(a.id, b.id, max_hops=max_hops, limit=limit, predicates=predicates or None)
    names = store.get_entities(sorted({e for p in paths for e in p.entities}))
    return {"from": a.to_json(), "to": b.to_json(), "max_hops": max_hops,
            "paths": [{"entities": [names[e].to_json() for e in p.entities if e in names],
                       "facts": [_fact_json(f, names) for f in p.facts]} for p in paths]}


def version_json(ctx: KGContext) -> dict[str, Any]:
    store = _store(ctx)
    return {"version": store.version(), "build_id": store.get_meta("build_id", "unbuilt") or "unbuilt",
            "curation_version": store.get_meta("curation_version", "0") or "0"}


def sources_json(ctx: KGContext) -> dict[str, Any]:
    return {"sources": [{"name": s.name, "title": s.title, "version": s.version, "license": s.license,
                         "url": s.url, "attribution": s.attribution} for s in _store(ctx).sources()]}


@router.get("/entities/{entity_id}", response_model=EntityDetail, response_model_exclude_none=True,
            summary="one entity: name, type, synonyms, xrefs, description (xrefs resolve to the preferred id)",
            responses=_ERRORS_404)
async def get_entity(entity_id: EntityId, request: Request, _=Depends(reader), __=Depends(store_ready),
                     ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, entity_detail, ctx, entity_id, what="entity lookup")


@router.get("/entities", response_model=EntityPage, summary="search entities by name or synonym (paginated)",
            responses=_ERRORS)
async def search_entities(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=200, pattern=r"\S",
                                description="words of a name or synonym; the last word may be a prefix",
                                examples=["asthma"])],
        type: Annotated[list[EntityType] | None, Query(description="keep only these types")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        _=Depends(reader), __=Depends(store_ready), ctx: KGContext = Depends(get_context)):
    if "\x00" in q:
        raise ApiError(422, "invalid_request", "q: must not contain NUL characters")
    return await run_blocking(request, search_page, ctx, q, type, limit, offset, what="search")


@router.get("/entities/{entity_id}/facts", response_model=FactPage,
            summary="the facts touching an entity, filtered by predicate and direction (paginated)",
            responses=_ERRORS_404)
async def entity_facts(
        entity_id: EntityId, request: Request,
        predicate: Annotated[list[Predicate] | None, Query(description="keep only these predicates")] = None,
        direction: Annotated[Literal["out", "in", "both"], Query(
            description="out: the entity is the subject; in: the object")] = "both",
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_FACT_OFFSET)] = 0,
        _=Depends(reader), __=Depends(store_ready), ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, facts_page, ctx, entity_id, predicate, direction, limit, offset,
                              what="fact listing")


@router.get("/paths", response_model=PathsOut, response_model_by_alias=True,
            summary="shortest paths between two entities (edges in either direction, bounded)",
            responses=_ERRORS_404)
async def paths(
        request: Request,
        source: Annotated[str, Query(alias="from", min_length=3, max_length=MAX_ID_CHARS, pattern=CURIE_PATTERN,
                                     examples=["DOID:2841"])],
        target: Annotated[str, Query(alias="to", min_length=3, max_length=MAX_ID_CHARS, pattern=CURIE_PATTERN,
                                     examples=["NCBIGene:3586"])],
        max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS)] = 3,
        limit: Annotated[int, Query(ge=1, le=20)] = 5,
        predicate: Annotated[list[Predicate] | None, Query(description="follow only these predicates")] = None,
        _=Depends(reader), __=Depends(store_ready), ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, paths_json, ctx, source, target, max_hops, limit, predicate,
                              what="path search")


@router.get("/kg/version", response_model=VersionOut, summary="the graph's version (changes with every curation)",
            responses=_ERRORS)
async def kg_version(request: Request, _=Depends(reader), __=Depends(store_ready),
                     ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, version_json, ctx, what="version lookup")


@router.get("/sources", response_model=SourcesOut, summary="the sources of the graph: versions, licenses, attributions",
            responses=_ERRORS)
async def sources(request: Request, _=Depends(reader), __=Depends(store_ready), ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, sources_json, ctx, what="source listing")
