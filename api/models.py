"""Request and response models: the OpenAPI schema and the validation of every input.

Texts are bounded (a question, a patient's account), may not be blank and may not hold NUL or other
control characters (newlines and tabs are fine). Unknown fields are refused so a typo is noticed.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kg.model import ENTITY_TYPES, PREDICATES

MAX_QUESTION_CHARS = 1000
MAX_TEXT_CHARS = 5000
MAX_ANSWERS = 100
MAX_ID_CHARS = 128

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A CURIE: a prefix, a colon, and a local part without whitespace or slashes.
CURIE_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,31}:[^\s/?#]{1,95}$"


def _clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain NUL or other control characters")
    if _SURROGATE.search(value):
        raise ValueError("must be valid Unicode (it holds a lone surrogate)")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _check_curie(value: str) -> str:
    if not re.match(CURIE_PATTERN, value):
        raise ValueError("is not a CURIE such as HP:0002090 or DOID:10763")
    return value


Question = Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUESTION_CHARS), AfterValidator(_clean_text)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_clean_text)]
Curie = Annotated[str, StringConstraints(min_length=3, max_length=MAX_ID_CHARS), AfterValidator(_check_curie)]
EntityType = Literal[ENTITY_TYPES]  # type: ignore[valid-type]
Predicate = Literal[tuple(PREDICATES)]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinkRequest(_Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "my chest hurts when I breathe and I have a fever"},
        {"text": "which genes are linked to asthma?", "types": ["Disease"]}]})
    text: Text = Field(description=f"free text, at most {MAX_TEXT_CHARS} characters")
    types: list[EntityType] | None = Field(default=None, max_length=len(ENTITY_TYPES),
                                           description="entity types to prefer (soft priors, as in `kgqa link`)")


class AskRequest(_Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "what can I take for sugar diabetes?"},
        {"question": "which genes are linked to asthma?", "extractive": True}]})
    question: Question = Field(description=f"a question, at most {MAX_QUESTION_CHARS} characters")
    extractive: bool = Field(default=False, description="answer with the grounded extractive composer "
                                                        "even when the server has an LLM configured")


class RetrieveRequest(_Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "what drugs treat hypertension?", "limit": 10}]})
    question: Question = Field(description=f"a question, at most {MAX_QUESTION_CHARS} characters")
    limit: int = Field(default=20, ge=1, le=200, description="most facts to return")


class TriageRequest(_Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "my chest hurts when I breathe and I have a fever, no cough", "age": 54, "sex": "male"},
        {"text": "bad headache since yesterday and my neck is stiff",
         "answers": {"HP:0001945": True}}]})
    text: Text = Field(description=f"the patient's own words, at most {MAX_TEXT_CHARS} characters")
    answers: dict[Curie, bool] | None = Field(
        default=None, max_length=MAX_ANSWERS,
        description="answers to earlier next_questions: finding id -> present (true) or absent (false)")
    age: int | None = Field(default=None, ge=0, le=129, description="age in years")
    sex: Literal["female", "male"] | None = Field(default=None)


# ---- responses of the graph routes (the QA routes return the command line's JSON as it is) -------------
class EntityOut(BaseModel):
    id: str
    name: str
    type: str
    xrefs: list[str]


class SynonymOut(BaseModel):
    text: str
    kind: str
    source: str


class EntityDetail(EntityOut):
    description: str
    synonyms: list[SynonymOut]
    sources: list[str]
    requested_id: str | None = Field(default=None, description="the id asked for, when it was an xref")


class EntityPage(BaseModel):
    query: str
    items: list[EntityOut]
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page, null on the last page")


class FactOut(BaseModel):
    id: str
    subject: str
    predicate: str
    object: str
    sources: list[dict[str, Any]]
    subject_name: str | None = None
    object_name: str | None = None


class FactPage(BaseModel):
    entity: EntityOut
    total: int = Field(description="facts matching the filters, across all pages")
    items: list[FactOut]
    limit: int
    offset: int
    next_offset: int | None


class PathOut(BaseModel):
    entities: list[EntityOut]
    facts: list[FactOut]


class PathsOut(BaseModel):
    source: EntityOut = Field(alias="from")
    target: EntityOut = Field(alias="to")
    max_hops: int
    paths: list[PathOut]


class VersionOut(BaseModel):
    version: str = Field(description="build id and curation counter; changes whenever the graph does")
    build_id: str
    curation_version: str


class SourceOut(BaseModel):
    name: str
    title: str
    version: str
    license: str
    url: str
    attribution: str


class SourcesOut(BaseModel):
    sources: list[SourceOut]


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str = Field(description="ready | starting | failed")
    components: dict[str, str] = Field(description="store, linker, retriever, triager, answerer: "
                                                   "pending | loading | ready | failed")


class AdminStatus(BaseModel):
    components: dict[str, str]
    load_seconds: dict[str, float]
    pending_jobs: int = Field(description="blocking jobs running or queued")
    threads: int
    limits: dict[str, float]
    cors_origins: list[str]
    keys: dict[str, dict[str, int]] = Field(description="active keys by origin and role (never the keys)")
