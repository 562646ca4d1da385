"""Pure formatting for the app: fact sentences, evidence links, synonym groups, citation numbers, urgency.

Nothing here imports Streamlit, so it is unit-tested directly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from kg.model import PREDICATES, SYNONYM_KINDS, Entity, Fact, Provenance
from ui.components.records import get

PUBMED = "https://pubmed.ncbi.nlm.nih.gov/{}/"

# Where a CURIE can be looked up by a person (prefix -> URL with {} for the local id).
XREF_URLS = {
    "HP": "https://hpo.jax.org/browse/term/HP:{}",
    "DOID": "https://disease-ontology.org/?id=DOID:{}",
    "MESH": "https://meshb.nlm.nih.gov/record/ui?ui={}",
    "OMIM": "https://omim.org/entry/{}",
    "ORPHA": "https://www.orpha.net/en/disease/detail/{}",
    "NCBIGene": "https://www.ncbi.nlm.nih.gov/gene/{}",
    "DRUGBANK": "https://go.drugbank.com/drugs/{}",
    "UBERON": "http://purl.obolibrary.org/obo/UBERON_{}",
    "GO": "http://purl.obolibrary.org/obo/GO_{}",
    "UMLS": "https://uts.nlm.nih.gov/uts/umls/concept/{}",
}

_MARKERS = re.compile(r"\s*\[(?:\d+|F[0-9a-f]+)(?:\s*,\s*(?:\d+|F[0-9a-f]+))*\]")


def predicate_words(predicate: str) -> str:
    return PREDICATES.get(predicate, predicate.replace("_", " "))


def fact_sentence(fact: Fact, names: dict[str, str] | None = None) -> str:
    """"Metformin treats type 2 diabetes mellitus" (names by id; the CURIE where a name is unknown)."""
    names = names or {}
    return f"{names.get(fact.subject, fact.subject)} {predicate_words(fact.predicate)} {names.get(fact.object, fact.object)}"


def pubmed_id(raw: Any) -> str | None:
    """The digits of a PubMed id given as 12345, "12345", "PMID:12345" or "pubmed:12345"; None otherwise."""
    text = str(raw).strip()
    match = re.fullmatch(r"(?i)(?:pmid|pubmed)?:?\s*(\d{1,9})", text)
    return match.group(1) if match else None


def pubmed_url(raw: Any) -> str | None:
    pmid = pubmed_id(raw)
    return PUBMED.format(pmid) if pmid else None


def pubmed_links(pmids: Iterable[Any]) -> list[str]:
    """Markdown links to PubMed, one per id (ids that are not PubMed ids are shown as given)."""
    out = []
    for raw in pmids:
        url = pubmed_url(raw)
        out.append(f"[PMID:{pubmed_id(raw)}]({url})" if url else str(raw))
    return out


def xref_url(curie: str) -> str | None:
    prefix, _, local = curie.partition(":")
    template = XREF_URLS.get(prefix)
    return template.format(local) if template and local else None


def xref_markdown(curie: str) -> str:
    url = xref_url(curie)
    return f"[{curie}]({url})" if url else f"`{curie}`"


_EVIDENCE_LABELS = {
    "frequency": "frequency",
    "frequency_value": "frequency (share of patients)",
    "pvalue": "p-value",
    "score": "score",
    "affinity_nM": "affinity (nM)",
    "onset": "onset",
    "evidence_code": "evidence code",
    "sources": "upstream sources",
    "note": "note",
}


def evidence_parts(evidence: dict[str, Any]) -> list[str]:
    """Markdown fragments describing one provenance record's evidence, PubMed links first."""
    parts: list[str] = []
    pmids = evidence.get("pmids") or []
    if isinstance(pmids, (str, int)):
        pmids = [pmids]
    if pmids:
        parts.append("PubMed: " + ", ".join(pubmed_links(pmids)))
    for key, value in evidence.items():
        if key == "pmids" or value in (None, "", [], {}):
            continue
        if key == "frequency_value" and "frequency" in evidence:
            continue  # the frequency as the source gave it says the same thing
        label = _EVIDENCE_LABELS.get(key, key.replace("_", " "))
        if isinstance(value, float):
            value = f"{value:.3g}"
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{label}: {value}")
    return parts


def provenance_row(p: Provenance) -> dict[str, str]:
    """One row of a provenance table: source, version, license, evidence (markdown), curator."""
    curated = f"{p.curator} ({p.created_at or 'time unknown'})" if p.curator else ""
    return {"source": p.source, "version": p.version or "—", "license": p.license or "—",
            "evidence": "; ".join(evidence_parts(p.evidence)) or "—", "curator": curated}


def provenance_summary(fact: Fact) -> str:
    """A one-line provenance for tables: "hpo 2024-04-26 (CC BY 4.0): frequency: 5/7"."""
    out = []
    for p in fact.provenance:
        label = p.source + (f" {p.version}" if p.version else "")
        if p.license:
            label += f" ({p.license})"
        ev = evidence_parts(p.evidence)
        out.append(label + (": " + "; ".join(ev) if ev else ""))
    return " · ".join(out) or "no provenance recorded"


def synonyms_by_kind(entity: Entity) -> dict[str, list[str]]:
    """Synonyms grouped by kind in the model's order (exact, related, layperson, brand), deduplicated."""
    groups: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for syn in entity.synonyms:
        key = (syn.kind, syn.text.casefold())
        if key in seen or syn.text.casefold() == entity.name.casefold():
            continue
        seen.add(key)
        groups.setdefault(syn.kind, []).append(syn.text)
    return {kind: groups[kind] for kind in SYNONYM_KINDS if kind in groups}


def strip_markers(text: str) -> str:
    """A sentence without the citation markers ("[1]", "[2, 3]") its producer may have written in."""
    return _MARKERS.sub("", text).strip()


@dataclass
class NumberedSentence:
    text: str                 # without markers
    numbers: list[int]        # citation numbers, 1-based, into `CitationList.fact_ids`
    supported: bool = True


@dataclass
class CitationList:
    fact_ids: list[str]               # citation n is fact_ids[n - 1]
    sentences: list[NumberedSentence]


def number_citations(sentences: Sequence[Any], citations: Sequence[str],
                     fact_ids: Sequence[str]) -> CitationList:
    """Give every cited fact one number and map each sentence onto them.

    The answer's `citations` (fact ids) keep their order, so number n is `citations[n - 1]` as in the
    answer's own text; facts cited only by sentences outside that list (unsupported LLM sentences) are
    numbered after them. A sentence cites facts by id ("F…") or by 1-based position in the fact list.
    """
    order: list[str] = list(dict.fromkeys(str(c) for c in citations))

    def number(ref: Any) -> int | None:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            idx = int(ref) - 1
            if not 0 <= idx < len(fact_ids):
                return None
            ref = fact_ids[idx]
        ref = str(ref)
        if ref not in order:
            order.append(ref)
        return order.index(ref) + 1

    numbered = []
    for s in sentences:
        refs = get(s, "citations", []) or []
        nums = [n for n in (number(r) for r in refs) if n is not None]
        numbered.append(NumberedSentence(strip_markers(str(get(s, "text", ""))), sorted(set(nums)),
                                         bool(get(s, "supported", True))))
    return CitationList(order, numbered)


def markers(numbers: Sequence[int]) -> str:
    return "".join(f" [{n}]" for n in numbers)


@dataclass(frozen=True)
class UrgencyStyle:
    level: str
    kind: str          # streamlit banner: error | warning | info | success
    title: str
    advice: str


URGENCY = {
    "emergency": UrgencyStyle("emergency", "error", "Emergency",
                              "Call your local emergency number or go to the nearest emergency department now."),
    "urgent": UrgencyStyle("urgent", "warning", "Urgent",
                           "See a doctor today (urgent care or same-day appointment)."),
    "routine": UrgencyStyle("routine", "info", "Routine",
                            "Book an appointment with your doctor in the coming days."),
    "self-care": UrgencyStyle("self-care", "success", "Self-care",
                              "This can usually be managed at home; see a doctor if it gets worse or does not improve."),
}


def urgency_method(result: Any) -> str:
    """How the urgency was read: by the red-flag rules alone, or by the learned reader of the whole text with the
    rules as guard rails (qa/triage_urgency_model.py), with the reader's own leaning."""
    probabilities = get(result, "urgency_model")
    if not probabilities:
        return "Urgency from the red-flag rules alone."
    leaning = max(probabilities, key=probabilities.get)
    return (f"Urgency from the learned reader of the whole text ({probabilities[leaning]:.0%} {leaning}) with the "
            f"red-flag rules as guard rails (the rules alone: {get(result, 'urgency_rules', 'not given')}).")


def urgency_style(level: str | None) -> UrgencyStyle:
    """The banner for an urgency level; an unknown level is shown as urgent (when in doubt, the higher)."""
    key = (level or "").strip().lower().replace("_", "-").replace(" ", "-")
    if key == "selfcare":
        key = "self-care"
    return URGENCY.get(key, UrgencyStyle(key or "unknown", "warning", (level or "Unknown").title(),
                                         "The urgency could not be determined: ask a clinician."))
