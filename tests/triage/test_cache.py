"""The condition–finding table cache on disk, keyed by the graph version (a fake store: pure logic)."""
from __future__ import annotations

import pytest

from kg.model import Entity, Fact, Provenance
from qa import triage_knowledge
from qa.triage import Triager


class TinyStore:
    def __init__(self, version: str):
        self._version = version
        self.reads = 0

    def iter_entities(self, types=None, batch_size=5000):
        self.reads += 1
        ents = [Entity("D:FLU", "Disease", "flu"), Entity("HP:0001945", "Phenotype", "Fever")]
        return iter([e for e in ents if types is None or e.type in types])

    def iter_facts(self, batch_size=10000):
        return iter([Fact("D:FLU", "has_phenotype", "HP:0001945", [Provenance("hpo", "", "", {"frequency_value": 0.9})])])

    def version(self):
        return self._version

    def resolve(self, curie):
        return curie


def test_table_is_cached_per_graph_version(tmp_path, monkeypatch):
    first = Triager(TinyStore("v1"), linker=None, cache_dir=tmp_path)
    assert "D:FLU" in first.knowledge.conditions
    assert list((tmp_path / "triage").glob("table-*.pkl"))
    monkeypatch.setattr(triage_knowledge.ConditionKnowledge, "from_store",
                        classmethod(lambda cls, *a, **k: pytest.fail("the cached table should be used")))
    again = Triager(TinyStore("v1"), linker=None, cache_dir=tmp_path)
    assert set(again.knowledge.conditions) == {"D:FLU"}
    with pytest.raises(BaseException):              # another graph version is not served from the cache
        Triager(TinyStore("v2"), linker=None, cache_dir=tmp_path)
