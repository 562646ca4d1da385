"""Entity linking and retrieval benchmark, with the linking evaluation table.

    .venv/bin/python -m bench.bench_linking                       # graph from settings (or built from sources)
    .venv/bin/python -m bench.bench_linking --store sqlite:///var/kg.sqlite --quick

Measures, on the full graph:
- linker build: dictionary + dense index with embeddings cached on disk, the same with the optional query
  adapter trained (KGQA_QUERY_ADAPTER=true), and loading the linker cache; resident memory after the
  build; embedding rate (cold model);
- link latency per question (p50/p95) for the full linker (default settings), with the optional query
  adapter, and for a dictionary-only linker (baseline),
  and brute-force fuzzy matching of every question n-gram against all names with rapidfuzz (baseline);
- question -> ranked facts latency (p50/p95);
- FAISS on random 384-d vectors: exact (IndexFlatIP) vs HNSW queries/s and HNSW recall@10 (CPU; the GPU
  comparison runs only where faiss-gpu and a GPU are present);
- the linking evaluation (kgqa eval linking) with the published anchors.
Writes bench/results/linking.md.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench.common import machine as _machine
from retrieval.evaluation import PHRASE_SETS, SET_NAMES

HERE = Path(__file__).resolve().parent
EVAL_SETS = list(SET_NAMES)
TUNING_SETS = tuple(PHRASE_SETS)   # the everyday-phrase sets: their by-style lines are written

# Project-written benchmark questions (not evaluation items): a mix of clinical and lay phrasings.
QUESTIONS = [
    "what drugs treat type 2 diabetes?", "which genes are associated with asthma?",
    "what are the symptoms of influenza?", "what is metformin used for?", "what does imatinib bind?",
    "how is obesity related to hypertension?", "what can I take for sugar diabetes?",
    "does aspirin treat coronary artery disease?", "what diseases cause fever and joint pain?",
    "which drugs palliate migraine?", "my heart is racing and I feel dizzy",
    "I have a cough and a runny nose", "what are the signs of a heart attack?",
    "which genes are linked to breast cancer?", "what class of drug is ibuprofen?",
    "where does psoriasis occur in the body?", "what diseases resemble multiple sclerosis?",
    "I've had diarrhea and stomach cramps since yesterday", "is lisinopril used for high blood pressure?",
    "what treats rheumatoid arthritis?", "what are the symptoms of parkinson's disease?",
    "I can't sleep and I feel anxious all the time", "what drugs target EGFR?",
    "which medications help with epilepsy?", "my skin is itchy and I have a rash",
    "what genes are associated with alzheimer's disease?", "what is the treatment for gout?",
    "I have a headache and blurry vision", "what causes chronic kidney disease?",
    "how is smoking related to lung cancer?", "what drugs treat hypothyroidism?",
    "symptoms of celiac disease", "my knee is swollen and painful", "what does warfarin treat?",
    "which genes are associated with schizophrenia?", "what can I take for heartburn?",
    "I feel tired all the time and I'm always thirsty", "what are the symptoms of lupus?",
    "what drugs treat psoriasis?", "which diseases are similar to crohn's disease?",
]


def _rss_mb() -> float:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _pct(values, p) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def _timeit(fn, items, repeat: int = 3) -> list[float]:
    for it in items[:5]:
        fn(it)   # warm-up
    out = []
    for _ in range(repeat):
        for it in items:
            t = time.perf_counter()
            fn(it)
            out.append((time.perf_counter() - t) * 1000)
    return out


def _row(name, ms) -> str:
    return f"| {name} | {len(ms)} | {statistics.median(ms):.2f} | {_pct(ms, 95):.2f} | {max(ms):.1f} |"


def _store_url(args) -> str:
    from kgqa.settings import load_settings
    s = load_settings(args.config, store=args.store)
    url = s.store_url
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else None
    if path and not Path(path).exists():
        sources = s.sources_dir or os.environ.get("KGQA_SOURCES_DIR") or str(HERE.parent.parent / "shared" / "data")
        from kgqa.build import build_graph
        tmp = Path(tempfile.mkdtemp(prefix="bench-linking-")) / "kg.sqlite"
        print(f"no graph at {path}; building one from {sources} into {tmp}", file=sys.stderr)
        build_graph(f"sqlite:///{tmp}", sources_dir=Path(sources), only=None, progress=False)
        url = f"sqlite:///{tmp}"
    return url


def bench_faiss(x: np.ndarray, queries: int = 500) -> list[str]:
    """Exact vs HNSW on real name embeddings: the last `queries` vectors are held out as queries."""
    from retrieval.index import VectorIndex, gpu_available, recall_at_k
    q, x = x[-queries:], x[:-queries]
    n, dim = x.shape
    ids = np.arange(n)
    lines = ["| index | vectors | build s | queries/s (batch of %d, k=10) | recall@10 vs exact |" % queries,
             "| --- | ---: | ---: | ---: | ---: |"]
    t = time.perf_counter(); flat = VectorIndex(dim, kind="flat", device="cpu").build(x, ids); tb = time.perf_counter() - t
    t = time.perf_counter(); flat.search(q, 10); tq = time.perf_counter() - t
    lines.append(f"| exact IndexFlatIP (CPU) | {n:,} | {tb:.1f} | {queries / tq:,.0f} | 1.000 |")
    t = time.perf_counter(); hnsw = VectorIndex(dim, kind="hnsw", device="cpu").build(x, ids); tb = time.perf_counter() - t
    for ef in (128, 512):
        faiss_index = hnsw._cpu.index
        import faiss
        faiss.downcast_index(faiss_index).hnsw.efSearch = ef
        t = time.perf_counter(); hnsw.search(q, 10); tq = time.perf_counter() - t
        lines.append(f"| HNSW M=32 efSearch={ef} (CPU) | {n:,} | {tb:.1f} | {queries / tq:,.0f} | {recall_at_k(hnsw, flat, q, 10):.3f} |")
    if gpu_available():
        t = time.perf_counter(); gpu = VectorIndex(dim, kind="flat", device="cuda").build(x, ids); tb = time.perf_counter() - t
        t = time.perf_counter(); gpu.search(q, 10); tq = time.perf_counter() - t
        lines.append(f"| exact GpuIndexFlatIP | {n:,} | {tb:.1f} | {queries / tq:,.0f} | {recall_at_k(gpu, flat, q, 10):.3f} |")
    else:
        lines.append("| GPU | - | - | - | not measured: faiss-cpu here and no GPU visible |")
    return lines


def _adapter_text(info: dict) -> str:
    ad = info.get("query_adapter")
    if not isinstance(ad, dict):
        return "none" if ad is None else "loaded from the cache"
    return (f"{ad.get('synonym_pairs', 0):,} synonym and {ad.get('vocabulary_pairs', 0):,} lay-phrase pairs, "
            f"{ad.get('epochs')} epochs")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="entity linking and retrieval benchmark")
    parser.add_argument("--store", help="store URL (default from settings; built from sources when missing)")
    parser.add_argument("--config")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller FAISS test, eval on 300 items per set")
    parser.add_argument("--out", default=str(HERE / "results" / "linking.md"))
    parser.add_argument("--eval-from", help="use this saved `kgqa eval linking --json` report instead of re-running it")
    parser.add_argument("--sets", default=",".join(EVAL_SETS),
                        help="evaluation sets (default: all; tuning engineers leave lay_test out, the lead runs it)")
    parser.add_argument("--faiss-n", type=int, help="vectors in the FAISS comparison (default 200,000; 50,000 with --quick)")
    args = parser.parse_args(argv)

    from kg.store import open_store
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    from retrieval.embeddings import Embedder
    from retrieval.evaluation import format_table, run_linking_eval
    from retrieval.linker import Linker
    from retrieval.retriever import FactRetriever
    from retrieval.linker import DENSE_HNSW_THRESHOLD as HNSW_THRESHOLD

    url = _store_url(args)
    settings = load_settings(args.config, store=url)
    store = open_store(url)
    repeat = 1 if args.quick else 3
    out = ["## Entity linking and retrieval", "",
           f"Machine: {_machine()}. Other jobs may share the machine during a run, so "
           "absolute times are noisy; compare rows of one run. Medians (p50), p95 and max in milliseconds.", "",
           f"Graph: {store.stats().entities:,} entities, {store.stats().facts:,} facts (version {store.version()}).", ""]

    # ---- build ---------------------------------------------------------------------------------
    rss0 = _rss_mb()
    tmp_cache = Path(tempfile.mkdtemp(prefix="bench-linker-cache-"))
    shared_embeddings = settings.cache_dir
    # a fresh linker cache, sharing the embedding cache: the "embeddings cached" rebuild
    for d in shared_embeddings.glob("embeddings-*") if shared_embeddings.exists() else []:
        os.symlink(d.resolve(), tmp_cache / d.name)
    s_fresh = settings.with_(home=tmp_cache.parent / (tmp_cache.name + "-home"))
    (s_fresh.home).mkdir(parents=True, exist_ok=True)
    os.symlink(tmp_cache, s_fresh.cache_dir)
    t = time.perf_counter()
    linker_full = Linker.from_store(store, s_fresh, progress=False)
    t_build = time.perf_counter() - t
    rss_after = _rss_mb()
    t = time.perf_counter()
    Linker.from_store(store, s_fresh, progress=False)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    linker_adapted = Linker.from_store(store, s_fresh.with_(query_adapter=True), progress=False)
    t_adapted = time.perf_counter() - t
    t = time.perf_counter()
    linker_dict = Linker.from_store(store, s_fresh, progress=False, dense=False)
    t_dict = time.perf_counter() - t
    info = linker_full.info()
    sample = [f"benchmark name number {i} of a disease" for i in range(1000 if not args.quick else 300)]
    rates = {}
    for backend in ("onnx", "torch"):
        emb = Embedder(settings.embedding_model, device="cpu", cache_dir=settings.cache_dir, backend=backend,
                       memo_size=0)
        emb.encode(["warm up"])
        t = time.perf_counter()
        emb.encode(sample)
        rates[backend] = len(sample) / (time.perf_counter() - t)
    rate = rates["onnx"]
    out += ["### Index build", "",
            "| step | seconds |", "| --- | ---: |",
            f"| dictionary + dense index, embeddings already cached ({info['dense_names']:,} names embedded, "
            f"{info['dense_index']}) | {t_build:.1f} |",
            f"| the same with the optional query adapter (KGQA_QUERY_ADAPTER=true; "
            f"{_adapter_text(linker_adapted.info())}) | {t_adapted:.1f} |",
            f"| load the linker cache (same graph version) | {t_load:.1f} |",
            f"| dictionary only (baseline, no dense index) | {t_dict:.1f} |", "",
            f"Embedding rate (cold, {len(sample)} short names, batch 256, CPU): {rate:,.0f} names/s with ONNX "
            f"Runtime, {rates['torch']:,.0f} names/s with PyTorch (baseline, same run), so a first "
            f"build embeds the {info['dense_names']:,} names in about {info['dense_names'] / rate:,.0f} s. "
            f"Names in the dictionary: {info['names']:,} for {info['entities']:,} entities. "
            f"Resident memory grew by {rss_after - rss0:,.0f} MB during the build (process RSS {rss_after:,.0f} MB).", ""]
    shutil.rmtree(tmp_cache, ignore_errors=True)
    shutil.rmtree(s_fresh.home, ignore_errors=True)

    # ---- link latency ----------------------------------------------------------------------------
    from rapidfuzz import fuzz, process
    from retrieval.normalize import tokenize
    names = [e.text for e in linker_full.table.entries]
    brute_qs = QUESTIONS[:8]

    def brute(q):
        toks = [t.raw for t in tokenize(q)]
        for i in range(len(toks)):
            for j in range(i + 1, min(len(toks), i + 4) + 1):
                process.extractOne(" ".join(toks[i:j]), names, scorer=fuzz.ratio, score_cutoff=90)

    full_ms = _timeit(lambda q: linker_full.link(q), QUESTIONS, repeat)
    interpret_ms = _timeit(lambda q: linker_full.interpret(q), QUESTIONS, repeat)
    import copy
    # baselines of the same linker, one part swapped (n-gram vectors never memoised in any of them)
    from retrieval.index import VectorIndex
    linker_full.embedder.memo_size = 0
    linker_full.embedder._memo = {}
    full_cold_ms = _timeit(lambda q: linker_full.link(q), QUESTIONS, repeat)
    linker_adapted.embedder.memo_size = 0
    linker_adapted.embedder._memo = {}
    adapted_ms = _timeit(lambda q: linker_adapted.link(q), QUESTIONS, repeat)
    linker_torch = copy.copy(linker_full)
    linker_torch.embedder = Embedder(settings.embedding_model, device="cpu", backend="torch", memo_size=0)
    torch_ms = _timeit(lambda q: linker_torch.link(q), QUESTIONS, repeat)
    linker_flat = copy.copy(linker_full)
    dense_vecs, dense_ids = linker_full.dense.vectors()
    linker_flat.dense = VectorIndex(dense_vecs.shape[1], kind="flat", device="cpu").build(dense_vecs, dense_ids)
    flat_ms = _timeit(lambda q: linker_flat.link(q), QUESTIONS, repeat)
    dict_ms = _timeit(lambda q: linker_dict.link(q), QUESTIONS, repeat)
    brute_ms = _timeit(brute, brute_qs, 1)
    ctx = KGContext(settings, store=store)
    retriever = FactRetriever(store, linker_full)
    ret_ms = _timeit(lambda q: retriever.retrieve(q, limit=20), QUESTIONS, repeat)
    ret_dict_ms = _timeit(lambda q: FactRetriever(store, linker_dict).retrieve(q, limit=20), QUESTIONS, repeat)
    out += ["### Latency per question", "",
            f"{len(QUESTIONS)} project-written questions (clinical and lay phrasings), {repeat} passes.", "",
            "| what | calls | p50 ms | p95 ms | max ms |", "| --- | ---: | ---: | ---: | ---: |",
            _row("link: full linker (dictionary + fuzzy + dense; ONNX encoder, HNSW names, n-gram memo)", full_ms),
            _row("interpret: the whole-text reading (link + the text as one phrase; search box, phrase evaluation)",
                 interpret_ms),
            _row("link: the same, n-gram memo off (every n-gram encoded)", full_cold_ms),
            _row("link: memo off, with the optional query adapter (KGQA_QUERY_ADAPTER=true: two dense searches)", adapted_ms),
            _row("link: memo off, PyTorch encoder instead of ONNX (baseline)", torch_ms),
            _row("link: memo off, exact flat name index instead of HNSW (baseline)", flat_ms),
            _row("link: dictionary + fuzzy only (baseline)", dict_ms),
            _row("link: brute-force rapidfuzz of every 1-4-gram against all names (baseline, 8 questions)", brute_ms),
            _row("question -> ranked facts (full linker)", ret_ms),
            _row("question -> ranked facts (dictionary-only linker)", ret_dict_ms), "",
            "Targets: link p50 < 15 ms; question -> facts p50 < 30 ms, p95 < 100 ms.", ""]

    # ---- FAISS -----------------------------------------------------------------------------------
    vecs, _ = linker_full.dense.vectors()
    rng = np.random.default_rng(0)
    vecs = vecs[rng.permutation(len(vecs))]
    if args.faiss_n:
        vecs = vecs[:args.faiss_n]
    out += ["### FAISS index", "",
            f"The linker's own name embeddings (all-MiniLM-L6-v2, 384-d, shuffled); 500 of them held out as "
            f"queries. The linker uses exact search below {HNSW_THRESHOLD:,} vectors (this graph: "
            f"{len(vecs):,}), HNSW above.", ""] + bench_faiss(vecs) + [""]

    # ---- evaluation --------------------------------------------------------------------------------
    if args.eval_from:
        import json
        while not Path(args.eval_from).exists() or not Path(args.eval_from).read_text().strip():
            time.sleep(10)   # the evaluation may still be running in another process
        report = json.loads(Path(args.eval_from).read_text())
    else:
        report = run_linking_eval(ctx, sets=[x for x in args.sets.split(",") if x],
                                  limit=300 if args.quick else None)
    out += ["### Linking evaluation (`kgqa eval linking`)", "",
            "acc@1 / acc@5 per set. hpo_lay: HPO layperson synonyms of split bucket 0 (sha1 of the normalised "
            "synonym % 5 == 0, ~20%), removed from the dictionary and dense index during the run, and never "
            "a training pair of the query adapter. lay_dev and lay_seen to lay_seen11: everyday phrases used "
            "for tuning (lay_seen to lay_seen11 were the test sets of sessions 1 to 11; their errors were "
            "analysed, so they became tuning data). lay_test: the session-12 held-out everyday phrases, written fresh "
            "by two engineers who never saw the linker's vocabulary, code or results (data/eval/lay_phrases_test.tsv, "
            "never used for tuning; run only by the lead, after changes decided on the tuning sets; every run is "
            "listed in docs/linking.md). Each everyday phrase is read as one concept with "
            "`Linker.interpret` (since session 5); best_mention is the earlier reading (the best mention of "
            "`Linker.link`). non_medical: "
            "share of non-medical sentences that link to nothing. Anchors are published figures on their own "
            "data, not re-run here.", "", format_table(report), ""]
    if "lay_test" not in report["sets"]:
        out += ["lay_test was not run here: the engineers who tune the linker never evaluate it; the lead runs "
                "`python -m bench.bench_linking` (all sets) once at the end.", ""]
    for name, r in report["sets"].items():
        if name == "hpo_lay" and "same_as_other_name" in r:
            out.append(f"- hpo_lay: {r['same_as_other_name']} of {r['n']} held-out synonyms equal another "
                       "(non-layperson) name of their concept after normalisation, so the dictionary still knows them.")
        if name in TUNING_SETS and r.get("by_style"):
            out.append(f"- {name} by style (acc@1): " + ", ".join(f"{k} {v['acc@1']:.3f} (n={v['n']})" for k, v in sorted(r["by_style"].items())))
            if r.get("best_mention_acc@1") is not None:
                out.append(f"- {name} read as its best mention (`link`, the reading before session 5): "
                           f"acc@1 {r['best_mention_acc@1']:.3f}")
            if r.get("strict"):
                out.append(f"- {name} strict (only the listed ids, no name-equivalent duplicate concepts): "
                           f"acc@1 {r['strict']['acc@1']:.3f}, acc@5 {r['strict']['acc@5']:.3f}")
            ov = r.get("outside_vocabulary") or {}
            if ov.get("n"):
                out.append(f"- {name} phrases that are not themselves a lay-vocabulary entry ({ov['n']} of {r['n']}): "
                           f"acc@1 {ov['acc@1']:.3f}")
        if name == "non_medical":
            out.append(f"- non_medical: {r.get('sentences_with_links')} of {r['n']} sentences produced a link: "
                       + "; ".join(f"{e['text']!r} -> {', '.join(e['mentions'])}" for e in r.get("errors", [])[:5]))
        if name == "ncbi_disease" and r.get("mentions_in_test_set"):
            out.append(f"- ncbi_disease: {r['n']} of {r['mentions_in_test_set']} test mentions have a MeSH/OMIM id "
                       "that resolves to a graph concept; only those are scored.")
    out.append("")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out) + "\n")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
