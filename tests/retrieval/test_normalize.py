from retrieval.normalize import is_acronym, keys_of, singular, tokenize


def test_tokens_keep_offsets_into_the_original_text():
    text = "My heart’s racing, Doctor!"
    toks = tokenize(text)
    assert [t.raw for t in toks] == ["My", "heart", "s", "racing", "Doctor"]
    assert all(text[t.start:t.end] == t.raw for t in toks)


def test_plurals_possessives_and_word_order_meet_on_one_key():
    assert keys_of("pain in the chest")[1] == keys_of("Chest pains")[1]
    assert keys_of("Alzheimer's disease")[1] == keys_of("alzheimer disease")[1]
    assert keys_of("allergies")[1] == keys_of("allergy")[1]
    assert keys_of("headaches")[1] == keys_of("headache")[1]
    assert keys_of("rashes")[1] == keys_of("rash")[1]


def test_accents_and_case_fold():
    assert keys_of("Acétaminophène")[1] == keys_of("acetaminophene")[1]


def test_words_that_only_look_plural_are_kept():
    for w in ("virus", "arthritis", "stress", "pancreas"):
        assert singular(w) == w
    assert singular("feet") == "foot"


def test_negators_are_not_stop_words():
    assert keys_of("no fever")[1] == "fever no"


def test_acronyms():
    assert is_acronym("ALL") and is_acronym("MS") and is_acronym("CAT")
    assert not is_acronym("Asthma") and not is_acronym("BRCA1") and not is_acronym("heart attack")
