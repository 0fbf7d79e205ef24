"""Every console script (``agent-run``, ``agent-eval``, ...) and every ``python -m agent_node.cli.*`` verb
(the model files the Makefile prepares, the example bank build)."""
