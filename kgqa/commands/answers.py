"""`kgqa ask QUESTION [--json] [--jsonl] [--llm NAME]` and `kgqa eval qa`.

The evaluation (see docs/answers.md) scores the answerer on:
- KG-RAG's BiomixQA true/false and multiple-choice sets (all items, and the subset the graph can check);
- held-out questions in plain words (data/eval/qa_questions_{dev,test}.jsonl) whose gold facts the code
  derives from the public source files (never hand-listed): precision of cited facts, recall@10;
- questions the graph cannot answer (data/eval/unanswerable.txt): abstention rate.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from kgqa.cli import UserError
from kgqa.commands.jsonl import answer_each, stdin_records

REPO = Path(__file__).resolve().parents[2]
EVAL_DIR = REPO / "data" / "eval"
QUESTIONS_FILE = {"dev": EVAL_DIR / "qa_questions_dev.jsonl", "test": EVAL_DIR / "qa_questions_test.jsonl"}
UNANSWERABLE_FILE = EVAL_DIR / "unanswerable.txt"
# Published KG-RAG accuracies (Soman et al., Bioinformatics 2024, BiomixQA).
KG_RAG_PUBLISHED = {"true_false": {"GPT-4 (KG-RAG)": 0.95},
                    "mcq": {"GPT-3.5-Turbo (KG-RAG)": 0.79, "GPT-4 (KG-RAG)": 0.74}}


# ==== kgqa ask ======================================================================================
def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question from the graph, every sentence cited to facts")
    p.add_argument("question", nargs="?", help="the question (omit with --jsonl: one question per stdin line)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    out.add_argument("--jsonl", action="store_true",
                     help='read questions from stdin (plain text or {"question": ...} per line), write JSON lines')
    p.add_argument("--llm", help="none | openai[:MODEL] | vllm | ollama | llamacpp | smollm2 | transformers[:PATH] "
                                 "(default: KGQA_LLM)")
    p.add_argument("--limit", type=int, default=20, help="facts to retrieve (default 20)")
    p.set_defaults(func=_ask)


def _context(args):
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    return KGContext(load_settings(args.config, store=args.store))


def _answer(ctx, question: str, llm: str | None, limit: int):
    from qa.abstain import EmptyQuestionError
    from qa.llm import UnknownLLMError
    try:
        return ctx.answerer.ask(question, llm=llm, limit=limit)
    except (EmptyQuestionError, UnknownLLMError) as exc:
        raise UserError(str(exc)) from None


def _stdin_questions() -> Iterator[tuple[int, str]]:
    for lineno, record in stdin_records(("question", "text")):
        yield lineno, record["question"]


def _check_cheaply(args) -> None:
    """User mistakes found before the graph and its indexes are loaded (seconds saved per mistake)."""
    from kgqa.settings import load_settings
    from qa.abstain import EmptyQuestionError, screen_question
    from qa.llm import LLMError, UnknownLLMError, parse_llm_name
    try:
        if args.question is not None:
            screen_question(args.question)
        parse_llm_name(args.llm, load_settings(args.config, store=args.store))
    except (EmptyQuestionError, UnknownLLMError) as exc:
        raise UserError(str(exc)) from None
    except LLMError:
        pass   # reported as a warning with the answer


def _ask(args) -> int:
    if args.limit < 1:
        raise UserError(f"--limit {args.limit}: use 1 or more")
    if args.jsonl:
        if args.question:
            raise UserError("--jsonl reads questions from stdin; do not also give QUESTION")
        _check_cheaply(args)
        ctx = _context(args)
        try:
            answer_each(_stdin_questions(), lambda question: _answer(ctx, question, args.llm, args.limit))
        finally:
            ctx.close()
        return 0
    if not args.question:
        raise UserError("give a QUESTION, e.g. kgqa ask \"what drugs treat asthma?\" (or --jsonl to read stdin)")
    _check_cheaply(args)
    ctx = _context(args)
    try:
        answer = _answer(ctx, args.question, args.llm, args.limit)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        else:
            print(format_answer(answer))
        for warning in answer.warnings:
            print(f"kgqa: warning: {warning}", file=sys.stderr)
    finally:
        ctx.close()
    return 0


def format_answer(answer) -> str:
    from kg.model import PREDICATES
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        lines.append("Facts cited:")
        by_id = {sf.fact.id: sf for sf in answer.facts}
        for n, fid in enumerate(answer.citations, 1):
            sf = by_id.get(fid)
            if sf is None:
                continue
            subj = sf.subject.name if sf.subject else sf.fact.subject
            obj = sf.object.name if sf.object else sf.fact.object
            sources = []
            for p in sf.fact.provenance:
                pmids = p.evidence.get("pmids") or []
                sources.append(p.source + (f" (PMID {', '.join(map(str, pmids[:3]))})" if pmids else ""))
            lines.append(f"  [{n}] {subj} {PREDICATES.get(sf.fact.predicate, sf.fact.predicate)} {obj}"
                         f"  — {'; '.join(sources) or 'no source'}  ({fid})")
    if answer.mode == "llm":
        lines.append(f"(written by LLM {answer.llm_name}, every kept sentence checked against its facts)")
    if answer.disclaimer:
        lines.append("")
        lines.append(answer.disclaimer)
    return "\n".join(lines)


# ==== kgqa eval qa ==================================================================================
def register_eval(eval_sub: argparse._SubParsersAction) -> None:
    p = eval_sub.add_parser("qa", help="answers: BiomixQA T/F + MCQ, held-out questions, abstention")
    p.add_argument("--sets", default="tf,mcq,heldout,unanswerable",
                   help="comma-separated: tf, mcq, heldout, unanswerable (default all)")
    p.add_argument("--split", choices=["dev", "test"], default="test", help="held-out split to report (default test)")
    p.add_argument("--limit", type=int, help="at most this many items per set (quick runs)")
    p.add_argument("--llm", help="answer with this LLM instead of the extractive default")
    p.add_argument("--sources", help="source folder (default KGQA_SOURCES_DIR or ../shared/data)")
    p.add_argument("--write-questions", action="store_true",
                   help="regenerate data/eval/qa_questions_{dev,test}.jsonl from the source files and exit")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of markdown")
    p.set_defaults(func=_eval_qa)


def sources_folder(explicit: str | None = None) -> Path:
    import os
    for cand in [explicit, os.environ.get("KGQA_SOURCES_DIR"), str(REPO.parent / "shared" / "data")]:
        if cand and Path(cand).is_dir():
            return Path(cand)
    raise UserError("no source folder: pass --sources or set KGQA_SOURCES_DIR (e.g. ../shared/data)")


def _eval_qa(args) -> int:
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(sets) - {"tf", "mcq", "heldout", "unanswerable"}
    if unknown:
        raise UserError(f"--sets: unknown set(s) {', '.join(sorted(unknown))}; use tf, mcq, heldout, unanswerable")
    if args.write_questions:
        dev, test = generate_questions(sources_folder(args.sources))
        write_questions(dev, test)
        print(f"wrote {len(dev)} dev and {len(test)} test questions to {EVAL_DIR}")
        return 0
    ctx = _context(args)
    try:
        report = run_eval(ctx, sets, split=args.split, limit=args.limit, llm=args.llm,
                          sources=sources_folder(args.sources), progress=sys.stderr.isatty())
    finally:
        ctx.close()
    print(json.dumps(report, indent=2) if args.json else report_markdown(report))
    return 0


def run_eval(ctx, sets: list[str], split: str = "test", limit: int | None = None, llm: str | None = None,
             sources: Path | None = None, progress: bool = False) -> dict[str, Any]:
    sources = sources or sources_folder()
    answerer, store, linker = ctx.answerer, ctx.store, ctx.linker
    report: dict[str, Any] = {"split": split, "llm": llm or "none"}
    citations = CitationTally()
    if "tf" in sets:
        items = load_true_false(sources / "kg_rag" / "true_false_questions.csv")[:limit]
        report["true_false"] = eval_true_false(answerer, store, linker, items, citations, llm, progress)
    if "mcq" in sets:
        items = load_mcq(sources / "kg_rag" / "mcq_questions.csv")[:limit]
        report["mcq"] = eval_mcq(answerer, store, linker, items, citations, llm, progress)
    if "heldout" in sets:
        questions = read_questions(QUESTIONS_FILE[split])[:limit]
        truth = SourceTruth.load(sources)
        report["heldout"] = eval_heldout(answerer, store, questions, truth, citations, llm, progress)
    if "unanswerable" in sets:
        report["unanswerable"] = eval_unanswerable(answerer, read_unanswerable()[:limit], llm)
    report["citation_precision"] = citations.summary()
    return report


def _bar(items, progress: bool, desc: str):
    from tqdm import tqdm
    return tqdm(items, desc=desc, disable=not progress, file=sys.stderr, leave=False)


class CitationTally:
    """Citation precision: share of cited facts that exist in the graph and involve the question's entities."""

    def __init__(self) -> None:
        self.cited = 0
        self.ok = 0

    def add(self, answer, store) -> None:
        entity_ids = {e.id for e in answer.entities}
        for fid in answer.citations:
            self.cited += 1
            fact = store.get_fact(fid)
            if fact is not None and (fact.subject in entity_ids or fact.object in entity_ids
                                     or _chain_touches(answer, fid, entity_ids)):
                self.ok += 1

    def summary(self) -> dict[str, Any]:
        return {"cited": self.cited, "exist_and_involve_entities": self.ok,
                "precision": round(self.ok / self.cited, 4) if self.cited else None}


def _chain_touches(answer, fid: str, entity_ids: set[str]) -> bool:
    """A fact inside a cited chain (is-a path) counts when its sentence's chain touches the entities."""
    for s in answer.sentences:
        if fid in s.citations and len(s.citations) > 1:
            facts = [sf.fact for sf in answer.facts if sf.fact.id in s.citations]
            if any(f.subject in entity_ids or f.object in entity_ids for f in facts):
                return True
    return False


# ---- BiomixQA true/false ---------------------------------------------------------------------------
TF_PATTERNS = [  # (kind, predicate, negated, pattern) for the statement shapes in the set
    ("assoc", "associated_with", True, re.compile(r"^(?P<a>.+?) is not associated with Gene (?P<b>.+)$")),
    ("assoc", "associated_with", False, re.compile(r"^(?P<a>.+?) associates Gene (?P<b>.+)$")),
    ("doid", None, False, re.compile(r"^Disease ontology identifier for (?P<a>.+) is (?P<b>DOID:\d+)$")),
    ("treats", "treats", True, re.compile(r"^(?P<a>.+?) does not treat (?P<b>.+)$")),
    ("treats", "treats", False, re.compile(r"^(?P<a>.+?) treats (?P<b>.+)$")),
    ("isa", "subclass_of", True, re.compile(r"^(?P<a>.+?) is not an? (?P<b>.+)$")),
    ("isa", "subclass_of", False, re.compile(r"^(?P<a>.+?) is an? (?P<b>.+)$")),
]


# entity types of the two sides of each statement kind, used to decide whether the graph can check it
TF_TYPES = {"assoc": (["Disease"], ["Gene"]), "treats": (["Compound"], ["Disease"]),
            "isa": (["Disease"], ["Disease"]), "doid": (["Disease"], None)}


@dataclass
class TFItem:
    text: str
    label: bool
    kind: str | None = None
    predicate: str | None = None
    negated: bool = False
    a: str = ""
    b: str = ""

    def question(self) -> str | None:
        if self.kind == "assoc":
            return f"Is {self.a} associated with gene {self.b}?"
        if self.kind == "treats":
            return f"Does {self.a} treat {self.b}?"
        if self.kind == "isa":
            return f"Is {self.a} a kind of {self.b}?"
        if self.kind == "doid":
            return f"What is {self.a}?"
        return None


def parse_statement(text: str, label: bool) -> TFItem:
    for kind, predicate, negated, pattern in TF_PATTERNS:
        m = pattern.match(text.strip())
        if m:
            return TFItem(text, label, kind, predicate, negated, m["a"].strip(), m["b"].strip())
    return TFItem(text, label)


def load_true_false(path: Path) -> list[TFItem]:
    items = []
    with open(path, newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), 2):
            if "text" not in row or "label" not in row:
                raise UserError(f"{path} line {lineno}: needs text and label columns")
            items.append(parse_statement(row["text"], row["label"].strip().lower() == "true"))
    return items


def _top_entity(linker, text: str, types: list[str] | None = None):
    mentions = [m for m in linker.link(text, types=types) if not m.negated]
    if not mentions:
        return None
    best = max(mentions, key=lambda m: (m.end - m.start, m.score))
    return best.entity


def eval_true_false(answerer, store, linker, items: list[TFItem], citations: CitationTally,
                    llm: str | None, progress: bool) -> dict[str, Any]:
    correct = checkable = checkable_correct = abstained = 0
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in _bar(items, progress, "BiomixQA T/F"):
        q = item.question()
        predicted = False   # closed world: what the graph cannot confirm is taken as false
        can_check = False
        if q is not None:
            answer = answerer.ask(q, llm=llm)
            abstained += answer.abstained
            citations.add(answer, store)
            if item.kind == "doid":
                ea = _top_entity(linker, item.a, ["Disease"])
                can_check = ea is not None
                predicted = ea is not None and (item.b == ea.id or item.b in ea.xrefs)
            else:
                types_a, types_b = TF_TYPES[item.kind]
                ea, eb = _top_entity(linker, item.a, types_a), _top_entity(linker, item.b, types_b)
                can_check = (ea is not None and eb is not None
                             and store.count_facts(ea.id, [item.predicate]) > 0)
                positive = answer.verdict == "yes"
                predicted = (not positive) if item.negated else positive
        ok = predicted == item.label
        correct += ok
        by_kind[item.kind or "unparsed"][0] += ok
        by_kind[item.kind or "unparsed"][1] += 1
        if can_check:
            checkable += 1
            checkable_correct += ok
    n = len(items)
    return {"items": n, "accuracy_all": _ratio(correct, n), "checkable": checkable,
            "accuracy_checkable": _ratio(checkable_correct, checkable), "abstained": abstained,
            "by_kind": {k: {"items": v[1], "accuracy": _ratio(v[0], v[1])} for k, v in sorted(by_kind.items())},
            "published": KG_RAG_PUBLISHED["true_false"],
            "subset_rule": "both named entities link to a graph entity and the first has at least one fact "
                           "of the statement's relation (identifier statements: the disease links)"}


# ---- BiomixQA multiple choice ----------------------------------------------------------------------
@dataclass
class MCQItem:
    text: str
    correct: str
    options: list[str]
    disease_1: str
    disease_2: str


def load_mcq(path: Path) -> list[MCQItem]:
    items = []
    with open(path, newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), 2):
            try:
                options = [o.strip() for o in row["options_combined"].split(",") if o.strip()]
                items.append(MCQItem(row["text"], row["correct_node"].strip(), options,
                                     row["disease_1"].strip(), row["disease_2"].strip()))
            except (KeyError, AttributeError):
                raise UserError(f"{path} line {lineno}: needs text, correct_node, options_combined, "
                                "disease_1 and disease_2 columns") from None
    return items


def eval_mcq(answerer, store, linker, items: list[MCQItem], citations: CitationTally, llm: str | None,
             progress: bool) -> dict[str, Any]:
    correct = checkable = checkable_correct = 0
    for item in _bar(items, progress, "BiomixQA MCQ"):
        d1, d2 = _top_entity(linker, item.disease_1, ["Disease"]), _top_entity(linker, item.disease_2, ["Disease"])
        genes_only = not any(o.lower().startswith("rs") for o in item.options)
        can_check = (genes_only and d1 is not None and d2 is not None
                     and store.count_facts(d1.id, ["associated_with"]) > 0
                     and store.count_facts(d2.id, ["associated_with"]) > 0)
        scores: dict[str, int] = {}
        if genes_only:
            for option in item.options:
                score = 0
                for disease in (item.disease_1, item.disease_2):
                    answer = answerer.ask(f"Is {disease} associated with gene {option}?", llm=llm)
                    citations.add(answer, store)
                    score += answer.verdict == "yes"
                scores[option] = score
        best = max(scores.values(), default=0)
        winners = [o for o, s in scores.items() if s == best and s > 0]
        ok = len(winners) == 1 and winners[0].lower() == item.correct.lower()
        correct += ok
        if can_check:
            checkable += 1
            checkable_correct += ok
    n = len(items)
    return {"items": n, "accuracy_all": _ratio(correct, n), "checkable": checkable,
            "accuracy_checkable": _ratio(checkable_correct, checkable),
            "published": KG_RAG_PUBLISHED["mcq"],
            "method": "each option asked as two yes/no questions (gene associated with each disease); the one "
                      "option with most 'yes' wins; ties or no 'yes' count as wrong",
            "subset_rule": "options are genes (not rs variants), both diseases link and both have gene "
                           "associations in the graph"}


# ---- held-out questions: gold derived from the source files ----------------------------------------
def _norm(raw: str, default: str | None = None) -> str | None:
    from kg.ids import try_normalize_curie
    return try_normalize_curie(raw, default)


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:12], 16)


HETIONET_EDGES = {"TREATS_CtD": "treats", "PALLIATES_CpD": "palliates", "ASSOCIATES_DaG": "associated_with",
                  "PRESENTS_DpS": "presents_symptom", "LOCALIZES_DlA": "localizes_to",
                  "RESEMBLES_DrD": "resembles", "UPREGULATES_DuG": "upregulates",
                  "DOWNREGULATES_DdG": "downregulates"}


def _hetionet_nodes(folder: Path) -> dict[str, tuple[str, str]]:
    """Hetionet node id (normalised CURIE) -> (name, kind)."""
    out = {}
    with open(folder / "hetionet" / "hetionet-v1.0-nodes.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            kind, _, local = row["id"].partition("::")
            default = "NCBIGene" if kind == "Gene" else None
            curie = _norm(local, default)
            if curie:
                out[curie] = (row["name"].strip(), kind)
    return out


def _hetionet_edges(folder: Path) -> Iterator[tuple[str, str, str]]:
    with open(folder / "hetionet" / "hetionet-v1.0-disease-edges.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            pred = HETIONET_EDGES.get(row["type"].strip())
            if pred is None:
                continue
            gene_target = row["type"].endswith("G")
            s, o = _norm(row["source"]), _norm(row["target"], "NCBIGene" if gene_target else None)
            if s and o:
                yield s, pred, o


def _binding(folder: Path) -> Iterator[tuple[str, str, str]]:
    with open(folder / "hetionet" / "integrate-CbG-binding.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            s, o = _norm(row["drugbank_id"], "DRUGBANK"), _norm(row["entrez_gene_id"], "NCBIGene")
            if s and o:
                yield s, "binds", o


def _classes(folder: Path) -> Iterator[tuple[str, str, str]]:
    kept = set()
    with open(folder / "hetionet" / "drugcentral-classes.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            kept.add(row["class_id"].strip())
    with open(folder / "hetionet" / "drugcentral-drug-to-class.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["class_id"].strip() in kept:
                s, o = _norm(row["drugbank_id"], "DRUGBANK"), _norm(row["class_id"].strip())
                if s and o:
                    yield s, "member_of_class", o


def _hpo_annotations(folder: Path) -> Iterator[tuple[str, str, str, str]]:
    """(disease, has_phenotype, HP term, disease name) from phenotype.hpoa; NOT rows skipped."""
    with gzip.open(folder / "hpo" / "phenotype.hpoa.gz", "rt", encoding="utf-8") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        for row in csv.DictReader(lines, delimiter="\t"):
            if row["qualifier"].strip().upper() == "NOT":   # every aspect (P, I, C, M) is a has_phenotype row
                continue
            d, p = _norm(row["database_id"]), _norm(row["hpo_id"])
            if d and p:
                yield d, "has_phenotype", p, row["disease_name"].strip()


def _hpo_genes(folder: Path) -> Iterator[tuple[str, str, str]]:
    with open(folder / "hpo" / "genes_to_disease.derived.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            d, g = _norm(row["disease_id"]), _norm(row["ncbi_gene_id"], "NCBIGene")
            if d and g:
                yield d, "associated_with", g


def _obo_is_a(path: Path) -> Iterator[tuple[str, str, str]]:
    term = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("["):
                term = None
            elif line.startswith("id: "):
                term = _norm(line[4:].strip())
            elif line.startswith("is_a: ") and term:
                parent = _norm(line[6:].split("!")[0].strip())
                if parent:
                    yield term, "subclass_of", parent


class SourceTruth:
    """Relations as the public source files state them, keyed by unordered CURIE pairs."""

    def __init__(self) -> None:
        self.pairs: dict[str, set[frozenset]] = defaultdict(set)

    @classmethod
    def load(cls, folder: Path) -> "SourceTruth":
        t = cls()
        streams: list[Iterable] = [_hetionet_edges(folder), _binding(folder), _classes(folder), _hpo_genes(folder),
                                   ((d, p, o) for d, p, o, _ in _hpo_annotations(folder)),
                                   _obo_is_a(folder / "disease-ontology" / "doid-2016-08-12.obo"),
                                   _obo_is_a(folder / "hpo" / "hp.obo")]
        for stream in streams:
            for s, p, o in stream:
                t.pairs[p].add(frozenset((s, o)))
        return t

    def holds(self, fact, store, cache: dict | None = None) -> bool:
        a, b = _curies(fact.subject, store, cache), _curies(fact.object, store, cache)
        pairs = self.pairs.get(fact.predicate, ())
        return any(frozenset((x, y)) in pairs for x in a for y in b)


def _curies(entity_id: str, store, cache: dict | None) -> set[str]:
    if cache is not None and entity_id in cache:
        return cache[entity_id]
    e = store.get_entity(entity_id)
    out = {entity_id} | (set(e.xrefs) if e is not None else set())
    if cache is not None:
        cache[entity_id] = out
    return out


TEMPLATES = {
    "drugs_for_condition": ("treats", ["What drugs treat {x}?", "Which medicines are used for {x}?",
                                       "What can I take for {x}?"]),
    "genes_of_disease": ("associated_with", ["Which genes are associated with {x}?",
                                             "What genes are linked to {x}?"]),
    "symptoms": ("presents_symptom", ["What are the symptoms of {x}?", "What symptoms does {x} cause?"]),
    "drug_targets": ("binds", ["What are the targets of {x}?", "Which genes does {x} bind?"]),
    "drug_classes": ("member_of_class", ["What drug class does {x} belong to?", "What kind of drug is {x}?"]),
    "rare_disease_phenotypes": ("has_phenotype", ["What are the features of {x}?",
                                                  "What phenotypes does {x} have?"]),
    "yes_no": ("treats", ["Does {x} treat {y}?", "Is {x} used to treat {y}?"]),
}
PER_CATEGORY = {"dev": 8, "test": 20}


def _split_of(key: str) -> str:
    return "dev" if _hash("split|" + key) % 10 < 3 else "test"


def generate_questions(folder: Path) -> tuple[list[dict], list[dict]]:
    """Held-out questions with gold facts derived from the source files; split by anchor (30% dev, 70% test)."""
    nodes = _hetionet_nodes(folder)
    by_anchor: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    edges = list(_hetionet_edges(folder))
    for s, p, o in edges:
        if p in ("treats", "associated_with", "presents_symptom"):
            anchor = o if p == "treats" else s
            other = s if p == "treats" else o
            by_anchor[p][anchor].add(other)
    for s, p, o in _binding(folder):
        if s in nodes and o in nodes:           # the compounds and genes Hetionet kept
            by_anchor["binds"][s].add(o)
    for s, p, o in _classes(folder):
        if s in nodes and o in nodes:          # Hetionet's own 345 classes (its published filter)
            by_anchor["member_of_class"][s].add(o)
    rare_names: dict[str, str] = {}
    for d, p, o, name in _hpo_annotations(folder):
        if d.startswith(("ORPHA:", "OMIM:")):
            by_anchor["has_phenotype"][d].add(o)
            rare_names[d] = name
    treats_pairs = {(s, o) for s, p, o in edges if p in ("treats", "palliates")}
    out: dict[str, list[dict]] = {"dev": [], "test": []}
    for category, (predicate, templates) in TEMPLATES.items():
        if category == "yes_no":
            continue
        anchors = by_anchor[predicate]
        ranked = sorted(anchors, key=lambda a: _hash(category + "|" + a))
        taken = {"dev": 0, "test": 0}
        for anchor in ranked:
            name = rare_names.get(anchor) if predicate == "has_phenotype" else nodes.get(anchor, ("", ""))[0]
            gold = anchors[anchor]
            if not name or not gold or (predicate == "has_phenotype" and len(gold) < 5):
                continue
            if predicate == "has_phenotype" and (";" in name or len(name) > 60):
                continue
            split = _split_of(anchor)
            if taken[split] >= PER_CATEGORY[split]:
                continue
            taken[split] += 1
            template = templates[_hash(anchor) % len(templates)]
            gold_facts = [[g, predicate, anchor] if predicate == "treats" else [anchor, predicate, g]
                          for g in sorted(gold)]
            out[split].append({"id": f"{category}-{anchor}", "category": category, "split": split,
                               "question": template.format(x=_plain(name)), "predicate": predicate,
                               "anchor": anchor, "gold": gold_facts})
    # yes/no: half true (a source treats edge), half false (the same drug with a disease it neither treats
    # nor palliates in the sources)
    diseases = sorted({o for s, p, o in edges if p == "treats"})
    positives = sorted({(s, o) for s, p, o in edges if p == "treats"}, key=lambda so: _hash("yn|" + "|".join(so)))
    taken = {"dev": 0, "test": 0}
    _, templates = TEMPLATES["yes_no"]
    for drug, disease in positives:
        split = _split_of(drug)
        if taken[split] >= PER_CATEGORY[split] or drug not in nodes or disease not in nodes:
            continue
        taken[split] += 1
        if taken[split] % 2 == 1:
            target, expected, gold = disease, "yes", [[drug, "treats", disease]]
        else:
            candidates = [d for d in diseases if (drug, d) not in treats_pairs and d in nodes]
            target = candidates[_hash(drug) % len(candidates)]
            expected, gold = "no", []
        template = templates[_hash(drug + target) % len(templates)]
        out[split].append({"id": f"yes_no-{drug}-{target}", "category": "yes_no", "split": split,
                           "question": template.format(x=_plain(nodes[drug][0]), y=_plain(nodes[target][0])),
                           "predicate": "treats", "anchor": drug, "expected": expected, "gold": gold})
    return out["dev"], out["test"]


def _plain(name: str) -> str:
    """Source names as a person would type them: lower case unless it looks like a symbol (gene, acronym)."""
    return " ".join(w if (sum(c.isupper() for c in w) > 1 or any(c.isdigit() for c in w)) else w.lower()
                    for w in name.split())


def write_questions(dev: list[dict], test: list[dict]) -> None:
    EVAL_DIR.mkdir(parents=True, exist_ok=True)
    for split, rows in (("dev", dev), ("test", test)):
        with open(QUESTIONS_FILE[split], "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_questions(path: Path) -> list[dict]:
    if not path.is_file():
        raise UserError(f"{path} is missing: run `kgqa eval qa --write-questions` first")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path} line {lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "question" not in row or "gold" not in row:
                raise UserError(f'{path} line {lineno}: needs "question" and "gold"')
            rows.append(row)
    return rows


def eval_heldout(answerer, store, questions: list[dict], truth: SourceTruth, citations: CitationTally,
                 llm: str | None, progress: bool) -> dict[str, Any]:
    cache: dict = {}
    per_cat: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    totals = defaultdict(float)
    latencies = []
    for q in _bar(questions, progress, "held-out questions"):
        t0 = time.perf_counter()
        answer = answerer.ask(q["question"], llm=llm)
        latencies.append((time.perf_counter() - t0) * 1000)
        citations.add(answer, store)
        cat = per_cat[q["category"]]
        cat["questions"] += 1
        cat["abstained"] += answer.abstained
        by_id = {sf.fact.id: sf.fact for sf in answer.facts}
        cited = [by_id[f] for f in answer.citations if f in by_id]
        true_cited = sum(truth.holds(f, store, cache) for f in cited)
        cat["cited"] += len(cited)
        cat["cited_true"] += true_cited
        gold = {frozenset((g[0], g[2])) for g in q["gold"]}
        if gold:
            matched = set()
            for f in cited:
                if f.predicate != q["predicate"]:
                    continue
                for x in _curies(f.subject, store, cache):
                    for y in _curies(f.object, store, cache):
                        if frozenset((x, y)) in gold:
                            matched.add(frozenset((x, y)))
            cat["recall_sum"] += len(matched) / min(10, len(gold))
            cat["recall_n"] += 1
        if "expected" in q:
            cat["yes_no_n"] += 1
            cat["yes_no_correct"] += answer.verdict == q["expected"]
    summary = {}
    for name, c in sorted(per_cat.items()):
        summary[name] = _heldout_row(c)
        for k, v in c.items():
            totals[k] += v
    return {"questions": len(questions), "overall": _heldout_row(totals), "by_category": summary,
            "latency_ms_p50": round(statistics.median(latencies), 1) if latencies else None,
            "recall_rule": "recall@10 = gold source facts found among the cited facts / min(10, gold facts); "
                           "an answer lists at most 10 items per relation",
            "precision_rule": "a cited fact is true when the source files state the same relation between "
                              "the same two concepts (compared through the entities' ids and xrefs)"}


def _heldout_row(c: dict) -> dict[str, Any]:
    return {"questions": int(c["questions"]), "abstained": int(c["abstained"]), "cited": int(c["cited"]),
            "precision": _ratio(c["cited_true"], c["cited"]),
            "recall_at_10": _ratio(c["recall_sum"], c["recall_n"]),
            "yes_no_accuracy": _ratio(c["yes_no_correct"], c["yes_no_n"]) if c.get("yes_no_n") else None}


# ---- unanswerable questions ------------------------------------------------------------------------
def read_unanswerable(path: Path = UNANSWERABLE_FILE) -> list[str]:
    if not path.is_file():
        raise UserError(f"{path} is missing")
    return [line.strip() for line in open(path, encoding="utf-8")
            if line.strip() and not line.lstrip().startswith("#")]


def eval_unanswerable(answerer, questions: list[str], llm: str | None) -> dict[str, Any]:
    reasons: dict[str, int] = defaultdict(int)
    answered = []
    for q in questions:
        a = answerer.ask(q, llm=llm)
        if a.abstained:
            reasons[a.abstain_reason or "other"] += 1
        else:
            answered.append(q)
    n = len(questions)
    return {"questions": n, "abstention_rate": _ratio(n - len(answered), n), "by_reason": dict(reasons),
            "answered_anyway": answered}


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


# ---- report -----------------------------------------------------------------------------------------
def report_markdown(report: dict[str, Any]) -> str:
    lines = [f"### Answer evaluation (answers: {report.get('llm', 'none')}, held-out split: {report['split']})", ""]
    tf, mcq = report.get("true_false"), report.get("mcq")
    if tf or mcq:
        lines += ["| BiomixQA set | items | accuracy (all) | checkable subset | accuracy (subset) | published KG-RAG |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for name, r in (("true/false", tf), ("multiple choice", mcq)):
            if r:
                pub = ", ".join(f"{k} {v}" for k, v in r["published"].items())
                lines.append(f"| {name} | {r['items']} | {r['accuracy_all']} | {r['checkable']} | "
                             f"{r['accuracy_checkable']} | {pub} |")
        lines.append("")
        if tf:
            lines.append(f"T/F subset: {tf['subset_rule']}. By statement kind: "
                         + ", ".join(f"{k} {v['accuracy']} (n={v['items']})" for k, v in tf["by_kind"].items()) + ".")
        if mcq:
            lines.append(f"MCQ: {mcq['method']}; subset: {mcq['subset_rule']}.")
        lines.append("")
    h = report.get("heldout")
    if h:
        lines += ["| held-out category | questions | abstained | cited facts | precision (true in sources) | "
                  "recall@10 | yes/no accuracy |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, r in list(h["by_category"].items()) + [("**all**", h["overall"])]:
            lines.append(f"| {name} | {r['questions']} | {r['abstained']} | {r['cited']} | {r['precision']} | "
                         f"{r['recall_at_10']} | {r['yes_no_accuracy'] if r['yes_no_accuracy'] is not None else ''} |")
        lines += ["", f"Recall: {h['recall_rule']}. Precision: {h['precision_rule']}.", ""]
    u = report.get("unanswerable")
    if u:
        lines.append(f"Unanswerable questions ({u['questions']}, data/eval/unanswerable.txt): abstention "
                     f"{u['abstention_rate']} ({', '.join(f'{k} {v}' for k, v in sorted(u['by_reason'].items()))}).")
        if u["answered_anyway"]:
            lines.append("Answered anyway: " + "; ".join(f"\"{q}\"" for q in u["answered_anyway"]) + ".")
        lines.append("")
    c = report.get("citation_precision")
    if c and c["cited"]:
        lines.append(f"Citation precision over all evaluated answers: {c['precision']} "
                     f"({c['exist_and_involve_entities']} of {c['cited']} cited facts exist in the graph and "
                     "involve the question's entities).")
    return "\n".join(lines)
