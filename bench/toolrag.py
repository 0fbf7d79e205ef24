"""ToolRAG benchmark on a dataset of commands with gold plans (default: the dev set).

Prints, for the trained classifier and the embedding-similarity top-k baseline
(k = 3, 5): skill recall (share of commands whose every gold skill is
selected), mean skills selected, flow recall (share of data edges $N whose
producer and consumer are both selected), and latency per query on one core.
Asserts nothing. Run: ``make bench`` or
``.venv/bin/python bench/toolrag.py [DATASET.jsonl] [--model DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Callable

from agent_node.catalog.skills import load_catalog
from agent_node.plan.json_form import plan_from_data
from agent_node.planning.toolrag import SimilarityBaseline, ToolRAG

REPO = Path(__file__).resolve().parents[1]
DEV_SET = Path(os.environ.get("AGENT_SHARED_DIR", REPO.parent / "shared")) / "spec" / "dev_plans.jsonl"


def load_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def flow_edges(item: dict) -> list[tuple[str, str]]:
    """(producer skill, consumer skill) of every $N data edge of the gold plan."""
    plan = plan_from_data(item["plan"])
    return [(plan.task(n).skill, t.skill) for t in plan.tasks for n in sorted(t.refs()) if n < t.id]


def measure(name: str, items: list[dict], select: Callable[[str], list[str]]) -> None:
    full, sizes, flows, flows_ok, times, missed = 0, [], 0, 0, [], []
    for item in items:
        t0 = time.perf_counter()
        chosen = set(select(item["command"]))
        times.append(time.perf_counter() - t0)
        gold = {t["skill"] for t in item["plan"]}
        sizes.append(len(chosen))
        if gold <= chosen:
            full += 1
        else:
            missed.append(f"{item['id']}: missing {sorted(gold - chosen)}")
        for producer, consumer in flow_edges(item):
            flows += 1
            flows_ok += producer in chosen and consumer in chosen
    times.sort()
    print(f"{name:<26} recall {full / len(items):.3f}  mean selected {statistics.mean(sizes):.2f}  "
          f"flow recall {flows_ok / max(flows, 1):.3f} ({flows} edges)  "
          f"latency p50 {times[len(times) // 2] * 1e3:.1f} ms  p90 {times[int(len(times) * 0.9)] * 1e3:.1f} ms")
    for line in missed:
        print(f"    {line}")


def main() -> None:
    ap = argparse.ArgumentParser(description="ToolRAG recall, skills selected and latency.")
    ap.add_argument("dataset", nargs="?", default=str(DEV_SET))
    ap.add_argument("--model", help="ToolRAG model directory (default: models/toolrag_home_robot)")
    args = ap.parse_args()
    path = Path(args.dataset)
    if not path.is_file():
        print(f"no dataset at {path}; give one (the dev set lives in ../shared/spec/)")
        return
    items = load_items(path)
    catalog = load_catalog()
    rag = ToolRAG(args.model, catalog=catalog, threads=1)
    for item in items[:5]:  # warm-up
        rag.select(item["command"])
    print(f"{len(items)} commands from {path}; {len(catalog.skills)} skills; one thread\n")
    measure(f"classifier (t={rag.threshold:.3g})", items, lambda c: [s.skill for s in rag.select(c)])
    baseline = SimilarityBaseline(catalog, rag.encoder)
    for k in (3, 5):
        measure(f"similarity top-{k}", items, lambda c, k=k: [s.skill for s in baseline.select(c, k)])


if __name__ == "__main__":
    main()
