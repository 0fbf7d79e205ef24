"""``agent-finetune``: verified data -> LoRA on the CPU -> GGUF adapter -> registry.

Stages, each skipped when its output is already there (so an interrupted run
resumes; training itself resumes from its last checkpoint):

1. data: ``WORK/train.jsonl`` (:mod:`agent_node.training.sft_data`), never a
   command of the ``--exclude`` files (evaluation sets);
2. train: LoRA matrices (:mod:`agent_node.training.lora`), checkpoints in ``WORK``;
3. export: ``OUT/adapter.gguf`` (:mod:`agent_node.training.gguf_lora`), with
   ``OUT/train_log.json`` and the loss curve ``OUT/loss.png``;
4. register: the adapter's size and sha256 under ``adapters`` in ``models/registry.yaml``
   (``--register NAME``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from agent_node.catalog.skills import CatalogError, load_catalog
from agent_node.cli.evaluate import print_progress
from agent_node.files.model_files import ModelFileError, registry_path, sha256_of
from agent_node.language.phrasebook import PhrasebookError, load_phrasebook
from agent_node.planning.llm import resolve_model
from agent_node.planning.models import default_planner
from agent_node.training import sft_data
from agent_node.training.lora import TrainConfig

#: Evaluation sets never trained on (when they exist): the hand-written set, the held-out
#: generator seed and the shared dev set.
DEFAULT_EXCLUDE = ["test/data/handwritten_plans.jsonl", "test/data/handwritten2_plans.jsonl",
                   "test/data/handwritten3_plans.jsonl", "test/data/handwritten4_plans.jsonl",
                   "test/data/heldout_seed123.jsonl",
                   "../shared/spec/dev_plans.jsonl"]


def _commands(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        path = Path(p)
        if path.is_file():
            out += [json.loads(line)["command"] for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip()]
    return out


def _progress(step: int, total: int, loss: float, seconds: float) -> None:
    eta = seconds / step * (total - step)
    print_progress(step, total, f"step {step}/{total}  loss {loss:.4f}  {seconds / 60:.1f} min, ETA {eta / 60:.1f} min")


def plot_loss(losses: list[float], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot(range(1, len(losses) + 1), losses, linewidth=0.8, label="batch loss")
    window = max(1, len(losses) // 30)
    if window > 1:
        smooth = [sum(losses[max(0, i - window + 1):i + 1]) / len(losses[max(0, i - window + 1):i + 1])
                  for i in range(len(losses))]
        ax.plot(range(1, len(losses) + 1), smooth, linewidth=1.6, label=f"mean of {window}")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (plan tokens)")
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def export_adapter(model, log, base: Path, out: Path, config: TrainConfig, data: str) -> Path:
    """Write ``OUT/adapter.gguf`` (llama.cpp's LoRA form), ``OUT/train_log.json`` and the loss
    curve ``OUT/loss.png``; returns the adapter's path."""
    from agent_node.training import gguf_lora, lora

    out.mkdir(parents=True, exist_ok=True)
    base_sha256 = sha256_of(base)
    adapter = gguf_lora.write_adapter(lora.lora_tensors(model), config.alpha, out / "adapter.gguf", base_sha256)
    summary = {"base": base.name, "base_sha256": base_sha256, "data": data, "examples": log.examples,
               "steps": log.steps, "train_seconds": round(log.seconds, 1), "tokens": log.tokens,
               "final_loss": sum(log.losses[-10:]) / max(1, len(log.losses[-10:])), "config": log.config,
               "losses": log.losses}
    (out / "train_log.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    plot_loss(log.losses, out / "loss.png", f"LoRA r={config.rank}: {log.examples} examples, {log.steps} steps, "
              f"{log.seconds / 60:.0f} min on {config.threads} threads")
    return adapter


def register(name: str, entry: dict, registry: Path) -> None:
    """Write ``entry`` as adapter ``name`` in the registry's ``adapters`` section (its
    last section; the rest of the file is kept as it is)."""
    import yaml

    text = registry.read_text(encoding="utf-8")
    head, marker, tail = text.partition("\nadapters:\n")
    adapters = (yaml.safe_load(marker + tail) or {}).get("adapters") or {} if marker else {}
    if entry.get("default"):
        adapters = {k: {**v, "default": False} if k != name else v for k, v in adapters.items()}
    adapters[name] = entry
    block = yaml.safe_dump({"adapters": adapters}, sort_keys=False, width=120)
    registry.write_text(head.rstrip("\n") + "\n\n" + block, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="agent-finetune", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalog", metavar="FILE", help="skill catalog YAML (default: the reference home robot)")
    ap.add_argument("--phrasebook", metavar="FILE", help="phrasebook YAML (default: the catalog's)")
    ap.add_argument("--model", help="base planner: registry name or GGUF path (default: the registry's default)")
    ap.add_argument("--out", required=True, metavar="DIR", help="where the adapter, its log and loss curve go")
    ap.add_argument("--work", metavar="DIR", help="data and checkpoints (default OUT/work; not committed)")
    ap.add_argument("-n", type=int, default=3000, help="training commands (default 3000)")
    ap.add_argument("--data", metavar="FILE", help="train on this JSONL of sft_data instead of generating")
    ap.add_argument("--seed", type=int, default=0, help="data and training seed (default 0)")
    ap.add_argument("--exclude", nargs="*", default=DEFAULT_EXCLUDE, metavar="FILE",
                    help="JSONL files whose commands are never trained on (default: the evaluation sets)")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all epochs)")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--max-len", type=int, default=192, help="longest example in tokens (longer ones are left out)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init-adapter", metavar="FILE", default="",
                    help="start from this GGUF adapter (same rank and alpha) and continue training it on the data")
    ap.add_argument("--register", metavar="NAME", help="register the adapter under this name in models/registry.yaml")
    ap.add_argument("--default", action="store_true", help="with --register: make it the default adapter")
    args = ap.parse_args(argv)
    out = Path(args.out)
    work = Path(args.work) if args.work else out / "work"
    work.mkdir(parents=True, exist_ok=True)
    try:
        catalog = load_catalog(args.catalog)
        pb = load_phrasebook(catalog, args.phrasebook)
        base = resolve_model(args.model)
    except (CatalogError, PhrasebookError, ModelFileError) as e:
        print(f"agent-finetune: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    data = Path(args.data) if args.data else work / "train.jsonl"
    if not data.is_file():
        print(f"[1/4] data: {args.n} verified commands", file=sys.stderr)
        samples, by_source = sft_data.build(catalog, args.n, args.seed, pb, exclude=_commands(args.exclude))
        sft_data.write(samples, data)
        print(f"      {len(samples)} samples ({dict(by_source)}) -> {data}", file=sys.stderr)
    pairs = sft_data.read_pairs(data)
    print(f"[2/4] train: LoRA r={args.rank} on {base.name}, {len(pairs)} examples", file=sys.stderr)
    from agent_node.training import lora

    config = TrainConfig(rank=args.rank, alpha=args.alpha, lr=args.lr, batch=args.batch, epochs=args.epochs,
                         max_len=args.max_len, seed=args.seed, threads=args.threads, max_steps=args.max_steps,
                         init_adapter=args.init_adapter)
    try:
        model, log = lora.train(base, pairs, work, config, progress=_progress)
    except ValueError as e:  # no example fits, or an --init-adapter of another model, rank or alpha
        print(f"agent-finetune: {e}", file=sys.stderr)
        return 2
    print("[3/4] export: GGUF adapter", file=sys.stderr)
    adapter = export_adapter(model, log, base, out, config, str(data))
    digest, size = sha256_of(adapter), adapter.stat().st_size
    print(f"      {adapter} ({size:,} bytes, sha256 {digest})", file=sys.stderr)
    if args.register:
        registry = registry_path()
        try:
            rel = str(adapter.resolve().relative_to(registry.parent.parent.resolve()))
        except ValueError:
            rel = str(adapter.resolve())
        entry = {"description": f"LoRA r={args.rank} of the planner on verified synthetic data "
                                f"(agent-finetune -n {args.n} --seed {args.seed})",
                 "default": bool(args.default), "base": args.model or default_planner(),
                 "catalog": args.catalog or "config/home_robot_skills.yaml", "file": rel,
                 "bytes": size, "sha256": digest}
        register(args.register, entry, registry)
        print(f"[4/4] registered '{args.register}' in {registry}", file=sys.stderr)
    print(f"done in {(time.perf_counter() - started) / 60:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
