"""One KGContext per server process, shared by every session (st.cache_resource), plus the check that a
graph exists before any page tries to read it."""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from kg.store.base import StoreError
from kgqa.context import KGContext
from kgqa.settings import Settings, load_settings

log = logging.getLogger("kgqa.ui")


class GraphMissing(RuntimeError):
    """No graph is built at the configured store; the message says what to run."""


@dataclass(frozen=True)
class StoreKey:
    """What identifies a loaded graph: the URL, the home folder, and for SQLite the file's identity, so
    that a rebuilt graph (the build replaces the file atomically: a new inode) is loaded afresh."""
    url: str
    home: str
    llm: str
    file_id: str


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite store URL; None for a server URL (bolt://, neo4j://)."""
    if "://" in url and not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///"):] if url.startswith("sqlite:///") else url)


def store_key(settings: Settings) -> StoreKey:
    url = settings.store_url
    path = sqlite_path(url)
    file_id = ""
    if path is not None:
        if not path.is_file():
            raise GraphMissing(f"No graph has been built yet (no file at {path}). "
                               "Build it with `kgqa build` (or `make run`), then reload this page.")
        st_ = path.stat()
        file_id = f"{st_.st_dev}:{st_.st_ino}"
    return StoreKey(url, str(settings.home), settings.llm, file_id)


@st.cache_resource(show_spinner="Opening the knowledge graph…", max_entries=4)
def _open_context(key: StoreKey, _settings: Settings) -> KGContext:
    ctx = KGContext(_settings)
    try:
        stats = ctx.store.stats()
    except StoreError as exc:
        ctx.close()
        raise GraphMissing(f"The graph at {key.url} cannot be read: {exc}. "
                           "Rebuild it with `kgqa build`.") from exc
    if stats.entities == 0:
        ctx.close()
        raise GraphMissing(f"The graph at {key.url} is empty. Build it with `kgqa build`.")
    log.info("kgqa ui: graph %s loaded (%d entities, %d facts)", key.url, stats.entities, stats.facts)
    return ctx


_PRESET: dict[str, KGContext] = {}


def use_context(ctx: KGContext) -> None:
    """Serve an already-built context for its store URL instead of opening a new one (tests share the
    session's context this way, and an embedding process can hand over its own)."""
    _PRESET[ctx.settings.store_url] = ctx


_app_ran = False


def mark_app_ran() -> None:
    """Called by ui/app.py after st.navigation: from now on the process uses the app's navigation."""
    global _app_ran
    _app_ran = True


def ensure_app_navigation() -> None:
    """Make sure ui/app.py (its st.navigation, graph check and sidebar) runs the page.

    Streamlit treats a `pages/` folder beside the main script as the old folder-based navigation until
    the main script has called st.navigation once in the process; a first request that deep-links to a
    page (/explore?id=...) would run the page file alone. Switching that mode off and rerunning sends
    the run through ui/app.py, which then picks the same page from the URL. Once ui/app.py has run in
    the process there is nothing to correct (Streamlit's AppTest resets the mode before every run and
    runs pages on their own after its first run, which is always ui/app.py: left alone)."""
    if _app_ran:
        return
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # another Streamlit layout: nothing to correct
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def get_context() -> KGContext:
    """The process-wide context for the configured store (KGQA_STORE / KGQA_HOME / kgqa.toml).

    Raises GraphMissing with a message for the user when there is no usable graph."""
    ensure_app_navigation()
    settings = load_settings()
    key = store_key(settings)
    preset = _PRESET.get(settings.store_url)
    if preset is not None:
        return preset
    return _open_context(key, settings)


@st.cache_resource(show_spinner="Loading the linker and models (once per server)…")
def _warm(key: StoreKey, part: str, _ctx: KGContext) -> bool:
    getattr(_ctx, part)
    return True


def warm(ctx: KGContext, part: str) -> None:
    """Build `ctx.<part>` (linker, answerer, triager) under a spinner the first time only."""
    _warm(store_key(ctx.settings), part, ctx)


WARM_PARTS = ("linker", "answerer", "triager")


@st.cache_resource(show_spinner=False)
def _start_warmup(key: StoreKey, _ctx: KGContext) -> threading.Thread:
    def work() -> None:
        for part in WARM_PARTS:
            try:
                getattr(_ctx, part)
            except Exception:  # noqa: BLE001 - the page that needs it reports the error to the user
                log.exception("kgqa ui: warming up the %s failed", part)
        log.info("kgqa ui: linker, answerer and triager ready for %s", key.url)

    thread = threading.Thread(target=work, name="kgqa-ui-warmup", daemon=True)
    thread.start()
    return thread


def start_warmup(ctx: KGContext) -> None:
    """Build the linker, answerer and triager in the background once per server, so that the first
    question does not wait for them (KGQA_UI_WARMUP=0 turns this off). Contexts handed over with
    `use_context` are left as they are."""
    if os.environ.get("KGQA_UI_WARMUP", "1").lower() in ("0", "false", "no"):
        return
    if _PRESET.get(ctx.settings.store_url) is ctx:
        return
    _start_warmup(store_key(ctx.settings), ctx)


def settings_summary(settings: Settings) -> str:
    llm = settings.llm if settings.llm and settings.llm != "none" else "none (extractive answers)"
    return f"store `{settings.store_url}` · LLM {llm}"


def debug_enabled() -> bool:
    return os.environ.get("KGQA_UI_DEBUG", "") not in ("", "0", "false")


@st.cache_data(show_spinner=False, max_entries=8)
def _stats(key: StoreKey, version: str, _ctx: KGContext) -> dict:
    return _ctx.store.stats().to_json()


def graph_stats(ctx: KGContext) -> dict:
    """`store.stats().to_json()`, computed once per graph version (counting a large graph takes a while)."""
    return _stats(store_key(ctx.settings), ctx.store.version(), ctx)
