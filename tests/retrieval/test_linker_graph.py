"""The linker on the real full graph with the real embedding model (session fixture `full_context`)."""
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def linker(full_context):
    return full_context.linker


def _top(linker, text, **kw):
    ms = linker.link(text, **kw)
    return max(ms, key=lambda m: m.score) if ms else None


@pytest.mark.parametrize("text,expected", [
    ("my heart is racing", {"HP:0001649", "HP:0001962"}),
    ("I feel like I'm going to throw up", {"HP:0002013", "HP:0002018"}),
    ("my grandpa has high blood pressure", {"DOID:10763", "HP:0000822"}),
    ("what can I take for sugar diabetes?", {"DOID:9351", "HP:0000819"}),
    ("I got a really bad tummy ache", {"HP:0002027"}),
])
def test_lay_phrases(full_context, linker, text, expected):
    store = full_context.store
    want = {store.resolve(c) for c in expected} - {None}
    top = _top(linker, text)
    assert top is not None and top.entity.id in want, (text, top and top.entity.id)


@pytest.mark.parametrize("text,expected", [
    ("metfromin", "DRUGBANK:DB00331"),
    ("diabeties", "DOID:9351"),
    ("rheumatoyd arthritis", "DOID:7148"),   # "rheumatiod" is a vocabulary entry since session 4
])
def test_misspellings(full_context, linker, text, expected):
    top = _top(linker, text)
    assert top is not None and top.entity.id == full_context.store.resolve(expected) and top.method == "fuzzy"


def test_dense_matching_finds_a_paraphrase(full_context, linker):
    # no source name or synonym says this: with the project's lay vocabulary and word-level rewrites
    # switched off, only the dense index can find it
    import copy
    dense_only = copy.copy(linker)
    dense_only.lay_words = {}
    dense_only.table = copy.copy(linker.table)
    dense_only.table.dead_entries = set(linker.table.dead_entries) | {
        i for i, e in enumerate(linker.table.entries) if e.kind == "vocabulary"}
    top = _top(dense_only, "I keep struggling to breathe", types=["Phenotype", "Symptom", "Disease"])
    assert top is not None and top.method == "dense"
    assert top.entity.id == full_context.store.resolve("HP:0002094")


@pytest.mark.parametrize("text", ["how long does it take to boil an egg", "time to run the bath"])
def test_everyday_verbs_with_an_object_are_not_lay_synonyms(linker, text):
    assert linker.link(text) == []


def test_the_noun_sense_still_links(linker):
    top = _top(linker, "I have a boil on my neck")
    assert top is not None and top.entity.name == "Furuncle"


def test_a_name_spans_and_only_when_it_is_a_joined_name(linker):
    names = [m.entity.name for m in linker.link("loose joints and a dislocated lens")]
    assert "Joint dislocation" not in names and len(names) == 2
    assert "Joint hypermobility" in names and any("ectopia lentis" in n.lower() for n in names)
    assert any("vomiting" in m.entity.name.lower() for m in linker.link("nausea and vomiting"))


def test_a_name_does_not_span_a_relative_clause(linker):
    ids = {m.entity.id for m in linker.link("I get attacks where my heart races")}
    assert "DOID:5844" not in ids   # "attack ... heart" is not a heart attack


@pytest.mark.parametrize("text", ["what disease is that", "zorblax syndrome", "a rare disorder"])
def test_category_words_alone_are_not_mentions(linker, text):
    assert linker.link(text) == []


@pytest.mark.parametrize("text", [
    "is it going to rain this weekend", "I adopted a kitten last month", "book me a hotel in Chicago",
    "the committee approved the budget", "my headphones stopped working",
])
def test_non_medical_text_links_to_nothing(linker, text):
    assert linker.link(text) == []


def test_negation_on_the_graph(linker):
    ms = {m.text.lower(): m for m in linker.link("I have a headache but no fever")}
    assert not ms["headache"].negated and ms["fever"].negated


def test_a_dense_span_does_not_swallow_a_negation(linker):
    # "now, no temperature" read as one span once linked to fever with the "no" inside it, not negated
    fever = [m for m in linker.link("About 6 days now, no temperature.") if m.entity.id == "HP:0001945"]
    assert all(m.negated for m in fever)


def test_rarer_english_words_that_name_a_drug_link_but_everyday_ones_stay_weak(linker):
    # "adrenaline" and "heroin" are English words, but not everyday ones: their bare mention means the drug
    assert [m.entity.id for m in linker.link("she carries adrenaline")] == ["DRUGBANK:DB00668"]
    assert [m.entity.id for m in linker.link("heroin")] == ["DRUGBANK:DB01452"]
    assert linker.link("I drank a glass of water with some rice") == []


def test_an_everyday_word_naming_a_clinical_modifier_is_not_a_mention(linker):
    # HPO names laterality and character terms "Right" and "Sharp": in a sentence they are ordinary words
    assert [m.entity.id for m in linker.link("a sharp pain right here")] == ["HP:0012531"]
    assert [m.entity.id for m in linker.link("episodic")] == ["HP:0025303"]     # not an everyday word: kept


def test_interpret_reads_a_paraphrase_as_a_whole(linker):
    text = "I need four pillows under me at night or I get short of breath"
    best_mention = max(linker.link(text), key=lambda m: m.score)
    assert best_mention.entity.id == "HP:0002094"                      # dyspnea: a part of what was said
    assert linker.interpret(text)[0][0].id == "HP:0012764"             # orthopnea: what it says as a whole
    assert linker.interpret("metformin")[0][0].id == "DRUGBANK:DB00331"   # a name stays its own reading
    assert linker.interpret("the weather is lovely today") == []


def test_mentions_carry_offsets_and_candidates(linker):
    text = "Does metformin treat type 2 diabetes?"
    ms = linker.link(text)
    assert [m.text for m in ms] == ["metformin", "type 2 diabetes"]
    for m in ms:
        assert text[m.start:m.end] == m.text and m.candidates and m.candidates[0][0].id == m.entity.id


def test_live_add_and_remove_on_the_graph(full_context):
    from kg.model import Entity, Synonym
    from retrieval.linker import Linker
    linker = Linker.from_store(full_context.store, full_context.settings, progress=False)
    assert all(m.entity.id != "CURATED:1" for m in linker.link("zorblax fever syndrome"))
    linker.add_entities([Entity("CURATED:1", "Disease", "zorblax fever syndrome", [Synonym("zorblax", "layperson")])])
    assert [m.entity.id for m in linker.link("I think I have zorblax fever syndrome")] == ["CURATED:1"]
    assert linker.link_phrase("zorblax fever syndrome")[0][0].id == "CURATED:1"
    linker.remove_entity("CURATED:1")
    assert all(m.entity.id != "CURATED:1" for m in linker.link("zorblax fever syndrome"))


def test_lay_vocabulary_phrases_are_in_the_dense_index(full_context, linker):
    kinds = set(linker._row_kind)
    assert "vocabulary" in kinds and "name" in kinds
    # a wording no name or vocabulary key holds, near lay phrases for vertigo ("room is spinning")
    top = _top(linker, "I keep feeling like the room is rotating round")   # "whirling round" is an entry since session 4
    assert top is not None and top.method == "dense"
    assert top.entity.id == full_context.store.resolve("HP:0002321")


def test_a_dense_span_never_joins_two_sentences(linker):
    # words either side of a full stop are not one complaint; each mention stays inside its sentence
    text = "It started on my shins. Now the lumps are sore. Every morning it's the same. Temp was 38.2 today"
    for m in linker.link(text):
        inner = m.text.rstrip(".")
        assert ". " not in inner and "." not in inner.replace("38.2", ""), m.text


def test_an_intensifier_between_the_body_part_and_the_lay_word_is_dropped(linker):
    # "absolutely", "totally" add no meaning: "my knee has been totally killing me" is knee pain's "killing"
    top = _top(linker, "my neck has been absolutely killing me since Monday")
    assert top is not None and top.entity.id == "HP:0030833", top


def test_interpret_without_any_mention_takes_a_whole_reading_above_its_own_bar(linker, monkeypatch):
    from retrieval.linker import NO_MENTION_MIN_SCORE
    insomnia = linker.link("insomnia")[0].entity
    monkeypatch.setattr(linker, "link", lambda text, types=None, top_k=5: [])
    monkeypatch.setattr(linker, "link_phrase", lambda text, types=None, top_k=5: [(insomnia, NO_MENTION_MIN_SCORE + 0.05)])
    assert [e.id for e, _ in linker.interpret("up till four, can't nod off")] == [insomnia.id]
    assert [e.id for e, _ in linker.interpret("zzz")] == [insomnia.id]          # short texts too
    monkeypatch.setattr(linker, "link_phrase", lambda text, types=None, top_k=5: [(insomnia, NO_MENTION_MIN_SCORE - 0.05)])
    assert linker.interpret("up till four, can't nod off") == []


@pytest.mark.parametrize("text, disease", [
    ("coughing and wheezing for years, the consultant said my lungs are damaged from smoking", "chronic obstructive"),
    ("I have tummy cramps and the biopsy showed I cannot eat gluten", "celiac"),
])
def test_a_reported_diagnosis_is_read_as_a_disease(linker, text, disease):
    best = linker.interpret(text)[0][0]
    assert best.type == "Disease" and disease in best.name.lower(), best
    # the same symptoms without the report read as the symptom
    assert linker.interpret(text.split(" the ")[0].split(" and ")[0])[0][0].type != "Disease"


def test_a_non_medical_report_stays_unlinked(linker):
    assert linker.interpret("they said the bus was late again") == []


def test_a_drug_named_outright_keeps_its_place_ahead_of_the_whole_reading(linker):
    assert linker.interpret("rubbing regaine into my scalp")[0][0].name == "Minoxidil"
    # an English word that names a compound is not a drug named outright
    assert linker.interpret("a pea-sized lump on my neck")[0][0].type != "Compound"


@pytest.mark.parametrize("text, drug", [("zyrtec for hay fever", "Cetirizine"),
                                        ("canesten for thrush", "Clotrimazole")])
def test_a_drug_named_with_what_it_is_for_reads_as_the_drug(linker, text, drug):
    assert linker.interpret(text)[0][0].name == drug
    # what it is for, said alone, is not a drug
    assert linker.interpret(text.split(" for ")[1])[0][0].type != "Compound"
