"""Questions, linking, retrieval and triage: the same JSON objects as `kgqa ask|link|retrieve|triage --jsonl`."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from kgqa.context import KGContext
from api.auth import require_role
from api.deps import get_context, get_state, require_ready, run_blocking
from api.errors import JSONBody, error_responses
from api.models import AskRequest, LinkRequest, RetrieveRequest, TriageRequest

router = APIRouter(prefix="/v1", tags=["questions"])
_ERRORS = error_responses(400, 401, 403, 413, 422, 429, 503, 504)
reader = require_role("reader")


def _json_response(description: str, example: dict) -> dict:
    return {200: {"description": description, "content": {"application/json": {"example": example}}}}


_ENTITY = {"id": "HP:0001945", "name": "Fever", "type": "Phenotype", "xrefs": ["UMLS:C0015967"]}


def link_json(ctx: KGContext, text: str, types: list[str] | None) -> dict[str, Any]:
    mentions = ctx.linker.link(text, types=types) if types else ctx.linker.link(text)
    return {"text": text, "mentions": [m.to_json() for m in mentions]}


def ask_json(ctx: KGContext, question: str, extractive: bool) -> dict[str, Any]:
    answer = ctx.answerer.ask(question, llm="none") if extractive else ctx.answerer.ask(question)
    return answer.to_json()


def retrieve_json(ctx: KGContext, question: str, limit: int) -> dict[str, Any]:
    return ctx.retriever.retrieve(question, limit=limit).to_json()


def triage_json(ctx: KGContext, body: TriageRequest) -> dict[str, Any]:
    result = ctx.triager.triage(body.text, answers=body.answers, age=body.age, sex=body.sex)
    return result.to_json()


@router.post("/link", summary="find the graph entities a text mentions",
             responses={**_ERRORS, **_json_response("`{text, mentions: [{start, end, text, score, entity, ...}]}`",
                        {"text": "I have a fever", "mentions": [{"start": 9, "end": 14, "text": "fever",
                         "score": 0.97, "entity": _ENTITY, "method": "dictionary", "negated": False,
                         "uncertain": False}]})})
async def link(body: LinkRequest, request: Request, _=Depends(reader), __=Depends(require_ready("linker")),
               ctx: KGContext = Depends(get_context)):
    return JSONBody(await run_blocking(request, link_json, ctx, body.text, body.types, what="linking"))


@router.post("/ask", summary="a grounded answer, every sentence cited to graph facts",
             responses={**_ERRORS, **_json_response(
                 "`{question, answer, abstained, entities, facts, citations, ...}`",
                 {"question": "what treats asthma?", "answer": "The graph lists ... [1]", "abstained": False,
                  "entities": [_ENTITY], "facts": [], "citations": []})})
async def ask(body: AskRequest, request: Request, _=Depends(reader), __=Depends(require_ready("answerer")),
              ctx: KGContext = Depends(get_context)):
    state = get_state(request)
    return JSONBody(await run_blocking(request, ask_json, ctx, body.question, body.extractive,
                                       timeout_s=state.config.ask_timeout_s, what="answer"))


@router.post("/retrieve", summary="the ranked facts (and paths) a question retrieves, without an answer",
             responses={**_ERRORS, **_json_response("`{question, mentions, intent, facts, paths, total_candidates}`",
                        {"question": "what treats asthma?", "mentions": [], "intent": {"kind": "facts"},
                         "facts": [], "paths": [], "total_candidates": {}})})
async def retrieve(body: RetrieveRequest, request: Request, _=Depends(reader), __=Depends(require_ready("retriever")),
                   ctx: KGContext = Depends(get_context)):
    return JSONBody(await run_blocking(request, retrieve_json, ctx, body.question, body.limit, what="retrieval"))


@router.post("/triage", summary="pre-diagnosis triage of a patient's own words (not a diagnosis)",
             responses={**_ERRORS, **_json_response(
                 "`{text, findings, candidates, urgency, red_flags, next_questions, disclaimer}`",
                 {"text": "I have a fever", "findings": [{"entity": _ENTITY, "present": True}], "candidates": [],
                  "urgency": "routine", "red_flags": [], "next_questions": [], "disclaimer": "..."})})
async def triage(body: TriageRequest, request: Request, _=Depends(reader), __=Depends(require_ready("triager")),
                 ctx: KGContext = Depends(get_context)):
    return JSONBody(await run_blocking(request, triage_json, ctx, body, what="triage"))
