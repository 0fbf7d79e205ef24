"""A tiny random Qwen2 model as a GGUF file, with the real planner's tokenizer: what the
fine-tuning smoke test trains on in seconds (transformers reads it, llama.cpp runs it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_tiny_qwen2(source: Path, path: Path, hidden: int = 64, layers: int = 2, heads: int = 4,
                     kv_heads: int = 2, ffn: int = 128, seed: int = 0) -> Path:
    """Write a ``layers``-block Qwen2 of random weights to ``path``, its tokenizer copied from ``source``."""
    import gguf

    reader = gguf.GGUFReader(str(source))
    field = reader.fields
    rng = np.random.default_rng(seed)
    vocab = len(field["tokenizer.ggml.tokens"].data)
    head_dim = hidden // heads
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_name("tiny test qwen2")
    writer.add_context_length(512)
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_freq_base(1e6)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(field["tokenizer.ggml.tokens"].contents())
    writer.add_token_types(field["tokenizer.ggml.token_type"].contents())
    writer.add_token_merges(field["tokenizer.ggml.merges"].contents())
    for key, add in (("eos", writer.add_eos_token_id), ("bos", writer.add_bos_token_id),
                     ("padding", writer.add_pad_token_id)):
        add(field[f"tokenizer.ggml.{key}_token_id"].contents())
    writer.add_add_bos_token(False)

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float16)

    writer.add_tensor("token_embd.weight", weight(vocab, hidden))
    writer.add_tensor("output_norm.weight", np.ones(hidden, dtype=np.float32))
    writer.add_tensor("output.weight", weight(vocab, hidden))
    for i in range(layers):
        blk = f"blk.{i}"
        writer.add_tensor(f"{blk}.attn_norm.weight", np.ones(hidden, dtype=np.float32))
        writer.add_tensor(f"{blk}.ffn_norm.weight", np.ones(hidden, dtype=np.float32))
        for name, rows in (("attn_q", hidden), ("attn_k", kv_heads * head_dim), ("attn_v", kv_heads * head_dim)):
            writer.add_tensor(f"{blk}.{name}.weight", weight(rows, hidden))
            writer.add_tensor(f"{blk}.{name}.bias", np.zeros(rows, dtype=np.float32))
        writer.add_tensor(f"{blk}.attn_output.weight", weight(hidden, hidden))
        writer.add_tensor(f"{blk}.ffn_gate.weight", weight(ffn, hidden))
        writer.add_tensor(f"{blk}.ffn_up.weight", weight(ffn, hidden))
        writer.add_tensor(f"{blk}.ffn_down.weight", weight(hidden, ffn))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
