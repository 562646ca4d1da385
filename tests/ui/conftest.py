"""The app under Streamlit's AppTest, pointed at the session's test graphs through the environment."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


def configure_env(monkeypatch, store_url: str, home: Path) -> None:
    monkeypatch.setenv("KGQA_STORE", store_url)
    monkeypatch.setenv("KGQA_HOME", str(home))
    monkeypatch.setenv("KGQA_CONFIG", "/nonexistent/kgqa.toml")
    monkeypatch.setenv("KGQA_LLM", "none")


@pytest.fixture
def app_for(monkeypatch) -> Callable:
    """app_for(context) -> an AppTest of ui/app.py serving that KGContext (shared, not rebuilt)."""
    from streamlit.testing.v1 import AppTest

    from ui.context import use_context

    def make(context) -> AppTest:
        configure_env(monkeypatch, context.settings.store_url, context.settings.home)
        use_context(context)
        # generous: on a cold cache the first question builds the linker (embeds every name) inside the run
        return AppTest.from_file(str(APP), default_timeout=1200)

    return make


def texts(at) -> str:
    """Every piece of text the run displayed (markdown, captions, alerts, expander labels, buttons)."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "header",
                 "subheader", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [str(e.label) for e in at.expander]
    parts += [str(b.label) for b in at.button]
    parts += [str(c.label) for c in at.checkbox]
    return "\n".join(parts)


def assert_clean(at) -> None:
    """No exception element and no error message in the run (Triage's red emergency banner is not one)."""
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error if not str(e.value).startswith("**Emergency**")]
    assert not errors, errors
