"""The provenance records codec shared by the stores (kg/store/provenance.py)."""
import random

from kg.model import Provenance
from kg.store.provenance import RecordEncoder, decode_records, encode_records, merge_records, sources_of


def _random_record(rng: random.Random) -> Provenance:
    evidence = rng.choice([{}, {"pmids": [str(rng.randrange(10**7))]}, {"frequency_value": rng.random(),
                                                                        "note": "café \"quoted\""}])
    curated = rng.random() < 0.2
    return Provenance(rng.choice(["hpo", "hetionet", "do"]), rng.choice(["", "1.0", "2024-01"]),
                      rng.choice(["", "CC0 1.0", "CC BY 4.0"]), evidence,
                      curator="ann" if curated else None, created_at="2026-01-01T00:00:00Z" if curated else None,
                      change_id="c1" if curated else None)


def test_the_fast_encoder_writes_the_same_text_and_it_reads_back():
    rng = random.Random(3)
    encode = RecordEncoder()
    total = 0
    for _ in range(300):
        records = [_random_record(rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        merged = merge_records([], records)
        total += len(merged)
        text = encode(records)
        assert text == encode_records(merged)
        assert decode_records(text) == merged
        assert sources_of(text) == list(dict.fromkeys(p.source for p in merged))
    assert encode.records == total


def test_merge_keeps_one_record_per_source_and_curator_the_later_one_in_place():
    old = [Provenance("hpo", "1", evidence={"a": 1}), Provenance("curation", curator="ann")]
    new = [Provenance("hpo", "2", evidence={"b": 2}), Provenance("curation", curator="bob"), Provenance("do")]
    merged = merge_records(old, new)
    assert [(p.source, p.curator, p.version) for p in merged] == \
           [("hpo", None, "2"), ("curation", "ann", ""), ("curation", "bob", ""), ("do", None, "")]
    assert merged[0].evidence == {"b": 2}
    assert old[0].version == "1"          # the caller's list is not changed
