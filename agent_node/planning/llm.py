"""The planner's language model: a GGUF file on llama.cpp, loaded once, checked first.

A registry name (see ``models/registry.yaml``) is checked by size and sha256
before llama.cpp ever reads it; any other path must at least be a GGUF file.
Completions are greedy (temperature 0) and may be constrained by a GBNF grammar.
A prompt's leading segments (the static part, a bank example) can have their KV
cells stored and restored instead of evaluated (:mod:`agent_node.planning.prompt_states`).
"""

from __future__ import annotations

import ctypes
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from agent_node.files.model_files import ModelFileError, sha256_of, verify_file
from agent_node.planning.grammar_sampler import GrammarSampler
from agent_node.planning.models import checked_gguf, gguf_metadata, planner_spec, planner_specs, resolve_adapter
from agent_node.planning.prompt_states import PromptStates


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    #: Of the completion's tokens, those the grammar forced (taken without the model's choice).
    forced_tokens: int = 0
    #: Passes of the model after the prompt's, each evaluating a chosen token and the text forced after it.
    passes: int = 0


def resolve_model(model: str | Path | None) -> Path:
    """A registry name or a GGUF path -> a checked path (ModelFileError if not usable)."""
    if model is None or str(model) in planner_specs():
        spec = planner_spec(str(model) if model else None)
        if not spec.path.exists():
            raise ModelFileError(f"{spec.path} is missing; run `make setup` to assemble it")
        verify_file(spec.path, spec.sha256, spec.bytes)
        return spec.path
    return checked_gguf(model, planner_specs(), "model")


def registered_sha256(model: str | Path | None) -> str | None:
    """The registered sha256 of a registry name (None: the default planner), or None for a path."""
    if model is None or str(model) in planner_specs():
        return planner_spec(str(model) if model else None).sha256
    return None


def model_key(model: str | Path | None, path: Path) -> str:
    """What names a model's KV cells: its registered sha256 (else its path, size and
    time), llama.cpp's version and the CPU features it was built for."""
    import llama_cpp

    identity = registered_sha256(model)
    if identity is None:
        st = path.stat()
        identity = f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    return f"{identity} llama-cpp-python {llama_cpp.__version__} {llama_cpp.llama_print_system_info().decode()}"


class LLM:
    """llama.cpp with the settings the planner needs; reuses its KV cache across calls
    and, given ``states_dir``, the stored KV cells of the prompt segments it is told of."""

    def __init__(self, model: str | Path | None = None, threads: int = 2, n_ctx: int = 4096, seed: int = 0,
                 states_dir: str | Path | None = None, adapter: str | Path | None = None):
        try:
            import llama_cpp
            from llama_cpp import Llama, LogitsProcessorList, StoppingCriteriaList
            from llama_cpp._internals import LlamaContext
        except ImportError:
            raise ModelFileError("llama-cpp-python is not installed; run `make setup`") from None
        self.path = resolve_model(model)
        #: The LoRA adapter applied to the model (``agent-finetune``), or None.
        self.adapter = resolve_adapter(adapter) if adapter else None
        if self.adapter is not None:
            self._check_adapter(model)
        self._lib = llama_cpp
        self._processors_cls = LogitsProcessorList
        self._stopping_cls = StoppingCriteriaList
        self._grammar_cache: dict[str, GrammarSampler] = {}
        try:
            self.llama = Llama(model_path=str(self.path), n_ctx=n_ctx, n_threads=threads,
                               n_threads_batch=threads, n_batch=512, seed=seed, verbose=False,
                               lora_path=str(self.adapter) if self.adapter else None)
            # Sequence 1 carries stored cells in and out; one KV buffer holds both sequences,
            # so that cells copied between them are shared, not moved.
            params = self.llama.context_params
            params.n_seq_max, params.kv_unified = 2, True
            self.llama._ctx.close()
            self.llama._ctx = LlamaContext(model=self.llama._model, params=params, verbose=False)
            if self.llama._lora_adapter is not None:  # the adapter was set on the context replaced
                adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(self.llama._lora_adapter)
                scales = (ctypes.c_float * 1)(self.llama.lora_scale)
                if llama_cpp.llama_set_adapters_lora(self.llama._ctx.ctx, adapters, 1, scales):
                    raise RuntimeError("the adapter cannot be set on the context")
        except (ValueError, RuntimeError) as e:
            what = f"{self.path} with the adapter {self.adapter}" if self.adapter else str(self.path)
            raise ModelFileError(f"llama.cpp cannot load {what}: {e}") from None
        self.name = str(model) if model else self.path.stem
        key = model_key(model, self.path) + (f" adapter {sha256_of(self.adapter)}" if self.adapter else "")
        self.states = PromptStates(states_dir, key) if states_dir else None
        self._char_tokens = self._one_character_tokens()

    def _check_adapter(self, model: str | Path | None) -> None:
        """ModelFileError unless the adapter is a LoRA adapter for this model's architecture
        and, when it says so (``agent-finetune`` writes the base's sha256), for this very
        model: llama.cpp would load a damaged or foreign adapter without a word."""
        meta = gguf_metadata(self.adapter)
        if meta.get("general.type") != "adapter" or meta.get("adapter.type") != "lora":
            raise ModelFileError(f"{self.adapter} is not a LoRA adapter (general.type {meta.get('general.type')!r}, "
                                 f"adapter.type {meta.get('adapter.type')!r})")
        arch = gguf_metadata(self.path, max_keys=8).get("general.architecture")
        if meta.get("general.architecture") != arch:
            raise ModelFileError(f"the adapter {self.adapter} is for {meta.get('general.architecture')!r} models, "
                                 f"not {arch!r} like {self.path.name}")
        trained_on = meta.get("agent_node.base_sha256")
        if not isinstance(trained_on, str):
            return
        this = registered_sha256(model) or sha256_of(self.path)
        if trained_on != this:
            raise ModelFileError(f"the adapter {self.adapter} was trained on another model (sha256 {trained_on[:12]}...) "
                                 f"than {self.path.name} (sha256 {this[:12]}...)")

    def _one_character_tokens(self) -> dict[int, str]:
        """The tokens that are one character (printable ASCII, tab, newline and a few
        others, so that a grammar allowing any character never looks forced), and the
        end-of-generation token as "": the probes of GrammarSampler.forced."""
        chars = [chr(c) for c in range(32, 127)] + ["\n", "\t", "é", "ß", "ж", "中", "…"]
        found = {}
        for char in chars:
            ids = self.llama.tokenize(char.encode("utf-8"), add_bos=False, special=False)
            if len(ids) == 1 and self.llama.detokenize(ids).decode("utf-8", "ignore") == char:
                found[ids[0]] = char
        found[self._lib.llama_vocab_eos(self.llama._model.vocab)] = ""
        return found

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _grammar(self, gbnf: str) -> GrammarSampler:
        if gbnf not in self._grammar_cache:
            if len(self._grammar_cache) > 64:
                for sampler in self._grammar_cache.values():
                    sampler.close()
                self._grammar_cache.clear()
            self._grammar_cache[gbnf] = GrammarSampler(self._lib, self.llama._model.vocab, gbnf, self.llama.n_vocab(),
                                                      char_tokens=self._char_tokens)
        sampler = self._grammar_cache[gbnf]
        sampler.reset()
        return sampler

    def token_ids(self, text: str) -> list[int]:
        return list(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _segment_ends(self, prompt: str, tokens: list[int], segments: Sequence[int]) -> list[int]:
        """Where the prompt's segments end (character offsets) in its tokens: the tokens
        of ``prompt[:end]`` that the whole prompt shares (a token may join across it)."""
        ends = []
        for end in sorted(segments):
            head = self.llama.tokenize(prompt[:end].encode("utf-8"), add_bos=False, special=True)
            ends.append(_common_length(head, tokens))
        return ends

    def _evaluate(self, tokens: list[int], ends: Sequence[int], logits: bool = True) -> int:
        """Bring the KV cache to ``tokens`` (with the last one's logits unless ``logits``
        is False), reusing what it holds. Each of ``ends`` (ascending token counts) ends
        a segment that is restored from the stored states when they hold it, else
        evaluated alone, from its start, and stored: its cells are the same either way,
        whatever came before it. Returns how many segments were evaluated."""
        llama = self.llama
        held = _common_length(llama.input_ids[:llama.n_tokens], tokens)
        start = evaluated = 0
        for end in ends:
            if end <= start or end > len(tokens) or (logits and end == len(tokens)):
                continue
            if held < end:
                llama.n_tokens = start
                if not self._restore(tokens[:end], start):
                    llama.eval(tokens[start:end])
                    evaluated += 1
                    if self.states is not None:
                        self.states.save(tokens[:end], start, self._cells(start))
                held = end
            start = end
        if not logits and held == len(tokens):
            llama.n_tokens = held
            return evaluated
        llama.n_tokens = min(held, len(tokens) - 1)  # at least one token to evaluate: its logits come next
        llama.eval(tokens[llama.n_tokens:])
        return evaluated

    def _cells(self, start: int) -> bytes:
        """The KV cells of sequence 0 from position ``start`` on, as llama.cpp saves a sequence."""
        ctx = self.llama._ctx
        ctx.kv_cache_seq_cp(0, 1, start, -1)
        try:
            size = self._lib.llama_state_seq_get_size(ctx.ctx, 1)
            buf = (ctypes.c_uint8 * size)()
            return bytes(buf[:self._lib.llama_state_seq_get_data(ctx.ctx, buf, size, 1)])
        finally:
            ctx.kv_cache_seq_rm(1, -1, -1)

    def _restore(self, tokens: list[int], start: int) -> bool:
        """Put the stored cells of ``tokens[start:]`` after the cache's first ``start``
        tokens; False when they are not stored or llama.cpp refuses them."""
        cells = self.states.load(tokens, start) if self.states is not None else None
        if cells is None:
            return False
        llama, ctx = self.llama, self.llama._ctx
        ctx.kv_cache_seq_rm(-1, start, -1)
        buf = (ctypes.c_uint8 * len(cells)).from_buffer_copy(cells)
        ok = self._lib.llama_state_seq_set_data(ctx.ctx, buf, len(cells), 1) == len(cells)
        if ok:
            ctx.kv_cache_seq_cp(1, 0, -1, -1)
        ctx.kv_cache_seq_rm(1, -1, -1)
        if ok and self._lib.llama_memory_seq_pos_max(ctx.memory, 0) == len(tokens) - 1:
            llama.input_ids[start:len(tokens)] = tokens[start:]
            llama.n_tokens = len(tokens)
            return True
        ctx.kv_cache_seq_rm(-1, start, -1)
        return False

    def prefill(self, text: str, segments: Sequence[int] = ()) -> int:
        """Bring the KV cache to ``text`` now, so that a later prompt starting with it
        is quick: ``text`` ends a segment and ``segments`` (character offsets) end
        others before it (see :meth:`_evaluate`). Returns how many were evaluated, not restored."""
        tokens = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return self._evaluate(tokens, [*self._segment_ends(text, tokens, segments), len(tokens)], logits=False)

    def complete(self, prompt: str, grammar: str | None = None, max_tokens: int = 400,
                 stop: list[str] | None = None, bias: dict[int, float] | None = None,
                 bias_at: str = "", should_stop: Callable[[], bool] | None = None,
                 prefix: str = "", segments: Sequence[int] = ()) -> Completion:
        """Greedy completion. ``bias`` is added to those tokens' logits where the
        output so far ends with a match of the regular expression ``bias_at`` (e.g. at
        the start of a plan's later calls; "" is everywhere).
        ``should_stop`` is asked after every token; True ends the completion there.
        With a ``grammar``, ``stop`` is not used: the grammar says where the text ends.
        ``prefix`` is the start of the answer, written for the model (the grammar must
        allow it); the completion's text includes it. ``segments`` are character offsets
        of the prompt that end a segment whose KV cells are stored and restored (see
        :meth:`_evaluate`; with a grammar only)."""
        if grammar:
            return self._complete_in_grammar(prompt, self._grammar(grammar), max_tokens, bias or {},
                                             re.compile(f"(?:{bias_at})$"), should_stop or (lambda: False), prefix,
                                             segments)
        if prefix:
            out = self.complete(prompt + prefix, None, max_tokens, stop, bias, bias_at, should_stop)
            return Completion(prefix + out.text, out.prompt_tokens, out.completion_tokens)
        processors = None
        if bias:
            n_prompt = len(self.llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))
            where = re.compile(f"(?:{bias_at})$")

            def add_bias(input_ids, scores):
                if where.search(self.llama.detokenize(list(input_ids[n_prompt:])).decode("utf-8", "ignore")):
                    for token, b in bias.items():
                        scores[token] += b
                return scores
            processors = self._processors_cls([add_bias])
        out = self.llama.create_completion(
            prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.0,
            stop=stop or [], logits_processor=processors,
            stopping_criteria=self._stopping_cls([lambda ids, logits: should_stop()]) if should_stop else None)
        usage = out.get("usage", {})
        return Completion(out["choices"][0]["text"], usage.get("prompt_tokens", 0),
                          usage.get("completion_tokens", 0))

    def _take_forced(self, sampler: GrammarSampler, most: int) -> tuple[list[int], bool]:
        """The tokens of the text the grammar forces next (at most ``most``), accepted by
        ``sampler``, and whether the grammar must end after them. The text's last token
        is left to the model, which may join its end to what follows (``="`` and ``$``
        as ``="$``), unless the text ends the answer; so are tokens the grammar refuses."""
        text, ends = sampler.forced()
        tokens = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        taken: list[int] = []
        for token in (tokens if ends else tokens[:-1])[:most]:
            if not sampler.allows(token):
                break
            sampler.accept(token)
            taken.append(token)
        return taken, ends and len(taken) == len(tokens)

    def _complete_in_grammar(self, prompt: str, sampler: GrammarSampler, max_tokens: int, bias: dict[int, float],
                             bias_at: re.Pattern, should_stop: Callable[[], bool], prefix: str = "",
                             segments: Sequence[int] = ()) -> Completion:
        """Greedy decoding checked by the grammar (see :mod:`agent_node.planning.grammar_sampler`),
        reusing the KV cache of the prompt's longest prefix already evaluated (the static
        part) and the stored cells of its ``segments``. The model chooses one token at a
        time; text the grammar forces is taken without asking it and evaluated in the
        same batch as the token before it. Once the grammar can only end (after
        ``join()``), the answer is complete: the last tokens are not evaluated and the
        model is not asked for its end."""
        llama = self.llama
        tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        started = llama.tokenize(prefix.encode("utf-8"), add_bos=False, special=False) if prefix else []
        for token in started:
            if not sampler.allows(token):
                raise ValueError(f"the grammar does not allow the answer to start with {prefix!r}")
            sampler.accept(token)
        out, ends = self._take_forced(sampler, max_tokens)
        n_forced, passes = len(out), 0
        text = prefix.encode("utf-8") + llama.detokenize(out)
        n_prompt = len(tokens)
        if ends:  # the grammar allows one text only
            return Completion(text.decode("utf-8", "ignore"), n_prompt, len(out), n_forced)
        tokens += started + out
        if n_prompt + len(started) + max_tokens > llama.n_ctx():
            raise ValueError(f"the prompt ({n_prompt + len(started)} tokens) leaves no room to write in a context of "
                             f"{llama.n_ctx()} tokens")
        self._evaluate(tokens, self._segment_ends(prompt, tokens, segments))
        vocab, n_vocab = llama._model.vocab, llama.n_vocab()
        while len(out) < max_tokens:
            logits = np.ctypeslib.as_array(self._lib.llama_get_logits_ith(llama._ctx.ctx, -1), shape=(n_vocab,))
            if bias and bias_at.search(text.decode("utf-8", "ignore")):
                logits = logits.copy()
                for token, b in bias.items():
                    logits[token] += b
            token = sampler.choose(logits)
            if self._lib.llama_vocab_is_eog(vocab, token):
                break
            sampler.accept(token)
            out.append(token)
            text += llama.detokenize([token])
            if should_stop():
                break
            more, ends = self._take_forced(sampler, max_tokens - len(out))
            out += more
            n_forced += len(more)
            text += llama.detokenize(more)
            if ends:
                break
            llama.eval([token, *more])
            passes += 1
        return Completion(text.decode("utf-8", "ignore"), n_prompt, len(out), n_forced, passes)


def _common_length(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def default_threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))
