"""Entity linking: from a text to graph entities, with offsets, calibrated scores and assertion status.

Candidate generation (scispaCy-style split of candidates and linking):
1. exact: every word n-gram of the text (longest first) looked up under its normalised sorted key in the
   dictionary of all names and synonyms (layperson ones and the project's lay vocabulary included);
   acronyms and gene symbols only when written in capitals;
2. fuzzy: words not in the vocabulary are spelling-corrected (one or two edits) and the n-grams re-tried;
3. dense: n-grams with words no dictionary match explains are embedded and searched in a FAISS index of
   the names of the types lay users talk about (see DENSE_TYPES) and of the lay vocabulary phrases for
   them, for paraphrases ("can't catch my breath"); a learned query adapter (retrieval/adapter.py)
   searches it a second time.
Each candidate gets a calibrated score (retrieval/scoring.py). Overlaps are resolved by preferring the
longer well-scored dictionary matches, then letting dense matches fill what is left. Nothing below
`min_score` is returned, so non-medical text links to nothing.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import logging
import os
import pickle
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from kg.model import Entity
from retrieval import adapter as query_adapter
from retrieval.dictionary import (KIND_RANK, NameTable, add_vocabulary, read_lay_vocabulary)
from retrieval.embeddings import DEFAULT_MODEL, Embedder
from retrieval.fuzzy import TokenCorrector
from retrieval.index import VectorIndex
from retrieval.intent import QUESTION_WORDS
from retrieval.lexicon import is_english_word, is_everyday_word
from retrieval.negation import assertion
from retrieval.rwlock import ReadWriteLock
from retrieval.normalize import (DROPPABLE, INABILITY, PARTICLES, STOP_WORDS, Token, keys_of, particle_key, sorted_key,
                                 tokenize)
from retrieval.scoring import Calibration, features_for
from retrieval.types import Mention, each_entity_once, ranked_readings

log = logging.getLogger(__name__)

# Types embedded for dense matching: the ones lay users describe in their own words (~70k names and
# synonyms of the full graph; ~1,000 names/s on two cores, cached on disk). Genes, GO terms, anatomy,
# pathways and drugs get dictionary and fuzzy matching only: nobody paraphrases "metformin".
DENSE_TYPES = ("Disease", "Phenotype", "Symptom", "Finding")
DENSE_NAME_ONLY_TYPES: tuple[str, ...] = ()
DENSE_MAX_WORDS = 8
DENSE_SPAN_WORDS = 6       # longest question n-gram embedded
DENSE_MAX_SPANS = 24
# A whole clause of up to this many words is embedded too: a paraphrase often describes one thing in more
# words than any n-gram ("I have to sleep sat up on loads of pillows or I can't catch my breath").
DENSE_CLAUSE_WORDS = 14
# A short dense span never swallows one of these after its first word: negation is judged from the words
# before a mention, so a span holding its own "no" would be read as present.
SPAN_NEGATIONS = frozenset({"no", "not", "without", "never", "nor", "none", "neither"})
SENTENCE_GAP = re.compile(r"[.!?;]\s|[!?;]|\n")
# `interpret`: the whole text's own reading goes first when the best mention covers less than this share of the
# text's characters, the text has at least this many words, and the whole reading scores at least this much.
# Chosen on lay_dev..lay_seen3 and checked on lay_seen4 (0.642 -> 0.708 acc@1, bench/results/linking.md).
WHOLE_READING_MAX_COVER = 0.4
WHOLE_READING_MIN_WORDS = 3
WHOLE_READING_MIN_SCORE = 0.4
# With no mention at all, the whole text's reading is still the best guess at what it means; it must clear this,
# below the linker's own threshold. Non-medical sentences' whole readings score at most 0.24 on the calibration
# negatives (retrieval/data/non_medical_train.txt: "the baby is finally asleep" -> lethargy) and 0.13 on
# data/eval/non_medical.txt. Chosen on lay_dev..lay_seen6 in session 7.
NO_MENTION_MIN_SCORE = 0.3
# "they said my airways are permanently damaged", "the doctor says it's a little stone": a text that reports a
# diagnosis means a disease. When such a text's best reading is a symptom, its whole reading among diseases goes
# first if it scores at least DIAGNOSIS_MIN_SCORE (only for texts with a mention: a non-medical "they said the
# bus was late" is not read this way). Chosen on lay_dev..lay_seen6 in session 7.
DIAGNOSIS_CUE = re.compile(r"\b(they said|they say|(the )?(doctor|doc|gp|nurse|consultant|specialist|hospital) "
                           r"(said|says|told|thinks)|was told|been told|diagnosed|confirmed|the (scan|x-?ray|biopsy|"
                           r"blood test) (showed|shows|found)|tests? (came back|showed)|they found|turned out)\b", re.I)
DIAGNOSIS_MIN_SCORE = 0.1
# A drug mention at least this sure keeps its place ahead of the whole reading.
NAMED_DRUG_MIN_SCORE = 0.9
# ... and one followed by what it is for ("amitryptyline for nerve pain", misspelt) at least this sure
DRUG_FOR = re.compile(r"\s+(for|to treat|against)\b", re.I)
DRUG_FOR_MIN_SCORE = 0.8
TYPE_ORDER = {t: i for i, t in enumerate(
    ["Disease", "Phenotype", "Symptom", "Finding", "Compound", "Gene", "Anatomy", "PharmacologicClass",
     "SideEffect", "Pathway", "BiologicalProcess", "MolecularFunction", "CellularComponent"])}
# The full graph's ~70k names: exact search costs ~15-40 ms per question's n-grams on two cores, HNSW a
# few ms with recall@10 0.99 (bench/results/linking.md); small graphs stay exact.
DENSE_HNSW_THRESHOLD = 20_000
DENSE_EF_SEARCH = 128
# Cosine taken off a dense candidate whose entity has no facts at all (see _dense_query)
FACTLESS_PENALTY = 0.05
# bump whenever the keys change (retrieval/normalize.py): a cached dictionary is only rebuilt when this does
CACHE_FORMAT = 12
KEEP_CACHED_VERSIONS = 4
# HPO branches that describe *how* (onset, severity, inheritance, frequency), not *what*: "Sharp",
# "Chronic", "Autosomal dominant". A bare mention of one is almost never what a question is about.
MODIFIER_ROOTS = ("HP:0012823", "HP:0000005", "HP:0040279", "HP:0032223", "HP:0032443")
# Types whose dictionary matches leave their words open for dense matching (a lay description that
# happens to contain a body part or a side-effect name: "pressure in my chest").
LAY_WORDS = Path(__file__).resolve().parent / "data" / "lay_words.tsv"
# DROPPABLE (retrieval/normalize.py): words a rewritten variant of a span may leave out ("my skin has
# turned yellow" ~ "yellow skin"); lay names are also keyed without them ("feel worn out" -> "out worn").
# Lay words whose clinical rewrite may stand alone as a whole mention ("dizzy" -> dizziness).
REWRITE_ALONE = frozenset("""dizzy itchy vomit vomited puke puking numb tingly shaky trembling hoarse
forgetful thirsty fainting coughing sweaty cramping sleepy exhausted drained weary""".split())
MAX_REWRITE_VARIANTS = 16

# Everyday words that alone never make a span worth embedding (they may sit inside one: "feel drained").
FILLER_WORDS = frozenset("""
feel feeling feels felt lot lots bit little since yesterday today tonight tomorrow week weeks day days
night nights morning mornings evening time times always often sometimes usually keep keeps kept going
go goes went gone like think thought thing things much many bad worse worst better good very pretty
quite still again ago last past now lately recently start started starting stop stopped getting get
gets got make makes made want wanted need needs needed know knew say said see saw look looks seem
seems seemed way well sure one two three first whole every everything something anything nothing
year years month months hour hours minute minutes doctor doctors hospital mom dad son daughter wife
husband kid kids child baby friend work home school back
""".split())
# Words a dense span needs besides: a span of only these says nothing worth embedding
NOT_CONTENT = STOP_WORDS | QUESTION_WORDS | FILLER_WORDS | {INABILITY}
# Words that name a kind of thing, not a thing: alone they are what a question asks for ("what disease
# causes ..."), or the head of a name the graph lacks ("zorblax disease"); never a mention by themselves.
CATEGORY_WORDS = frozenset("""disease disorder syndrome illness sickness condition abnormality finding
phenotype symptom sign drug medicine medication gene protein compound""".split())
# Negated auxiliaries of inability, which belong to the complaint ("can't breathe", "won't stop bleeding");
# "don't", "doesn't", "never" mostly deny ("it doesn't hurt"), so they stay outside spans
NEGATED_AUX = frozenset("won".split())   # "can't", "cannot", "couldn't" are the content word "cant"
RELATIVE_WORDS = frozenset("where which who whom whose".split())
# Words that introduce a verb's object ("boil an egg")
DETERMINERS = frozenset("a an the some this that these those his her their our your".split())
# PARTICLES (retrieval/normalize.py): stop words that end a phrasal verb, so a span may end on them:
# "throw up", "pass out", "nod off"; the dictionary also keys names with them ("worn out" -> "out worn").
WEAK_TYPES = {"Anatomy", "SideEffect", "BiologicalProcess", "CellularComponent", "MolecularFunction", "Pathway"}


@dataclass
class _Cand:
    start: int                 # token indexes [start, end)
    end: int
    entity: int                # entity index in the name table
    method: str
    score: float
    kind: str = "name"
    n_words: int = 1
    features: dict = field(default_factory=dict)


class Linker:
    """Links mentions in text to entities of one graph. Build with `Linker.from_store(store, settings)`."""

    def __init__(self, table: NameTable, *, embedder: Embedder | None = None, dense: VectorIndex | None = None,
                 dense_rows: dict | None = None, get_entity: Callable[[str], Entity | None] | None = None,
                 calibration: Calibration | None = None, resolve: Callable[[str], str | None] | None = None,
                 adapter: query_adapter.QueryAdapter | None = None):
        self.table = table
        self.embedder = embedder
        self.dense = dense
        self.adapter = adapter             # learned query-side map for dense search (retrieval/adapter.py)
        rows = dense_rows or {"entity": [], "key": [], "kind": []}
        self._row_entity: list[int] = list(rows["entity"])
        self._row_key: list[str] = list(rows["key"])
        self._row_kind: list[str] = list(rows["kind"])
        self._get_entity = get_entity
        self._resolve = resolve
        self._entity_cache: dict[str, Entity] = {}   # store look-ups (bounded)
        self._pinned: dict[str, Entity] = {}         # in-memory and live-added entities
        self.calibration = calibration or Calibration.load()
        self.corrector = TokenCorrector(table.token_counts)
        self._excluded: frozenset[str] = frozenset()
        self.lay_words = read_lay_words()
        self._count_facts = None          # store.count_facts, for tie-breaks between equal candidates
        self._degrees: dict[str, int] = {}
        self._lock = ReadWriteLock()       # links run concurrently; curation updates run alone
        self.build_seconds = 0.0

    # ------------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------------
    @classmethod
    def from_entities(cls, entities: Iterable[Entity], *, embedder: Embedder | None = None,
                      resolve: Callable[[str], str | None] | None = None, vocabulary: bool = True,
                      progress: bool = False, adapter: bool = False) -> "Linker":
        """A linker over in-memory entities (tests, small graphs). Dense matching when `embedder` is given."""
        started = time.perf_counter()
        ents = {e.id: e for e in entities}
        table = NameTable()
        for e in ents.values():
            table.add_entity(e)
        res = resolve or (lambda c: c if c in ents else None)
        vocab = read_lay_vocabulary() if vocabulary else []
        add_vocabulary(table, vocab, res)
        dense, rows, learned = (None, None, None)
        if embedder is not None:
            dense, rows, vecs = _build_dense(table, ents.values(), embedder, progress)
            if adapter:
                learned = _train_adapter(table, rows, vecs, held_out_keys(ents.values()), vocab, res,
                                         embedder, progress)
        linker = cls(table, embedder=embedder, dense=dense, dense_rows=rows, get_entity=None, resolve=res,
                     adapter=learned)
        linker._pinned = ents
        linker.build_seconds = time.perf_counter() - started
        return linker

    @classmethod
    def from_store(cls, store, settings=None, *, progress: bool | None = None, dense: bool = True,
                   adapter: bool | None = None) -> "Linker":
        """Build (or load from settings.cache_dir) the dictionary and dense index of a store's graph.

        The cache is keyed by embedding model and store.version() (build id + curation counter). The query
        adapter is trained when `adapter` says so, else when settings.query_adapter does (default off)."""
        started = time.perf_counter()
        if adapter is None:
            adapter = bool(getattr(settings, "query_adapter", False))
        progress = sys.stderr.isatty() if progress is None else progress
        model = getattr(settings, "embedding_model", DEFAULT_MODEL)
        device = getattr(settings, "device", "auto")
        cache_root = Path(settings.cache_dir) if settings is not None else None
        embedder = Embedder(model, device="cpu" if device == "auto" else device, cache_dir=cache_root,
                            backend=getattr(settings, "embedding_backend", "auto"),
                            memo_size=getattr(settings, "embedding_memo", 50_000),
                            threads=getattr(settings, "embedding_threads", 0)) if dense else None
        version = store.version()
        folder = None
        if cache_root is not None:
            key = hashlib.sha1(f"{CACHE_FORMAT}|{model}|{version}|{dense}|{adapter and query_adapter.VERSION}|{_vocab_digest()}"
                               .encode()).hexdigest()[:16]
            folder = cache_root / "linker" / key
        loaded = _load_cached(folder, embedder, device) if folder is not None else None
        learned = None
        if loaded is not None:
            table, index, rows, learned = loaded
        else:
            table = NameTable()
            entities_for_dense: list[Entity] = []
            it = store.iter_entities()
            if progress:
                from tqdm import tqdm
                it = tqdm(it, desc="linker: names", unit=" entities", file=sys.stderr)
            for e in it:
                table.add_entity(e)
                if dense and (e.type in DENSE_TYPES or e.type in DENSE_NAME_ONLY_TYPES):
                    entities_for_dense.append(e)
            vocab = read_lay_vocabulary()
            add_vocabulary(table, vocab, store.resolve)
            table.modifiers = _descendants(store, MODIFIER_ROOTS, table)
            index, rows = (None, None)
            if dense:
                index, rows, vecs = _build_dense(table, entities_for_dense, embedder, progress)
                if adapter:
                    learned = _train_adapter(table, rows, vecs, held_out_keys(entities_for_dense), vocab,
                                             store.resolve, embedder, progress)
            if folder is not None:
                _save_cached(folder, table, index, rows, {"model": model, "version": version}, learned)
        linker = cls(table, embedder=embedder, dense=index, dense_rows=rows, get_entity=store.get_entity,
                     resolve=store.resolve, adapter=learned)
        linker._count_facts = store.count_facts
        linker.build_seconds = time.perf_counter() - started
        return linker

    def excluding(self, synonyms: Iterable[str]) -> "Linker":
        """A view of this linker without the given layperson synonyms (dictionary and dense index):
        evaluation uses it so that held-out synonyms are never seen."""
        view = copy.copy(self)
        view._excluded = frozenset(keys_of(s)[1] for s in synonyms)
        return view

    # ------------------------------------------------------------------------------------------------
    # live updates (curation)
    # ------------------------------------------------------------------------------------------------
    def add_entities(self, entities: Iterable[Entity]) -> int:
        """Add or replace entities (names, synonyms and their dense vectors)."""
        n = 0
        with self._lock.writing():
            new_dense: list[Entity] = []
            for e in entities:
                old = self.table.index_of.get(e.id)
                if old is not None:
                    self._remove_dense(old)
                self.table.add_entity(e)
                for name in e.all_names():
                    for t in tokenize(name):
                        self.corrector.add(t.text)
                self._entity_cache.pop(e.id, None)
                self._pinned[e.id] = e
                if self.dense is not None and (e.type in DENSE_TYPES or e.type in DENSE_NAME_ONLY_TYPES):
                    new_dense.append(e)
                n += 1
            if new_dense and self.embedder is not None:
                texts, ents, keys, kinds = _dense_texts(self.table, new_dense)
                if texts:
                    vecs = self.embedder.encode(texts)
                    first = len(self._row_entity)
                    self.dense.add(vecs, np.arange(first, first + len(texts), dtype=np.int64))
                    self._row_entity.extend(ents)
                    self._row_key.extend(keys)
                    self._row_kind.extend(kinds)
        return n

    def remove_entity(self, entity_id: str) -> bool:
        with self._lock.writing():
            idx = self.table.index_of.get(entity_id)
            if idx is None:
                return False
            self._remove_dense(idx)
            self.table.remove(entity_id)
            self._entity_cache.pop(entity_id, None)
            self._pinned.pop(entity_id, None)
            return True

    def _remove_dense(self, idx: int) -> None:
        if self.dense is None:
            return
        rows = [r for r, e in enumerate(self._row_entity) if e == idx]
        if rows:
            self.dense.remove(rows)

    # ------------------------------------------------------------------------------------------------
    # linking
    # ------------------------------------------------------------------------------------------------
    def link(self, text: str, types: Sequence[str] | None = None, min_score: float | None = None,
             top_k: int = 5) -> list[Mention]:
        """Mentions in `text`, in text order. `types` are soft priors (the types the question wants);
        `min_score` defaults to the calibrated threshold; each mention keeps `top_k` candidates."""
        threshold = self.calibration.threshold if min_score is None else min_score
        tokens = tokenize(text)
        if not tokens:
            return []
        with self._lock.reading():
            cands = self._dictionary_candidates(text, tokens, types)
            accepted = _select(cands, threshold, self.degree)
            if self.dense is not None and self.embedder is not None:
                dense = self._dense_span_candidates(text, tokens, accepted, types)
                accepted = _merge_dense(accepted, dense, threshold,
                                        lambda c: self.table.entity_types[c.entity] in WEAK_TYPES)
            mentions = [self._mention(text, tokens, c, cands, types, top_k) for c in accepted]
        return sorted((m for m in mentions if m is not None), key=lambda m: m.start)

    def link_phrase(self, phrase: str, types: Sequence[str] | None = None, top_k: int = 5) -> list[tuple[Entity, float]]:
        """Ranked candidates for a whole phrase (no span search): evaluation and the app's pickers."""
        tokens = tokenize(phrase)
        if not tokens:
            return []
        with self._lock.reading():
            scored: dict[int, float] = {}
            n = len(tokens)
            words = [t.text for t in tokens]
            for c in self._lookup_span(phrase, tokens, 0, n, types, words):
                scored[c.entity] = max(scored.get(c.entity, 0.0), c.score)
            if not scored:
                for c in self._fuzzy_span(phrase, tokens, 0, n, types):
                    scored[c.entity] = max(scored.get(c.entity, 0.0), c.score)
            if self.dense is not None and self.embedder is not None:
                for c in self._dense_query([(0, n, phrase)], tokens, types, k=max(10, 3 * top_k))[0]:
                    scored[c.entity] = max(scored.get(c.entity, 0.0), c.score)
            ranked = sorted(scored.items(), key=lambda kv: (-kv[1], self._type_rank(kv[0], types)))
            out = []
            for idx, score in ranked:
                ent = self._entity(idx)
                if ent is not None:
                    out.append((ent, score))
                if len(out) >= top_k:
                    break
        return out

    def interpret(self, text: str, types: Sequence[str] | None = None, top_k: int = 5,
                  mentions: list[Mention] | None = None) -> list[tuple[Entity, float]]:
        """What a short text means as one concept ("can only sleep propped up on pillows" -> orthopnea), best
        first: the search box and the phrase evaluations. The mentions' reading (`link`, best mention first)
        unless the best mention covers little of the text and the whole text, queried as one phrase, has a
        good match of its own: a part ("can't breathe") then says less than the whole. `mentions`: the text's
        `link(text, types, top_k=top_k)` when the caller already has it."""
        if mentions is None:
            mentions = self.link(text, types=types, top_k=top_k)
        parts = ranked_readings(mentions)
        best = max(mentions, key=lambda m: m.score, default=None)
        covered = (best.end - best.start) / max(1, len(text.strip())) if best else 0.0
        # a drug named outright is what the text is about ("Regaine for my hair"), however short the name; not
        # an English word that happens to name a compound ("a pea-sized lump")
        named_drug = best is not None and _names_a_drug(best)
        # "Regaine for my thinning hair", "on amitriptyline for nerve pain": a drug named and then what it is
        # for is about the drug, even when the condition links as surely
        used_for = next((m for m in mentions if _names_a_drug(m, DRUG_FOR_MIN_SCORE) and DRUG_FOR.match(text, m.end)),
                        None)
        if used_for is not None and used_for is not best:
            parts = each_entity_once([(used_for.entity, used_for.score)] + parts)
            named_drug = True
        if (len(tokenize(text)) >= WHOLE_READING_MIN_WORDS or not mentions) and covered < WHOLE_READING_MAX_COVER \
                and not named_drug:
            whole = self.link_phrase(text, types=types, top_k=top_k)
            bar = WHOLE_READING_MIN_SCORE if mentions else NO_MENTION_MIN_SCORE
            if whole and whole[0][1] >= bar:
                parts = each_entity_once(whole[:1] + parts + whole[1:])
        if (mentions and types is None and parts and parts[0][0].type not in ("Disease", "Compound")
                and DIAGNOSIS_CUE.search(text)):
            told = self.link_phrase(text, types=("Disease",), top_k=top_k)
            if told and told[0][1] >= DIAGNOSIS_MIN_SCORE:
                parts = each_entity_once(told[:1] + parts)
        return parts[:top_k]

    def training_candidates(self, text: str, types: Sequence[str] | None = None):
        """(features, entity id, covers the whole text) of every candidate link, before thresholds and
        overlap resolution: retrieval/calibrate.py fits the score on these."""
        tokens = tokenize(text)
        if not tokens:
            return []
        with self._lock.reading():
            cands = self._dictionary_candidates(text, tokens, types)
            n = len(tokens)
            if self.dense is not None and self.embedder is not None:
                cands += self._dense_span_candidates(text, tokens, [], types)
                if n < 2:   # span candidates need two words; a one-word phrase is queried whole
                    cands += self._dense_query([(0, n, text)], tokens, types, k=5)[0]
        return [(c.features, self.table.entity_ids[c.entity], c.start == 0 and c.end == n) for c in cands]

    # ---- candidates ----------------------------------------------------------------------------
    def _dictionary_candidates(self, text: str, tokens: list[Token], types) -> list[_Cand]:
        n = len(tokens)
        words = [t.text for t in tokens]
        out: list[_Cand] = []
        max_words = self.table.max_words
        upper_text = _mostly_upper(text)
        for i in range(n):
            # spans start on a content word ("ALL", an acronym in capitals, may look like a stop word)
            if words[i] in STOP_WORDS and not (len(tokens[i].raw) > 1 and tokens[i].raw.isupper()):
                continue
            for j in range(min(n, i + max_words + 3), i, -1):
                if words[j - 1] in STOP_WORDS and j - 1 != i and not (
                        _ends_on_particle(words, i, j) and self._lookup(particle_key(words[i:j]))):
                    continue   # a span may end on a particle only for a name keyed with it
                if _crosses_clause(text, tokens, i, j):
                    continue
                out.extend(self._lookup_span(text, tokens, i, j, types, words, upper_text))
            # two words written apart that a name writes as one: "head ache", "heart burn", "back ache"
            if i + 1 < n and words[i + 1] not in STOP_WORDS and not _crosses_clause(text, tokens, i, i + 2):
                joined = words[i] + words[i + 1]
                entries = self._lookup(joined)
                if entries:
                    span_chars = tokens[i + 1].end - tokens[i].start
                    out.extend(self._score_entries(entries, i, i + 2, joined, span_chars, types))
        out.extend(self._rewrite_candidates(text, tokens, types))
        out.extend(self._eponym_candidates(text, tokens, types))
        # spelling correction of words the vocabulary does not know
        unknown = [i for i, w in enumerate(words) if w not in STOP_WORDS and w not in QUESTION_WORDS
                   and not self.table.has_token(w) and len(w) >= 5 and w.isalpha()
                   and not is_english_word(w) and not is_english_word(tokens[i].raw.lower())]
        if unknown:
            out.extend(self._fuzzy_candidates(text, tokens, unknown, types))
        return out

    def _rewrite_candidates(self, text: str, tokens: list[Token], types) -> list[_Cand]:
        """Spans re-read with lay words replaced by clinical ones and filler left out: "my tummy hurts"
        -> "abdominal pain", "skin has turned yellow" -> "yellow skin"."""
        rewrites = self.lay_words
        words = [t.text for t in tokens]
        n = len(tokens)
        marks = [w in rewrites or w in DROPPABLE for w in words]
        if not any(marks):
            return []
        out: list[_Cand] = []
        for i in range(n):
            if words[i] in STOP_WORDS:
                continue
            for j in range(i + 1, min(n, i + 6) + 1):
                if (words[j - 1] in STOP_WORDS and not _ends_on_particle(words, i, j)) or not any(marks[i:j]) \
                        or _crosses_clause(text, tokens, i, j):
                    continue
                span = words[i:j]
                options: list[list[tuple[list[str], int]]] = []
                for w in span:
                    alts: list[tuple[list[str], int]] = [([w], 0)]
                    if w in DROPPABLE:
                        alts.append(([], 0))
                    for a in rewrites.get(w, ()):
                        alts.append((a, 1))
                    options.append(alts)
                seen: set[str] = set()
                for combo in itertools.islice(itertools.product(*options), MAX_REWRITE_VARIANTS):
                    changed = sum(c for _, c in combo)
                    kept = [x for ws, _ in combo for x in ws]
                    dropped = sum(1 for (ws, _), w in zip(combo, span) if not ws)
                    if not changed and not dropped:
                        continue
                    skey = particle_key(kept)
                    found = self._lookup(skey) if skey else []
                    if not found:
                        skey = sorted_key(kept)
                    if not skey or skey in seen:
                        continue
                    seen.add(skey)
                    if len(skey.split()) < 2 and not (changed and len(span) - dropped == 1
                                                      and any(w in REWRITE_ALONE for w in span)):
                        continue
                    entries = self._joined_ok(found or self._lookup(skey), words, i, j)
                    if not entries:
                        entries = self._joined_ok(self._lookup(skey, stem=True), words, i, j)
                        changed += 1 if entries else 0
                    if entries:
                        ordered = " ".join(x for x in kept if x not in STOP_WORDS)
                        span_chars = tokens[j - 1].end - tokens[i].start
                        for c in self._score_entries(entries, i, j, ordered, span_chars, types, "rewrite",
                                                     edits=changed + dropped):
                            out.append(c)
        return out

    def _eponym_candidates(self, text: str, tokens: list[Token], types) -> list[_Cand]:
        """A surname written possessive stands for the disease named after it: "Crohns", "Alzheimer's",
        "Parkinsons" (the name "Crohn's disease" without its head). The bare surname ("Wilson") does not."""
        out = []
        for i, t in enumerate(tokens):
            found = self.table.eponyms.get(t.text)
            if not found or not self.table.is_surname(t.text):
                continue
            # "Alzheimers", but not "calves" (an English plural, though "Calve" is a surname too)
            plural_s = t.raw.lower() != t.text and t.raw.lower().endswith("s") \
                and not is_english_word(t.raw.lower())
            apostrophe_s = i + 1 < len(tokens) and tokens[i + 1].text == "s" \
                and text[t.end:tokens[i + 1].start] in ("'", "\u2019")
            if not (plural_s or apostrophe_s) or (i > 0 and tokens[i - 1].text in DETERMINERS):
                continue   # "the Wilsons came over" is a family
            entries = [e for e in found if self.table.alive(e) and not self._is_excluded(e)]
            j = i + 2 if apostrophe_s else i + 1
            if entries:
                out.extend(self._score_entries(entries, i, j, t.text, tokens[j - 1].end - t.start, types,
                                               "rewrite", edits=1))
        return out

    def _lookup_span(self, text: str, tokens: list[Token], i: int, j: int, types, words,
                     upper_text: bool = False) -> list[_Cand]:
        out = []
        if j - i == 1 and words[i] in CATEGORY_WORDS:
            return out
        skey = sorted_key(words[i:j])
        span_chars = tokens[j - 1].end - tokens[i].start
        pkey = particle_key(words[i:j])
        found = self._lookup(pkey) if pkey else []
        if found:
            skey = pkey        # "worn out": the particle belongs to the name
        if skey:
            # without its particle a phrasal name is another word ("passing rocks" is not "passing out")
            entries = self._joined_ok(found or [e for e in self._lookup(skey) if e not in self.table.phrasal],
                                      words, i, j)
            ordered = " ".join(w for w in words[i:j] if w not in STOP_WORDS)
            if entries and j - i == 1 and j < len(tokens) and words[j] in DETERMINERS and words[i] not in STOP_WORDS \
                    and is_english_word(tokens[i].raw.lower()):
                # an everyday word followed by its object is a verb ("boil an egg", "run the tap"): only a
                # concept's own name may still match it, not a lay synonym ("boil" = furuncle)
                entries = [e for e in entries if self.table.entries[e].kind not in ("layperson", "related")]
            if entries:
                out.extend(self._score_entries(entries, i, j, ordered, span_chars, types,
                                               span_words=[t.raw.lower() for t in tokens[i:j]
                                                           if t.text not in STOP_WORDS]))
            else:
                # other forms of the same words: scored like a one-word rewrite
                entries = self._joined_ok(self._lookup(skey, stem=True), words, i, j)
                if entries:
                    out.extend(self._score_entries(entries, i, j, ordered, span_chars, types, "rewrite",
                                                   edits=1))
        if j - i <= 3 and not upper_text and tokens[j - 1].end - tokens[i].start > 1:
            # (one letter alone is no acronym: "vitamin D" is not aspartic acid)
            surface = text[tokens[i].start:tokens[j - 1].end]
            entries = self.table.lookup_acronym(surface)
            if entries:
                ambiguity = len({self.table.entries[e].entity for e in entries})
                for e in entries:
                    entry = self.table.entries[e]
                    f = features_for("acronym", kind=entry.kind, n_words=1, span_chars=span_chars,
                                     ambiguity=ambiguity, entity_type=self.table.entity_types[entry.entity],
                                     types=types)
                    out.append(_Cand(i, j, entry.entity, "dictionary", self.calibration.score(f), entry.kind, 1, f))
        return out

    def _score_entries(self, entries: list[int], i: int, j: int, ordered: str, span_chars: int, types,
                       method_prefix: str = "", edits: int = 0, span_words: list[str] | None = None) -> list[_Cand]:
        # an everyday English word as the whole mention ("rice", "battery") is weak evidence
        content_words = span_words or []   # the span's content words as written (stop words left out)
        common = len(content_words) == 1 and is_everyday_word(content_words[0])
        best: dict[int, _Cand] = {}
        ambiguity = len({self.table.entries[e].entity for e in entries})
        for e in entries:
            entry = self.table.entries[e]
            if common and entry.entity in self.table.modifiers and not (
                    types and self.table.entity_types[entry.entity] in types):
                continue   # a bare everyday word naming a clinical modifier ("right", "sharp") is the word itself
            if method_prefix in ("fuzzy", "rewrite"):
                method = method_prefix
            else:
                method = "exact" if entry.ordered == ordered else "unordered"
            f = features_for(method, kind=entry.kind, n_words=entry.n_words, span_chars=span_chars,
                             ambiguity=ambiguity, entity_type=self.table.entity_types[entry.entity],
                             types=types, edits=edits, common_word=common,
                             modifier=entry.entity in self.table.modifiers)
            s = self.calibration.score(f)
            c = best.get(entry.entity)
            if c is None or s > c.score:
                best[entry.entity] = _Cand(i, j, entry.entity, method if method in ("fuzzy", "rewrite") else "dictionary",
                                           s, entry.kind, entry.n_words, f)
        return list(best.values())

    def _lookup(self, skey: str, stem: bool = False) -> list[int]:
        """Dictionary entries under a sorted key (or its stemmed form), minus held-out synonyms."""
        found = self.table.lookup_stem(skey) if stem else self.table.lookup(skey)
        return [e for e in found if not self._is_excluded(e)]

    def _joined_ok(self, entries: list[int], words: list[str], i: int, j: int) -> list[int]:
        """Entries a span may match across an inner "and"/"or": only names that are themselves joined
        ("nausea and vomiting"); "loose joints and a dislocated lens" holds two findings, not one."""
        joiners = {w for w in words[i + 1:j - 1] if w in ("and", "or")}
        if not joiners or not entries:
            return entries
        return [e for e in entries
                if any(f" {w} " in f" {self.table.entries[e].text.lower()} " for w in joiners)]

    def _is_excluded(self, entry_index: int) -> bool:
        """Whether the entry is a held-out layperson synonym, whichever key found it (its sorted key,
        its particle key or its core key)."""
        if not self._excluded:
            return False
        entry = self.table.entries[entry_index]
        return entry.kind == "layperson" and " ".join(sorted(entry.ordered.split())) in self._excluded

    def _fuzzy_candidates(self, text, tokens, unknown: list[int], types) -> list[_Cand]:
        out = []
        n = len(tokens)
        for u in unknown:
            lo, hi = max(0, u - 4), min(n, u + 5)
            for i in range(lo, u + 1):
                for j in range(hi, u, -1):
                    if (tokens[i].text in STOP_WORDS or tokens[j - 1].text in STOP_WORDS) and j - i > 1:
                        continue
                    if _crosses_clause(text, tokens, i, j):
                        continue
                    out.extend(self._fuzzy_span(text, tokens, i, j, types))
        return out

    def _fuzzy_span(self, text, tokens, i, j, types) -> list[_Cand]:
        words = [t.text for t in tokens[i:j]]
        options: list[list[tuple[str, int]]] = []
        for w in words:
            if w in STOP_WORDS or self.table.has_token(w) or len(w) < 5 or not w.isalpha() or is_english_word(w):
                options.append([(w, 0)])
            else:
                corr = self.corrector.correct(w, limit=2)
                if not corr:
                    return []
                options.append([(c.word, c.edits) for c in corr])
        if all(len(o) == 1 and o[0][1] == 0 for o in options):
            return []
        out = []
        span_chars = tokens[j - 1].end - tokens[i].start
        for combo in itertools.islice(itertools.product(*options), 8):
            fixed = [w for w, _ in combo]
            edits = sum(e for _, e in combo)
            skey = sorted_key(fixed)
            entries = self._lookup(skey)
            if entries:
                ordered = " ".join(w for w in fixed if w not in STOP_WORDS)
                out.extend(self._score_entries(entries, i, j, ordered, span_chars, types, "fuzzy", edits))
        return out

    def _dense_span_candidates(self, text: str, tokens: list[Token], accepted: list[_Cand], types) -> list[_Cand]:
        covered = set()
        for c in accepted:
            if self.table.entity_types[c.entity] not in WEAK_TYPES:
                covered.update(range(c.start, c.end))
        words = [t.text for t in tokens]
        open_words = [i for i, w in enumerate(words) if i not in covered and w not in NOT_CONTENT
                      and not w.isdigit() and len(w) > 1]
        if not open_words:
            return []
        spans: list[tuple[int, int]] = []
        n = len(tokens)
        # sentence ends between tokens: a short span never joins the end of one sentence to the start of the
        # next ("my chest. Now ..." is not a complaint); "38.1" has no space after its point, so it is no end
        sentence_end_after = [bool(SENTENCE_GAP.search(text[tokens[k].end:tokens[k + 1].start]))
                              for k in range(n - 1)]
        for i in range(n):
            # a span may start on a negated auxiliary: "can't hear well" means hearing loss, "hear well" not
            negated_aux = words[i] in NEGATED_AUX and i + 1 < n and words[i + 1] == "t"
            if words[i] in STOP_WORDS and not negated_aux:
                continue
            # two words at least: a single word's nearest name is mostly a spelling neighbour ("order")
            for j in range(i + 2, min(n, i + DENSE_SPAN_WORDS) + 1):
                if words[j - 1] in STOP_WORDS and not (words[j - 1] in PARTICLES and words[j - 2] not in STOP_WORDS):
                    continue
                if not any(i <= u < j for u in open_words):
                    continue
                if j < n and words[j] in DETERMINERS and words[j - 1] not in STOP_WORDS \
                        and is_english_word(tokens[j - 1].raw.lower()):
                    continue   # ends on a verb taking an object: "(time to) boil an egg"
                if all(w in NOT_CONTENT for w in words[i:j]):
                    continue
                if any(w in SPAN_NEGATIONS for w in words[i + 1:j]):
                    continue   # "now, no temperature" would be read as fever with its "no" inside the span
                if any(sentence_end_after[i:j - 1]):
                    continue
                spans.append((i, j))
        # prefer short spans around open words, then longer ones; keep the work bounded
        spans.sort(key=lambda s: (s[1] - s[0], s[0]))
        spans = spans[:DENSE_MAX_SPANS] + _clause_spans(text, tokens, open_words)
        # the words as written, apostrophes included ("can't")
        text_of = [(i, j, text[tokens[i].start:tokens[j - 1].end]) for i, j in spans]
        per_span = self._dense_query(text_of, tokens, types, k=5)
        return [c for cands in per_span for c in cands]

    def _dense_query(self, spans: list[tuple[int, int, str]], tokens, types, k: int) -> list[list[_Cand]]:
        if not spans or self.dense is None or len(self.dense) == 0:
            return [[] for _ in spans]
        vecs = self.embedder.encode([s[2].lower() for s in spans])
        adapter = self.adapter
        depth = k * 3 + (8 if self._excluded else 0)
        found = self._dense_hits(vecs, depth)
        if adapter is not None:
            # the adapted query finds what the raw one misses; its candidates are ranked by the adapted
            # cosine, and the best of them is scored with a blend of adapted and raw cosines
            for hits, adapted in zip(found, self._dense_hits(adapter.apply(vecs), depth, raw_queries=vecs)):
                if not adapted:
                    continue
                top_cos, _, top_raw = max(adapted.values())
                shift = adapter.blend(top_cos, top_raw) - top_cos
                for ent, (c, kind, r) in adapted.items():
                    if ent not in hits or c + shift > hits[ent][0]:
                        hits[ent] = (c + shift, kind, r)
        out = []
        for (i, j, span_text), best in zip(spans, found):
            ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:k + 2]
            if self._count_facts is not None and len(ranked) > 1:
                # an unmerged duplicate without facts (a bare UMLS symptom beside its HPO term) steps
                # behind a close candidate that has some: it answers nothing
                ranked = [(e, (c - (FACTLESS_PENALTY if self.degree(e) == 0 else 0.0), kind, r))
                          for e, (c, kind, r) in ranked]
                ranked.sort(key=lambda kv: -kv[1][0])
            ranked = ranked[:k]
            n_words = len([w for w in (t.text for t in tokens[i:j]) if w not in STOP_WORDS]) if j <= len(tokens) else 1
            span_chars = len(span_text)
            cands = []
            for pos, (ent, (cos, kind, _)) in enumerate(ranked):
                # margin to the best *other* entity
                other = [v[0] for e2, v in ranked if e2 != ent]
                margin = cos - (max(other) if other else cos - 0.1)
                f = features_for("dense", kind=kind, n_words=n_words, span_chars=span_chars, ambiguity=1,
                                 entity_type=self.table.entity_types[ent], types=types, cos=cos,
                                 margin=max(-0.2, min(0.2, margin)))
                cands.append(_Cand(i, j, ent, "dense", self.calibration.score(f), kind, n_words, f))
            out.append(cands)
        return out

    def _dense_hits(self, queries: np.ndarray, depth: int, raw_queries: np.ndarray | None = None):
        """Per query, entity index -> (best cosine, synonym kind, raw cosine) of its nearest index rows;
        the raw cosine is the row's similarity to `raw_queries` (the same as the cosine without them)."""
        scores, rows = self.dense.search(queries, depth)
        raw = scores
        if raw_queries is not None:
            stored = self.dense.vectors_of(np.maximum(rows, 0).ravel()).reshape(rows.shape + (-1,))
            raw = np.einsum("qkd,qd->qk", stored, raw_queries)
        out = []
        for srow, raw_row, rrow in zip(scores, raw, rows):
            best: dict[int, tuple[float, str, float]] = {}
            for s, s_raw, r in zip(srow, raw_row, rrow):
                if r < 0:
                    continue
                r = int(r)
                ent = self._row_entity[r]
                if ent in self.table.removed:
                    continue
                if self._excluded and self._row_kind[r] == "layperson" and self._row_key[r] in self._excluded:
                    continue
                if ent not in best or s > best[ent][0]:
                    best[ent] = (float(s), self._row_kind[r], float(s_raw))
            out.append(best)
        return out

    # ---- results -------------------------------------------------------------------------------
    def _mention(self, text: str, tokens: list[Token], c: _Cand, all_cands: list[_Cand], types,
                 top_k: int) -> Mention | None:
        ent = self._entity(c.entity)
        if ent is None:
            return None
        start, end = tokens[c.start].start, tokens[c.end - 1].end
        alts: dict[int, float] = {}
        for o in all_cands:
            if o.start == c.start and o.end == c.end:
                alts[o.entity] = max(alts.get(o.entity, 0.0), o.score)
        alts[c.entity] = max(alts.get(c.entity, 0.0), c.score)
        ranked = sorted(alts.items(), key=lambda kv: (-round(kv[1], 6), self._type_rank(kv[0], types)[0],
                                                      -self.degree(kv[0]) if len(alts) > 1 else 0))[:top_k]
        if ranked and ranked[0][0] != c.entity:
            ranked.sort(key=lambda kv: kv[0] != c.entity)   # the chosen entity first
        candidates = [(e, s) for e, s in ((self._entity(i), s) for i, s in ranked) if e is not None]
        a = assertion(text, start, end, normal_denies=True)
        return Mention(start=start, end=end, text=text[start:end], score=c.score, entity=ent, method=c.method,
                       negated=a.negated, uncertain=a.uncertain, candidates=candidates)

    def _entity(self, idx: int) -> Entity | None:
        eid = self.table.entity_ids[idx]
        ent = self._pinned.get(eid) or self._entity_cache.get(eid)
        if ent is None and self._get_entity is not None:
            ent = self._get_entity(eid)
            if ent is not None:
                if len(self._entity_cache) > 20_000:
                    self._entity_cache.clear()
                self._entity_cache[eid] = ent
        return ent

    def is_modifier(self, entity_id: str) -> bool:
        """Whether the entity is an onset, inheritance, frequency or severity term (MODIFIER_ROOTS)."""
        idx = self.table.index_of.get(entity_id)
        return idx is not None and idx in self.table.modifiers

    def degree(self, idx: int) -> int:
        """How many facts the entity has (cached): equal candidates go to the better-connected one."""
        eid = self.table.entity_ids[idx]
        d = self._degrees.get(eid)
        if d is None:
            try:
                d = self._count_facts(eid) if self._count_facts is not None else 0
            except Exception:
                d = 0
            if len(self._degrees) > 100_000:
                self._degrees.clear()
            self._degrees[eid] = d
        return d

    def _type_rank(self, idx: int, types) -> tuple:
        t = self.table.entity_types[idx]
        pref = list(types).index(t) if types and t in types else len(TYPE_ORDER)
        return (pref, TYPE_ORDER.get(t, 99), idx)

    # ---- info ----------------------------------------------------------------------------------
    def info(self) -> dict:
        return {"entities": len(self.table.index_of), "names": len(self.table.entries),
                "dense_names": 0 if self.dense is None else len(self.dense),
                "dense_index": "none" if self.dense is None else self.dense.structure,
                "embedding_model": getattr(self.embedder, "model_name", None),
                "calibration": self.calibration.source, "build_seconds": round(self.build_seconds, 2),
                "query_adapter": None if self.adapter is None else (self.adapter.info or "loaded")}


# ----------------------------------------------------------------------------------------------------
# overlap resolution
# ----------------------------------------------------------------------------------------------------
def _weight(c: _Cand, threshold: float) -> float:
    span = c.end - c.start
    return c.score * (max(1, c.n_words, span) ** 1.5)


def _select(cands: list[_Cand], threshold: float, degree=lambda idx: 0) -> list[_Cand]:
    """Best non-overlapping set of dictionary/fuzzy candidates (weighted interval scheduling)."""
    best_per_span: dict[tuple[int, int], _Cand] = {}
    per_span: dict[tuple[int, int], list[_Cand]] = {}
    for c in cands:
        if c.score >= threshold:
            per_span.setdefault((c.start, c.end), []).append(c)
    for key, group in per_span.items():
        top = max(c.score for c in group)
        tied = [c for c in group if c.score >= top - 1e-6]
        best_per_span[key] = max(tied, key=lambda c: (-KIND_RANK.get(c.kind, 3), degree(c.entity) if len(tied) > 1 else 0,
                                                      -c.entity))
    items = sorted(best_per_span.values(), key=lambda c: (c.end, c.start))
    if not items:
        return []
    ends = [c.end for c in items]
    import bisect
    dp = [0.0] * (len(items) + 1)
    choice = [False] * (len(items) + 1)
    prev = [0] * len(items)
    for k, c in enumerate(items):
        prev[k] = bisect.bisect_right(ends, c.start, 0, k)
        take = _weight(c, threshold) + dp[prev[k]]
        if take > dp[k]:
            dp[k + 1], choice[k + 1] = take, True
        else:
            dp[k + 1] = dp[k]
    out, k = [], len(items)
    while k > 0:
        if choice[k]:
            out.append(items[k - 1])
            k = prev[k - 1]
        else:
            k -= 1
    return sorted(out, key=lambda c: c.start)


def _merge_dense(accepted: list[_Cand], dense: list[_Cand], threshold: float, weak) -> list[_Cand]:
    """Dense candidates fill words no dictionary match covers; one may replace matches it contains that
    are weaker single words or of weak types ("heart" inside "heart is racing", the side effect
    "Chest pressure" inside "pressure in my chest")."""
    result = list(accepted)
    for d in sorted(dense, key=lambda c: (-c.score, c.end - c.start)):
        if d.score < threshold:
            continue
        overlapping = [a for a in result if a.start < d.end and d.start < a.end]
        if not overlapping:
            result.append(d)
            continue
        if all(a.method != "dense" and a.start >= d.start and a.end <= d.end
               and (weak(a) or ((a.end - a.start) == 1 and a.score < d.score)) for a in overlapping):
            result = [a for a in result if a not in overlapping] + [d]
    return sorted(result, key=lambda c: c.start)


def _ends_on_particle(words: list[str], i: int, j: int) -> bool:
    """Whether words[i:j] end on a phrasal-verb particle right after a content word ("worn out")."""
    return j - i >= 2 and words[j - 1] in PARTICLES and words[j - 2] not in STOP_WORDS


def _crosses_clause(text: str, tokens: list[Token], i: int, j: int) -> bool:
    """Whether tokens[i:j] straddle sentence punctuation (a name never spans '.', ';', '?', '!') or a
    relative pronoun."""
    if j - i < 2:
        return False
    gap = text[tokens[i].end:tokens[j - 1].start]
    if any(ch in gap for ch in ".;?!()"):
        return True
    # a relative clause starts a new statement: "attacks where my heart races" is not "heart attack"
    return any(t.text in RELATIVE_WORDS for t in tokens[i + 1:j - 1])


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7


# ----------------------------------------------------------------------------------------------------
def _clause_spans(text: str, tokens: list[Token], open_words: list[int]) -> list[tuple[int, int]]:
    """Clauses (between . , ; ! ? and the ends) longer than an n-gram span and at most DENSE_CLAUSE_WORDS
    words, holding an open word, as (first token, end token)."""
    out, start = [], 0
    for k in range(1, len(tokens) + 1):
        if k < len(tokens) and not any(ch in ".,;!?" for ch in text[tokens[k - 1].end:tokens[k].start]):
            continue
        if DENSE_SPAN_WORDS < k - start <= DENSE_CLAUSE_WORDS and any(start <= u < k for u in open_words):
            out.append((start, k))
        start = k
    return out


# dense index building and caching
# ----------------------------------------------------------------------------------------------------
def _dense_texts(table: NameTable, entities: Iterable[Entity]):
    texts, ents, keys, kinds = [], [], [], []
    for e in entities:
        idx = table.index_of.get(e.id)
        if idx is None:
            continue
        names = [(e.name, "name")]
        if e.type not in DENSE_NAME_ONLY_TYPES:
            names += [(s.text, s.kind) for s in e.synonyms]
        seen = set()
        for name, kind in names:
            _, skey = keys_of(name)
            if not skey or skey in seen or len(skey.split()) > DENSE_MAX_WORDS:
                continue
            seen.add(skey)
            texts.append(name.lower().strip())
            ents.append(idx)
            keys.append(skey)
            kinds.append(kind)
    return texts, ents, keys, kinds


def _build_dense(table: NameTable, entities: Iterable[Entity], embedder: Embedder, progress: bool):
    texts, ents, keys, kinds = _dense_texts(table, entities)
    # lay vocabulary phrases too: a lay sentence is nearer another lay wording than a clinical name
    dense_ents, seen = set(ents), set(zip(ents, keys))
    for entry in table.entries:
        if entry.kind != "vocabulary" or entry.entity not in dense_ents:
            continue
        key = " ".join(sorted(entry.ordered.split()))
        if key and (entry.entity, key) not in seen:
            seen.add((entry.entity, key))
            texts.append(entry.text.lower().strip())
            ents.append(entry.entity)
            keys.append(key)
            kinds.append("vocabulary")
    log.info("embedding %d names for dense linking", len(texts))
    if texts:
        vecs = embedder.encode_cached(texts, progress=progress)
        dim = vecs.shape[1]
    else:
        vecs, dim = None, embedder.dim
    index = VectorIndex(dim, hnsw_threshold=DENSE_HNSW_THRESHOLD, ef_search=DENSE_EF_SEARCH)
    if texts:
        index.build(vecs, np.arange(len(texts), dtype=np.int64))
    return index, {"entity": ents, "key": keys, "kind": kinds}, vecs


def held_out_keys(entities: Iterable[Entity]) -> set[str]:
    """Sorted keys of layperson synonyms in the evaluation and calibration folds: never adapter pairs."""
    from retrieval.evaluation import split_bucket
    out = set()
    for e in entities:
        for s in e.synonyms:
            if s.kind == "layperson" and split_bucket(s.text) in query_adapter.HELD_OUT_BUCKETS:
                out.add(keys_of(s.text)[1])
    return out


def _train_adapter(table: NameTable, rows, vecs, held_out: set[str], vocab, resolve, embedder: Embedder,
                   progress: bool):
    """Train the query adapter from the dense rows (synonym -> name) and the lay vocabulary."""
    if vecs is None or not len(vecs):
        return None
    lay_texts, lay_ents = [], []
    dense_ents = set(rows["entity"])
    for item in vocab:
        if keys_of(item.phrase)[1] in held_out:
            continue
        for target in item.targets:
            pid = resolve(target)
            if pid is not None and pid in table.index_of:
                if table.index_of[pid] in dense_ents:
                    lay_texts.append(item.phrase.lower().strip())
                    lay_ents.append(table.index_of[pid])
                break
    lay_vecs = embedder.encode_cached(lay_texts) if lay_texts else None
    pairs = query_adapter.training_pairs(vecs, rows["entity"], rows["kind"], rows["key"], held_out,
                                         lay_vecs, lay_ents)
    return query_adapter.train(pairs, progress=progress)


def read_lay_words(path: Path = LAY_WORDS) -> dict[str, list[list[str]]]:
    """lay word -> alternatives, each a list of normalised words (see retrieval/data/lay_words.tsv)."""
    out: dict[str, list[list[str]]] = {}
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or not cols[0].strip() or not cols[1].strip():
            raise ValueError(f"{path}:{n}: expected 'lay word<TAB>clinical|alternatives<TAB>why', got {line!r}")
        key = tokenize(cols[0])[0].text
        alts = [[t.text for t in tokenize(a)] for a in cols[1].split("|") if a.strip()]
        out.setdefault(key, []).extend(a for a in alts if a)
    return out


def _descendants(store, roots, table: NameTable) -> set[int]:
    """Entity indexes of the roots and everything below them (subclass_of, followed backwards)."""
    out: set[int] = set()
    frontier = [r for r in roots if r in table.index_of]
    seen = set(frontier)
    while frontier:
        node = frontier.pop()
        out.add(table.index_of[node])
        for f in store.facts(node, ["subclass_of"], "in", None, limit=None):
            if f.object == node and f.subject not in seen and f.subject in table.index_of:
                seen.add(f.subject)
                frontier.append(f.subject)
    return out


def _vocab_digest() -> str:
    from retrieval.dictionary import LAY_VOCABULARY
    try:
        return hashlib.sha1(LAY_VOCABULARY.read_bytes()).hexdigest()[:10]
    except OSError:
        return "none"


def _save_cached(folder: Path, table: NameTable, index: VectorIndex | None, rows, meta: dict,
                 adapter: query_adapter.QueryAdapter | None = None) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".table.{os.getpid()}.pkl"
        with open(tmp, "wb") as fh:
            pickle.dump({"table": table, "rows": rows}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        if index is not None:
            index.save(folder / "dense")
        if adapter is not None:
            adapter.save(folder)
        os.replace(tmp, folder / "table.pkl")
        (folder / "meta.json").write_text(json.dumps(meta))
        _prune(folder.parent, keep=KEEP_CACHED_VERSIONS)
    except OSError as exc:  # a read-only cache folder must not break linking
        log.warning("could not write the linker cache in %s: %s", folder, exc)


def _prune(root: Path, keep: int) -> None:
    """Drop all but the `keep` most recently written linker caches (each graph version makes one)."""
    folders = sorted((p for p in root.iterdir() if p.is_dir() and (p / "table.pkl").exists()),
                     key=lambda p: (p / "table.pkl").stat().st_mtime, reverse=True)
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def _load_cached(folder: Path, embedder, device: str):
    if folder is None or not (folder / "table.pkl").exists():
        return None
    try:
        with open(folder / "table.pkl", "rb") as fh:
            data = pickle.load(fh)
        index = None
        if embedder is not None:
            if not (folder / "dense" / "index.faiss").exists():
                return None
            index = VectorIndex.load(folder / "dense", device="cpu" if device == "auto" else device,
                                     ef_search=DENSE_EF_SEARCH)
        learned = query_adapter.QueryAdapter.load(folder) if embedder is not None else None
        return data["table"], index, data["rows"], learned
    except Exception as exc:  # a torn or stale cache is rebuilt
        log.warning("ignoring the linker cache in %s: %s", folder, exc)
        return None


def _names_a_drug(m: Mention, min_score: float = NAMED_DRUG_MIN_SCORE) -> bool:
    """A sure drug link whose words are not all English words ("a pea-sized lump" does not name a drug)."""
    return (m.entity.type == "Compound" and m.score >= min_score
            and not all(is_english_word(w) for w in re.findall(r"[a-z]+", m.text.lower())))
