"""The Curate page under AppTest on a real (small) SQLite graph: propose with entity pickers, a second
curator approves from the queue, the change shows in the history and is reverted after confirmation."""
from __future__ import annotations

from kg.model import fact_id
from kg.store.sqlite import SQLiteStore
from kgqa.context import KGContext
from kgqa.settings import load_settings
from tests.curation.test_curation_service import base_graph
from tests.ui.conftest import assert_clean, texts

NEW_FACT = fact_id("DRUGBANK:DB00331", "treats", "DOID:10763")


def _context(tmp_path) -> KGContext:
    store = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    base_graph(store)
    store.close()
    return KGContext(load_settings("/nonexistent", home=str(tmp_path / "home"), store=f"sqlite:///{tmp_path / 'kg.sqlite'}"))


def test_propose_approve_and_revert_in_the_app(tmp_path, app_for):
    ctx = _context(tmp_path)
    at = app_for(ctx).run()
    at.switch_page("pages/curate.py").run()
    assert_clean(at)
    assert "No proposal is waiting for review." in texts(at)

    at.text_input(key="curator_name").input("alice").run()
    at.text_input(key="fact_subject_q").input("metformin").run()
    at.text_input(key="fact_object_q").input("high blood pressure").run()
    assert at.selectbox(key="fact_object_pick").value == "DOID:10763"
    at.selectbox(key="fact_pred").set_value("treats").run()
    at.text_input(key="fact_pmids").input("12345678").run()
    at.button(key="propose_add_fact").click().run()
    assert_clean(at)
    assert any("waiting for another curator" in s.value for s in at.success)
    (proposal,) = ctx.curation.proposals("pending")

    # alice cannot approve her own proposal: the button is disabled for her
    assert at.button(key=f"approve_{proposal.id}").disabled
    at.text_input(key="curator_name").input("bob").run()
    at.button(key=f"approve_{proposal.id}").click().run()
    assert_clean(at)
    assert ctx.store.get_fact(NEW_FACT) is not None
    (change,) = ctx.curation.audit()

    at.checkbox(key=f"sure_{change.change_id}").check().run()
    at.button(key=f"revert_{change.change_id}").click().run()
    assert_clean(at)
    assert ctx.store.get_fact(NEW_FACT) is None
    assert ctx.curation.get_change(change.change_id).reverted_by
    ctx.close()


def test_invalid_proposal_is_a_message_not_a_traceback(tmp_path, app_for):
    ctx = _context(tmp_path)
    at = app_for(ctx).run()
    at.switch_page("pages/curate.py").run()
    at.text_input(key="curator_name").input("alice").run()
    at.selectbox(key="propose_kind").set_value("retract_fact").run()
    at.text_input(key="retract_id").input("Fdoesnotexist").run()
    at.button(key="propose_retract_fact").click().run()
    assert not at.exception
    assert any("is not in the graph" in e.value for e in at.error)
    ctx.close()
