"""The evaluation data: vignette files, the split between tuning and held-out sets, the generator."""
from __future__ import annotations

import pytest

from qa.triage_eval import (VIGNETTE_FILES, VignetteFileError, generate_vignettes, load_phrases,
                            load_vignettes)
from qa.triage_knowledge import PRIORS_FILE, load_condition_priors


def test_vignette_files_are_valid_and_disjoint():
    dev, test = load_vignettes(VIGNETTE_FILES["dev"]), load_vignettes(VIGNETTE_FILES["test"])
    assert len(test) >= 60 and len(dev) >= 30
    assert not {v.text.lower() for v in dev} & {v.text.lower() for v in test}
    assert sum(v.urgency == "emergency" for v in test) >= 10
    known = set(load_condition_priors(PRIORS_FILE))
    for v in dev + test:
        assert all(e in known for e in v.expected), v.id     # expected ids are DDXPlus conditions


def test_malformed_vignette_names_the_line(tmp_path):
    p = tmp_path / "v.jsonl"
    p.write_text('{"id": "a", "text": "x", "expected": [], "urgency": "routine"}\n{"id": "b", "text": "y"}\n')
    with pytest.raises(VignetteFileError, match=r"v.jsonl:2: missing 'expected'"):
        load_vignettes(p)
    p.write_text('{"id": "a", "text": "x", "expected": [], "urgency": "soon"}\n')
    with pytest.raises(VignetteFileError, match="urgency 'soon'"):
        load_vignettes(p)


def test_generator_is_seeded_and_covers_conditions(sources_dir):
    cond = sources_dir / "ddxplus" / "release_conditions.json"
    ev = sources_dir / "ddxplus" / "release_evidences.json"
    a = generate_vignettes(cond, ev, seed=1, per_condition=1)
    b = generate_vignettes(cond, ev, seed=1, per_condition=1)
    c = generate_vignettes(cond, ev, seed=2, per_condition=1)
    assert [v.text for v in a] == [v.text for v in b]
    assert [v.text for v in a] != [v.text for v in c]
    assert len({v.expected[0] for v in a}) >= 45
    phrases = load_phrases()
    assert all(len(v.text) > 20 for v in a) and len(phrases) > 80
