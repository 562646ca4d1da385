"""The browser app: `streamlit run ui/app.py`. Pages are registered in PAGES below (one line each)."""
from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run ui/app.py` puts ui/ on sys.path, not the repository: make `import ui...` work either way.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from ui.components.errors import user_errors  # noqa: E402
from ui.context import GraphMissing, get_context, mark_app_ran, settings_summary, start_warmup  # noqa: E402

st.set_page_config(page_title="kgqa · medical knowledge graph", page_icon=":material/hub:", layout="wide")

# Every page of the app in menu order; the first is the start page. Adding a page is one line here.
PAGES = [
    st.Page("pages/ask.py", title="Ask", icon=":material/forum:", default=True),
    st.Page("pages/explore.py", title="Explore", icon=":material/travel_explore:"),
    st.Page("pages/triage.py", title="Triage", icon=":material/stethoscope:"),
    st.Page("pages/curate.py", title="Curate", icon=":material/edit_note:"),
    st.Page("pages/about.py", title="About", icon=":material/info:"),
]

page = st.navigation(PAGES)
mark_app_ran()

try:
    ctx = get_context()
except GraphMissing as exc:
    st.title("No knowledge graph yet")
    st.error(str(exc), icon=":material/database:")
    st.markdown("Build the default graph (HPO, offline) or the full one from a source folder, then reload:")
    st.code("kgqa build\n# or, with every source:\nKGQA_SOURCES_DIR=../shared/data kgqa build", language="bash")
    st.stop()
except Exception as exc:  # noqa: BLE001 - a broken store must not show a traceback
    st.title("The knowledge graph cannot be opened")
    with user_errors("Opening the graph"):
        raise exc
    st.stop()

start_warmup(ctx)

with st.sidebar:
    st.caption(settings_summary(ctx.settings))
    with user_errors("Reading the graph version"):
        st.caption(f"graph version `{ctx.store.version()}`")

page.run()
