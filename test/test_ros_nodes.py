"""The agent node and the simulated robot node as separate processes, talking over DDS.

Every test's nodes run in a ROS domain of their own, on loopback only
(test/ros_helpers.py). Plans come from a recorded-plans file so no model is
needed; the last test uses the real model when it is there.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from ros_helpers import BIN, REPO, Nodes, Probe, new_domain_id, ros_env, wait_up
from std_msgs.msg import String

from agent_node.execution.audit import read_audit

PLANS = [
    ("how is the battery and where is bob",
     [("get_battery", {}), ("find_person", {"person": "bob"}), ("set_light", {"room": "kitchen", "on": True})]),
    ("go to the garage", [("navigate_to", {"location": "garage"})]),
    ("go to the kitchen", [("navigate_to", {"location": "kitchen"})]),
    ("wait for ten minutes", [("wait", {"seconds": 600}), ("say", {"text": "I waited"})]),
    ("where is the moon", [("find_object", {"object": "moon"})]),
    ("where is bob", [("find_person", {"person": "bob"})]),
    ("say hello", [("say", {"text": "hello"})]),
]
FAST = 0.05  # real seconds per simulated second


def write_plans(path: Path) -> str:
    lines = [json.dumps({"command": c, "tasks": [{"skill": s, "args": a} for s, a in calls]}) for c, calls in PLANS]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def start_house(tmp: Path, robot: bool = True, ready_s: float = 60.0, robot_params: dict | None = None,
                **agent_params) -> SimpleNamespace:
    """A robot (optional) and an agent in a fresh domain, and a probe that is ready."""
    domain = new_domain_id()
    nodes = Nodes(ros_env(domain), tmp)
    if robot:
        nodes.start("robot", "sim_robot_node", "--params-file", str(REPO / "config/sim_robot_params.yaml"),
                    params={"time_scale": FAST, **(robot_params or {})})
    params = {"plans_file": write_plans(tmp / "plans.jsonl"), "audit_log": str(tmp / "audit.jsonl"), **agent_params}
    nodes.start("agent", "agent_node", "--params-file", str(REPO / "config/agent_params.yaml"), params=params)
    probe = Probe(domain)
    try:
        wait_up(probe, nodes, "/sim_robot/calls" if robot else None, ready_s=ready_s)
    except AssertionError:
        probe.close()
        nodes.stop_all()
        raise
    return SimpleNamespace(nodes=nodes, probe=probe, audit=tmp / "audit.jsonl", domain=domain, tmp=tmp)


def close_house(house: SimpleNamespace) -> None:
    house.probe.close()
    house.nodes.stop_all()


@pytest.fixture(scope="module")
def house(tmp_path_factory):
    h = start_house(tmp_path_factory.mktemp("house"))
    yield h
    close_house(h)


def command(probe: Probe, text: str, timeout: float = 30.0) -> str:
    """Send a command; its answer (the next one on ~/answer)."""
    n = len(probe.answers())
    probe.send(text)
    return probe.wait_answers(n + 1, timeout)[n]


def audit_records(path: Path, n: int, timeout: float = 10.0) -> list[dict]:
    """The audit log once it has at least ``n`` records (the answer is published just before
    its line is written)."""
    deadline = time.monotonic() + timeout
    while True:
        records = read_audit(path) if path.exists() else []
        if len(records) >= n or time.monotonic() > deadline:
            return records
        time.sleep(0.02)


def run_of(probe: Probe, text: str) -> int:
    return [p for p in probe.messages("plan") if p["command"] == text][-1]["run"]


def test_a_command_comes_back_as_a_plan_and_an_answer(house):
    p = house.probe
    answer = command(p, "how is the battery and where is bob")
    assert answer == "My battery is at 100%, Bob is in the living room and the kitchen lights are on."
    plan = [m for m in p.messages("plan") if m["command"] == "how is the battery and where is bob"][-1]
    assert [t["skill"] for t in plan["tasks"]] == ["get_battery", "find_person", "set_light"]
    assert plan["attempt"] == 1
    calls = {(c["skill"], c["outcome"]) for c in p.messages("calls")}
    assert {("find_person", "ok"), ("set_light", "ok")} <= calls  # served by the robot node
    p.wait_for(lambda: p.messages("status")[-1]["state"] == "idle", 5, "status idle")


def test_action_feedback_arrives_as_events(house):
    p = house.probe
    assert command(p, "go to the garage") == "I went to the garage."
    run = run_of(p, "go to the garage")
    events = [e for e in p.messages("events") if e["run"] == run]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "succeeded" and events[-1]["result"] == "garage"
    feedback = [e for e in events if e["kind"] == "feedback"]
    assert len(feedback) >= 3 and feedback[-1]["progress"] == 1.0
    assert [f["progress"] for f in feedback] == sorted(f["progress"] for f in feedback)
    assert "m to the garage" in feedback[0]["message"]


def test_cancel_mid_action_cancels_the_goal_on_the_robot(house):
    p = house.probe
    n = len(p.answers())
    p.send("wait for ten minutes")  # 600 simulated seconds: 30 s here
    p.wait_for(lambda: any(e["kind"] == "feedback" and e["skill"] == "wait" for e in p.messages("events")[-5:]),
               20, "feedback of the wait goal")
    reply = p.cancel()
    assert reply.success and "cancelling run" in reply.message
    p.wait_for(lambda: any(c["skill"] == "wait" and c["outcome"] == "cancelled" for c in p.messages("calls")),
               5, "the robot to cancel the goal")
    assert p.wait_answers(n + 1, 10)[n] == "I stopped as asked."
    run = run_of(p, "wait for ten minutes")

    def last_kinds():  # topics are not ordered with each other: the events may trail the answer
        return {e["task"]: e["kind"] for e in p.messages("events") if e["run"] == run}
    p.wait_for(lambda: len(last_kinds()) == 2, 5, "events of both tasks")
    assert last_kinds() == {1: "cancelled", 2: "skipped"}
    assert not p.cancel().success  # nothing left to cancel


def test_a_cancel_at_any_moment_leaves_no_goal_running_on_the_robot(house):
    """Cancel once the agent has the command: while its goal is sent, accepted, starting or running."""
    p = house.probe
    for delay in (0.0, 0.001, 0.002, 0.004, 0.008, 0.016, 0.05, 0.2):
        n, after, statuses = len(p.answers()), len(p.messages("calls")), len(p.messages("status"))
        p.send("wait for ten minutes")
        p.wait_for(lambda: any(s["state"] != "idle" for s in p.messages("status")[statuses:]), 10, "the command")
        time.sleep(delay)
        assert p.cancel().success
        assert p.wait_answers(n + 1, 10)[n] == "I stopped as asked.", delay
        time.sleep(0.5)  # a goal still on its way when cancelled is cancelled as soon as it is accepted
        p.wait_for(lambda: [c["outcome"] for c in p.messages("calls")[after:]] in ([], ["started", "cancelled"]),
                   5, f"no goal left running (cancel {delay} s after the command): {p.messages('calls')[after:]}")


def test_bad_commands_get_an_error_on_answer_and_the_agent_keeps_serving(house):
    p = house.probe
    rng = random.Random(5)
    garbage = bytes(rng.randrange(1, 256) for _ in range(300)).decode("latin-1")  # no NUL: C strings end there
    for text, reason in [("", "the command is empty"), ("   \n\t", "the command is empty"),
                         ("go " * 34_000, "the command is too long (102000 characters; at most 1000)"),
                         (garbage, "the command is not plain text")]:
        answer = command(p, text)
        assert answer.startswith("I cannot do that: " + reason), answer
    assert command(p, "where is the moon") == "I could not find the moon: I don't know any object called 'moon'."
    assert command(p, "dance the tango") == "I have no recorded plan for that."
    assert command(p, "where is bob") == "Bob is in the living room."


def test_commands_while_busy_are_queued_in_order(house):
    p = house.probe
    n = len(p.answers())
    p.send("go to the kitchen")
    p.send("where is bob")
    assert p.wait_answers(n + 2, 30)[n:] == ["I went to the kitchen.", "Bob is in the living room."]
    assert run_of(p, "where is bob") > run_of(p, "go to the kitchen")


def test_the_audit_log_has_one_line_per_command_with_plan_events_and_answer(house):
    command(house.probe, "")
    command(house.probe, "where is bob")
    records = audit_records(house.audit, len(house.probe.answers()))
    last = records[-1]
    assert last["command"] == "where is bob" and last["answer"] == "Bob is in the living room." and last["ok"]
    assert last["plans"][0]["tasks"][0]["skill"] == "find_person"
    assert [e["kind"] for e in last["events"]] == ["started", "succeeded"]
    assert any(r.get("error") == "the command is empty" for r in records)
    assert len({r["run"] for r in records}) == len(records)


def test_a_robot_that_is_down_gives_a_timeout_error_and_the_agent_keeps_serving(tmp_path):
    bindings = yaml.safe_load((REPO / "config/sim_robot_bindings.yaml").read_text())
    bindings["defaults"]["server_wait_s"] = 1.0
    bindings["skills"]["get_battery"]["timeout_s"] = 1.0
    (tmp_path / "bindings.yaml").write_text(yaml.safe_dump(bindings))
    house = start_house(tmp_path, robot=False, bindings=str(tmp_path / "bindings.yaml"))
    try:
        p = house.probe
        assert command(p, "go to the kitchen") == ("I could not go to the kitchen: timed out after 1 s waiting for the"
                                                   " robot's action server /robot/navigate_to (is the robot up?).")
        answer = command(p, "how is the battery and where is bob")
        assert "no message on /battery_state within 1 s" in answer and "I left" not in answer
        assert house.nodes.procs["agent"][0].poll() is None
        house.nodes.start("robot", "sim_robot_node", params={"time_scale": FAST})
        p.wait_for(lambda: p.node.count_publishers("/sim_robot/calls") > 0, 30, "the robot")
        for _ in range(10):  # the agent discovers the robot's action servers a moment later than we do
            answer = command(p, "go to the kitchen")
            if "timed out" not in answer:
                break
        assert answer == "I went to the kitchen."
    finally:
        close_house(house)


def test_preempt_cancels_the_running_command_for_the_new_one(tmp_path):
    house = start_house(tmp_path, busy_policy="preempt")
    try:
        p = house.probe
        p.send("wait for ten minutes")
        p.wait_for(lambda: any(e["kind"] == "feedback" for e in p.messages("events")), 20, "feedback")
        p.send("go to the kitchen")
        assert p.wait_answers(2, 30) == ["I stopped as asked.", "I went to the kitchen."]
        p.wait_for(lambda: len([c for c in p.messages("calls") if c["outcome"] != "started"]) >= 2, 5, "robot calls")
        outcomes = [(c["skill"], c["outcome"]) for c in p.messages("calls") if c["outcome"] != "started"]
        assert outcomes == [("wait", "cancelled"), ("navigate_to", "ok")], p.messages("calls")
    finally:
        close_house(house)


def test_a_skill_bound_to_a_topic_publish_reaches_the_robot(tmp_path):
    bindings = yaml.safe_load((REPO / "config/sim_robot_bindings.yaml").read_text())
    bindings["skills"]["say"] = {"topic_publish": "/speaker/say", "type": "std_msgs/msg/String",
                                 "fields": {"data": "text"}}
    path = tmp_path / "bindings.yaml"
    path.write_text(yaml.safe_dump(bindings))
    house = start_house(tmp_path, bindings=str(path), robot_params={"bindings": str(path)})
    try:
        p = house.probe
        heard = []
        p.node.create_subscription(String, "/speaker/say", lambda m: heard.append(m.data), 10)
        p.wait_for(lambda: p.node.count_subscribers("/speaker/say") > 1, 30, "the robot's /speaker/say")
        # The probe seeing both subscriptions does not mean the agent's publisher has
        # matched the robot's yet (a volatile message before that is lost): give
        # discovery time, generously, for a loaded CI machine.
        time.sleep(3.0)
        assert command(p, "say hello") == 'I said "hello".'
        p.wait_for(lambda: heard == ["hello"], 10, "the message on /speaker/say")
        p.wait_for(lambda: ("say", "ok") in [(c["skill"], c["outcome"]) for c in p.messages("calls")], 10,
                   "the robot to say it")
        assert [c["args"] for c in p.messages("calls") if c["skill"] == "say"][-1] == {"text": "hello"}
    finally:
        close_house(house)


def start_and_fail(tmp_path: Path, *ros_args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "agent_node"), "--ros-args", *ros_args], capture_output=True, text=True,
                          env=ros_env(), timeout=60, cwd=tmp_path)


def test_bindings_with_an_unknown_type_fail_at_start_up(tmp_path):
    bindings = yaml.safe_load((REPO / "config/sim_robot_bindings.yaml").read_text())
    bindings["skills"]["navigate_to"]["type"] = "home_robot_interfaces/action/Teleport"
    bindings["skills"]["find_object"]["fields"] = {"name": "object"}
    path = tmp_path / "bad_bindings.yaml"
    path.write_text(yaml.safe_dump(bindings))
    done = start_and_fail(tmp_path, "-p", f"bindings:={path}", "-p", "plans_file:=" + write_plans(tmp_path / "p.jsonl"))
    assert done.returncode == 2
    assert f"agent_node: cannot start: invalid bindings {path}" in done.stderr
    assert "skill 'navigate_to': type 'home_robot_interfaces/action/Teleport'" in done.stderr
    assert "skill 'find_object': fields: FindObject request field 'name'" in done.stderr


def test_bad_parameters_fail_at_start_up_naming_them(tmp_path):
    done = start_and_fail(tmp_path, "-p", "busy_policy:=sometimes", "-p", "threads:=two",
                          "-p", "plans_file:=/nonexistent/plans.jsonl")
    assert done.returncode == 2
    assert "parameter 'busy_policy' must be one of queue, preempt, got 'sometimes'" in done.stderr
    assert "parameter 'threads' must be an integer, got 'two'" in done.stderr


def test_the_model_plans_when_no_plans_file_is_given(tmp_path):
    from agent_node.planning.models import planner_spec

    if not planner_spec(None).path.exists():
        pytest.skip("the planner model is not assembled (make setup)")
    house = start_house(tmp_path, plans_file="", max_replans=0, ready_s=600)  # one plan: the planner's speed is not ours to test
    try:
        p = house.probe
        answer = command(p, "where is bob", timeout=180)
        assert answer  # an answer came: planned by the model (or declined by it), run, answered
        record = audit_records(house.audit, 1)[-1]
        assert record["command"] == "where is bob" and record["answer"] == answer
        assert record["plans"] or record["declined"] or record["error"] == ""
    finally:
        close_house(house)


def test_a_corrupt_planner_adapter_stops_the_node_at_start_up(tmp_path):
    from agent_node.planning.models import planner_spec

    if not planner_spec(None).path.exists():
        pytest.skip("the planner model is not assembled (make setup)")
    corrupt = tmp_path / "adapter.gguf"
    corrupt.write_bytes(b"GGUF" + b"\x00" * 64)  # the magic, then nothing llama.cpp can read
    done = start_and_fail(tmp_path, "-p", f"adapter:={corrupt}", "-p", "speech:=false")  # no plans_file: the model
    assert done.returncode == 2 and str(corrupt) in done.stderr, done.stderr


HOSPITAL = REPO / "examples" / "hospital"
ERRAND = ("take the insulin from the pharmacy to ward b and page nurse kim",
          [("navigate_to", {"place": "pharmacy"}), ("load_item", {"item": "insulin", "drawer": 2}),
           ("navigate_to", {"place": "ward_b"}), ("page_staff", {"name": "nurse kim", "message": "insulin is here"}),
           ("get_battery", {})])


def test_another_robot_runs_from_its_profile_over_dds(tmp_path):
    """The hospital robot: a profile (catalog + bindings onto existing interfaces), the robot
    side served by sim_robot_node with stand-in results, a five-step errand."""
    from agent_node.profiles.profile import part_of

    profile = tmp_path / "hospital"
    profile.mkdir()
    manifest = {"name": "hospital", "catalog": part_of(profile, HOSPITAL / "skills.yaml"),
                "bindings": part_of(profile, HOSPITAL / "bindings.yaml")}
    (profile / "robot.yaml").write_text(yaml.safe_dump(manifest))
    plans = tmp_path / "errands.jsonl"
    plans.write_text(json.dumps({"command": ERRAND[0], "tasks": [{"skill": s, "args": a} for s, a in ERRAND[1]]}) + "\n")
    domain = new_domain_id()
    nodes = Nodes(ros_env(domain), tmp_path)
    nodes.start("robot", "sim_robot_node", params={"catalog": str(HOSPITAL / "skills.yaml"),
                                                   "bindings": str(HOSPITAL / "bindings.yaml"), "time_scale": FAST})
    nodes.start("agent", "agent_node", "--params-file", str(REPO / "config/agent_params.yaml"),
                params={"robot": str(profile), "plans_file": str(plans), "speech": False,
                        "audit_log": str(tmp_path / "audit.jsonl")})
    probe = Probe(domain)
    try:
        wait_up(probe, nodes)
        answer = command(probe, ERRAND[0], timeout=60)
        assert "insulin" in answer.lower() or "done" in answer.lower() or "%" in answer, answer
        (plan,) = [p for p in probe.messages("plan") if p["command"] == ERRAND[0]]
        assert [t["skill"] for t in plan["tasks"]] == [s for s, _ in ERRAND[1]]
        def finished() -> list[tuple[str, str]]:
            return [(c["skill"], c["outcome"]) for c in probe.messages("calls")
                    if c["outcome"] != "started" and c["skill"] != "get_battery"]  # the battery topic is periodic
        probe.wait_for(lambda: len(finished()) == 4, 10, "the robot's calls")
        # the body's calls in plan order; the page (no resource, no data needed) may come at any time
        assert [s for s, _ in finished() if s != "page_staff"] == ["navigate_to", "load_item", "navigate_to"]
        assert all(outcome == "ok" for _, outcome in finished()), finished()
        calls = {c["skill"]: c["args"] for c in probe.messages("calls")}
        assert calls["page_staff"] == {"name": "nurse kim", "message": "insulin is here"}
        assert calls["load_item"]["item"] == "insulin"
    finally:
        probe.close()
        nodes.stop_all()
