"""Experiment (issue 3, session 13): can the small packaged LLM (SmolLM2-135M-Instruct) pick the right concept
among `interpret`'s top 8?

    KGQA_HOME=<full-graph home> KGQA_SOURCES_DIR=../shared/data .venv/bin/python bench/experiments/llm_rerank.py \
        lay_seen11,lay_seen10

Each candidate is scored by the model's log-probability of its name after "A patient says: "<phrase>". What is the
medical term for this?" (sum and mean over the name's tokens), alone (b=0) and blended with `interpret`'s order (a
penalty of b per place); the scores of tuning sets are pickled to ./llm_rows_<set>.pkl for other blends.
Results: docs/linking.md, session 13.
"""
import pickle
import sys

import numpy as np
import torch

import common  # noqa: F401  (puts the repository on the path)
from kgqa.context import KGContext
from kgqa.settings import load_settings
from retrieval.evaluation import EVAL_DIR, PHRASE_SETS, accepted_answers, read_phrase_set
from qa.llm import smollm2_path
from transformers import AutoModelForCausalLM, AutoTokenizer
p = smollm2_path()
tok = AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name)
lm = AutoModelForCausalLM.from_pretrained(str(p.parent), gguf_file=p.name).eval()
torch.set_num_threads(2)
sets = sys.argv[1].split(",")
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
        gold, is_right = accepted_answers(store, accepted)
        if not gold:
            continue
        ranked = linker.interpret(phrase, top_k=8)
        if not ranked:
            rows.append(None)
            continue
        labels = [is_right(e) for e, _ in ranked]
        ls = lm_scores(phrase.lower(), [e.name for e, _ in ranked])
        rows.append((np.array([sc for _, sc in ranked]), np.array([a for a, _ in ls]), np.array([b for _, b in ls]), labels))
    if s != "lay_test":
        with open(f"llm_rows_{s}.pkl", "wb") as fh:
            pickle.dump(rows, fh)
    n = len(rows)
    base = sum(r is not None and r[3][0] for r in rows) / n
    line = [s, n, "base", round(base, 3)]
    # interpret's order is not the order of its scores, so the blend keeps its rank: a penalty of `b` per place
    # plus the LLM's log-probability relative to the best candidate's (b=100: the linker alone)
    for which, k in (("sum", 1), ("mean", 2)):
        for b in (0.0, 0.3, 1, 2, 3, 5, 100):
            ok = sum(r[3][int(np.argmax(-b * np.arange(len(r[k])) + r[k] - r[k].max()))] for r in rows if r is not None)
            line += [f"{which} b={b}", round(ok / n, 3)]
    print(*line, flush=True)
