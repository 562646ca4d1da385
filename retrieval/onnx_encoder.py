"""The sentence encoder run by ONNX Runtime instead of PyTorch: same vectors, about twice as fast on a CPU.

Linking embeds a handful of short question n-grams per request; at that size PyTorch's per-operator
overhead dominates, and ONNX Runtime's fused graph needs about half the time (measured in
bench/results/linking.md). The ONNX file is exported once from the loaded sentence-transformers model (no
download: the weights are the packaged ones) into the cache folder, keyed by model and library versions.

Only plain "transformer -> mean pooling -> (normalise)" models are converted (all-MiniLM-L6-v2 is one);
anything else stays on PyTorch. `load_onnx_encoder` checks the two backends agree on probe texts before
the ONNX one is used, and returns None (PyTorch stays) if anything is missing or different.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

PARITY_TOLERANCE = 1e-4      # max absolute difference per vector component between the two backends
PROBE_TEXTS = ("chest pain", "my heart is racing", "shortness of breath when lying down", "metformin",
               "blood in the urine", "a")
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEncoder:
    """Encodes texts with an ONNX Runtime session; thread-safe (sessions allow concurrent runs)."""

    def __init__(self, session, tokenizer, max_length: int, normalize: bool):
        self.session = session
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.normalize = normalize
        self._inputs = [i.name for i in session.get_inputs()]
        # Hugging Face fast tokenizers are not safe to call from several threads at once
        self._tokenizer_lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        out = []
        for lo in range(0, len(texts), batch_size):
            out.append(self._encode_batch(list(texts[lo:lo + batch_size])))
        return np.concatenate(out) if out else np.zeros((0, 0), np.float32)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        with self._tokenizer_lock:
            batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,
                                   return_tensors="np")
        feed = {name: np.asarray(batch[name], dtype=np.int64) for name in self._inputs if name in batch}
        if "token_type_ids" in self._inputs and "token_type_ids" not in feed:
            feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        hidden = self.session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        vecs = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        if self.normalize:
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs.astype(np.float32, copy=False)


def _pipeline_parts(model):
    """(transformer module, normalise?) for a transformer -> mean pooling [-> normalise] model, else None."""
    modules = list(model)
    if len(modules) not in (2, 3):
        return None
    transformer, pooling = modules[0], modules[1]
    if not hasattr(transformer, "auto_model") or type(pooling).__name__ != "Pooling":
        return None
    if not _mean_pooling(pooling):
        return None
    normalize = len(modules) == 3 and type(modules[2]).__name__ == "Normalize"
    if len(modules) == 3 and not normalize:
        return None
    return transformer, normalize


def _mean_pooling(pooling) -> bool:
    """Whether a Pooling module averages token vectors and nothing else (old and new attribute names)."""
    mode = getattr(pooling, "pooling_mode", None)
    if isinstance(mode, str):
        return mode == "mean"
    return bool(getattr(pooling, "pooling_mode_mean_tokens", False)) and not any(
        getattr(pooling, f, False) for f in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                              "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                                              "pooling_mode_lasttoken"))


def _file_key(model_name: str) -> str:
    import torch
    import transformers
    raw = f"{model_name}|{torch.__version__}|{transformers.__version__}|v1"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def export_onnx(auto_model, tokenizer, path: Path) -> None:
    """Write the transformer (token ids in, last hidden state out) to an ONNX file, atomically."""
    import torch

    class _HiddenStates(torch.nn.Module):
        """Keyword arguments in, last hidden state out: the exporter needs positional tensors."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = tokenizer(list(PROBE_TEXTS[:2]), padding=True, return_tensors="pt")
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, "hidden")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        # the wrapper in eval mode too: the exporter puts every module back in its wrapper's mode afterwards, and a
        # wrapper left in training mode would switch the model's dropout on
        torch.onnx.export(_HiddenStates(auto_model).eval(), tuple(sample[n] for n in INPUT_NAMES), str(tmp),
                          input_names=list(INPUT_NAMES), output_names=["hidden"], dynamic_axes=dynamic,
                          opset_version=17, dynamo=False)
    os.replace(tmp, path)


def quantize_int8(source: Path, path: Path) -> None:
    """Write an int8 copy of the ONNX model `source` to `path`, atomically: dynamic quantization (weights
    stored as int8 with a scale per output channel, activations quantized per call), about twice as fast on a
    CPU and a little less exact, so callers check it against the float model before they use it. (One scale
    per tensor moved the urgency reader's probabilities by up to 0.41 on a probe text; per channel, 0.04.)"""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)    # the quantizer advises "pre-processing" on the root logger at every call
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    os.replace(tmp, path)


def open_session(path: Path, threads: int | None = None):
    """An ONNX Runtime CPU session on `path`, fully optimised, with `threads` intra-op threads (default: the
    CPUs, at most 4)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_onnx_encoder(model, model_name: str, cache_dir: Path | None, threads: int | None = None):
    """An OnnxEncoder equivalent to the sentence-transformers `model`, or None when it cannot be had
    (onnxruntime or onnx missing, an unsupported pipeline, a failed export, vectors that differ)."""
    parts = _pipeline_parts(model)
    if parts is None or cache_dir is None:
        return None
    try:
        import onnxruntime  # noqa: F401  (only whether it is installed; open_session uses it)
    except ImportError:
        return None
    transformer, normalize = parts
    tokenizer = model.tokenizer
    path = Path(cache_dir) / "onnx" / f"encoder-{_file_key(model_name)}.onnx"
    try:
        if not path.exists():
            log.info("exporting the embedding model to ONNX (%s), once", path)
            export_onnx(transformer.auto_model, tokenizer, path)
        session = open_session(path, threads)
        encoder = OnnxEncoder(session, tokenizer, int(getattr(model, "max_seq_length", 256) or 256), normalize)
        reference = np.asarray(model.encode(list(PROBE_TEXTS), normalize_embeddings=normalize, show_progress_bar=False,
                                            convert_to_numpy=True), dtype=np.float32)
        gap = float(np.abs(encoder.encode(list(PROBE_TEXTS)) - reference).max())
    except Exception as exc:   # any failure keeps the PyTorch backend, which is always correct
        log.warning("ONNX encoder unavailable, using PyTorch: %s", exc)
        return None
    if gap > PARITY_TOLERANCE:
        log.warning("ONNX encoder differs from PyTorch by %.2g on probe texts; using PyTorch", gap)
        return None
    return encoder
