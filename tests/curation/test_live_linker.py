"""Approved changes are live: the linker (dictionary and vector index) learns new and renamed entities
without a rebuild, and forgets removed ones."""
from __future__ import annotations

from kg.store.sqlite import SQLiteStore
from kgqa.context import KGContext
from kgqa.settings import load_settings
from tests.curation.test_curation_service import base_graph


def _ids(linker, text: str) -> set[str]:
    return {m.entity.id for m in linker.link(text)}


def test_curated_names_reach_the_linker_at_once(tmp_path):
    store = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    base_graph(store)
    store.close()
    ctx = KGContext(load_settings("/nonexistent", home=str(tmp_path / "home"),
                                  store=f"sqlite:///{tmp_path / 'kg.sqlite'}"))
    linker = ctx.linker                                     # built before the change
    assert "DOID:10763" not in _ids(linker, "my doctor says I have hypertonia arterialis")
    service = ctx.curation
    edit = service.approve(service.propose("edit_entity", {"id": "DOID:10763", "add_synonyms": [
        {"text": "hypertonia arterialis", "kind": "related"}]}, {"note": "older European term"}, "alice").id, "bob")
    assert "DOID:10763" in _ids(ctx.linker, "my doctor says I have hypertonia arterialis")

    service.approve(service.propose("add_entity", {"id": "KGQA:0000002", "type": "Compound", "name": "Zorblaxin",
                                                   "synonyms": [{"text": "zorbla tablets", "kind": "brand"}]},
                                    {"note": "new local formulary drug"}, "alice").id, "bob")
    assert "KGQA:0000002" in _ids(ctx.linker, "can I take zorbla tablets for a cold?")

    merge = service.approve(service.propose("merge_entities", {"keep": "DOID:10763", "merge": "DOID:0000000"},
                                            {"note": "duplicate"}, "alice").id, "bob")
    assert "DOID:0000000" not in _ids(ctx.linker, "hypertensive disorder (duplicate)")
    service.revert(merge.change_id, "bob")
    service.revert(edit.change_id, "bob")
    assert "DOID:10763" not in _ids(ctx.linker, "my doctor says I have hypertonia arterialis")
    ctx.close()
