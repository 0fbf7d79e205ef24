"""``agent-plan "command"`` prints one plan; ``agent-eval DATASET.jsonl --out PRED.jsonl``
plans every command of a dataset (no execution) and scores it with the metric of
``shared/spec/README.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from agent_node.catalog.skills import load_catalog
from agent_node.datagen.metric import match_plans
from agent_node.files.config_files import ConfigFileError
from agent_node.files.model_files import ModelFileError
from agent_node.plan.json_form import plan_to_data
from agent_node.plan.model import Plan
from agent_node.plan.text import format_plan_text
from agent_node.planning.llm import default_threads
from agent_node.planning.planner import Planner, PlanResult
from agent_node.planning.settings import PlannerSettings, SettingsError, describe, settings_of
from agent_node.profiles.profile import load_profile

#: The planner's number settings, each an option of the same name (``--decline-below``).
NUMBER_SETTINGS = ("examples", "fixed_examples", "decline_below", "out_of_domain_below", "prune_below",
                   "require_above", "join_bias", "unlikely_bias", "stand_ins")


def _planner_args(ap: argparse.ArgumentParser) -> None:
    """The planner's settings as options (help and defaults from :class:`PlannerSettings`)."""
    d = PlannerSettings()
    ap.add_argument("--robot", metavar="DIR", help="robot profile (agent-robot build wrote it, or a shipped one's "
                                                  "name): its catalog, adapter and ToolRAG unless given here")
    ap.add_argument("--model", help=describe("model"))
    ap.add_argument("--adapter", default=d.adapter, help=describe("adapter"))
    ap.add_argument("--no-repairs", action="store_true",
                    help="leave a checked plan as the model wrote it: no meaning repairs, no dropped calls "
                         "(the default with an adapter)")
    ap.add_argument("--catalog", help="skill catalog YAML (default: the reference home robot)")
    ap.add_argument("--toolrag", help=describe("toolrag_dir"))
    ap.add_argument("--no-toolrag", action="store_true",
                    help="no skill selection: the grammar allows every skill (the default with an adapter)")
    ap.add_argument("--no-grammar", action="store_true", help="decode without the GBNF grammar")
    for name in NUMBER_SETTINGS:
        default = getattr(d, name)
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default, help=describe(name))
    ap.add_argument("--states", help=describe("states_dir"))
    ap.add_argument("--no-states", action="store_true",
                    help="evaluate every prompt segment instead of restoring stored states (same plans, slower)")
    ap.add_argument("--threads", type=int, default=default_threads(),
                    help=f"{PlannerSettings.model_fields['threads'].description} (default {default_threads()})")


#: Options a robot profile fills when they are not given (option -> profile part).
FROM_ROBOT = {"catalog": "catalog", "model": "model", "adapter": "adapter", "toolrag": "toolrag", "bank": "bank"}


def with_robot(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with the ``--robot`` profile's parts where options are not given (ProfileError
    when the profile is unusable)."""
    if not getattr(args, "robot", None):
        return args
    return argparse.Namespace(**load_profile(args.robot).fill({"bank": None, **vars(args)}, FROM_ROBOT))


def planner_settings(args: argparse.Namespace) -> PlannerSettings:
    """The settings the options of :func:`_planner_args` ask for (after :func:`with_robot`)."""
    return settings_of(dict(model=args.model, adapter=args.adapter, threads=args.threads, toolrag_dir=args.toolrag,
                            bank_dir=getattr(args, "bank", None),
                            use_toolrag=False if args.no_toolrag else None, use_grammar=not args.no_grammar,
                            repairs=False if args.no_repairs else None, states_dir=args.states,
                            store_states=not args.no_states, **{n: getattr(args, n) for n in NUMBER_SETTINGS}))


def build_planner(args: argparse.Namespace) -> Planner:
    args = with_robot(args)
    return Planner.load(load_catalog(args.catalog), planner_settings(args))


def plan_main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="agent-plan", description="Print the plan for one command.")
    ap.add_argument("command")
    ap.add_argument("--json", action="store_true")
    _planner_args(ap)
    args = ap.parse_args(argv)
    try:
        planner = build_planner(args)
    except (ConfigFileError, ModelFileError, SettingsError) as e:
        print(f"agent-plan: {e}", file=sys.stderr)
        return 2
    result = planner.plan(args.command)
    if args.json:
        print(json.dumps({**plan_to_data(result.plan), "declined": result.declined, "reason": result.reason,
                          "selected_skills": [s.skill for s in result.selected],
                          "latency_s": round(result.latency_s, 3), "prompt_tokens": result.prompt_tokens}))
    else:
        print(format_plan_text(result.plan), end="")
        if result.declined:
            print(f"declined: {result.reason}")
    return 0 if not result.declined or result.plan.is_empty else 1


def print_progress(done: int, total: int, tail: str) -> None:
    """A progress bar on stderr, redrawn in place, ``tail`` after it; a new line when done."""
    width = 30
    filled = int(width * done / max(total, 1))
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {tail}", end="" if done < total else "\n",
          file=sys.stderr, flush=True)


def _progress(done: int, total: int, ok: int) -> None:
    print_progress(done, total, f"{done}/{total}  success so far {ok}/{done}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def eval_main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="agent-eval", description="Plan every command of a dataset and score it.")
    ap.add_argument("dataset", help="JSONL with {id, command, plan} per line")
    ap.add_argument("--out", required=True, help="predictions JSONL to write")
    ap.add_argument("--limit", type=int, help="only the first N commands")
    _planner_args(ap)
    args = ap.parse_args(argv)
    try:
        items = [json.loads(line) for line in Path(args.dataset).read_text(encoding="utf-8").splitlines()
                 if line.strip()][:args.limit]
        planner = build_planner(args)
    except (OSError, ValueError, ConfigFileError, ModelFileError) as e:
        print(f"agent-eval: {e}", file=sys.stderr)
        return 2
    rows, ok = [], 0
    with open(args.out, "w", encoding="utf-8") as out:
        for done, item in enumerate(items, start=1):
            result: PlanResult = planner.plan(item["command"])
            ran = ran_plan(result)
            match = match_plans(ran, item["plan"], planner.catalog)
            ok += match.ok
            row = {"id": item.get("id"), **plan_to_data(ran), "declined": result.declined, "reason": result.reason,
                   "selected_skills": [s.skill for s in result.selected],
                   "latency_s": round(result.latency_s, 4), "prompt_tokens": result.prompt_tokens}
            out.write(json.dumps(row) + "\n")
            rows.append((item, result, match))
            _progress(done, len(items), ok)
    print(summary(rows))
    return 0


def ran_plan(result: PlanResult) -> Plan:
    """What the agent would run for ``result``: nothing when it was declined (a plan with a
    number the person said moved to a bound, or a place never named, is not run)."""
    return Plan() if result.declined else result.plan


def summary(rows: list) -> str:
    n = len(rows)
    if not n:
        return "no commands"
    empty = [(i, r, m) for i, r, m in rows if not i["plan"]]
    recall = sum({t["skill"] for t in i["plan"]} <= {s.skill for s in r.selected} for i, r, _ in rows)
    latencies = [r.latency_s for _, r, _ in rows]
    tokens = [r.prompt_tokens for _, r, _ in rows]
    lines = [f"plan success rate {sum(m.ok for *_, m in rows) / n:.3f} ({sum(m.ok for *_, m in rows)}/{n})",
             f"empty-plan items  {sum(m.ok for *_, m in empty) / max(len(empty), 1):.3f} "
             f"({sum(m.ok for *_, m in empty)}/{len(empty)})",
             f"skill recall      {recall / n:.3f}",
             f"latency           p50 {_percentile(latencies, 0.5):.2f} s   p90 {_percentile(latencies, 0.9):.2f} s",
             f"prompt tokens     mean {statistics.mean(tokens):.0f}   max {max(tokens)}"]
    failures = [f"  {i.get('id')}: {m.reason}" for i, _, m in rows if not m.ok]
    return "\n".join(lines + (["failures:"] + failures if failures else []))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(eval_main())
