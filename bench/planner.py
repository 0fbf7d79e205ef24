"""Planner benchmark: plan success, latency, prompt tokens and peak RSS per configuration.

Each configuration (model, adapter or none, with or without ToolRAG, with or
without the grammar, planner settings) plans every command of each dataset with
2 threads and is scored with the metric of ``shared/spec/README.md``. The
datasets are the dev set, four hand-written sets (``test/data/handwritten_plans.jsonl``,
``test/data/handwritten2_plans.jsonl``, ``test/data/handwritten3_plans.jsonl``,
``test/data/handwritten4_plans.jsonl``) and a held-out generator seed
(``test/data/heldout_seed123.jsonl``), or
``--generated N`` commands from the data generator with a seed the example
bank, ToolRAG and the adapter never saw. Asserts nothing. Run:

    .venv/bin/python bench/planner.py --adapters none,home-robot-lora --configs base,k0
    .venv/bin/python bench/planner.py --configs base,no-toolrag,no-grammar --models qwen2.5-coder-0.5b --adapters none
    .venv/bin/python bench/planner.py --generated 60 --configs base,bias2,bias4

With an adapter the planner shows the model its trained prompt (the command alone):
``base`` there is that planner as it ships, ``k1`` adds the retrieved example as an
earlier turn, ``no-repairs`` leaves the model's checked plan as written.

Peak RSS is the process's, so it is reported per model (each model runs in its
own process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.cli.evaluate import ran_plan
from agent_node.datagen.metric import match_plans
from agent_node.planning.example_bank import ExampleBank
from agent_node.planning.llm import LLM
from agent_node.planning.planner import Planner
from agent_node.planning.prompt_states import default_states_dir
from agent_node.planning.toolrag import ToolRAG

REPO = Path(__file__).resolve().parents[1]
DEV_SET = Path(os.environ.get("AGENT_SHARED_DIR", REPO.parent / "shared")) / "spec" / "dev_plans.jsonl"
DATASETS = {"dev": DEV_SET, "handwritten": REPO / "test" / "data" / "handwritten_plans.jsonl",
            "handwritten2": REPO / "test" / "data" / "handwritten2_plans.jsonl",
            "handwritten3": REPO / "test" / "data" / "handwritten3_plans.jsonl",
            "handwritten4": REPO / "test" / "data" / "handwritten4_plans.jsonl",
            "heldout": REPO / "test" / "data" / "heldout_seed123.jsonl"}
GENERATED_SEED = 90210  # not the example bank's (7) nor ToolRAG's training seed (0)

#: name -> Planner settings (on top of the defaults); use_toolrag / use_grammar / store_states as in agent-eval.
CONFIGS: dict[str, dict] = {
    "base": {},
    "no-states": {"store_states": False},
    "nearest-example": {"stand_ins": 0},
    "no-toolrag": {"use_toolrag": False},
    "no-grammar": {"use_grammar": False},
    "no-toolrag-no-grammar": {"use_toolrag": False, "use_grammar": False},
    "no-examples": {"examples": 0, "fixed_examples": 0},
    "k0": {"examples": 0},
    "k1": {"examples": 1},
    "no-repairs": {"repairs": False},
    "no-toolrag-no-repairs": {"use_toolrag": False, "repairs": False},  # the planner with an adapter
    "k2": {"examples": 2},
    "k3-nofixed": {"examples": 3, "fixed_examples": 0},
    "bias0": {"join_bias": 0.0},
    "bias2": {"join_bias": 2.0},
    "bias4": {"join_bias": 4.0},
    "no-unlikely-bias": {"unlikely_bias": 0.0},
    "th0.01": {"threshold": 0.01},
    "th0.05": {"threshold": 0.05},
}


def datasets(args: argparse.Namespace, catalog: Catalog) -> dict[str, list[dict]]:
    if args.generated:
        from agent_node.datagen.generate import generate

        samples = generate(catalog, args.generated, seed=GENERATED_SEED)
        return {f"generated-{GENERATED_SEED}": [{"id": s.id, "command": s.command,
                                                "plan": [c.model_dump() for c in s.plan]} for s in samples]}
    out = {}
    for name in args.datasets.split(","):
        path = DATASETS.get(name, Path(name))
        out[name] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip()][:args.limit]
    return out


def run_config(name: str, llm: LLM, catalog: Catalog, toolrag: ToolRAG, bank: ExampleBank,
               items: list[dict]) -> dict:
    settings = dict(CONFIGS[name])
    use_toolrag = settings.pop("use_toolrag", True)
    if llm.adapter is not None:  # its trained prompt: no fixed examples, a retrieved one only if asked
        settings.setdefault("examples", 0)
        settings["fixed_examples"] = 0
    states = llm.states
    if not settings.pop("store_states", True):
        llm.states = None
    try:
        planner = Planner(catalog, llm, toolrag if use_toolrag else None, bank=bank if use_toolrag else None,
                          **settings)
        planner.warm_up()
        ok = empty_ok = empty = 0
        latencies, tokens = [], []
        for item in items:
            result = planner.plan(item["command"])
            match = match_plans(ran_plan(result), item["plan"], catalog)
            ok += match.ok
            if not item["plan"]:
                empty += 1
                empty_ok += match.ok
            latencies.append(result.latency_s)
            tokens.append(result.prompt_tokens)
    finally:
        llm.states = states
    latencies.sort()
    return {"config": name, "model": llm.name, "n": len(items), "success": ok / len(items),
            "empty": f"{empty_ok}/{empty}", "p50_s": statistics.median(latencies),
            "p90_s": latencies[min(len(latencies) - 1, int(0.9 * len(latencies)))],
            "prompt_tokens": statistics.mean(tokens), "static_tokens": llm.count_tokens(planner.static),
            "adapter": llm.adapter.parent.name if llm.adapter else "none"}


def run_model(args: argparse.Namespace) -> list[dict]:
    catalog = load_catalog()
    sets = datasets(args, catalog)
    t0 = time.perf_counter()
    adapter = None if args.adapters == "none" else args.adapters
    llm = LLM(args.models, threads=args.threads, states_dir=default_states_dir(), adapter=adapter)
    load_s = time.perf_counter() - t0
    toolrag, bank = ToolRAG(None, catalog=catalog), ExampleBank.load()
    rows = []
    for name in args.configs.split(","):
        for set_name, items in sets.items():
            row = {"dataset": set_name, **run_config(name, llm, catalog, toolrag, bank, items)}
            row["load_s"] = load_s
            row["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="dev,handwritten,handwritten2,handwritten3,heldout",
                    help=f"comma-separated: {', '.join(DATASETS)} or JSONL paths")
    ap.add_argument("--generated", type=int, default=0, help="use N generated commands instead of a dataset")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--models", default="qwen2.5-coder-0.5b", help="comma-separated registry names or GGUF paths")
    ap.add_argument("--adapters", default="none",
                    help="comma-separated registered adapters or GGUF paths; none: the model without one")
    ap.add_argument("--configs", default="base", help=f"comma-separated, from: {', '.join(CONFIGS)}")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    unknown = set(args.configs.split(",")) - set(CONFIGS)
    if unknown:
        ap.error(f"unknown configs {sorted(unknown)}")
    models, adapters = args.models.split(","), args.adapters.split(",")
    if len(models) == 1 and len(adapters) == 1:
        run_model(args)
        return 0
    for model in models:  # one process per model and adapter, so that peak RSS is theirs
        for adapter in adapters:
            cmd = [sys.executable, __file__, "--models", model, "--adapters", adapter, "--configs", args.configs,
                   "--threads", str(args.threads), "--datasets", args.datasets, "--generated", str(args.generated)]
            if args.limit:
                cmd += ["--limit", str(args.limit)]
            subprocess.run(cmd, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
