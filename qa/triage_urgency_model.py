"""A learned reader of urgency: the packaged sentence encoder (all-MiniLM-L6-v2) fine-tuned to read a whole
triage text as one of the four levels, with the red-flag rules as guard rails.

Why: the rule table (qa/triage_urgency.py) reads the wording it was written from. Sessions 5 to 9 showed that
each fresh set of vignettes in new voices scores 67-86% on the rules' first pass, and held-out urgency stayed
at 69-76% however many rules were added. A classifier fine-tuned on the same hand-written tuning vignettes
reads wording it has not seen far better (docs/triage.md, "The learned urgency reader": trained without
seen10, it reads seen10's urgency at 91.7% alone and 84.7% with the guard rails, against the rules' 69.4%).
On session 10's held-out set it did not help (76.4% with the guard rails, as the rules alone): probing it
showed that it read the writer's voice along with the symptoms (a greeting or second-language grammar turned a
self-care text urgent). Since session 11 it also trains on a restyled copy of every text
(qa/triage_urgency_augment.py); on session 11's held-out set it reads urgency at 83.3% with the guard rails
(the rules alone: 76.4%), and on session 12's at 84.7% (rules alone 70.8%). Since session 12 it runs a checked
int8 copy of its encoder (about 6 ms a text; the API keeps above 100 triage requests/s with two workers), and
`make run` / `make serve` train it in the background (10-15 minutes on 2 cores); `ModelPickup` lets a running
process start using it when it is ready. Until then triage uses the rules alone.

The rules stay as guard rails (`combine_levels`): the model's level decides, but a rules emergency is lowered
only when an emergency warning sign raised it and the model is sure it is neither an emergency (under 2%) nor
urgent (urgent-or-emergency under 10%); an urgent warning sign holds unless the model is sure (under 10%) that
it is neither urgent nor an emergency; an emergency warning sign is never self-care.

The model is trained from the tuning splits only (`kgqa triage-model train`; never the held-out split) and
kept under KGQA_HOME/models/, keyed by the training data, the recipe and the encoder, so a changed tuning set
trains a new one. Without a trained model triage runs on the rules alone.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from qa.triage_urgency import LEVELS, RedFlag
from qa.triage_urgency_augment import with_restyled_copies

log = logging.getLogger(__name__)

MODEL_FORMAT = 1
WEIGHTS_FILE = "model.pt"
INFO_FILE = "info.json"
ONNX_FILE = "encoder.onnx"       # the same encoder for ONNX Runtime: about twice as fast per text on a CPU
INT8_FILE = "encoder.int8.onnx"  # its int8 copy (dynamic quantization): about twice as fast again
PRECISIONS = ("int8", "fp32")
PARITY_TOLERANCE = 1e-4          # largest difference in any level's probability between the two backends
INT8_CHECK_FILE = "encoder.int8.json"   # how the int8 copy read the check texts next to the float encoder
# The int8 copy is used only if it reads at most this share of the check texts (every 4th tuning vignette and the
# probe texts) at another level than the float encoder. A per-text probability bound does not work: a text on
# the edge between two levels ("a rash on my arm that itches": 0.68 self-care) moves by 0.16 while none of
# the tuning vignettes changes level. Measured in session 12 on the full model (per-channel int8): 1 of 1,343
# tuning vignettes read at another level, probabilities 0.018 apart at the 95th percentile, 6.4 ms instead of
# 13.9 ms per vignette.
INT8_MAX_CHANGED = 0.01
CLEAR = 0.9        # a probe text the float encoder reads this clearly must keep its level on every load
PROBE_TEXTS = ("crushing chest pain and sweating", "a runny nose for two days", "my baby is floppy and blue",
               "a rash on my arm that itches")


class UrgencyModelError(RuntimeError):
    """The urgency model cannot be trained or loaded; the message says what to do."""


@dataclass(frozen=True)
class TrainingRecipe:
    """How the encoder is fine-tuned. Chosen by training without one tuning split and scoring it (seen10 and
    train2; docs/triage.md): the held-out split's accuracy peaked after two to three epochs."""
    epochs: int = 3
    batch_size: int = 16
    encoder_lr: float = 3e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    max_length: int = 160          # word pieces; the longest tuning vignette has about 150
    seed: int = 0
    restyled_copies: int = 1       # restyled copies of each text, same level (qa/triage_urgency_augment.py)


def _encoder_name() -> str:
    from retrieval.embeddings import DEFAULT_MODEL
    return DEFAULT_MODEL


def _load_encoder():
    """(tokenizer, transformer) of the packaged sentence encoder, on the CPU."""
    from retrieval.embeddings import _load
    st = _load(_encoder_name(), "cpu")
    return st.tokenizer, st[0].auto_model


def _mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


class UrgencyModel:
    """The fine-tuned encoder and its four-way head. Thread-safe for concurrent `probabilities` calls."""

    def __init__(self, tokenizer, encoder, head, info: dict):
        self.tokenizer = tokenizer
        self.encoder = encoder.eval()
        self.head = head.eval()
        self.info = info
        self.max_length = int(info.get("recipe", {}).get("max_length", TrainingRecipe.max_length))
        self._tokenizer_lock = threading.Lock()
        self._onnx = None            # an OnnxEncoder when `use_onnx` found one equal to the PyTorch encoder
        self.precision = "fp32"      # of the ONNX encoder in use ("int8" when its quantized copy passed the check)
        self._head_weights = (head.weight.detach().numpy().T.copy(), head.bias.detach().numpy().copy())

    @property
    def backend(self) -> str:
        return f"onnx-{self.precision}" if self._onnx is not None else "torch"

    def probabilities(self, text: str) -> dict[str, float]:
        if self._onnx is not None:
            return self._onnx_probabilities(text)
        return self._torch_probabilities(text)

    def _torch_probabilities(self, text: str) -> dict[str, float]:
        import torch
        with self._tokenizer_lock:
            batch = self.tokenizer([text], padding=True, truncation=True, max_length=self.max_length,
                                   return_tensors="pt")
        with torch.inference_mode():
            hidden = self.encoder(**batch).last_hidden_state
            p = torch.softmax(self.head(_mean_pool(hidden, batch["attention_mask"])), -1)[0].tolist()
        return dict(zip(LEVELS, p))

    def _onnx_probabilities(self, text: str) -> dict[str, float]:
        weight, bias = self._head_weights
        logits = self._onnx.encode([text])[0] @ weight + bias
        p = np.exp(logits - logits.max())
        return dict(zip(LEVELS, (p / p.sum()).tolist()))

    def use_onnx(self, folder: Path, precision: str = "int8", threads: int | None = None) -> bool:
        """Run the encoder in ONNX Runtime from `folder`'s ONNX file (exported there the first time) when the
        two backends agree on probe texts; otherwise stay on PyTorch (always right, slower). With precision
        "int8", its quantized copy (made and checked there the first time) is used when it reads the check texts
        at the float encoder's levels (at most INT8_MAX_CHANGED of them differ); otherwise the float ONNX encoder
        stays."""
        if precision not in PRECISIONS:
            raise UrgencyModelError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
        try:
            from retrieval.onnx_encoder import OnnxEncoder, export_onnx, open_session
            path = Path(folder) / ONNX_FILE
            if not path.is_file():
                export_onnx(self.encoder, self.tokenizer, path)
            self._onnx = OnnxEncoder(open_session(path, threads), self.tokenizer, self.max_length, normalize=False)
            self.precision = "fp32"
            gap = _largest_gap(self._onnx_probabilities, self._torch_probabilities)
        except Exception as exc:   # any failure keeps PyTorch
            log.warning("urgency model: ONNX Runtime unavailable, using PyTorch: %s", exc)
            self._onnx = None
            return False
        if gap > PARITY_TOLERANCE:
            log.warning("urgency model: ONNX differs from PyTorch by %.2g on probe texts; using PyTorch", gap)
            self._onnx = None
            return False
        if precision == "int8":
            self._use_int8(Path(folder), threads)
        return True

    def _use_int8(self, folder: Path, threads: int | None) -> None:
        from retrieval.onnx_encoder import OnnxEncoder, open_session, quantize_int8
        float_encoder = self._onnx
        try:
            path = folder / INT8_FILE
            check = _read_json(folder / INT8_CHECK_FILE)
            if not path.is_file() or check is None:
                quantize_int8(folder / ONNX_FILE, path)
                check = None            # a new copy is checked anew
            int8_encoder = OnnxEncoder(open_session(path, threads), self.tokenizer, self.max_length, normalize=False)
            texts = list(PROBE_TEXTS) + (_check_texts() if check is None else [])
            float_probs = [self._onnx_probabilities(t) for t in texts]
            self._onnx = int8_encoder
            int8_probs = [self._onnx_probabilities(t) for t in texts]
        except Exception as exc:   # any failure keeps the float encoder
            log.warning("urgency model: no int8 encoder, using the float one: %s", exc)
            self._onnx = float_encoder
            return
        top = [max(LEVELS, key=p.__getitem__) for p in float_probs]
        changed = [i for i, q in enumerate(int8_probs) if max(LEVELS, key=q.__getitem__) != top[i]]
        if check is None:
            check = {"texts": len(texts), "levels_changed": len(changed),
                     "largest_gap": round(max(max(abs(p[k] - q[k]) for k in LEVELS)
                                              for p, q in zip(float_probs, int8_probs)), 4)}
            _write_json(folder / INT8_CHECK_FILE, check)
        clear_probe_moved = any(i < len(PROBE_TEXTS) and float_probs[i][top[i]] >= CLEAR for i in changed)
        if check["levels_changed"] > INT8_MAX_CHANGED * check["texts"] or clear_probe_moved:
            log.warning("urgency model: the int8 encoder reads %d of %d check texts at another level than the "
                        "float one; using the float one", check["levels_changed"], check["texts"])
            self._onnx = float_encoder
            return
        self.precision = "int8"

    def level(self, text: str) -> tuple[str, float]:
        probs = self.probabilities(text)
        best = max(LEVELS, key=probs.__getitem__)
        return best, probs[best]

    # ---- persistence -------------------------------------------------------------------------------
    def save(self, folder: Path, precision: str | None = None) -> None:
        """Written to a temporary folder first and moved into place, so a crash leaves no half model. With a
        `precision`, the ONNX files for it are made there too, so a process that picks the model up loads it in
        a second or two."""
        import torch
        folder = Path(folder)
        tmp = folder.with_name(folder.name + f".{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        torch.save({"encoder": self.encoder.state_dict(), "head": self.head.state_dict()}, tmp / WEIGHTS_FILE)
        if precision:
            self.use_onnx(tmp, precision)
        (tmp / INFO_FILE).write_text(json.dumps(self.info, indent=2))
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)

    @classmethod
    def load(cls, folder: Path, onnx: bool = True, precision: str = "int8",
             threads: int | None = None) -> "UrgencyModel":
        import torch
        folder = Path(folder)
        if not (folder / WEIGHTS_FILE).is_file() or not (folder / INFO_FILE).is_file():
            raise UrgencyModelError(f"no urgency model in {folder}; train one with `kgqa triage-model train`")
        info = json.loads((folder / INFO_FILE).read_text())
        if info.get("format") != MODEL_FORMAT or info.get("encoder") != _encoder_name():
            raise UrgencyModelError(f"the urgency model in {folder} was made for another version; retrain it "
                                    "with `kgqa triage-model train`")
        tokenizer, encoder = _load_encoder()
        head = torch.nn.Linear(encoder.config.hidden_size, len(LEVELS))
        state = torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        encoder.load_state_dict(state["encoder"])
        head.load_state_dict(state["head"])
        model = cls(tokenizer, encoder, head, info)
        if onnx:
            model.use_onnx(folder, precision, threads)
        return model


def _check_texts() -> list[str]:
    """Every 4th tuning vignette: what the int8 copy must read like the float encoder."""
    return [text for text, _ in tuning_examples()[0][::4]]


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def _largest_gap(read_a, read_b) -> float:
    """The largest difference in any level's probability between two readers of the probe texts."""
    return max(abs(read_a(t)[k] - read_b(t)[k]) for t in PROBE_TEXTS for k in LEVELS)


# ---- where the model lives --------------------------------------------------------------------------------
def default_folder(home: Path) -> Path:
    return Path(home) / "models" / "urgency"


def tuning_examples() -> tuple[list[tuple[str, str]], list[str]]:
    """(text, level) of every hand-written tuning vignette, and the splits they come from. The held-out split
    ("test") is never read."""
    from qa.triage_eval import VIGNETTE_FILES, load_vignettes
    splits = [s for s in VIGNETTE_FILES if s != "test"]
    return [(v.text, v.urgency) for s in splits for v in load_vignettes(VIGNETTE_FILES[s])], splits


def is_current(folder: Path, recipe: TrainingRecipe = TrainingRecipe(),
               examples: Sequence[tuple[str, str]] | None = None) -> bool:
    """Whether `folder` holds a model trained on `examples` (default: the current tuning vignettes) with this
    recipe."""
    info = _read_json(Path(folder) / INFO_FILE)
    if info is None:
        return False
    if examples is None:
        examples = tuning_examples()[0]
    return (Path(folder) / WEIGHTS_FILE).is_file() and info.get("key") == training_key(examples, recipe)


def load_configured(setting: str, home: Path, precision: str = "int8",
                    threads: int | None = None) -> UrgencyModel | None:
    """The model the KGQA_URGENCY_MODEL setting names: "off" -> None; "auto" -> the default folder's model if
    it was trained on the current tuning vignettes (else None, with a warning saying how to train it); a
    folder -> that model (a SettingsError if there is none there). `precision`: KGQA_URGENCY_PRECISION;
    `threads`: ONNX Runtime threads (KGQA_EMBEDDING_THREADS; None: the CPUs, at most 4)."""
    from kgqa.settings import SettingsError
    if precision not in PRECISIONS:
        raise SettingsError(f"KGQA_URGENCY_PRECISION={precision!r}: use {' or '.join(PRECISIONS)}")
    if setting == "off":
        return None
    if setting != "auto":
        try:
            return UrgencyModel.load(Path(setting), precision=precision, threads=threads)
        except UrgencyModelError as exc:
            raise SettingsError(f"KGQA_URGENCY_MODEL={setting!r}: {exc} (or use auto / off)") from None
    folder = default_folder(home)
    if not (folder / WEIGHTS_FILE).is_file():
        log.info("no urgency model in %s: triage uses the red-flag rules alone "
                 "(`kgqa triage-model train` trains one)", folder)
        return None
    if not is_current(folder):
        log.warning("the urgency model in %s was trained on other vignettes: triage uses the red-flag rules "
                    "alone until `kgqa triage-model train` retrains it", folder)
        return None
    return UrgencyModel.load(folder, precision=precision, threads=threads)


def _stamp(folder: Path) -> float | None:
    try:
        return (Path(folder) / INFO_FILE).stat().st_mtime
    except OSError:
        return None


class ModelPickup:
    """Picks up a model trained while the process runs (`make run` trains one in the background the first time,
    10-15 minutes). `poll` is cheap and is called on every triage: at most every `interval` seconds it looks at
    the default folder's info file, and when that changed and the model there is current, loads it in a thread
    and hands it to `on_ready`. Until then triage answers with what it has (the rules alone, or the old model)."""

    def __init__(self, folder: Path, on_ready, precision: str = "int8", threads: int | None = None,
                 interval: float = 30.0, clock=time.monotonic):
        self.folder = Path(folder)
        self.on_ready = on_ready
        self.precision = precision
        self.threads = threads
        self.interval = interval
        self._clock = clock
        self._stamp = _stamp(self.folder)      # what is there now was judged by load_configured already
        self._checked = clock()
        self._lock = threading.Lock()
        self.loading: threading.Thread | None = None

    def poll(self) -> None:
        now = self._clock()
        if now - self._checked < self.interval:
            return
        with self._lock:
            if now - self._checked < self.interval or (self.loading and self.loading.is_alive()):
                return
            self._checked = now
            stamp = _stamp(self.folder)
            if stamp is None or stamp == self._stamp:
                return
            self._stamp = stamp
            if not is_current(self.folder):
                return
            self.loading = threading.Thread(target=self._load, name="urgency-model-pickup", daemon=True)
            self.loading.start()

    def _load(self) -> None:
        try:
            model = UrgencyModel.load(self.folder, precision=self.precision, threads=self.threads)
        except Exception as exc:   # a half-written or foreign folder: keep what triage has, try the next change
            log.warning("urgency model in %s not picked up: %s", self.folder, exc)
            return
        log.info("triage picked up the urgency model in %s (%s)", self.folder, model.backend)
        self.on_ready(model)


# ---- training ----------------------------------------------------------------------------------------
def training_key(examples: Sequence[tuple[str, str]], recipe: TrainingRecipe) -> str:
    """What the model depends on: the examples, the recipe and the encoder."""
    h = hashlib.sha1(f"{MODEL_FORMAT}|{_encoder_name()}|{json.dumps(asdict(recipe), sort_keys=True)}".encode())
    for text, level in examples:
        h.update(f"{level}\t{text}\n".encode())
    return h.hexdigest()[:16]


def train_urgency_model(examples: Sequence[tuple[str, str]], recipe: TrainingRecipe = TrainingRecipe(),
                        progress: bool = False, splits: Sequence[str] = ()) -> UrgencyModel:
    """Fine-tune the encoder with a linear head on (text, level) pairs; cross-entropy, AdamW, mean pooling."""
    import torch
    from tqdm import tqdm
    bad = sorted({lvl for _, lvl in examples if lvl not in LEVELS})
    if bad:
        raise UrgencyModelError(f"unknown urgency level(s) {bad}; expected one of {', '.join(LEVELS)}")
    if len({lvl for _, lvl in examples}) < 2:
        raise UrgencyModelError("training needs examples of at least two urgency levels")
    random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    tokenizer, encoder = _load_encoder()
    head = torch.nn.Linear(encoder.config.hidden_size, len(LEVELS))
    optimiser = torch.optim.AdamW([{"params": encoder.parameters(), "lr": recipe.encoder_lr},
                                   {"params": head.parameters(), "lr": recipe.head_lr}],
                                  weight_decay=recipe.weight_decay)
    data = [(text, LEVELS.index(level))
            for text, level in with_restyled_copies(examples, recipe.restyled_copies, recipe.seed)]
    steps = recipe.epochs * ((len(data) + recipe.batch_size - 1) // recipe.batch_size)
    t0 = time.perf_counter()
    encoder.train()
    with tqdm(total=steps, desc="training the urgency model", unit=" batches", disable=not progress) as bar:
        for epoch in range(recipe.epochs):
            random.shuffle(data)
            for lo in range(0, len(data), recipe.batch_size):
                chunk = data[lo:lo + recipe.batch_size]
                batch = tokenizer([t for t, _ in chunk], padding=True, truncation=True,
                                  max_length=recipe.max_length, return_tensors="pt")
                logits = head(_mean_pool(encoder(**batch).last_hidden_state, batch["attention_mask"]))
                loss = torch.nn.functional.cross_entropy(logits, torch.tensor([y for _, y in chunk]))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")
    counts = {lvl: sum(1 for _, y in examples if y == lvl) for lvl in LEVELS}
    info = {"format": MODEL_FORMAT, "encoder": _encoder_name(), "recipe": asdict(recipe),
            "key": training_key(examples, recipe), "examples": len(examples), "levels": counts,
            "splits": list(splits), "train_seconds": round(time.perf_counter() - t0, 1)}
    return UrgencyModel(tokenizer, encoder, head, info)


# ---- rules as guard rails -------------------------------------------------------------------------------
# How sure the model must be that a text is below a warning sign's level to overrule it. Chosen by training
# without seen10 and without train2 and scoring each (docs/triage.md): 0.02 to 0.2 gave the same levels on
# seen10; the lowest was kept. A rules emergency is lowered only when the model gives an emergency under 2%
# and urgent-or-emergency under 10% (since session 11: trained without seen11, the model read two infants in
# respiratory distress as "urgent" at over 99%, so its "urgent" never lowers a rules emergency; that costs
# 4 of seen10's 72, rules emergencies that its writer called urgent). An urgent warning sign holds unless the
# model gives urgent-or-emergency under 10%. Keeping an emergency sign at least "routine" cost 2 of seen10's 72
# and 1 of train2's 216; it is kept for safety. An emergency that no emergency warning sign raised (the likely
# conditions, or a recognised complaint) always holds (session 11): on the generated DDXPlus vignettes of seed 1
# the reader read anaphylaxis and epiglottitis, told as lists of symptoms, as self-care at 97-99%.
EMERGENCY_VETO = 0.02
URGENT_VETO = 0.10


def combine_levels(rule_level: str, probabilities: dict[str, float],
                   red_flags: Sequence[RedFlag]) -> tuple[str, str | None]:
    """The final level and, when it differs from the rules', why.

    The model's most likely level decides, except that the rules' warnings hold unless the model is sure:
    a rules emergency stays an emergency unless an emergency warning sign is what raised it (an emergency
    from the likely conditions or a recognised complaint always holds) and the model gives an emergency less
    than EMERGENCY_VETO and urgent-or-emergency less than URGENT_VETO (a model that reads "urgent" where the
    rules read an emergency disagrees only on how soon, and the sooner wins); a warning sign (a red flag that
    is not a recognised complaint) of urgent or higher keeps at least urgent unless the model gives
    urgent-or-emergency less than URGENT_VETO. Whatever the model says, an emergency warning sign is never answered with self-care."""
    model_level = max(LEVELS, key=probabilities.__getitem__)
    urgent_or_worse = probabilities["urgent"] + probabilities["emergency"]
    sign = max((f.level for f in red_flags if not f.complaint), key=LEVELS.index, default="self-care")
    if rule_level == "emergency" and (sign != "emergency" or probabilities["emergency"] >= EMERGENCY_VETO
                                      or urgent_or_worse >= URGENT_VETO):
        return rule_level, None
    level = model_level
    if (LEVELS.index(sign) >= LEVELS.index("urgent") and LEVELS.index(level) < LEVELS.index("urgent")
            and urgent_or_worse >= URGENT_VETO):
        level = "urgent"
    if sign == "emergency" and level == "self-care":
        level = "routine"           # an emergency warning sign is never sent home, however sure the model is
    if level == rule_level:
        return rule_level, None
    direction = "raises" if LEVELS.index(level) > LEVELS.index(rule_level) else "lowers"
    return level, (f"the learned reading of the whole text {direction} the rules' level {rule_level} to {level} "
                   f"({probabilities[model_level]:.0%} {model_level}; trained on the project's hand-written "
                   "vignettes, it overrules a warning sign only when it is sure)")
