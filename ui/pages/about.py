"""About: what the graph is made of (sources with licenses, versions and counts), when it was built, and
how to cite it."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlparse

import streamlit as st

from ui.components.errors import user_errors
from ui.context import get_context, graph_stats


def _cell(value: object) -> str:
    return str(value if value not in (None, "") else "—").replace("|", "\\|").replace("\n", " ")


st.title("About this knowledge graph")
with user_errors("The About page"):
    ctx = get_context()
    store = ctx.store
    stats = graph_stats(ctx)
    sources = {s.name: s for s in store.sources()}
    built_at = store.get_meta("built_at") or "unknown"

    cols = st.columns(4)
    cols[0].metric("Entities", f"{stats['entities']:,}")
    cols[1].metric("Facts", f"{stats['facts']:,}")
    cols[2].metric("Sources", len(stats.get("by_source", {})) or len(sources))
    cols[3].metric("Built", built_at[:10] if built_at != "unknown" else built_at, help=built_at)
    st.caption(f"Graph version `{store.version()}` · store `{ctx.settings.store_url}`")

    st.subheader("Sources")
    rows = ["| source | version | license | entities | facts | link |", "|---|---|---|---|---|---|"]
    names = list(dict.fromkeys(list(stats.get("by_source", {})) + list(sources)))
    for name in names:
        counts = stats.get("by_source", {}).get(name, {})
        info = sources.get(name)
        title = info.title if info and info.title else name
        version = counts.get("version") or (info.version if info else "")
        license_ = counts.get("license") or (info.license if info else "")
        link = f"[{urlparse(info.url).netloc or info.url}]({info.url})" if info and info.url else "—"
        rows.append(f"| **{_cell(title)}** (`{name}`) | {_cell(version)} | {_cell(license_)} | "
                    f"{counts.get('entities', 0):,} | {counts.get('facts', 0):,} | {link} |")
    st.markdown("\n".join(rows))
    st.caption("A fact found in several sources is counted once per source; curated facts are listed "
               "under `curation`.")

    left, right = st.columns(2)
    with left:
        st.markdown("**Entities by type**")
        st.markdown("\n".join(["| type | entities |", "|---|---|"]
                              + [f"| {t} | {n:,} |" for t, n in sorted(stats.get("by_type", {}).items(),
                                                                        key=lambda kv: -kv[1])]))
    with right:
        st.markdown("**Facts by relation**")
        st.markdown("\n".join(["| relation | facts |", "|---|---|"]
                              + [f"| {p} | {n:,} |" for p, n in sorted(stats.get("by_predicate", {}).items(),
                                                                        key=lambda kv: -kv[1])]))

    st.subheader("How to cite")
    st.markdown("Cite the sources you rely on; each answer's citations name the source, its version and "
                "license for every fact. For the graph as a whole:")
    year = built_at[:4] if built_at[:4].isdigit() else str(date.today().year)
    source_list = "; ".join(f"{(sources[n].title if n in sources and sources[n].title else n)}"
                            f"{' ' + sources[n].version if n in sources and sources[n].version else ''}"
                            for n in names)
    st.code(f"kgqa knowledge graph, version {store.version()} (built {built_at}), {year}. "
            f"Assembled from: {source_list}.", language="text", wrap_lines=True)
    attributions = [s for s in sources.values() if s.attribution]
    if attributions:
        st.markdown("**Attribution required by the sources' licenses**")
        for s in attributions:
            st.markdown(f"- **{s.title or s.name}**: {s.attribution}")
    st.caption("Answers and triage results are decision support, not medical advice or a diagnosis.")
