"""Executor: overlap, resource order, substitution, failure, timeout, cancel."""

from __future__ import annotations

import asyncio

import pytest

from agent_node.catalog.skills import load_catalog
from agent_node.execution.events import TaskEvent
from agent_node.execution.executor import Executor
from agent_node.plan.checker import PlanCheckError
from agent_node.plan.model import Plan
from agent_node.plan.reading import read_plan
from tool_adapters.scripted import ScriptedRunner
from tool_adapters.sim.robot import SimRobot

CATALOG = load_catalog()
LOOKUP_RESULTS = {"find_person": "office", "find_object": "kitchen", "get_battery": 87.5,
                  "check_door": "open", "detect_objects": ["apple", "red_cup"], "take_photo": "photo_0001"}


def canned(skill: str, args: dict):
    """Plausible results: look-ups from the table, motion returns where it went."""
    return LOOKUP_RESULTS.get(skill, args.get("location", True))


def run(plan: Plan | str, runner, **kwargs):
    if isinstance(plan, str):
        plan = read_plan(plan)
    events: list[TaskEvent] = []
    executor = Executor(CATALOG, runner, on_event=events.append, **kwargs)
    result = asyncio.run(executor.run(plan))
    return result, events


def overlaps(a, b) -> bool:
    return a.started_at < b.ended_at and b.started_at < a.ended_at


def test_three_independent_lookups_take_about_the_time_of_one():
    runner = ScriptedRunner(durations={"find_person": 0.3, "check_door": 0.3, "get_battery": 0.3},
                            results=LOOKUP_RESULTS)
    result, _ = run('1. find_person(person="bob")\n2. check_door(door="front_door")\n3. get_battery()', runner)
    a, b, c = result.tasks
    assert result.ok
    assert overlaps(a, b) and overlaps(b, c) and overlaps(a, c)
    assert result.makespan < 0.6  # serial would be 0.9


def test_three_lookups_overlap_on_the_simulator_in_simulated_time():
    robot = SimRobot(time_scale=0.5)
    result, _ = run('1. find_person(person="bob")\n2. find_person(person="alice")\n3. get_battery()', robot)
    assert result.ok
    single = max(t.ended_at - t.started_at for t in result.tasks)
    assert result.makespan < 1.5 * single
    assert all(overlaps(x, y) for x in result.tasks for y in result.tasks if x is not y)


def test_tasks_sharing_a_resource_run_one_at_a_time_in_plan_order():
    runner = ScriptedRunner(default_duration=0.05, results=canned)
    plan = ('1. navigate_to(location="office")\n2. say(text="hi")\n3. get_battery()\n'
            '4. navigate_to(location="kitchen")\n5. set_light(room="kitchen", on=True)')
    result, _ = run(plan, runner)
    assert result.ok
    body = [result.tasks[i] for i in (0, 1, 3)]  # navigate, say, navigate hold `base`
    for earlier, later in zip(body, body[1:]):
        assert earlier.ended_at <= later.started_at
    # look-ups that hold nothing run alongside the body
    assert overlaps(result.tasks[2], result.tasks[0]) and overlaps(result.tasks[4], result.tasks[0])


def test_whole_value_reference_keeps_its_type_and_text_reference_becomes_readable():
    runner = ScriptedRunner(results=lambda s, a: "living_room" if s == "find_person" else canned(s, a))
    plan = ('1. find_person(person="bob")\n2. detect_objects()\n3. get_battery()\n'
            '4. navigate_to(location=$1)\n5. say(text="Bob is in the $1; I see $2; battery $3%")\n'
            '6. send_message(recipient="bob", text=$2)')
    result, _ = run(plan, runner)
    assert result.ok
    assert result.tasks[3].args == {"location": "living_room"}
    assert result.tasks[4].args["text"] == "Bob is in the living room; I see apple and red_cup; battery 87.5%"
    assert result.tasks[5].args["text"] == "apple and red_cup"  # a list cited as a whole string


def test_array_items_may_cite_results():
    runner = ScriptedRunner(results=lambda s, a: "garage" if s == "find_person" else 2)
    result, _ = run('1. find_person(person="dave")\n2. patrol(route=["kitchen", "$1"], laps=2)', runner)
    assert result.ok
    assert result.tasks[1].args == {"route": ["kitchen", "garage"], "laps": 2}


def test_failure_skips_dependents_and_later_body_tasks_but_independent_branches_finish():
    runner = ScriptedRunner(default_duration=0.01, results=canned, failures={"pick": "no banana here"})
    plan = ('1. navigate_to(location="kitchen")\n2. pick(object="banana")\n3. find_person(person="bob")\n'
            '4. navigate_to(location=$3)\n5. send_message(recipient="bob", text="you are in $3")\n'
            '6. take_photo()\n7. send_message(recipient="carol", text="photo", attachment=$6)')
    result, events = run(plan, runner)
    status = [t.status for t in result.tasks]
    assert status == ["succeeded", "failed", "succeeded", "skipped", "succeeded", "skipped", "skipped"]
    assert result.tasks[1].error == "no banana here"
    assert "task 2 (pick)" in result.tasks[3].error and "base" in result.tasks[3].error
    assert "needs the result of task 6" in result.tasks[6].error
    assert not result.ok
    kinds = {(e.task, e.kind) for e in events}
    assert (2, "failed") in kinds and (4, "skipped") in kinds and (5, "succeeded") in kinds
    assert ("take_photo", {}) not in runner.calls


def test_timeout_fails_the_call_and_cancels_it():
    runner = ScriptedRunner(durations={"wait": 5.0, "get_battery": 0.0}, results=LOOKUP_RESULTS)
    result, _ = run("1. wait(seconds=5)\n2. get_battery()\n3. dock()", runner, timeouts={"wait": 0.1})
    assert [t.status for t in result.tasks] == ["failed", "succeeded", "skipped"]
    assert "timed out after 0.1 s" in result.tasks[0].error
    assert runner.cancelled == ["wait"]
    assert result.makespan < 2.0


def test_cancel_mid_action_cancels_the_call_and_skips_the_rest():
    robot = SimRobot(time_scale=0.05)
    events: list[TaskEvent] = []
    executor = Executor(CATALOG, robot, on_event=events.append)
    plan = read_plan('1. navigate_to(location="garage")\n2. pick(object="toolbox")\n3. get_battery()')

    async def scenario():
        job = asyncio.ensure_future(executor.run(plan))
        while not any(e.kind == "feedback" and e.task == 1 for e in events):
            await asyncio.sleep(0.01)
        executor.cancel()
        return await job

    result = asyncio.run(scenario())
    assert result.cancelled
    assert result.tasks[0].status == "cancelled"
    assert result.tasks[1].status == "skipped"
    assert robot.location != "garage"  # it stopped on the way
    assert robot.held is None
    assert any(e.kind == "cancelled" and e.task == 1 for e in events)


def test_cancelling_the_run_itself_cancels_calls_in_flight():
    runner = ScriptedRunner(durations={"wait": 5.0})
    executor = Executor(CATALOG, runner)

    async def scenario():
        job = asyncio.ensure_future(executor.run(read_plan("1. wait(seconds=5)")))
        await asyncio.sleep(0.05)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(scenario())
    assert runner.cancelled == ["wait"]


def test_an_invalid_plan_raises_and_runs_nothing():
    runner = ScriptedRunner()
    with pytest.raises(PlanCheckError) as err:
        run('1. get_battery()\n2. drive(distance_m=50)\n3. format_disk()', runner)
    assert "distance_m" in str(err.value) and "format_disk" in str(err.value)
    assert runner.calls == []


def test_garbage_result_and_adapter_crash_are_reported_as_failures():
    def results(skill, args):
        if skill == "find_person":
            return 42  # not a location
        raise RuntimeError("driver exploded")

    result, _ = run('1. find_person(person="bob")\n2. get_battery()\n3. navigate_to(location=$1)',
                    ScriptedRunner(results=results))
    assert [t.status for t in result.tasks] == ["failed", "failed", "skipped"]
    assert "garbage" in result.tasks[0].error
    assert "RuntimeError: driver exploded" in result.tasks[1].error


def test_feedback_events_and_a_broken_listener_do_not_stop_the_plan():
    seen: list[TaskEvent] = []

    def listener(ev: TaskEvent) -> None:
        seen.append(ev)
        raise ValueError("listener bug")

    runner = ScriptedRunner(default_duration=0.04, feedback_steps=4, results=canned)
    result = asyncio.run(Executor(CATALOG, runner, on_event=listener).run(
        read_plan('1. navigate_to(location="office")\n2. get_battery()')))
    assert result.ok
    progress = [e.progress for e in seen if e.kind == "feedback" and e.task == 1]
    assert progress == [0.25, 0.5, 0.75, 1.0]
    assert [e.kind for e in seen if e.task == 1][0] == "started"
    assert [e.kind for e in seen if e.task == 1][-1] == "succeeded"


def test_empty_plan_succeeds_with_nothing_to_do():
    result, events = run(Plan(), ScriptedRunner())
    assert result.ok and result.tasks == [] and events == []


def test_a_whole_errand_on_the_simulator():
    robot = SimRobot(time_scale=0)
    plan = ('1. find_object(object="toy car")\n2. navigate_to(location=$1)\n3. pick(object="toy car")\n'
            '4. find_person(person="alice")\n5. navigate_to(location=$4)\n6. hand_over(person="alice")')
    result, _ = run(plan, robot)
    assert result.ok, [t.error for t in result.tasks]
    assert result.tasks[1].result == result.tasks[0].result
    assert robot.location == result.tasks[3].result
    assert robot.held is None
