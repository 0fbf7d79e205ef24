"""Write trained LoRA matrices as a GGUF LoRA adapter that llama.cpp loads
(llama-cpp-python's ``lora_path``), with the ``gguf`` package.

llama.cpp names a block's weights ``blk.N.attn_q.weight`` and the adapter's
matrices ``<weight>.lora_a`` (rank x in) and ``<weight>.lora_b`` (out x rank);
its metadata says ``general.type = adapter``, ``adapter.type = lora`` and
``adapter.lora.alpha``. The base model's architecture must match; ours also
carry the sha256 of the base they were trained on (``agent_node.base_sha256``),
which the planner checks before it runs the adapter on a model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import numpy as np

#: Hugging Face module names of a Qwen2/Llama block -> llama.cpp's tensor names.
GGUF_NAMES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_PEFT_KEY = re.compile(r"(?:.*\.)?layers\.(\d+)\.(self_attn\.[a-z_]+|mlp\.[a-z_]+)\.lora_([AB])(?:\.default)?\.weight$")


def gguf_tensor_name(peft_key: str) -> str:
    """``...layers.3.self_attn.q_proj.lora_A.weight`` -> ``blk.3.attn_q.weight.lora_a``."""
    m = _PEFT_KEY.fullmatch(peft_key)
    if m is None or m.group(2) not in GGUF_NAMES:
        raise ValueError(f"not a LoRA matrix of a known block layer: {peft_key}")
    return f"blk.{m.group(1)}.{GGUF_NAMES[m.group(2)]}.weight.lora_{m.group(3).lower()}"


#: The metadata key of the base model's sha256.
BASE_SHA256_KEY = "agent_node.base_sha256"


def write_adapter(tensors: Mapping[str, np.ndarray], alpha: float, path: str | Path, base_sha256: str = "",
                  architecture: str = "qwen2", name: str = "agent_node planner adapter") -> Path:
    """Write ``tensors`` (peft names -> arrays) as an f16 GGUF LoRA adapter at ``path``,
    for the base model whose file has ``base_sha256``."""
    import gguf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_string("general.type", "adapter")
    writer.add_string("general.name", name)
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(alpha))
    if base_sha256:
        writer.add_string(BASE_SHA256_KEY, base_sha256)
    for key in sorted(tensors, key=_order):
        writer.add_tensor(gguf_tensor_name(key), np.ascontiguousarray(tensors[key], dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _order(key: str) -> tuple[int, str]:
    m = _PEFT_KEY.fullmatch(key)
    return (int(m.group(1)), key) if m else (-1, key)


def read_adapter(path: str | Path) -> tuple[dict[str, np.ndarray], float]:
    """The matrices of a GGUF LoRA adapter by their llama.cpp names (float32), and its alpha."""
    import gguf

    try:
        reader = gguf.GGUFReader(str(path))
        alpha = float(reader.fields["adapter.lora.alpha"].contents())
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"{path} is not a GGUF LoRA adapter: {e}") from None
    return {t.name: np.array(t.data, dtype=np.float32) for t in reader.tensors}, alpha
