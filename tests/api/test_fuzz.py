"""Property-based fuzzing of the OpenAPI schema with schemathesis against the real server.

Each operation gets inputs generated from its schema, valid ones (positive) and invalid ones
(negative). The server must never answer 5xx, must answer only with status codes and content types the
schema documents, and must stay up. Examples are derandomized so a CI failure reproduces; raise
KGQA_FUZZ_EXAMPLES for a longer local run.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from api.app import create_app
from kgqa.settings import load_settings

MAX_EXAMPLES = int(os.environ.get("KGQA_FUZZ_EXAMPLES", "20"))


def _cases() -> list:
    """(path, method, mode) for every operation of the app's schema, built in-process (no graph is opened).
    Negative cases only where there is something to get wrong: parameters, a body or a key."""
    app = create_app(settings=load_settings(config_file="/nonexistent", home="/nonexistent"))
    out = []
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            modes = [GenerationMode.POSITIVE]
            if op.get("parameters") or op.get("requestBody") or op.get("security"):
                modes.append(GenerationMode.NEGATIVE)
            out += [pytest.param(path, method, mode, id=f"{method.upper()} {path} {mode.value}") for mode in modes]
    return out


@pytest.fixture(scope="session")
def api_schema(server):
    return schemathesis.openapi.from_url(server.url + "/openapi.json", timeout=30)


@pytest.mark.parametrize("path,method,mode", _cases())
def test_no_server_errors_under_fuzzing(server, api_schema, path, method, mode):
    operation = api_schema[path][method.upper()]
    calls = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call(base_url=server.url, headers=server.headers("admin"), timeout=60)
        calls.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                  content_type_conformance])

    fuzz()
    assert calls, "no example was generated"
    assert server.live.alive
