"""The planner's language model: a GGUF file on llama.cpp, loaded once, checked first.

A registry name (see ``models/registry.yaml``) is checked by size and sha256
before llama.cpp ever reads it; any other path must at least be a GGUF file.
Completions are greedy (temperature 0) and may be constrained by a GBNF grammar.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from agent_node.model_files import ModelFileError, verify_file
from agent_node.planner_models import check_gguf, planner_spec, planner_specs


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int


def resolve_model(model: str | Path | None) -> Path:
    """A registry name or a GGUF path -> a checked path (ModelFileError if not usable)."""
    if model is None or str(model) in planner_specs():
        spec = planner_spec(str(model) if model else None)
        if not spec.path.exists():
            raise ModelFileError(f"{spec.path} is missing; run `make setup` to assemble it")
        verify_file(spec.path, spec.sha256, spec.bytes)
        return spec.path
    path = Path(model)
    if not path.is_file():
        raise ModelFileError(f"model file {path} does not exist (and '{model}' is not a registry name: "
                             f"{sorted(planner_specs())})")
    check_gguf(path)
    return path


class LLM:
    """llama.cpp with the settings the planner needs; reuses its KV cache across calls."""

    def __init__(self, model: str | Path | None = None, threads: int = 2, n_ctx: int = 4096, seed: int = 0):
        try:
            from llama_cpp import Llama, LlamaGrammar, LogitsProcessorList, StoppingCriteriaList
        except ImportError:
            raise ModelFileError("llama-cpp-python is not installed; run `make setup`") from None
        self.path = resolve_model(model)
        self._grammar_cls = LlamaGrammar
        self._processors_cls = LogitsProcessorList
        self._stopping_cls = StoppingCriteriaList
        self._grammar_cache: dict[str, object] = {}
        try:
            self.llama = Llama(model_path=str(self.path), n_ctx=n_ctx, n_threads=threads,
                               n_threads_batch=threads, n_batch=512, seed=seed, verbose=False)
        except (ValueError, RuntimeError) as e:
            raise ModelFileError(f"llama.cpp cannot load {self.path}: {e}") from None
        self.name = str(model) if model else self.path.stem

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _grammar(self, gbnf: str):
        if gbnf not in self._grammar_cache:
            if len(self._grammar_cache) > 64:
                self._grammar_cache.clear()
            self._grammar_cache[gbnf] = self._grammar_cls.from_string(gbnf, verbose=False)
        return self._grammar_cache[gbnf]

    def token_ids(self, text: str) -> list[int]:
        return list(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def complete(self, prompt: str, grammar: str | None = None, max_tokens: int = 400,
                 stop: list[str] | None = None, bias: dict[int, float] | None = None,
                 bias_after: str = "", should_stop: Callable[[], bool] | None = None) -> Completion:
        """Greedy completion. ``bias`` is added to those tokens' logits once the
        output contains ``bias_after`` (e.g. favour ending a plan after its first line).
        ``should_stop`` is asked after every token; True ends the completion there."""
        processors = None
        if bias:
            n_prompt = len(self.llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

            def add_bias(input_ids, scores):
                if bias_after in self.llama.detokenize(list(input_ids[n_prompt:])).decode("utf-8", "ignore"):
                    for token, b in bias.items():
                        scores[token] += b
                return scores
            processors = self._processors_cls([add_bias])
        out = self.llama.create_completion(
            prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.0,
            grammar=self._grammar(grammar) if grammar else None, stop=stop or [], logits_processor=processors,
            stopping_criteria=self._stopping_cls([lambda ids, logits: should_stop()]) if should_stop else None)
        usage = out.get("usage", {})
        return Completion(out["choices"][0]["text"], usage.get("prompt_tokens", 0),
                          usage.get("completion_tokens", 0))


def default_threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))
