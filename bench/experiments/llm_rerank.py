"""Experiment (issue 3, session 13): can the small packaged LLM (SmolLM2-135M-Instruct) pick the right concept
among `interpret`'s top 8?

    KGQA_HOME=<full-graph home> KGQA_SOURCES_DIR=../shared/data .venv/bin/python bench/experiments/llm_rerank.py \
        lay_seen11,lay_seen10

Each candidate is scored by the model's log-probability of its name after "A patient says: "<phrase>". What is the
medical term for this?" (sum and mean over the name's tokens), alone and blended with the linker's score; the
scores of tuning sets are pickled to ./llm_rows_<set>.pkl for other blends (rank prior + LLM score).
Results: docs/linking.md, session 13.
"""
import sys, pickle
from pathlib import Path
import numpy as np, torch
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sets = sys.argv[1].split(",")
from kgqa.context import KGContext
from kgqa.settings import load_settings
from retrieval.evaluation import PHRASE_SETS, EVAL_DIR, read_phrase_set, _same_concept
from retrieval.normalize import keys_of
from qa.llm import smollm2_path
from transformers import AutoModelForCausalLM, AutoTokenizer
p = smollm2_path()
tok = AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name)
lm = AutoModelForCausalLM.from_pretrained(str(p.parent), gguf_file=p.name).eval()
torch.set_num_threads(2)
ctx = KGContext(load_settings(urgency_model="off"))
store, linker = ctx.store, ctx.linker
def prompt(phrase):
    msgs = [{"role": "user", "content": f'A patient says: "{phrase}". What is the medical term for this?'}]
    return tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) + "The medical term is"
@torch.no_grad()
def lm_scores(phrase, names):
    pre = tok(prompt(phrase), add_special_tokens=False)["input_ids"]
    seqs = [pre + tok(" " + n, add_special_tokens=False)["input_ids"] for n in names]
    L = max(map(len, seqs)); pad = tok.pad_token_id or 0
    ids = torch.tensor([s + [pad] * (L - len(s)) for s in seqs]); att = (torch.arange(L)[None] < torch.tensor([len(s) for s in seqs])[:, None]).long()
    logp = torch.log_softmax(lm(input_ids=ids, attention_mask=att).logits[:, :-1].float(), -1)
    out = []
    for i, s in enumerate(seqs):
        t = torch.tensor(s[len(pre):]); lp = logp[i, len(pre) - 1:len(s) - 1].gather(1, t[:, None]).squeeze(1)
        out.append((float(lp.sum()), float(lp.mean())))
    return out
for s in sets:
    rows = []
    for phrase, accepted, *_ in read_phrase_set(EVAL_DIR / PHRASE_SETS[s]):
        gold = {store.resolve(c) for c in accepted} - {None}
        if not gold: continue
        gk = {k for g in gold for e in [store.get_entity(g)] if e for k in ({keys_of(n)[1] for n in e.all_names()} - {""})}
        ranked = linker.interpret(phrase, top_k=8)
        if not ranked: rows.append(None); continue
        labels = [e.id in gold or _same_concept(e, gk) for e, _ in ranked]
        ls = lm_scores(phrase.lower(), [e.name for e, _ in ranked])
        rows.append((np.array([sc for _, sc in ranked]), np.array([a for a, _ in ls]), np.array([b for _, b in ls]), labels))
    pickle.dump(rows, open(f"llm_rows_{s}.pkl", "wb")) if s != "lay_test" else None
    n = len(rows)
    base = sum(r is not None and r[3][0] for r in rows) / n
    line = [s, n, "base", round(base, 3)]
    for which, k in (("sum", 1), ("mean", 2)):
        for a in (0.0, 0.9, 0.97, 0.99, 0.997, 0.999):
            ok = 0
            for r in rows:
                if r is None: continue
                z = (r[k] - r[k].max())  # <= 0
                ok += r[3][int(np.argmax(a * r[0] + (1 - a) * 0.1 * z))]
            line += [f"{which}{a}", round(ok / n, 3)]
    print(*line, flush=True)
