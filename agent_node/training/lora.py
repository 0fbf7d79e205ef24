"""LoRA fine-tuning of a GGUF planner on the CPU (torch, transformers, peft).

The base model is read from our GGUF file by ``transformers`` (``gguf_file=``,
dequantized to float32), LoRA matrices are added to every linear layer of the
transformer blocks, and only they are trained, under bf16 autocast, with AdamW,
a linear warm-up and a linear decay. Loss is on the plan's tokens only (and the
end of the turn). Checkpoints are written every ``checkpoint_every`` steps and a
run resumes from the last one. Deterministic for a seed and a thread count.

Nothing here is needed at run time: the planner loads the GGUF adapter that
:mod:`agent_node.training.gguf_lora` writes from the result.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

#: The linear layers of a Qwen2/Llama block that get LoRA matrices.
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
IGNORE = -100


@dataclass
class TrainConfig:
    rank: int = 16
    alpha: float = 32.0
    lr: float = 2e-4
    batch: int = 8
    epochs: float = 1.0
    warmup: int = 20
    max_len: int = 192
    seed: int = 0
    threads: int = 2
    bf16: bool = True
    checkpoint_every: int = 25
    #: At most this many steps (0: as many as ``epochs`` give).
    max_steps: int = 0
    #: Train no longer than this (0: no limit): from the third step on, and again every
    #: ``checkpoint_every`` steps, the step count is set to what fits at the pace of the
    #: steps since the last look (never more than the epochs' steps), and the learning
    #: rate decays over the steps that remain. A slow start (the first step, another job
    #: on the cores) so costs steps only until the pace is measured again.
    max_minutes: float = 0.0
    #: Start from this GGUF adapter's matrices (same rank and alpha) instead of new ones:
    #: an adapter trained on more data, continued on new data ("" : start anew).
    init_adapter: str = ""


@dataclass
class TrainLog:
    """What a run did: the loss of every step, and its seconds."""

    config: dict = field(default_factory=dict)
    examples: int = 0
    steps: int = 0
    losses: list[float] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0


def _torch():
    try:
        import peft  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as e:
        raise SystemExit(f"fine-tuning needs torch, transformers and peft ({e.name} is missing): "
                         "pip install -r requirements-train.txt") from None
    return torch


def load_base(gguf: Path):
    """The tokenizer and the float32 model that ``transformers`` reads from a GGUF file."""
    _torch()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()
    gguf = Path(gguf).resolve()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    return tokenizer, model


def encode(tokenizer, prompt: str, completion: str, max_len: int) -> tuple[list[int], list[int]] | None:
    """Token ids of prompt + completion and their labels (the prompt's masked);
    None when they do not fit ``max_len``."""
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    c = tokenizer(completion, add_special_tokens=False)["input_ids"]
    if len(p) + len(c) > max_len:
        return None
    return p + c, [IGNORE] * len(p) + c


def _batches(n: int, batch: int, lengths: Sequence[int], rng: random.Random) -> list[list[int]]:
    """Batches of example indices for one epoch: shuffled, then grouped with neighbours of
    like length (less padding), and the batches shuffled."""
    order = list(range(n))
    rng.shuffle(order)
    groups = [sorted(order[i:i + batch * 16], key=lambda k: lengths[k]) for i in range(0, n, batch * 16)]
    out = [g[i:i + batch] for g in groups for i in range(0, len(g), batch)]
    rng.shuffle(out)
    return out


def _collate(torch, rows: list[tuple[list[int], list[int]]], pad: int):
    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (x, y) in enumerate(rows):
        ids[i, :len(x)] = torch.tensor(x)
        labels[i, :len(y)] = torch.tensor(y)
        mask[i, :len(x)] = 1
    return ids, labels, mask


def _plan_loss(torch, model, ids, mask, labels):
    """Cross-entropy of the labelled (plan) tokens. The vocabulary projection (151936 wide
    for Qwen2) is applied only where a label is predicted, not at every prompt position:
    most of the tokens are prompt, and the full logits dominated a step's time and memory."""
    causal_lm = model.get_base_model()
    hidden = causal_lm.model(input_ids=ids, attention_mask=mask).last_hidden_state
    targets = labels[:, 1:]
    where = targets != IGNORE
    logits = causal_lm.lm_head(hidden[:, :-1][where])
    return torch.nn.functional.cross_entropy(logits.float(), targets[where])


def _save_checkpoint(torch, path: Path, model, optimizer, scheduler, step: int, log: TrainLog) -> None:
    from peft import get_peft_model_state_dict

    tmp = path.with_suffix(".tmp")
    torch.save({"adapter": get_peft_model_state_dict(model), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "step": step, "log": asdict(log)}, tmp)
    tmp.replace(path)


def train(gguf: Path, examples: Sequence[tuple[str, str]], out_dir: Path, config: TrainConfig,
          progress: Callable[[int, int, float, float], None] | None = None):
    """Train LoRA matrices on ``examples`` (prompt, completion) and return the peft
    model and the log; checkpoints go to ``out_dir/checkpoint.pt`` (resumed from when
    there, with the same data and config)."""
    torch = _torch()
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    tokenizer, model = load_base(gguf)
    encoded = [e for e in (encode(tokenizer, p, c, config.max_len) for p, c in examples) if e is not None]
    if not encoded:
        raise ValueError("no training example fits max_len")
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=0.0,
                      target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    if config.init_adapter:
        set_peft_model_state_dict(model, adapter_state(torch, model, config))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    per_epoch = math.ceil(len(encoded) / config.batch)
    total = max(1, math.ceil(per_epoch * config.epochs))
    if config.max_steps:
        total = min(total, config.max_steps)
    planned = total  # the steps of the epochs; a time limit sets ``total`` at or below it
    warmup = min(config.warmup, max(1, total // 10))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    log = TrainLog(config=asdict(config), examples=len(encoded), steps=total)
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = out_dir / "checkpoint.pt"
    step = 0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        if state["log"]["config"] == log.config and state["log"]["examples"] == log.examples:
            set_peft_model_state_dict(model, state["adapter"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            step = state["step"]
            log = TrainLog(**state["log"])
            total = min(total, log.steps)  # a time limit cut it
            print(f"resumed from {ckpt} at step {step}/{total}", file=sys.stderr)
        else:
            print(f"{ckpt} is of another run (config or data differ): starting anew", file=sys.stderr)
    # The batch order of every epoch is drawn up front, so a resumed run sees the same batches.
    lengths = [len(ids) for ids, _ in encoded]
    order: list[list[int]] = []
    while len(order) < planned:
        order += _batches(len(encoded), config.batch, lengths, rng)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    started = time.perf_counter() - log.seconds
    paced: tuple[int, float] | None = None  # (step, seconds) where the pace is next measured from
    while step < total:
        ids, labels, mask = _collate(torch, [encoded[k] for k in order[step]], pad)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
            loss = _plan_loss(torch, model, ids, mask, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        log.losses.append(round(float(loss), 5))
        log.tokens += int(mask.sum())
        log.seconds = time.perf_counter() - started
        if config.max_minutes and paced is None:
            paced = (step, log.seconds)  # the first step of a run (model warm-up) is left out of the pace
        elif config.max_minutes and step < planned and (step == paced[0] + 2 or step % config.checkpoint_every == 0):
            fits = steps_that_fit(step, log.seconds, paced, planned, config.max_minutes)
            paced = (step, log.seconds)
            if fits != total:
                total = log.steps = fits
                print(f"{config.max_minutes:g} min fit {total} steps of {planned}", file=sys.stderr)
        if progress:
            progress(step, total, float(loss), log.seconds)
        if step % config.checkpoint_every == 0 or step == total:
            _save_checkpoint(torch, ckpt, model, optimizer, scheduler, step, log)
    (out_dir / "train_log.json").write_text(json.dumps(asdict(log)), encoding="utf-8")
    return model, log


def adapter_state(torch, model, config: TrainConfig) -> dict:
    """The peft state of ``config.init_adapter`` for ``model``'s LoRA matrices; a clear
    error when it is not an adapter of this model, rank and alpha."""
    from peft import get_peft_model_state_dict

    from agent_node.training.gguf_lora import gguf_tensor_name, read_adapter

    tensors, alpha = read_adapter(config.init_adapter)
    if alpha != config.alpha:
        raise ValueError(f"{config.init_adapter} has alpha {alpha:g}, not {config.alpha:g}")
    state = {}
    for key, current in get_peft_model_state_dict(model).items():
        found = tensors.get(gguf_tensor_name(key))
        if found is None or tuple(found.shape) != tuple(current.shape):
            raise ValueError(f"{config.init_adapter} does not fit this model at rank {config.rank}: "
                             f"{gguf_tensor_name(key)} is {None if found is None else tuple(found.shape)}, "
                             f"not {tuple(current.shape)}")
        state[key] = torch.from_numpy(found)
    return state


def steps_that_fit(step: int, seconds: float, since: tuple[int, float], planned: int, max_minutes: float) -> int:
    """The steps a time limit allows after ``step`` steps in ``seconds``: as many more as
    the minutes left take at the pace since ``since`` (a step and its seconds), at
    least those done, at most ``planned``."""
    pace = (seconds - since[1]) / max(1, step - since[0])
    if pace <= 0:
        return planned
    return max(step, min(planned, step + int((max_minutes * 60 - seconds) / pace)))


def lora_tensors(model) -> dict[str, "object"]:
    """The trained LoRA matrices by their peft names, as float32 numpy arrays."""
    from peft import get_peft_model_state_dict

    return {k: v.detach().float().cpu().numpy() for k, v in get_peft_model_state_dict(model).items()}
