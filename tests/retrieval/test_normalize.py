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


def test_inability_is_one_content_word_however_it_is_written():
    keys = {keys_of(t)[1] for t in ("I can't sleep", "I cannot sleep", "I can not sleep", "I couldn't sleep",
                                     "can’t sleep")}
    assert keys == {"cant sleep"}
    assert keys_of("I can sleep")[1] == "sleep"          # "can" alone is still a stop word
    toks = tokenize("she can't walk")
    assert [t.text for t in toks] == ["she", "cant", "walk"] and toks[1].raw == "can't"


def test_a_letter_naming_a_variant_is_kept():
    assert keys_of("low vitamin D")[1] != keys_of("low vitamin")[1]
    assert keys_of("Vitamin d deficiency")[1] == keys_of("vitamin D deficiency")[1]
    assert keys_of("hepatitis A")[1] != keys_of("hepatitis")[1]
    # a capital letter after a lower-case content word names a variant; "I" and shouted text do not
    assert "A" in keys_of("blood group A")[1].split()
    assert keys_of("GOT A COLD")[1] == keys_of("got cold")[1]
    assert keys_of("yesterday I slept")[1] == keys_of("yesterday slept")[1]


def test_particle_key_keeps_a_particle_after_a_content_word():
    from retrieval.normalize import particle_key
    words = lambda t: [x.text for x in tokenize(t)]
    assert particle_key(words("worn out")) == "out worn"
    assert particle_key(words("I threw up twice")) == "threw twice up"
    assert particle_key(words("out of breath")) == ""     # no content word before the particle
    assert particle_key(words("chest pain")) == ""
    assert keys_of("worn out")[1] == "worn"               # the ordinary key is unchanged
