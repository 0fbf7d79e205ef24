"""Safety without ROS or a model: the policy, stop/yes/no words, run-time bounds,
confirmations that pause a plan, cancelling a plan being written, the in-flight audit record."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import pytest

from agent_node.agent import Agent
from agent_node.catalog.policy import Policy, PolicyError, load_policy
from agent_node.catalog.skills import load_catalog
from agent_node.execution.audit import AuditLog, read_audit
from agent_node.execution.executor import Executor
from agent_node.language.control_words import control_word
from agent_node.plan.model import Plan
from agent_node.planning.planner import CANCELLED, PlanResult
from tool_adapters.scripted import ScriptedRunner
from tool_adapters.sim.robot import SimRobot

CATALOG = load_catalog()
POLICY = load_policy(None, CATALOG)


# -- the policy ------------------------------------------------------------------------
def test_the_reference_policy_asks_before_hand_over_patrol_and_long_drives():
    assert POLICY.confirmation("hand_over", {"person": "bob"}) is not None
    assert POLICY.confirmation("patrol", {"route": ["kitchen"], "laps": 1}) is not None
    assert POLICY.confirmation("drive", {"distance_m": 1.0, "speed_mps": 0.3}) is None
    assert "beyond" in POLICY.confirmation("drive", {"distance_m": 1.5, "speed_mps": 0.3})
    assert POLICY.confirmation("drive", {"distance_m": -2, "speed_mps": 0.3}) is not None
    assert POLICY.confirmation("navigate_to", {"location": "kitchen"}) is None
    assert POLICY.risk("hand_over") == "high" and POLICY.risk("get_battery") == "low"


def test_a_policy_that_does_not_fit_the_catalog_names_every_problem(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("allowed_skills: [say, fly]\nskills:\n  teleport: {confirm: always}\n"
                    "  say: {confirm: {arg: text, beyond: 1}}\n  drive: {risk: extreme}\n")
    with pytest.raises(PolicyError) as e:
        load_policy(path, CATALOG)
    assert "risk" in str(e.value)
    path.write_text("allowed_skills: [say, fly]\nskills:\n  teleport: {confirm: always}\n"
                    "  say: {confirm: {arg: text, beyond: 1}}\n")
    with pytest.raises(PolicyError) as e:
        load_policy(path, CATALOG)
    text = str(e.value)
    assert "'fly' is not a catalog skill" in text and "'teleport' is not a catalog skill" in text
    assert "'text' is not a number parameter of say" in text
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml", CATALOG)


def test_the_allowlist_narrows_the_catalog():
    policy = Policy(allowed_skills=["say", "get_battery"])
    assert policy.allowed(CATALOG).skill_names == ["get_battery", "say"]
    assert Policy.permissive().allowed(CATALOG) is CATALOG


# -- stop, yes, no ---------------------------------------------------------------------
@pytest.mark.parametrize("text", ["stop", "Stop!", "STOP.", "Robot, stop now.", "stop stop stop", "Halt!",
                                  "cancel that", "Cancel the patrol.", "please stop", "Emergency stop!",
                                  "hey robot, abort", "Freeze!"])
def test_stop_words_are_stops(text):
    assert control_word(text) == "stop"


@pytest.mark.parametrize("text,word", [("yes", "yes"), ("Yes, please.", "yes"), ("Go ahead!", "yes"),
                                       ("OK robot, go ahead", "yes"), ("No.", "no"), ("Don't.", "no"),
                                       ("no thanks", "no"), ("Never mind", "no")])
def test_yes_and_no_are_whole_answers(text, word):
    assert control_word(text) == word


@pytest.mark.parametrize("text", ["go to the kitchen", "No, bring the cup", "yes bring me the cup", "stopwatch",
                                  "is the stop sign red", "", "   ", 42, None, "stop " * 100])
def test_other_text_is_a_command(text):
    assert control_word(text) is None


# -- run-time bounds ---------------------------------------------------------------------
def test_a_result_that_lands_out_of_bounds_fails_the_call_and_is_never_sent():
    runner = ScriptedRunner(results={"get_battery": 87.0})
    plan = Plan.of(("get_battery", {}), ("drive", {"distance_m": "$1"}), ("say", {"text": "done"}))
    result = asyncio.run(Executor(CATALOG, runner).run(plan))
    assert [t.status for t in result.tasks] == ["succeeded", "failed", "skipped"]
    assert "distance_m" in result.tasks[1].error and "87" in result.tasks[1].error
    assert [s for s, _ in runner.calls] == ["get_battery"]  # never clipped to 5 and sent


def test_a_result_within_bounds_goes_through():
    runner = ScriptedRunner(results={"get_battery": 0.5, "drive": 0.5})
    plan = Plan.of(("get_battery", {}), ("drive", {"distance_m": "$1"}))
    assert asyncio.run(Executor(CATALOG, runner).run(plan)).ok
    assert runner.calls[1] == ("drive", {"distance_m": 0.5, "speed_mps": 0.3})


# -- confirmations -------------------------------------------------------------------------
def run_with_answers(plan: Plan, answer, runner=None, events=None):
    runner = runner or SimRobot(time_scale=0)
    asked: list[str] = []

    async def ask(question: str) -> bool:
        asked.append(question)
        if isinstance(answer, Exception):
            raise answer
        return answer

    executor = Executor(CATALOG, runner, policy=POLICY, ask=ask, on_event=events.append if events is not None else None)
    return asyncio.run(executor.run(plan)), asked


def test_a_yes_lets_the_call_run():
    result, asked = run_with_answers(Plan.of(("drive", {"distance_m": 2.0})), True)
    assert result.ok and len(asked) == 1 and asked[0].startswith("Shall I drive (distance_m=2")
    assert "Say yes or no." in asked[0]


def test_a_no_cancels_that_call_and_the_rest_of_the_plan():
    runner = ScriptedRunner(results={"drive": 0.5})
    plan = Plan.of(("drive", {"distance_m": 0.5}), ("hand_over", {"person": "bob"}), ("say", {"text": "here"}))
    result, asked = run_with_answers(plan, False, runner)
    assert [t.status for t in result.tasks] == ["succeeded", "cancelled", "skipped"]
    assert result.tasks[1].error == "not confirmed: the answer was no"
    assert [s for s, _ in runner.calls] == ["drive"]
    assert len(asked) == 1


def test_no_answer_in_time_is_a_no():
    result, _ = run_with_answers(Plan.of(("patrol", {"route": ["kitchen"]})), TimeoutError("no answer within 30 s"))
    assert result.tasks[0].status == "cancelled"
    assert result.tasks[0].error == "not confirmed: no answer within 30 s"


def test_a_question_pauses_the_plan():
    """While the person is asked about the hand-over, the message (no shared
    resource, ready at once) does not start."""
    events = []
    runner = ScriptedRunner()
    plan = Plan.of(("hand_over", {"person": "bob"}), ("send_message", {"recipient": "alice", "text": "hi"}))
    order: list[str] = []

    async def main():
        async def ask(question):
            order.append("asked")
            await asyncio.sleep(0.05)
            order.append(f"answered with {len(runner.calls)} calls made")
            return True
        return await Executor(CATALOG, runner, policy=POLICY, ask=ask, on_event=events.append).run(plan)

    assert asyncio.run(main()).ok
    assert order == ["asked", "answered with 0 calls made"]
    assert [e.kind for e in events if e.task == 1][:2] == ["confirm", "started"]


# -- the agent: questions, cancel while asking or planning, allowlist -----------------------
class OnePlan:
    def __init__(self, plan: Plan):
        self._plan = plan

    def plan(self, command):
        return PlanResult(command=command, plan=self._plan)

    def replan(self, command, executed):
        return PlanResult(command=command, declined=True, reason="no")


def test_the_agent_asks_and_goes_ahead_on_confirm():
    questions = []

    async def main():
        agent = Agent(CATALOG, OnePlan(Plan.of(("drive", {"distance_m": 3.0}))), SimRobot(time_scale=0),
                      policy=POLICY, on_question=questions.append)
        task = asyncio.create_task(agent.handle("drive three meters"))
        while not agent.asking:
            await asyncio.sleep(0.01)
        assert agent.confirm(True)
        assert not agent.confirm(True)  # nothing open any more
        return await task

    run = asyncio.run(main())
    assert run.ok and run.answer == "I drove 3 m forward." and len(questions) == 1


def test_the_agent_takes_silence_as_no():
    policy = Policy.model_validate({**POLICY.model_dump(), "confirm_timeout_s": 0.05})
    agent = Agent(CATALOG, OnePlan(Plan.of(("navigate_to", {"location": "office"}),
                                           ("hand_over", {"person": "bob"}))), SimRobot(time_scale=0), policy=policy)
    run = asyncio.run(agent.handle("give it to bob"))
    assert not run.ok
    assert run.answer == ("I went to the office. I did not hand over without your yes (no answer within 0.05 s),"
                          " so I stopped there.")


def test_a_cancel_while_asking_answers_no_and_stops():
    async def main():
        agent = Agent(CATALOG, OnePlan(Plan.of(("patrol", {"route": ["kitchen"]}))), SimRobot(time_scale=0),
                      policy=POLICY)
        task = asyncio.create_task(agent.handle("patrol the kitchen"))
        while not agent.asking:
            await asyncio.sleep(0.01)
        assert agent.cancel()
        return await task

    run = asyncio.run(main())
    assert run.cancelled and run.runs[-1].tasks[0].status == "cancelled"


class SlowPlanner:
    """Writes a plan token by token, asking ``should_stop`` as the model planner does."""

    def __init__(self):
        self.should_stop = lambda: False
        self.stopped_after = None

    def plan(self, command):
        for token in range(500):
            if self.should_stop():
                self.stopped_after = token
                return PlanResult(command=command, declined=True, reason=CANCELLED)
            time.sleep(0.01)
        return PlanResult(command=command, plan=Plan.of(("say", {"text": "too late"})))

    def replan(self, command, executed):
        raise AssertionError("no replan")


def test_a_cancel_while_planning_stops_the_model_at_once():
    planner = SlowPlanner()
    robot = ScriptedRunner()

    async def main():
        agent = Agent(CATALOG, planner, robot)
        task = asyncio.create_task(agent.handle("say something"))
        await asyncio.sleep(0.1)
        t0 = time.perf_counter()
        agent.cancel()
        run = await task
        return run, time.perf_counter() - t0

    run, waited = asyncio.run(main())
    assert run.cancelled and run.answer == CANCELLED and robot.calls == []
    assert planner.stopped_after is not None and planner.stopped_after < 100


def test_skills_outside_the_allowlist_never_run():
    robot = ScriptedRunner()
    agent = Agent(CATALOG, OnePlan(Plan.of(("say", {"text": "hi"}), ("navigate_to", {"location": "garage"}))),
                  robot, policy=Policy(allowed_skills=["say"]))
    run = asyncio.run(agent.handle("say hi and go to the garage"))
    assert run.declined and "navigate_to" in run.reason and robot.calls == []


# -- the in-flight record ----------------------------------------------------------------
def test_a_command_in_flight_when_the_process_died_is_recovered_as_interrupted(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.begin({"run": 7, "command": "patrol the house", "events": [{"kind": "started", "task": 1}]})
    assert log.inflight.is_file()
    again = AuditLog(tmp_path / "audit.jsonl")  # the next process
    record = again.recover()
    assert record["command"] == "patrol the house" and record["interrupted"] and not record["ok"]
    assert read_audit(tmp_path / "audit.jsonl")[-1]["events"] == [{"kind": "started", "task": 1}]
    assert not again.inflight.exists() and again.recover() is None


def test_a_finished_command_leaves_nothing_to_recover(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.begin({"run": 1, "command": "x"})
    log.write({"run": 1, "command": "x", "ok": True})
    log.finish()
    assert AuditLog(tmp_path / "audit.jsonl").recover() is None
    (tmp_path / "audit.jsonl.inflight").write_text("{not json")
    assert AuditLog(tmp_path / "audit.jsonl").recover()["interrupted"]


def test_the_planner_passes_should_stop_to_the_model(monkeypatch):
    """Planner.plan gives up once should_stop is true, without a repair attempt."""
    from agent_node.planning import planner as planner_module

    calls = []

    class FakeLLM:
        adapter = None

        def token_ids(self, text):
            return [1]

        def complete(self, prompt, **kw):
            calls.append(kw.get("should_stop"))
            return SimpleNamespace(text="1. say(", prompt_tokens=3)

    p = planner_module.Planner(CATALOG, FakeLLM())
    stop = threading.Event()
    p.should_stop = stop.is_set
    stop.set()
    result = p.plan("say hi")
    assert result.declined and result.reason == CANCELLED and result.attempts == 1
    assert calls and calls[0]() is True


# -- numbers the person said -----------------------------------------------------------
@pytest.mark.parametrize("command,calls,beyond", [
    ("turn 1000 degrees", [("rotate", {"angle_deg": 360})], "1000"),
    ("back up 20 m", [("drive", {"distance_m": -5})], "20"),
    ("patrol the kitchen 500 times", [("patrol", {"route": ["kitchen"], "laps": 10})], "500"),
    ("wait for three thousand six hundred seconds", [("wait", {"seconds": 600})], None),  # not read as a number
    ("wait for 3600 seconds", [("wait", {"seconds": 600})], "3600"),
    ("patrol the kitchen 0 times", [("patrol", {"route": ["kitchen"], "laps": 1})], "0"),
    ("patrol the kitchen 10 times", [("patrol", {"route": ["kitchen"], "laps": 10})], None),
    ("patrol the kitchen, three laps", [("patrol", {"route": ["kitchen"], "laps": 1})], None),  # wrong, not beyond
    ("drive 2 m at full speed", [("drive", {"distance_m": 2, "speed_mps": 1.0})], None),
    ("go to the kitchen twice, then drive 1 m fast", [("drive", {"distance_m": 1, "speed_mps": 1.0})], None),
    ("turn 90 degrees and drive 5 m", [("rotate", {"angle_deg": 90}), ("drive", {"distance_m": 5})], None),
])
def test_a_number_said_beyond_a_bound_and_clipped_in_the_plan_is_found(command, calls, beyond):
    from agent_node.language.said_numbers import clamped

    found = clamped(command, Plan.of(*calls), CATALOG)
    assert (found[0].split()[0] if found else None) == beyond
