"""Sentence embeddings on onnxruntime: all-MiniLM-L6-v2 int8 (384-d, mean-pooled, L2-normalised)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from agent_node.files.model_files import ModelFile, ModelFileError, RegistryError, load_registry, onnx_session

DEFAULT_ENCODER = "minilm-l6-int8"


class EncoderSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    dim: int
    max_tokens: int = 128
    model: ModelFile
    tokenizer: ModelFile


def encoder_spec(name: str = DEFAULT_ENCODER) -> EncoderSpec:
    encoders = load_registry().get("encoders") or {}
    if name not in encoders:
        raise RegistryError("models/registry.yaml", [f"no encoder '{name}'; known: {sorted(encoders)}"])
    return EncoderSpec.model_validate(encoders[name])


class SentenceEncoder:
    """Loads once (files checked by sha256), then embeds batches of sentences."""

    def __init__(self, spec: EncoderSpec | None = None, threads: int = 1):
        from tokenizers import Tokenizer

        self.spec = spec or encoder_spec()
        model_path = self.spec.model.verified_path()
        tokenizer_path = self.spec.tokenizer.verified_path()
        try:
            self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as e:
            raise ModelFileError(f"cannot read tokenizer {tokenizer_path}: {e}") from None
        self.tokenizer.enable_truncation(max_length=self.spec.max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.session = onnx_session(model_path, threads, "encoder")
        self.dim = self.spec.dim

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """``[len(texts), dim]`` float32, each row of unit length."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = [t if isinstance(t, str) else str(t) for t in texts[start:start + batch_size]]
            encodings = self.tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = self.session.run(["last_hidden_state"], {
                "input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[start:start + len(batch)] = pooled / np.maximum(norms, 1e-12)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
