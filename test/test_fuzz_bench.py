"""bench/fuzz.py: random and mutated plans through parser, checker and executor on the simulator.

A short run (2000 plans) must execute no unsafe call and crash nowhere; the
generator must really produce accepted plans, rejected plans of every kind and
``$N`` results that land out of bounds at run time; and the bench must notice
when an executor lets such a value through.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from agent_node.catalog.skills import load_catalog
from agent_node.catalog.values import whole_ref
from agent_node.execution.events import ExecutionResult, TaskEvent, TaskResult
from agent_node.execution.skill_runner import SkillFailed
from agent_node.plan.checker import check_plan
from agent_node.plan.model import Plan, PlanParseError
from agent_node.plan.text import parse_plan_text

CATALOG = load_catalog()
N_PLANS = 2000


def _load_bench() -> Any:
    path = Path(__file__).resolve().parents[1] / "bench" / "fuzz.py"
    spec = importlib.util.spec_from_file_location("bench_fuzz", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


fuzz = _load_bench()


@pytest.fixture(scope="module")
def stats() -> Any:
    return fuzz.fuzz(N_PLANS, seed=0)


def test_no_unsafe_call_and_no_crash(stats: Any) -> None:
    assert stats.plans == N_PLANS
    assert stats.unsafe_calls == 0, "\n".join(stats.unsafe_examples)
    assert stats.crashes == 0, "\n".join(stats.crash_examples)


def test_generator_reaches_every_outcome(stats: Any) -> None:
    assert stats.accepted >= N_PLANS // 5 and stats.executed == stats.accepted
    assert stats.calls >= stats.accepted  # plans really ran on the simulator
    assert stats.tasks_by_status["succeeded"] > 0 and stats.tasks_by_status["failed"] > 0
    assert stats.tasks_by_status["skipped"] > 0
    for kind in fuzz.KINDS:
        k = stats.by_kind[kind]
        assert k["plans"] > 0, kind
        assert k["accepted"] > 0, kind
        if kind in ("valid", "runtime_oob"):  # built valid: the checker takes them all
            assert k["accepted"] == k["plans"], kind
        else:
            assert k["parsed"] < k["plans"], f"{kind}: no plan failed to parse"
            assert k["accepted"] < k["parsed"], f"{kind}: no parsed plan was rejected by the checker"
    parse = [r for r in stats.reasons if r.startswith("parse:")]
    check = [r for r in stats.reasons if r.startswith("check:")]
    assert len(parse) >= 10 and len(check) >= 10
    for words in ("unknown skill", "above the maximum", "below the minimum", "unknown argument",
                  "no task", "comes later", "its own result", "missing required", "is not a location"):
        assert any(words in r for r in check), words


def test_runtime_out_of_bounds_results_are_generated_and_stopped(stats: Any) -> None:
    assert stats.by_kind["runtime_oob"]["runtime_oob_cases"] >= 50
    assert stats.runtime_oob_reached == 0


def test_generation_is_deterministic() -> None:
    a = [(c.kind, c.source, c.seed) for c in fuzz.generate_cases(200, seed=7)]
    b = [(c.kind, c.source, c.seed) for c in fuzz.generate_cases(200, seed=7)]
    c = [(c.kind, c.source, c.seed) for c in fuzz.generate_cases(200, seed=8)]
    assert a == b and a != c


# -- the independent safety check ------------------------------------------------------------

@pytest.mark.parametrize("skill, args, problem", [
    ("format_disk", {}, "unknown skill"),
    ("drive", {"distance_m": 5.000001}, "above the maximum"),
    ("drive", {"distance_m": -6}, "below the minimum"),
    ("drive", {"distance_m": 1, "speed_mps": 0.0}, "below the minimum"),
    ("drive", {"distance_m": True}, "not a number"),
    ("drive", {"distance_m": float("nan")}, "not finite"),
    ("drive", {"distance_m": 10**400}, "above the maximum"),
    ("drive", {"distance_m": "1"}, "not a number"),
    ("drive", {"speed_mps": 0.3}, "missing argument"),
    ("drive", {"distance_m": 1, "force": True}, "unknown argument"),
    ("patrol", {"route": ["kitchen"], "laps": 2.5}, "not an integer"),
    ("patrol", {"route": [], "laps": 1}, "fewer than 1"),
    ("patrol", {"route": ["attic"]}, "not a location"),
    ("navigate_to", {"location": "Kitchen"}, "not a location"),
    ("check_door", {"door": "kitchen"}, "not a door"),
    ("set_light", {"room": "kitchen", "on": 1}, "not a boolean"),
    ("say", {"text": 5}, "not a string"),
    ("say", ["text"], "arguments are a list"),
])
def test_call_problems_flags(skill: str, args: Any, problem: str) -> None:
    problems = fuzz.call_problems(skill, args, fuzz.CATALOG)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize("skill, args", [
    ("drive", {"distance_m": 5, "speed_mps": 0.05}),
    ("drive", {"distance_m": -5.0}),
    ("patrol", {"route": ["kitchen", "garage"], "laps": 10.0}),
    ("set_light", {"room": "kitchen", "on": False}),
    ("send_message", {"recipient": "bob", "text": "", "attachment": ""}),
    ("get_battery", {}),
])
def test_call_problems_passes_valid_calls(skill: str, args: Any) -> None:
    assert fuzz.call_problems(skill, args, fuzz.CATALOG) == []


class _NaiveExecutor:
    """An executor without the run-time check: checks the plan, then sends each call with
    its ``$N`` results substituted as they are (one task after the other)."""

    def __init__(self, catalog: Any, runner: Any, on_event: Any = None, **_: Any):
        self.catalog, self.runner, self.on_event = catalog, runner, on_event

    async def run(self, plan: Plan) -> ExecutionResult:
        plan = check_plan(plan, self.catalog).raise_for_problems()
        done: dict[int, TaskResult] = {}
        for t in plan.tasks:
            res = done[t.id] = TaskResult(task=t.id, skill=t.skill)
            if any(done[n].status != "succeeded" for n in t.refs()):
                res.status = "skipped"
                continue
            args = {k: done[whole_ref(v)].result if whole_ref(v) is not None else v for k, v in t.args.items()}
            try:
                res.result = await self.runner.call(t.skill, args, lambda p, m: None)
                res.status = "succeeded"
                self.on_event(TaskEvent(kind="succeeded", task=t.id, skill=t.skill, t=0.0, result=res.result))
            except SkillFailed as e:
                res.status, res.error = "failed", str(e)
        return ExecutionResult(tasks=list(done.values()), makespan=0.0)


def test_bench_catches_an_executor_without_the_run_time_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench could fail: with an executor that substitutes ``$N`` unchecked, unsafe calls show."""
    monkeypatch.setattr(fuzz, "Executor", _NaiveExecutor)
    rng = random.Random(3)
    stats = fuzz.Stats()

    async def go() -> None:
        for _ in range(100):
            await fuzz.process(fuzz.generate(rng, "runtime_oob"), stats)

    asyncio.run(go())
    assert stats.unsafe_calls > 0 and stats.runtime_oob_reached > 0
    assert stats.runtime_oob_reached <= stats.runtime_oob_cases
    assert any("maximum" in ex or "minimum" in ex for ex in stats.unsafe_examples)


def test_recording_runner_blocks_and_counts_unsafe_calls() -> None:
    class Robot:
        calls: list[str] = []

        async def call(self, skill: str, args: dict, feedback: Any) -> Any:
            self.calls.append(skill)
            if skill == "say":
                raise KeyError("boom")
            return 1.0

    robot = Robot()
    runner = fuzz.GuardedRunner(robot, fuzz.CATALOG)
    with pytest.raises(SkillFailed):
        asyncio.run(runner.call("drive", {"distance_m": 100.0}, lambda p, m: None))
    assert asyncio.run(runner.call("drive", {"distance_m": 1.0}, lambda p, m: None)) == 1.0
    with pytest.raises(KeyError):
        asyncio.run(runner.call("say", {"text": "hi"}, lambda p, m: None))
    assert robot.calls == ["drive", "say"]  # the unsafe call never reached the robot
    assert len(runner.calls) == 3 and len(runner.unsafe) == 1 and len(runner.faults) == 1


# -- regressions found by the bench ------------------------------------------------------------

@pytest.mark.parametrize("literal", ["0x" + "f" * 4000, "0o" + "7" * 5000, "-0x" + "f" * 3600,
                                     "[0x" + "f" * 4000 + "]"])
def test_integer_too_long_for_decimal_is_a_parse_error(literal: str) -> None:
    """Hex/octal/binary literals may exceed Python's 4300-digit str() limit: a parse
    error, not a ValueError escaping the checker when it writes its message."""
    with pytest.raises(PlanParseError, match="too large"):
        parse_plan_text(f"1. drive(distance_m={literal})")


@pytest.mark.parametrize("skill, args", [("drive", {"distance_m": 16**4000}),
                                         ("say", {"text": 16**4000}),
                                         ("navigate_to", {"location": [16**4000]}),
                                         ("patrol", {"route": 16**4000}),
                                         ("patrol", {"route": ["kitchen"], "laps": -(16**4000)})])
def test_checker_reports_integers_too_long_for_decimal(skill: str, args: dict) -> None:
    result = check_plan(Plan.of((skill, args)), CATALOG)
    assert not result.ok and result.problems[0].message
    str(result.problems[0])


@pytest.mark.parametrize("text", ['1. drive(distance_m=100, distance_m=1)', '1. say(text="a", speed=1, text="b")',
                                  '1. drive(distance_m=1, \uff44istance_m=9)'])  # NFKC: the same name
def test_argument_given_twice_is_a_parse_error(text: str) -> None:
    """``ast.parse`` keeps only the last of two equal keywords; the plan must not silently drop one."""
    with pytest.raises(PlanParseError, match="given twice"):
        parse_plan_text(text)
