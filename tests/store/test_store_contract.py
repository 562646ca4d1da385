"""The store contract: every GraphStore implementation passes these, with the same expectations.

Each test starts from `empty_store` (tests/store/conftest.py: SQLite, and Neo4j over a real Bolt server)
and loads a small hand-written neighbourhood of hypertension / type 2 diabetes / metformin and their
genes, phenotypes and anatomy. Expected values are computed from that fixture data (a plain-Python
oracle), never copied from a store's output. Where the interface leaves order open, results are sorted.
"""
from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass

import pytest

from kg.model import Entity, Fact, Provenance, SourceInfo, Synonym
from kg.store.base import GraphStore, StoreError

HET = Provenance("hetionet", "v1.0", "CC0 1.0")
DB = Provenance("drugbank", "5.1", "CC BY-NC 4.0")


def _hpo(freq: str, value: float, pmid: str | None = None) -> Provenance:
    ev = {"frequency": freq, "frequency_value": value}
    if pmid:
        ev["pmids"] = [pmid]
    return Provenance("hpo", "2024-04-26", "HPO license", ev)


def _het(pmids: list[str] | None = None) -> Provenance:
    return Provenance("hetionet", "v1.0", "CC0 1.0", {"pmids": pmids} if pmids else {})


def _e(id_, type_, name, syns=(), xrefs=(), sources=("hetionet",), description=""):
    return Entity(id=id_, type=type_, name=name, synonyms=[Synonym(*s) for s in syns], xrefs=list(xrefs),
                  description=description, sources=list(sources))


HTN, T2D, DM, CAD, CKD, OBESITY, GLAUCOMA, CROHN = ("DOID:10763", "DOID:9352", "DOID:9351", "DOID:3393",
                                                    "DOID:784", "DOID:9970", "DOID:1686", "DOID:8778")
METFORMIN, LISINOPRIL, AMLODIPINE, HCTZ, ASPIRIN, ATORVA, GLIPIZIDE, APAP, TIMOLOL = (
    "DRUGBANK:DB00331", "DRUGBANK:DB00722", "DRUGBANK:DB00381", "DRUGBANK:DB00999", "DRUGBANK:DB00945",
    "DRUGBANK:DB01076", "DRUGBANK:DB01067", "DRUGBANK:DB00316", "DRUGBANK:DB00373")
PPARG, INS, AGT, ACE, TCF7L2, PTGS2, LEPR, PRKAB1, ABCC8 = (
    "NCBIGene:5468", "NCBIGene:3630", "NCBIGene:183", "NCBIGene:1636", "NCBIGene:6934", "NCBIGene:5743",
    "NCBIGene:3953", "NCBIGene:5564", "NCBIGene:6833")
POLYURIA, POLYDIPSIA, FATIGUE, HEADACHE, VOMITING = ("HP:0000103", "HP:0001959", "HP:0012378", "HP:0002315",
                                                     "HP:0002013")
KIDNEY, HEART, PANCREAS, EYE = "UBERON:0002113", "UBERON:0000948", "UBERON:0001264", "UBERON:0000970"
ACE_INHIBITORS = "NDFRT:N0000175562"

ENTITIES = [
    _e(HTN, "Disease", "hypertension",
       [("high blood pressure", "layperson", "hpo"), ("arterial hypertension", "exact", "do"), ("HTN", "exact", "do")],
       ["MESH:D006973", "UMLS:C0020538"], ["hetionet", "do"], "Persistently raised arterial blood pressure."),
    _e(T2D, "Disease", "type 2 diabetes mellitus",
       [("sugar diabetes", "layperson", "hpo"), ("T2DM", "exact", "do"), ("adult-onset diabetes", "related", "do")],
       ["MESH:D003924", "UMLS:C0011860"], ["hetionet", "do"]),
    _e(DM, "Disease", "diabetes mellitus", [("diabetes", "exact", "do")], ["MESH:D003920"], ["hetionet", "do"]),
    _e(CAD, "Disease", "coronary artery disease", [("heart disease", "layperson", "")], ["MESH:D003324"]),
    _e(CKD, "Disease", "chronic kidney disease", [("kidney failure", "layperson", "")], ["MESH:D051436"]),
    _e(OBESITY, "Disease", "obesity", [("overweight", "layperson", "")], ["MESH:D009765"]),
    _e(GLAUCOMA, "Disease", "glaucoma", [], ["MESH:D005901"]),
    _e(CROHN, "Disease", "Crohn's disease", [("regional enteritis", "exact", "do")], ["MESH:D003424"], ["do"]),
    _e(METFORMIN, "Compound", "metformin", [("Glucophage", "brand", "manual")], [], ["drugbank", "hetionet"]),
    _e(LISINOPRIL, "Compound", "lisinopril", [("Zestril", "brand", "manual")], [], ["drugbank", "hetionet"]),
    _e(AMLODIPINE, "Compound", "amlodipine", [("Norvasc", "brand", "manual")], [], ["drugbank", "hetionet"]),
    _e(HCTZ, "Compound", "hydrochlorothiazide", [("water pill", "layperson", "")], [], ["drugbank"]),
    _e(ASPIRIN, "Compound", "aspirin", [("acetylsalicylic acid", "exact", "drugbank")], [], ["drugbank", "hetionet"]),
    _e(ATORVA, "Compound", "atorvastatin", [("Lipitor", "brand", "manual")], [], ["drugbank"]),
    _e(GLIPIZIDE, "Compound", "glipizide", [], [], ["drugbank"]),
    _e(APAP, "Compound", "acetaminophen", [("paracetamol", "exact", "drugbank"), ("Tylenol", "brand", "manual")],
       [], ["drugbank", "hetionet"]),
    _e(TIMOLOL, "Compound", "timolol", [], [], ["drugbank"]),
    _e(PPARG, "Gene", "PPARG", [("peroxisome proliferator activated receptor gamma", "exact", "")]),
    _e(INS, "Gene", "INS", [("insulin", "exact", "")]),
    _e(AGT, "Gene", "AGT", [("angiotensinogen", "exact", "")]),
    _e(ACE, "Gene", "ACE", [("angiotensin I converting enzyme", "exact", "")]),
    _e(TCF7L2, "Gene", "TCF7L2"),
    _e(PTGS2, "Gene", "PTGS2", [("cyclooxygenase 2", "exact", ""), ("COX-2", "exact", "")]),
    _e(LEPR, "Gene", "LEPR", [("leptin receptor", "exact", "")]),
    _e(PRKAB1, "Gene", "PRKAB1"),
    _e(ABCC8, "Gene", "ABCC8"),
    _e(POLYURIA, "Phenotype", "Polyuria", [("frequent urination", "layperson", "hpo")], ["UMLS:C0032617"], ["hpo"]),
    _e(POLYDIPSIA, "Phenotype", "Polydipsia", [("excessive thirst", "layperson", "hpo")], [], ["hpo"]),
    _e(FATIGUE, "Phenotype", "Fatigue", [("tiredness", "layperson", "hpo")], [], ["hpo"]),
    _e(HEADACHE, "Phenotype", "Headache", [("head pain", "layperson", "hpo")], [], ["hpo"]),
    _e(VOMITING, "Phenotype", "Vomiting", [("throwing up", "layperson", "hpo")], [], ["hpo"]),
    _e(KIDNEY, "Anatomy", "kidney"),
    _e(HEART, "Anatomy", "heart"),
    _e(PANCREAS, "Anatomy", "pancreas"),
    _e(EYE, "Anatomy", "eye"),
    _e(ACE_INHIBITORS, "PharmacologicClass", "Angiotensin-converting Enzyme Inhibitors"),
]


def _f(s, p, o, *prov):
    return Fact(s, p, o, list(prov) or [_het()])


FACTS = [
    # treatments
    _f(METFORMIN, "treats", T2D, _het(["11832527"]), DB),
    _f(GLIPIZIDE, "treats", T2D), _f(LISINOPRIL, "treats", HTN), _f(AMLODIPINE, "treats", HTN),
    _f(HCTZ, "treats", HTN, DB), _f(ATORVA, "treats", CAD, DB), _f(ASPIRIN, "treats", CAD),
    _f(LISINOPRIL, "treats", CKD), _f(TIMOLOL, "treats", GLAUCOMA, DB), _f(APAP, "palliates", HTN),
    _f(ASPIRIN, "palliates", CAD),
    # phenotypes, with frequencies
    _f(T2D, "has_phenotype", POLYURIA, _hpo("Frequent", 0.55, "PMID:1")),
    _f(T2D, "has_phenotype", POLYDIPSIA, _hpo("Frequent", 0.55)),
    _f(T2D, "has_phenotype", FATIGUE, _hpo("Occasional", 0.17)),
    _f(DM, "has_phenotype", POLYURIA, _hpo("Very frequent", 0.9)),
    _f(HTN, "has_phenotype", HEADACHE, _hpo("Occasional", 0.17)),
    _f(CKD, "has_phenotype", FATIGUE, _hpo("Frequent", 0.55)),
    _f(CKD, "has_phenotype", VOMITING, _hpo("Occasional", 0.17)),
    _f(CAD, "has_phenotype", FATIGUE, _hpo("Occasional", 0.17)),
    # disease - gene
    _f(T2D, "associated_with", PPARG, _het(["10802213"])), _f(T2D, "associated_with", TCF7L2),
    _f(T2D, "associated_with", INS), _f(T2D, "associated_with", LEPR), _f(OBESITY, "associated_with", LEPR),
    _f(OBESITY, "associated_with", PPARG), _f(HTN, "associated_with", AGT), _f(HTN, "associated_with", ACE),
    _f(CAD, "associated_with", ACE), _f(CAD, "associated_with", PTGS2), _f(CKD, "associated_with", AGT),
    _f(DM, "associated_with", INS),
    # compound - gene
    _f(METFORMIN, "binds", PRKAB1), _f(LISINOPRIL, "binds", ACE), _f(ASPIRIN, "binds", PTGS2),
    _f(APAP, "binds", PTGS2), _f(GLIPIZIDE, "binds", ABCC8), _f(METFORMIN, "downregulates", TCF7L2),
    _f(ATORVA, "upregulates", LEPR),
    # gene - gene
    _f(PPARG, "interacts_with", TCF7L2), _f(INS, "interacts_with", LEPR), _f(AGT, "interacts_with", ACE),
    # ontology and resemblance
    _f(T2D, "subclass_of", DM), _f(T2D, "resembles", OBESITY), _f(HTN, "resembles", CKD),
    _f(CAD, "resembles", HTN),
    # anatomy
    _f(T2D, "localizes_to", PANCREAS), _f(DM, "localizes_to", PANCREAS), _f(HTN, "localizes_to", HEART),
    _f(CAD, "localizes_to", HEART), _f(CKD, "localizes_to", KIDNEY), _f(HTN, "localizes_to", KIDNEY),
    _f(GLAUCOMA, "localizes_to", EYE),
    # genes expressed in tissues
    _f(PANCREAS, "expresses", INS), _f(PANCREAS, "expresses", ABCC8), _f(KIDNEY, "expresses", AGT),
    _f(HEART, "expresses", ACE), _f(KIDNEY, "expresses", ACE),
    # classes
    _f(LISINOPRIL, "member_of_class", ACE_INHIBITORS),
    # a self-loop, counted once in both directions
    _f(INS, "interacts_with", INS),
]
SOURCES = [SourceInfo("hetionet", "Hetionet", "v1.0", "CC0 1.0", "https://het.io"),
           SourceInfo("hpo", "Human Phenotype Ontology", "2024-04-26", "HPO license"),
           SourceInfo("drugbank", "DrugBank open vocabulary", "5.1", "CC BY-NC 4.0"),
           SourceInfo("do", "Disease Ontology", "2024-05-01", "CC0 1.0")]


@dataclass
class Oracle:
    """Plain-Python answers computed from ENTITIES and FACTS."""
    entities: dict[str, Entity]
    facts: dict[str, Fact]

    def touching(self, eid, predicates=None, direction="both", other_types=None) -> list[str]:
        out = []
        for f in self.facts.values():
            hits = []
            if direction in ("out", "both") and f.subject == eid:
                hits.append(f.object)
            if direction in ("in", "both") and f.object == eid:
                hits.append(f.subject)
            if not hits or (predicates and f.predicate not in predicates):
                continue
            if other_types and not any(self.entities[o].type in other_types for o in hits):
                continue
            out.append(f.id)
        return sorted(out)

    def distance(self, a: str, b: str) -> int | None:
        adj = defaultdict(set)
        for f in self.facts.values():
            adj[f.subject].add(f.object)
            adj[f.object].add(f.subject)
        seen, queue = {a: 0}, deque([a])
        while queue:
            n = queue.popleft()
            for m in adj[n]:
                if m not in seen:
                    seen[m] = seen[n] + 1
                    queue.append(m)
        return seen.get(b)

    def count_shortest(self, a: str, b: str) -> int:
        """Distinct shortest fact chains from a to b (parallel facts count separately)."""
        d = self.distance(a, b)
        edges = defaultdict(list)
        for f in self.facts.values():
            edges[f.subject].append(f.object)
            if f.object != f.subject:
                edges[f.object].append(f.subject)

        def walk(node, left):
            if left == 0:
                return 1 if node == b else 0
            return sum(walk(m, left - 1) for m in edges[node])
        return walk(a, d)


def load_graph(store: GraphStore) -> Oracle:
    store.set_sources(SOURCES)
    store.upsert_entities(ENTITIES)
    store.upsert_facts(FACTS)
    return Oracle({e.id: e for e in ENTITIES}, {f.id: f for f in FACTS})


@pytest.fixture
def graph(empty_store):
    return empty_store, load_graph(empty_store)


def _ids(items) -> list[str]:
    return [x.id for x in items]


def _syn_set(e: Entity) -> set[tuple[str, str, str]]:
    return {(s.text, s.kind, s.source) for s in e.synonyms}


def _prov_set(f: Fact) -> set[tuple]:
    return {(p.source, p.version, p.license, tuple(sorted((k, str(v)) for k, v in p.evidence.items())),
             p.curator or None) for p in f.provenance}


# ---- entities ---------------------------------------------------------------------------------------

def test_get_entity_round_trips_every_field(graph):
    store, oracle = graph
    for eid in (HTN, APAP, PTGS2, POLYURIA):
        want, got = oracle.entities[eid], store.get_entity(eid)
        assert got is not None
        assert (got.id, got.type, got.name, got.description) == (want.id, want.type, want.name, want.description)
        assert _syn_set(got) == _syn_set(want)
        assert sorted(got.xrefs) == sorted(want.xrefs)
        assert sorted(got.sources) == sorted(want.sources)
    assert store.get_entity("DOID:0000000") is None


def test_get_entities_returns_only_known_ids(graph):
    store, _ = graph
    got = store.get_entities([HTN, METFORMIN, "NCBIGene:999999999", HTN])
    assert sorted(got) == sorted([HTN, METFORMIN])
    assert got[METFORMIN].name == "metformin"


def test_resolve_own_id_xrefs_and_prefix_case(graph):
    store, _ = graph
    assert store.resolve(HTN) == HTN
    assert store.resolve("MESH:D006973") == HTN
    assert store.resolve("mesh:D006973") == HTN
    assert store.resolve("MeSH:D003924") == T2D
    assert store.resolve("UMLS:C0032617") == POLYURIA
    assert store.resolve("doid:9352") == T2D
    assert store.resolve("MESH:D999999") is None
    assert store.resolve("") is None


def test_iter_entities_in_id_order_and_by_type(graph):
    store, oracle = graph
    everything = list(store.iter_entities(batch_size=7))
    assert _ids(everything) == sorted(oracle.entities)
    genes = list(store.iter_entities(types=["Gene"], batch_size=4))
    assert _ids(genes) == sorted(i for i, e in oracle.entities.items() if e.type == "Gene")
    assert all(_syn_set(e) == _syn_set(oracle.entities[e.id]) for e in genes)


# ---- search -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("high blood pressure", HTN),
    ("sugar diabetes", T2D),
    ("Tylenol", APAP),
    ("lipitor", ATORVA),
    ("frequent urination", POLYURIA),
    ("throwing up", VOMITING),
    ("COX-2", PTGS2),
])
def test_search_finds_lay_brand_and_technical_synonyms_first(graph, text, expected):
    store, _ = graph
    hits = store.search(text)
    assert hits and hits[0].id == expected


def test_search_prefix_on_last_word_only_whole_words_otherwise(graph):
    store, _ = graph
    assert METFORMIN in _ids(store.search("metf"))
    assert HTN in _ids(store.search("hypertens"))
    assert T2D in _ids(store.search("sugar diab"))
    assert HTN not in _ids(store.search("tension"))          # not a word start
    assert T2D not in _ids(store.search("diab sugar"))       # "diab" is not a whole word


def test_search_ranks_exact_name_before_longer_names(graph):
    store, _ = graph
    hits = _ids(store.search("diabetes mellitus"))
    assert hits[0] == DM
    assert T2D in hits


def test_search_punctuation_and_case_do_not_matter(graph):
    store, _ = graph
    assert store.search("Crohn's disease")[0].id == CROHN
    assert store.search("CROHN")[0].id == CROHN
    assert store.search("type-2 diabetes")[0].id == T2D
    assert store.search("  Angiotensin-converting   enzyme inhibitors ")[0].id == ACE_INHIBITORS


@pytest.mark.parametrize("hostile", [
    '"', '""', "'", "AND", "OR", "NOT", "NEAR(", "NEAR(a b)", "*", "-", "- kidney", "a OR b", "^kidney",
    "kidney*", "\x00", "kid\x00ney", "'; DROP TABLE entities; --", "((((", ")", ":", "{name}: x",
    "col:kidney", "\\", "%", "_", "🙂", "", "   ",
])
def test_search_never_raises_on_hostile_input(graph, hostile):
    store, _ = graph
    hits = store.search(hostile)
    assert isinstance(hits, list)
    assert all(isinstance(e, Entity) for e in hits)
    assert store.get_entity(KIDNEY) is not None          # the graph is untouched


def test_search_operator_words_are_plain_words(graph):
    store, _ = graph
    assert KIDNEY in _ids(store.search("- kidney"))
    assert _ids(store.search("kidney NOT disease")) == []    # "not" is a word no name has


def test_search_types_limit_offset(graph):
    store, oracle = graph
    diseases = store.search("diabetes", types=["Disease"])
    assert diseases and all(e.type == "Disease" for e in diseases)
    assert store.search("hypertension", types=["Compound"]) == []
    full = _ids(store.search("disease", limit=50))
    assert len(full) >= 3
    assert _ids(store.search("disease", limit=2)) == full[:2]
    assert _ids(store.search("disease", limit=2, offset=2)) == full[2:4]
    assert len(full) == len(set(full))                    # one hit per entity, however many names match


# ---- facts ------------------------------------------------------------------------------------------

def test_get_fact_with_provenance(graph):
    store, oracle = graph
    want = next(f for f in FACTS if f.subject == METFORMIN and f.predicate == "treats")
    got = store.get_fact(want.id)
    assert (got.subject, got.predicate, got.object) == (METFORMIN, "treats", T2D)
    assert _prov_set(got) == _prov_set(want)
    assert got.sources == ["drugbank", "hetionet"]
    hpo = store.get_fact(next(f.id for f in FACTS if f.object == POLYURIA and f.subject == T2D))
    assert hpo.provenance[0].evidence == {"frequency": "Frequent", "frequency_value": 0.55, "pmids": ["PMID:1"]}
    assert store.get_fact("Fdeadbeefdeadbeef") is None


def test_facts_both_directions_ordered_by_id(graph):
    store, oracle = graph
    for eid in (T2D, HTN, INS, PANCREAS, GLAUCOMA):
        got = store.facts(eid, limit=None)
        assert _ids(got) == oracle.touching(eid)
        assert all(f.provenance for f in got)


def test_facts_direction_filter(graph):
    store, oracle = graph
    out = store.facts(T2D, direction="out", limit=None)
    inc = store.facts(T2D, direction="in", limit=None)
    assert _ids(out) == oracle.touching(T2D, direction="out") and all(f.subject == T2D for f in out)
    assert _ids(inc) == oracle.touching(T2D, direction="in") and all(f.object == T2D for f in inc)
    with pytest.raises(ValueError):
        store.facts(T2D, direction="sideways")


def test_facts_predicate_filter(graph):
    store, oracle = graph
    got = store.facts(T2D, predicates=["associated_with"], limit=None)
    assert _ids(got) == oracle.touching(T2D, predicates=["associated_with"])
    assert {f.object for f in got} == {PPARG, TCF7L2, INS, LEPR}
    two = store.facts(HTN, predicates=["treats", "palliates"], direction="in", limit=None)
    assert {f.subject for f in two} == {LISINOPRIL, AMLODIPINE, HCTZ, APAP}


def test_facts_other_types_filter(graph):
    store, oracle = graph
    drugs = store.facts(HTN, other_types=["Compound"], limit=None)
    assert _ids(drugs) == oracle.touching(HTN, other_types=["Compound"])
    genes_or_anatomy = store.facts(HTN, other_types=["Gene", "Anatomy"], direction="out", limit=None)
    assert {f.object for f in genes_or_anatomy} == {AGT, ACE, HEART, KIDNEY}


def test_facts_pagination_covers_everything_once(graph):
    store, oracle = graph
    want = oracle.touching(T2D)
    pages = [store.facts(T2D, limit=3, offset=o) for o in range(0, len(want) + 3, 3)]
    assert [f.id for page in pages for f in page] == want
    assert store.facts(T2D, limit=0) == []
    assert store.facts(T2D, limit=100, offset=len(want)) == []


def test_self_loop_appears_once(graph):
    store, oracle = graph
    loops = [f for f in store.facts(INS, predicates=["interacts_with"], limit=None) if f.subject == f.object]
    assert len(loops) == 1
    assert store.count_facts(INS) == len(oracle.touching(INS))


def test_count_facts_matches_facts(graph):
    store, oracle = graph
    cases = [dict(), dict(direction="out"), dict(direction="in"), dict(predicates=["has_phenotype"]),
             dict(other_types=["Gene"]), dict(predicates=["treats", "palliates"], other_types=["Compound"])]
    for eid in (T2D, HTN, FATIGUE, "DOID:0000000"):
        for kw in cases:
            n = store.count_facts(eid, **kw)
            assert n == len(oracle.touching(eid, **kw)) == len(store.facts(eid, limit=None, **kw)), (eid, kw)


def test_neighbours_report_other_end_and_direction(graph):
    store, oracle = graph
    nbrs = store.neighbours(T2D, limit=None)
    assert sorted(n.fact.id for n in nbrs) == oracle.touching(T2D)
    for n in nbrs:
        if n.direction == "out":
            assert n.fact.subject == T2D and n.entity.id == n.fact.object
        else:
            assert n.direction == "in" and n.fact.object == T2D and n.entity.id == n.fact.subject
    drugs = store.neighbours(T2D, predicates=["treats"], direction="in")
    assert sorted(n.entity.id for n in drugs) == sorted([METFORMIN, GLIPIZIDE])
    assert all(n.entity.type == "Compound" for n in drugs)


def test_iter_facts_yields_every_fact_once(graph):
    store, oracle = graph
    got = list(store.iter_facts(batch_size=7))
    assert _ids(got) == sorted(oracle.facts)
    assert all(f.provenance for f in got)


# ---- paths ------------------------------------------------------------------------------------------

def _check_path(path, source, target, oracle):
    assert path.entities[0] == source and path.entities[-1] == target
    assert len(path.entities) == len(path.facts) + 1
    for a, b, fact in zip(path.entities, path.entities[1:], path.facts):
        assert {fact.subject, fact.object} == {a, b}
        assert fact.id in oracle.facts
    assert len(set(path.entities)) == len(path.entities)      # simple path


@pytest.mark.parametrize("source, target", [
    (METFORMIN, PPARG),        # 2 hops, through type 2 diabetes or TCF7L2
    (PPARG, METFORMIN),        # the same, walked backwards
    (LISINOPRIL, HTN),         # direct
    (METFORMIN, HTN),          # 4 hops, two ways (through fatigue, then CKD or CAD)
    (GLIPIZIDE, INS),
    (ASPIRIN, KIDNEY),
])
def test_shortest_paths_are_shortest_valid_and_complete(graph, source, target):
    store, oracle = graph
    d = oracle.distance(source, target)
    paths = store.shortest_paths(source, target, max_hops=4, limit=50)
    assert paths, (source, target)
    for p in paths:
        _check_path(p, source, target, oracle)
        assert len(p) == d
    assert len(paths) == oracle.count_shortest(source, target)
    assert len({tuple(f.id for f in p.facts) for p in paths}) == len(paths)


def test_shortest_paths_limit(graph):
    store, oracle = graph
    assert oracle.count_shortest(METFORMIN, HTN) > 1
    paths = store.shortest_paths(METFORMIN, HTN, max_hops=4, limit=1)
    assert len(paths) == 1 and len(paths[0]) == oracle.distance(METFORMIN, HTN)


def test_shortest_paths_respect_max_hops(graph):
    store, oracle = graph
    d = oracle.distance(METFORMIN, HTN)
    assert d == 4
    assert store.shortest_paths(METFORMIN, HTN, max_hops=3) == []
    assert store.shortest_paths(METFORMIN, PPARG, max_hops=1) == []
    two = store.shortest_paths(METFORMIN, PPARG, max_hops=2)
    assert sorted(len(p) for p in two) == [2] * oracle.count_shortest(METFORMIN, PPARG)


def test_shortest_paths_none_when_unreachable_or_unknown(graph):
    store, oracle = graph
    assert oracle.distance(METFORMIN, GLAUCOMA) is None
    assert store.shortest_paths(METFORMIN, GLAUCOMA, max_hops=4) == []
    assert store.shortest_paths(METFORMIN, "DOID:0000000") == []


def test_shortest_paths_predicate_filter(graph):
    store, oracle = graph
    paths = store.shortest_paths(METFORMIN, PPARG, max_hops=4, predicates=["treats", "associated_with"])
    assert paths and all(f.predicate in ("treats", "associated_with") for p in paths for f in p.facts)
    assert store.shortest_paths(METFORMIN, PPARG, max_hops=4, predicates=["binds"]) == []


# ---- writes -----------------------------------------------------------------------------------------

def test_upsert_facts_merges_provenance_without_duplicates(graph):
    store, _ = graph
    fact = Fact(LISINOPRIL, "treats", HTN, [DB])
    store.upsert_facts([fact])
    store.upsert_facts([fact])                                  # the same record again
    got = store.get_fact(fact.id)
    assert sorted(p.source for p in got.provenance) == ["drugbank", "hetionet"]
    curated = Provenance("curation", "", "CC0 1.0", {"pmids": ["123"]}, curator="alice",
                         created_at="2026-01-01T00:00:00Z", change_id="C1")
    store.upsert_facts([Fact(LISINOPRIL, "treats", HTN, [curated]), Fact(LISINOPRIL, "treats", HTN, [curated])])
    got = store.get_fact(fact.id)
    assert sorted(p.source for p in got.provenance) == ["curation", "drugbank", "hetionet"]
    cur = next(p for p in got.provenance if p.source == "curation")
    assert (cur.curator, cur.created_at, cur.change_id) == ("alice", "2026-01-01T00:00:00Z", "C1")
    assert store.count_facts(HTN, predicates=["treats"]) == 3   # still one fact per triple


def test_upsert_fact_with_unknown_entity_is_refused(graph):
    store, _ = graph
    with pytest.raises(StoreError, match="DOID:0000000"):
        store.upsert_facts([Fact(METFORMIN, "treats", "DOID:0000000", [HET])])
    assert store.count_facts(METFORMIN) == len(graph[1].touching(METFORMIN))


def test_upsert_entity_replaces_names_and_keeps_facts(graph):
    store, oracle = graph
    before = store.count_facts(HTN)
    store.upsert_entities([_e(HTN, "Disease", "hypertensive disorder", [("raised blood pressure", "layperson", "")],
                              ["MESH:D006973"], ["do"])])
    e = store.get_entity(HTN)
    assert e.name == "hypertensive disorder" and _syn_set(e) == {("raised blood pressure", "layperson", "")}
    assert store.count_facts(HTN) == before
    assert HTN in _ids(store.search("raised blood pressure"))
    assert HTN not in _ids(store.search("high blood pressure"))
    assert store.resolve("UMLS:C0020538") is None and store.resolve("MESH:D006973") == HTN


def test_delete_facts(graph):
    store, oracle = graph
    ids = oracle.touching(T2D, predicates=["associated_with"])
    assert store.delete_facts(ids + ["Fdeadbeefdeadbeef"]) == len(ids)
    assert all(store.get_fact(i) is None for i in ids)
    assert store.count_facts(T2D, predicates=["associated_with"]) == 0
    assert store.count_facts(T2D) == len(oracle.touching(T2D)) - len(ids)
    assert store.delete_facts([]) == 0


def test_delete_entity_removes_its_facts_names_and_xrefs(graph):
    store, oracle = graph
    touching = oracle.touching(T2D)
    store.delete_entity(T2D)
    assert store.get_entity(T2D) is None
    assert all(store.get_fact(i) is None for i in touching)
    assert store.count_facts(METFORMIN, predicates=["treats"]) == 0
    assert T2D not in _ids(store.search("sugar diabetes"))
    assert store.resolve("MESH:D003924") is None
    assert store.stats().facts == len(oracle.facts) - len(touching)
    assert store.get_entity(METFORMIN) is not None              # the other end stays


def test_transaction_rolls_back_on_error(graph):
    store, oracle = graph
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert_entities([_e("DOID:1", "Disease", "fictional disease")])
            store.upsert_facts([Fact(METFORMIN, "treats", "DOID:1", [HET])])
            store.delete_entity(HTN)
            raise RuntimeError("abort")
    assert store.get_entity("DOID:1") is None
    assert store.get_entity(HTN) is not None
    assert store.count_facts(HTN) == len(oracle.touching(HTN))
    assert store.stats().facts == len(oracle.facts)


def test_nested_transactions_commit_together(graph):
    store, oracle = graph
    with store.transaction():
        store.upsert_entities([_e("DOID:1", "Disease", "fictional disease")])
        with store.transaction():
            store.upsert_facts([Fact(METFORMIN, "treats", "DOID:1", [HET])])
    assert store.count_facts("DOID:1") == 1
    with pytest.raises(ValueError):
        with store.transaction():
            store.delete_facts(oracle.touching(HTN))
            with store.transaction():
                store.delete_entity("DOID:1")
                raise ValueError("abort both")
    assert store.get_entity("DOID:1") is not None
    assert store.count_facts(HTN) == len(oracle.touching(HTN))


# ---- sources, meta, stats, version --------------------------------------------------------------------

def test_sources_and_meta(graph):
    store, _ = graph
    assert [s.name for s in store.sources()] == sorted(s.name for s in SOURCES)
    store.set_sources([SourceInfo("hpo", "Human Phenotype Ontology", "2025-01-01", "HPO license"),
                       SourceInfo("curation", "Curated facts", "", "CC0 1.0")])
    by_name = {s.name: s for s in store.sources()}
    assert by_name["hpo"].version == "2025-01-01" and "curation" in by_name
    assert store.get_meta("nothing here") is None and store.get_meta("nothing here", "x") == "x"
    store.set_meta("build_id", "b1")
    store.set_meta("build_id", "b2")
    assert store.get_meta("build_id") == "b2"


def test_version_combines_build_id_and_curation_counter(empty_store):
    store = empty_store
    assert store.version() == "unbuilt.0"
    store.set_meta("build_id", "20260101T000000")
    store.set_meta("curation_version", "3")
    assert store.version() == "20260101T000000.3"


def test_stats_match_the_graph(graph):
    store, oracle = graph
    st = store.stats()
    assert st.entities == len(oracle.entities) and st.facts == len(oracle.facts)
    assert st.by_type == dict(Counter(e.type for e in ENTITIES))
    assert st.by_predicate == dict(Counter(f.predicate for f in FACTS))
    for src in SOURCES:
        row = st.by_source[src.name]
        assert row["entities"] == sum(src.name in e.sources for e in ENTITIES)
        assert row["facts"] == sum(src.name in f.sources for f in FACTS)
        assert (row["license"], row["version"]) == (src.license, src.version)
    assert set(st.to_json()) == {"entities", "facts", "by_source", "by_type", "by_predicate"}


def test_stats_follow_writes(graph):
    store, oracle = graph
    store.stats()
    store.upsert_entities([_e("DOID:1", "Disease", "fictional disease", sources=["curation"])])
    store.upsert_facts([Fact(METFORMIN, "treats", "DOID:1", [Provenance("curation", curator="bob")]),
                        Fact(METFORMIN, "treats", T2D, [Provenance("curation", curator="bob")])])
    st = store.stats()
    assert st.entities == len(oracle.entities) + 1 and st.facts == len(oracle.facts) + 1
    assert st.by_source["curation"]["facts"] == 2 and st.by_source["curation"]["entities"] == 1
    assert st.by_predicate["treats"] == Counter(f.predicate for f in FACTS)["treats"] + 1
    store.delete_facts(oracle.touching(PANCREAS))
    assert store.stats().facts == len(oracle.facts) + 1 - len(oracle.touching(PANCREAS))
