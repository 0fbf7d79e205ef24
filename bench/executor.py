"""Executor benchmark: overhead per task, and makespan / critical path on random DAGs.

Prints figures; asserts nothing. Run: ``make bench`` or
``.venv/bin/python bench/executor.py [--dags 20] [--seed 0]``.

Random plans of 5-50 tasks over a synthetic catalog whose skills hold
different resources (base, arm, camera, speaker, none); each task cites 0-2
earlier results and sleeps the duration given in its ``seconds`` argument, so
the ideal makespan is the critical path through data and resource edges.
Goal: makespan / critical path <= 1.05.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from agent_node.catalog.skills import Catalog
from agent_node.execution.executor import Executor
from agent_node.plan.dag import build_dag, critical_path
from agent_node.plan.model import Plan, Task
from tool_adapters.scripted import ScriptedRunner

RESOURCE_SETS = [[], [], ["base"], ["base", "arm"], ["base", "camera"], ["speaker"]]


def synthetic_catalog() -> Catalog:
    params = {"note": {"type": "string", "default": ""},
              "seconds": {"type": "number", "minimum": 0, "maximum": 10, "default": 0}}
    skills = [{"name": f"skill_{i}", "kind": "action", "description": f"synthetic skill {i}",
               "resources": res, "params": params, "returns": {"type": "string"}}
              for i, res in enumerate(RESOURCE_SETS)]
    return Catalog.from_dict({"skills": skills}, source="synthetic")


def random_plan(rng: random.Random, n: int, min_s: float, max_s: float) -> Plan:
    tasks = []
    for i in range(1, n + 1):
        cites = rng.sample(range(1, i), k=min(i - 1, rng.choice([0, 0, 1, 1, 2])))
        tasks.append(Task(id=i, skill=f"skill_{rng.randrange(len(RESOURCE_SETS))}",
                          args={"note": " ".join(f"${c}" for c in sorted(cites)),
                                "seconds": round(rng.uniform(min_s, max_s), 4)}))
    return Plan(tasks=tasks)


def runner() -> ScriptedRunner:
    return ScriptedRunner(durations=lambda skill, args: args["seconds"], results=lambda skill, args: "ok")


def makespan_ratios(catalog: Catalog, dags: int, seed: int) -> list[tuple[int, float, float]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(dags):
        plan = random_plan(rng, rng.randint(5, 50), 0.02, 0.12)
        ideal, _path = critical_path(build_dag(plan, catalog), lambda n: plan.task(n).args["seconds"])
        result = asyncio.run(Executor(catalog, runner()).run(plan))
        assert result.ok, result
        rows.append((len(plan), ideal, result.makespan))
    return rows


def overhead_per_task(catalog: Catalog, n: int, chain: bool) -> float:
    """Seconds of executor time per zero-duration task (chain: each cites the previous)."""
    plan = Plan(tasks=[Task(id=i, skill="skill_0", args={"note": f"${i - 1}" if chain and i > 1 else ""})
                       for i in range(1, n + 1)])
    executor = Executor(catalog, runner())
    asyncio.run(executor.run(plan))  # warm-up
    t0 = time.perf_counter()
    asyncio.run(executor.run(plan))
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description="Executor overhead and makespan / critical path.")
    ap.add_argument("--dags", type=int, default=20, help="random DAGs to run (default 20)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    catalog = synthetic_catalog()

    print("executor overhead per task (zero-duration calls, check + DAG + dispatch included):")
    for n in (10, 100, 500):
        print(f"  {n:4d} independent tasks: {overhead_per_task(catalog, n, False) * 1e6:8.1f} us/task   "
              f"{n:4d}-task chain: {overhead_per_task(catalog, n, True) * 1e6:8.1f} us/task")

    rows = makespan_ratios(catalog, args.dags, args.seed)
    ratios = [m / ideal for _, ideal, m in rows]
    print(f"\nmakespan / critical path on {len(rows)} random DAGs of 5-50 tasks (tasks 20-120 ms):")
    for n, ideal, m in rows:
        print(f"  {n:3d} tasks  critical path {ideal:6.3f} s  makespan {m:6.3f} s  ratio {m / ideal:.4f}")
    print(f"  mean ratio {statistics.mean(ratios):.4f}   max ratio {max(ratios):.4f}   (goal <= 1.05)")


if __name__ == "__main__":
    main()
