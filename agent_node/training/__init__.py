"""The offline training pipeline (``agent-finetune``): verified training data, LoRA on
the CPU, the GGUF adapter. Never imported by the runtime; needs requirements-train.txt."""
