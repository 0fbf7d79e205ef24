"""The agent loop (plan, run, replan, answer) and recorded plans, without ROS or a model."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from agent_node.agent import Agent, command_problem
from agent_node.catalog.skills import load_catalog
from agent_node.execution.audit import AuditLog, read_audit
from agent_node.execution.events import ExecutionResult
from agent_node.plan.model import Plan
from agent_node.planning.planner import NO_SKILL, PlanResult
from agent_node.planning.recorded_plans import NO_RECORDED_PLAN, RecordedPlans, RecordedPlansError, normalise_command
from tool_adapters.scripted import ScriptedRunner
from tool_adapters.sim.robot import SimRobot

CATALOG = load_catalog()


class Source:
    """A plan source that hands out the given plans in turn and records what it was asked."""

    def __init__(self, *plans: Plan | None, reason: str = NO_SKILL, error: Exception | None = None):
        self.plans = list(plans)
        self.reason = reason
        self.error = error
        self.asked: list[tuple[str, ExecutionResult | None]] = []

    def _next(self, command: str) -> PlanResult:
        if self.error:
            raise self.error
        plan = self.plans.pop(0) if self.plans else None
        if plan is None:
            return PlanResult(command=command, declined=True, reason=self.reason)
        return PlanResult(command=command, plan=plan)

    def plan(self, command: str) -> PlanResult:
        self.asked.append((command, None))
        return self._next(command)

    def replan(self, command: str, executed: ExecutionResult) -> PlanResult:
        self.asked.append((command, executed))
        return self._next(command)


def handle(agent: Agent, command: object):
    return asyncio.run(agent.handle(command))


def test_a_command_is_planned_run_and_answered_with_events_and_plans():
    events, plans = [], []
    source = Source(Plan.of(("find_person", {"person": "bob"}), ("navigate_to", {"location": "$1"})))
    agent = Agent(CATALOG, source, SimRobot(time_scale=0), on_event=events.append,
                  on_plan=lambda plan, attempt: plans.append((attempt, len(plan))))
    run = handle(agent, "go to Bob")
    assert run.ok and not run.error and not run.declined
    assert run.answer == "Bob is in the living room and I went to the living room."
    assert plans == [(1, 2)]
    assert [e.kind for e in events if e.task == 2][0] == "started" and events[-1].kind == "succeeded"
    assert run.to_data()["plans"][0][1]["args"] == {"location": "$1"}
    json.dumps(run.to_data(), default=str)


def test_a_failed_run_is_replanned_at_most_max_replans_times():
    picks = [Plan.of(("pick", {"object": name})) for name in ("banana", "yellow banana", "the banana", "bananas")]
    source = Source(*picks)
    runner = ScriptedRunner(failures={"pick": "the banana is not here"})
    run = handle(Agent(CATALOG, source, runner, max_replans=2), "pick up the banana")
    assert len(run.runs) == 3 and not run.ok
    assert [executed is not None for _, executed in source.asked] == [False, True, True]  # no useless last replan
    assert "I could not pick up the banana: the banana is not here." in run.answer


def test_a_replan_that_repeats_a_failed_plan_is_not_run():
    pick = Plan.of(("pick", {"object": "banana"}))
    runner = ScriptedRunner(failures={"pick": "the banana is not here"})
    run = handle(Agent(CATALOG, Source(pick, pick, pick), runner, max_replans=2), "pick up the banana")
    assert len(run.runs) == 1 and len(runner.calls) == 1
    assert run.answer == ("I could not pick up the banana: the banana is not here. "
                          "A new plan would only repeat the one that failed, so I stopped.")


def test_the_answer_tells_what_earlier_runs_did():
    source = Source(Plan.of(("set_light", {"room": "kitchen", "on": True}), ("pick", {"object": "banana"})),
                    Plan.of(("navigate_to", {"location": "kitchen"}), ("pick", {"object": "banana"})))
    run = handle(Agent(CATALOG, source, SimRobot(time_scale=0)), "light on and pick up the banana")
    assert run.ok and run.answer.startswith("The kitchen lights are on, I went to the kitchen and I picked up")


def test_a_replan_that_fixes_the_failure_ends_ok():
    source = Source(Plan.of(("pick", {"object": "banana"})),
                    Plan.of(("navigate_to", {"location": "kitchen"}), ("pick", {"object": "banana"})))
    run = handle(Agent(CATALOG, source, SimRobot(time_scale=0)), "pick up the banana")
    assert run.ok and len(run.runs) == 2
    assert run.answer == "I went to the kitchen and I picked up the banana."


def test_a_declined_replan_adds_its_reason_to_the_answer():
    source = Source(Plan.of(("pick", {"object": "banana"})), None, reason="no plan fits")
    run = handle(Agent(CATALOG, source, SimRobot(time_scale=0)), "pick up the banana")
    assert not run.ok and run.answer.endswith("no plan fits")


def test_a_declined_command_answers_the_reason_and_runs_nothing():
    runner = ScriptedRunner()
    run = handle(Agent(CATALOG, Source(None), runner), "fly to the moon")
    assert run.declined and run.runs == [] and run.answer == NO_SKILL and runner.calls == []


@pytest.mark.parametrize("command, problem", [
    ("", "empty"), ("   \n ", "empty"), ("x" * 100_000, "too long (100000 characters"),
    ("go\x00\x01\x02 home", "not plain text (3 control"), ("\ufffd\ufffdgo", "undecodable"),
    (b"go home", "not text (got bytes)"), (None, "not text"),
])
def test_bad_commands_are_refused_before_planning(command, problem):
    source, runner = Source(Plan.of(("get_battery", {}))), ScriptedRunner()
    run = handle(Agent(CATALOG, source, runner), command)
    assert problem in run.error and run.answer.startswith("I cannot do that: ")
    assert source.asked == [] and runner.calls == []


def test_command_problem_accepts_ordinary_commands():
    assert command_problem("Bring the red cup to Alice, then dock.\n") == ""
    assert command_problem("Va à la cuisine et dis « bonjour »") == ""


def test_a_planner_fault_is_an_answer_not_an_exception():
    run = handle(Agent(CATALOG, Source(error=RuntimeError("llama exploded")), ScriptedRunner()), "dock")
    assert "internal error: RuntimeError: llama exploded" in run.error and "llama exploded" in run.answer


def test_cancel_stops_the_run_and_the_answer_says_so():
    runner = ScriptedRunner(durations={"wait": 5.0}, feedback_steps=50)
    agent = Agent(CATALOG, Source(Plan.of(("wait", {"seconds": 5}), ("say", {"text": "done"}))), runner)

    async def scenario():
        task = asyncio.create_task(agent.handle("wait five seconds then say done"))
        await asyncio.sleep(0.3)
        assert agent.busy and agent.cancel()
        return await task

    run = asyncio.run(scenario())
    assert run.cancelled and runner.cancelled == ["wait"]
    assert [t.status for t in run.runs[0].tasks] == ["cancelled", "skipped"]
    assert run.answer == "I stopped as asked."
    assert not agent.busy and agent.cancel() is False


def test_cancel_while_planning_runs_nothing():
    class SlowSource(Source):
        def plan(self, command):
            import time
            time.sleep(0.3)
            return super().plan(command)

    runner = ScriptedRunner()
    agent = Agent(CATALOG, SlowSource(Plan.of(("dock", {}))), runner)

    async def scenario():
        task = asyncio.create_task(agent.handle("dock"))
        await asyncio.sleep(0.1)
        agent.cancel()
        return await task

    run = asyncio.run(scenario())
    assert run.cancelled and run.runs == [] and runner.calls == [] and run.answer == "I stopped as asked."


def test_an_unchecked_plan_from_a_source_is_declined_not_raised():
    run = handle(Agent(CATALOG, Source(Plan.of(("fly", {}))), ScriptedRunner()), "fly")
    assert run.declined and "unknown skill 'fly'" in run.reason and run.runs == []


# -- recorded plans ------------------------------------------------------------------
def write_lines(tmp_path, *records) -> str:
    path = tmp_path / "plans.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return str(path)


def test_recorded_plans_match_normalised_commands_and_fill_defaults(tmp_path):
    path = write_lines(tmp_path,
                       {"command": "Drive forward two metres.", "tasks": [{"skill": "drive", "args": {"distance_m": 2}}]},
                       {"id": "d9", "command": "Sing a song", "plan": []})
    plans = RecordedPlans.load(path, CATALOG)
    hit = plans.plan("  drive FORWARD two metres! ")
    assert not hit.declined and hit.plan.tasks[0].args == {"distance_m": 2, "speed_mps": 0.3}
    assert plans.plan("sing a song").reason == NO_SKILL
    assert plans.plan("dance").reason == NO_RECORDED_PLAN
    assert plans.replan("drive", ExecutionResult(tasks=[], makespan=0)).declined
    assert normalise_command("Go  to the Kitchen?!") == "go to the kitchen"


def test_recorded_plans_errors_name_the_file_and_the_line(tmp_path):
    path = write_lines(tmp_path, {"command": "ok", "tasks": [{"skill": "dock", "args": {}}]},
                       "{not json", {"command": "bad", "tasks": [{"skill": "drive", "args": {"distance_m": 9}}]},
                       {"tasks": []})
    with pytest.raises(RecordedPlansError) as e:
        RecordedPlans.load(path, CATALOG)
    text = str(e.value)
    assert path in text and "line 2: invalid JSON" in text and "line 3: task 1 (drive)" in text
    assert "maximum 5" in text and "line 4: expected an object with a 'command'" in text


def test_the_spec_dev_set_loads_as_recorded_plans():
    from devset import DEV_PLANS, dev_records

    if not DEV_PLANS.is_file():
        pytest.skip(f"dev set not found at {DEV_PLANS}")
    plans = RecordedPlans.load(DEV_PLANS, CATALOG)
    records = dev_records()
    assert len(plans) == len({normalise_command(r["command"]) for r in records}) > 10
    assert all(plans.plan(r["command"]).declined == (not r["plan"]) for r in records)


# -- audit log -----------------------------------------------------------------------
def test_audit_log_appends_json_lines_and_survives_an_unwritable_path(tmp_path):
    log = AuditLog(tmp_path / "sub" / "audit.jsonl")
    assert log.write({"run": 1, "command": "dock", "answer": "ok"})
    assert log.write({"run": 2, "command": "wait", "answer": "ok", "events": [{"kind": "started"}]})
    records = read_audit(tmp_path / "sub" / "audit.jsonl")
    assert [r["run"] for r in records] == [1, 2] and "time" in records[0]
    (tmp_path / "file").write_text("")
    assert AuditLog(tmp_path / "file" / "audit.jsonl").write({"run": 3}) is False
    assert AuditLog("").write({"run": 4}) is False


def test_the_pure_core_never_imports_rclpy():
    core = ["agent", "execution.answer", "execution.audit", "catalog.skills", "plan.checker", "cli.run", "plan.dag",
            "execution.executor", "execution.events", "planning.planner", "plan.reading", "plan.json_form",
            "plan.text", "planning.recorded_plans", "execution.skill_runner", "planning.toolrag", "catalog.values"]
    code = ("import sys\n" + "".join(f"import agent_node.{m}\n" for m in core)
            + "import tool_adapters.sim.robot, tool_adapters.scripted\n"
            + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('rclpy', 'rcl_interfaces'))\n"
            + "print(bad); sys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_agent_run_command_uses_the_agent_loop(monkeypatch, capsys):
    """``agent-run "command"`` (the model stood in for): plan, run, replan, answer, exit code."""
    from agent_node.cli import run as cli
    from agent_node.planning import planner

    pick = Plan.of(("pick", {"object": "banana"}))
    fetch = Plan.of(("navigate_to", {"location": "kitchen"}), ("pick", {"object": "banana"}))
    monkeypatch.setattr(planner.Planner, "load", classmethod(lambda cls, *a, **k: Source(pick, fetch)))
    assert cli.run_main(["pick up the banana", "--time-scale", "0"]) == 0
    out = capsys.readouterr().out
    assert "plan:" in out and "new plan (attempt 2):" in out and "finished with failures" in out
    assert out.rstrip().endswith("answer: I went to the kitchen and I picked up the banana.")
    monkeypatch.setattr(planner.Planner, "load", classmethod(lambda cls, *a, **k: Source(None)))
    assert cli.run_main(["sing", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == NO_SKILL
    assert cli.run_main(["   ", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["answer"] == "I cannot do that: the command is empty."
