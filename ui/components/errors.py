"""Errors reach the user as messages, never as tracebacks (the traceback goes to the server log)."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from ui.context import GraphMissing, debug_enabled

log = logging.getLogger("kgqa.ui")


def explain(exc: BaseException) -> str:
    """A one-line message for an exception: its own message when it has one, else its kind."""
    text = str(exc).strip()
    return text if text else type(exc).__name__


@contextmanager
def user_errors(action: str) -> Iterator[None]:
    """Run a block; an exception becomes `st.error("<action> failed: <message>")` and the page goes on.

    Streamlit's own control flow (st.stop, st.rerun, page switches) derives from BaseException and
    passes through untouched."""
    try:
        yield
    except GraphMissing as exc:
        st.error(str(exc), icon=":material/database:")
    except Exception as exc:  # noqa: BLE001 - the point is to catch everything the user could trigger
        log.exception("kgqa ui: %s failed", action)
        st.error(f"{action} failed: {explain(exc)}", icon=":material/error:")
        if debug_enabled():
            st.exception(exc)
