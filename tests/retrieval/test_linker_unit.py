"""The linker's dictionary, fuzzy, overlap and abstention logic on a small hand-made graph (no model).

The real graph and the real embedding model are exercised in test_linker_graph.py."""
import pytest

from kg.model import Entity, Synonym
from retrieval.linker import Linker


def _entities():
    return [
        Entity("HP:0001649", "Phenotype", "Tachycardia",
               [Synonym("Racing heart", "layperson"), Synonym("Heart racing", "layperson")]),
        Entity("HP:0001945", "Phenotype", "Fever", [Synonym("Pyrexia")]),
        Entity("HP:0012735", "Phenotype", "Cough"),
        Entity("HP:0100749", "Phenotype", "Chest pain", [Synonym("Thoracic pain")]),
        Entity("HP:0012531", "Phenotype", "Pain"),
        Entity("UBERON:0000948", "Anatomy", "heart"),
        Entity("UBERON:0001443", "Anatomy", "chest"),
        Entity("DOID:9351", "Disease", "diabetes mellitus", [Synonym("diabetes")]),
        Entity("DOID:10763", "Disease", "hypertension", [Synonym("high blood pressure"), Synonym("HTN")]),
        Entity("DRUGBANK:DB00331", "Compound", "Metformin"),
        Entity("DRUGBANK:DB00316", "Compound", "Acetaminophen"),
        Entity("NCBIGene:847", "Gene", "CAT", [Synonym("catalase")]),
        Entity("DOID:9952", "Disease", "acute lymphoblastic leukemia", [Synonym("ALL")]),
        Entity("DOID:2841", "Disease", "asthma"),
    ]


@pytest.fixture(scope="module")
def linker():
    return Linker.from_entities(_entities())


def _ids(linker, text, **kw):
    return [m.entity.id for m in linker.link(text, **kw)]


def test_layperson_synonym_with_stop_words_inside(linker):
    ms = linker.link("my heart is racing")
    assert [(m.text, m.entity.id) for m in ms] == [("heart is racing", "HP:0001649")]
    assert ms[0].start == 3 and ms[0].end == 18 and ms[0].score > 0.9


def test_word_order_and_plurals(linker):
    assert _ids(linker, "pains in the chest") == ["HP:0100749"]


def test_longest_match_wins_over_its_parts(linker):
    # "chest pain" beats "chest" (anatomy) + "pain"
    assert _ids(linker, "I have chest pain") == ["HP:0100749"]


def test_lay_vocabulary_is_used(linker):
    assert _ids(linker, "what can I take for sugar diabetes?") == ["DOID:9351"]
    assert _ids(linker, "is tylenol safe") == ["DRUGBANK:DB00316"]


def test_misspellings_are_corrected_with_a_penalty(linker):
    ms = linker.link("metfromin")
    assert [m.entity.id for m in ms] == ["DRUGBANK:DB00331"] and ms[0].method == "fuzzy"
    exact = linker.link("metformin")[0]
    assert ms[0].score < exact.score
    assert _ids(linker, "diabetis") == ["DOID:9351"]
    assert _ids(linker, "hypertenshun") == ["DOID:10763"]


def test_short_words_are_not_fuzzy_matched(linker):
    assert _ids(linker, "cogh") == []


def test_acronyms_only_in_capitals(linker):
    assert _ids(linker, "ALL in children") == ["DOID:9952"]
    assert _ids(linker, "HTN meds") == ["DOID:10763"]
    assert _ids(linker, "I love all my cats") == []


def test_non_medical_text_links_to_nothing(linker):
    for t in ["what's the weather tomorrow", "I love my dog", "the meeting is at noon"]:
        assert linker.link(t) == [], t


def test_negation_and_uncertainty_are_marked(linker):
    ms = {m.entity.id: m for m in linker.link("I have a cough but no fever, maybe asthma")}
    assert not ms["HP:0012735"].negated
    assert ms["HP:0001945"].negated
    assert ms["DOID:2841"].uncertain


def test_overlapping_mentions_resolve_to_one_per_span(linker):
    ms = linker.link("high blood pressure and chest pain and fever")
    spans = [(m.start, m.end) for m in ms]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert [m.entity.id for m in ms] == ["DOID:10763", "HP:0100749", "HP:0001945"]


def test_type_priors_rank_candidates(linker):
    anatomy = linker.link_phrase("heart", types=["Anatomy"])
    assert anatomy[0][0].id == "UBERON:0000948"


def test_min_score_filters(linker):
    assert linker.link("metfromin", min_score=0.99) == []


def test_link_phrase_ranks_whole_phrases(linker):
    ranked = linker.link_phrase("high blood pressure")
    assert ranked[0][0].id == "DOID:10763" and 0 < ranked[0][1] <= 1


def test_incremental_add_and_remove():
    linker = Linker.from_entities(_entities())
    assert _ids(linker, "I have gout") == []
    linker.add_entities([Entity("DOID:13189", "Disease", "gout", [Synonym("gouty arthritis")])])
    assert _ids(linker, "I have gout") == ["DOID:13189"]
    assert _ids(linker, "gouty arthritis") == ["DOID:13189"]
    linker.remove_entity("DOID:13189")
    assert _ids(linker, "I have gout") == []
    # replacing an entity replaces its names
    linker.add_entities([Entity("DOID:2841", "Disease", "asthma", [Synonym("wheezing illness")])])
    assert _ids(linker, "wheezing illness") == ["DOID:2841"]


def test_excluding_hides_layperson_synonyms_only():
    linker = Linker.from_entities(_entities())
    view = linker.excluding(["Racing heart"])
    assert "HP:0001649" not in [m.entity.id for m in view.link("racing heart")]
    assert [m.entity.id for m in view.link("tachycardia")] == ["HP:0001649"]
    assert [m.entity.id for m in linker.link("racing heart")] == ["HP:0001649"]


def test_mentions_do_not_start_with_a_pronoun(linker):
    ms = linker.link("I have a cough but no fever")
    assert [(m.text, m.negated) for m in ms] == [("cough", False), ("fever", True)]


def _phrasal_linker():
    return Linker.from_entities([
        Entity("HP:0012378", "Phenotype", "Fatigue", [Synonym("Worn out", "layperson")]),
        Entity("HP:0002013", "Phenotype", "Vomiting", [Synonym("Throwing up", "layperson")]),
        Entity("HP:0100785", "Phenotype", "Insomnia", [Synonym("Can't sleep", "layperson")]),
        Entity("HP:0001279", "Phenotype", "Syncope"),
        Entity("DRUGBANK:DB00169", "Compound", "Cholecalciferol", [Synonym("Vitamin D", "exact")]),
        Entity("DRUGBANK:DB00162", "Compound", "Vitamin A", [Synonym("Retinol", "exact")]),
    ], vocabulary=False)


def test_a_phrasal_particle_belongs_to_the_name():
    linker = _phrasal_linker()
    ms = linker.link("I'm worn out lately")
    assert [(m.entity.id, m.text) for m in ms] == [("HP:0012378", "worn out")]
    assert _ids(linker, "I'm always worn out") == ["HP:0012378"]     # filler "always" left out
    assert _ids(linker, "she keeps throwing up") == ["HP:0002013"]
    # without its particle the name is another word: "throwing stones" is not vomiting
    assert "HP:0002013" not in _ids(linker, "sore arm from throwing stones")


def test_inability_written_three_ways_links_the_same():
    linker = _phrasal_linker()
    for text in ("I can't sleep at night", "I cannot sleep at night", "I couldn't sleep at night"):
        assert _ids(linker, text) == ["HP:0100785"], text
    assert _ids(linker, "I sleep well at night") == []     # "sleep" alone is not insomnia


def test_trouble_and_difficulty_read_as_inability():
    linker = _phrasal_linker()
    assert _ids(linker, "I have trouble sleeping") == ["HP:0100785"]


def test_vitamin_letters_are_not_dropped():
    linker = _phrasal_linker()
    assert _ids(linker, "should I take vitamin D in winter") == ["DRUGBANK:DB00169"]
    assert _ids(linker, "is vitamin A good for the eyes") == ["DRUGBANK:DB00162"]


def test_a_possessive_surname_stands_for_its_disease():
    linker = Linker.from_entities([
        Entity("DOID:10652", "Disease", "Alzheimer's disease", [Synonym("Familial Alzheimer disease", "related")]),
        Entity("DOID:893", "Disease", "Wilson disease", [Synonym("Hepatolenticular degeneration of Wilson")]),
        Entity("DOID:114", "Disease", "Heart disease", [Synonym("congenital heart disease")]),
        Entity("DOID:13300", "Disease", "Scheuermann disease", [Synonym("Calve disease"),
                                                                 Synonym("Juvenile kyphosis of Calve")]),
        Entity("HP:0001649", "Phenotype", "Tachycardia", [Synonym("Heart racing", "layperson")]),
    ], vocabulary=False)
    assert _ids(linker, "my dad has Alzheimers") == ["DOID:10652"]
    assert _ids(linker, "is Alzheimer's hereditary") == ["DOID:10652"]
    assert _ids(linker, "my heart's racing") == ["HP:0001649"]        # "heart" is a noun, not a surname
    assert _ids(linker, "the Wilsons came for dinner") == []           # a family, not a disease
    assert _ids(linker, "I met Alzheimer") == []                       # the bare surname is not the disease
    assert _ids(linker, "my calves are tight") == []                   # an English plural, not "Calve's"


def test_held_out_synonyms_stay_out_whichever_key_finds_them():
    linker = _phrasal_linker()
    assert _ids(linker, "she keeps throwing up") == ["HP:0002013"]
    view = linker.excluding(["Throwing up", "Worn out"])
    assert _ids(view, "she keeps throwing up") == []     # not through the particle key either
    assert _ids(view, "I feel worn out") == []
    assert _ids(linker, "I feel worn out") == ["HP:0012378"]


def test_a_variant_letter_is_part_of_the_name_not_an_acronym():
    linker = Linker.from_entities([
        Entity("DRUGBANK:DB11094", "Compound", "Vitamin D"),
        Entity("DRUGBANK:DB00128", "Compound", "L-Aspartic Acid", [Synonym("D", "exact")]),
    ], vocabulary=False)
    ms = linker.link("should I take vitamin D in winter")
    assert [(m.entity.id, m.text) for m in ms] == [("DRUGBANK:DB11094", "vitamin D")]
    assert ms[0].score > 0.9          # "vitamin D" is not the everyday word "vitamin"
