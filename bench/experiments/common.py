"""What the session-13 experiments share: the tuning lay phrases as (phrase, concept) training pairs."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))   # run as scripts from any folder

from retrieval.evaluation import EVAL_DIR, PHRASE_SETS, read_phrase_set  # noqa: E402

HELD_OUT = "lay_test"


def tuning_phrase_pairs(linker, store, held: str) -> list[tuple[str, int]]:
    """(lower-cased phrase, the linker's concept index of its first accepted id) for every tuning lay phrase set
    except `held`; the held-out set is never read."""
    pairs = []
    for name, file in PHRASE_SETS.items():
        if name in (HELD_OUT, held):
            continue
        for phrase, accepted, *_ in read_phrase_set(EVAL_DIR / file):
            entity = store.resolve(accepted[0])
            concept = linker.table.index_of.get(entity) if entity else None
            if concept is not None:
                pairs.append((phrase.lower().strip(), concept))
    return pairs
