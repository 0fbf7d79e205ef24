"""Offline: verified synthetic commands (generation, the three checks), the benchmark metric, ToolRAG training and the example bank build. The runtime never imports it."""
