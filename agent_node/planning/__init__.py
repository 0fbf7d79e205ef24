"""The planning runtime: ToolRAG inference, the encoder, the example bank, prompts and stored states, the grammar and sampler, the LLM, the model registry, the planner and recorded plans."""
