"""The agent node driving Nav2's own interfaces over DDS, through config/nav2_bindings.yaml.

The robot side is nav2_sim_node: Nav2 (Jazzy) action servers of the nav2_msgs package
built from test/nav2_msgs (field for field as Nav2 declares them) over a simulated pose.
Plans come from a recorded-plans file; every process runs in a domain of its own, on
loopback only (test/ros_helpers.py).
"""

from __future__ import annotations

import json

import pytest
from ros_helpers import REPO, Nodes, Probe, new_domain_id, ros_env, wait_up

PLANS = [
    ("go to the kitchen, turn left and tell me where you are",
     [("navigate_to", {"location": "kitchen"}), ("rotate", {"angle_deg": 90}), ("get_location", {})]),
    ("drive back half a metre and wait two seconds",
     [("drive", {"distance_m": -0.5}), ("wait", {"seconds": 2})]),
    ("go to the garage", [("navigate_to", {"location": "garage"})]),
    ("go to the office", [("navigate_to", {"location": "office"})]),
    ("go charge", [("dock", {})]),
]
OFFICE = "10,4"  # blocked: no path leads there


@pytest.fixture(scope="module")
def nav2(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nav2")
    plans = tmp / "plans.jsonl"
    plans.write_text("".join(json.dumps({"command": c, "tasks": [{"skill": s, "args": a} for s, a in calls]}) + "\n"
                             for c, calls in PLANS))
    domain = new_domain_id()
    nodes = Nodes(ros_env(domain), tmp)
    nodes.start("nav2", "nav2_sim_node", params={"time_scale": 0.25, "x": 2.0, "y": 2.0, "blocked": [OFFICE]})
    nodes.start("agent", "agent_node", "--params-file", str(REPO / "config/agent_params.yaml"),
                params={"bindings": str(REPO / "config/nav2_bindings.yaml"), "plans_file": str(plans),
                        "speech": False, "max_replans": 0, "audit_log": ""})
    probe = Probe(domain, robot="/nav2_sim")
    try:
        wait_up(probe, nodes, "/amcl_pose", "the Nav2 stand-in")
    except AssertionError:
        probe.close()
        nodes.stop_all()
        raise
    yield probe
    probe.close()
    nodes.stop_all()


def command(probe: Probe, text: str, timeout: float = 30.0) -> str:
    n = len(probe.answers())
    probe.send(text)
    return probe.wait_answers(n + 1, timeout)[n]


def events_of(probe: Probe, text: str) -> list[dict]:
    run = [p for p in probe.messages("plan") if p["command"] == text][-1]["run"]
    return [e for e in probe.messages("events") if e["run"] == run]


def test_a_multi_step_command_runs_through_nav2_and_reads_the_place_back(nav2):
    text = PLANS[0][0]
    answer = command(nav2, text)
    assert "kitchen" in answer.lower() and "could not" not in answer.lower(), answer
    events = events_of(nav2, text)
    done = {e["skill"]: e.get("result") for e in events if e["kind"] == "succeeded"}
    assert done == {"navigate_to": "kitchen", "rotate": 90, "get_location": "kitchen"}  # /amcl_pose -> the place
    nav_feedback = [e for e in events if e["kind"] == "feedback" and e["skill"] == "navigate_to"]
    assert len(nav_feedback) >= 3 and "m to go" in nav_feedback[0]["message"]
    progress = [e["progress"] for e in nav_feedback]
    assert progress == sorted(progress) and progress[-1] > 0.9
    spin_feedback = [e["progress"] for e in events if e["kind"] == "feedback" and e["skill"] == "rotate"]
    assert spin_feedback and spin_feedback[-1] > 0.9  # angular_distance_traveled of target_yaw


def test_drive_and_wait_convert_units_both_ways(nav2):
    answer = command(nav2, PLANS[1][0])
    done = {e["skill"]: e.get("result") for e in events_of(nav2, PLANS[1][0]) if e["kind"] == "succeeded"}
    assert done == {"drive": -0.5, "wait": 2}, answer  # wait's result: Nav2's total_elapsed_time in seconds


def test_cancel_mid_goal_cancels_the_nav2_goal(nav2):
    n = len(nav2.answers())
    nav2.send("go to the garage")  # 14 m at 1 m/s, a quarter of real time: 3.5 s
    nav2.wait_for(lambda: any(e["kind"] == "feedback" and e["skill"] == "navigate_to"
                              for e in nav2.messages("events")[-3:]), 10, "feedback of the goal")
    reply = nav2.cancel()
    assert reply.success
    assert nav2.wait_answers(n + 1, 10)[n] == "I stopped as asked."
    kinds = [e["kind"] for e in events_of(nav2, "go to the garage")]
    assert "succeeded" not in kinds and kinds[-1] in ("cancelled", "failed"), kinds


def test_a_nav2_failure_comes_back_as_its_reason(nav2):
    answer = command(nav2, "go to the office")
    assert answer == "I could not go to the office: I found no path there: no valid path found (error 208)."
    (failed,) = [e for e in events_of(nav2, "go to the office") if e["kind"] == "failed"]
    assert "error 208" in failed["message"]


def test_dock_through_opennav_docking(nav2):
    answer = command(nav2, "go charge")
    done = [e for e in events_of(nav2, "go charge") if e["kind"] == "succeeded"]
    assert [e["skill"] for e in done] == ["dock"] and done[0]["result"] is True, answer


def test_the_simulated_house_serves_the_nav2_bindings_too(tmp_path):
    """sim_robot_node behind Nav2's interfaces (the same bindings read the other way: a pose
    goal becomes the place, a Duration the seconds), so the whole house runs with them."""
    errand = ("get the red cup from the kitchen, go where bob is, wait a moment and say where you are",
              [("navigate_to", {"location": "kitchen"}), ("pick", {"object": "red cup"}),
               ("find_person", {"person": "bob"}), ("navigate_to", {"location": "$3"}),
               ("wait", {"seconds": 1.5}), ("get_location", {})])
    plans = tmp_path / "plans.jsonl"
    plans.write_text(json.dumps({"command": errand[0], "tasks": [{"skill": s, "args": a} for s, a in errand[1]]}))
    domain = new_domain_id()
    nodes = Nodes(ros_env(domain), tmp_path)
    bindings = str(REPO / "config/nav2_bindings.yaml")
    nodes.start("robot", "sim_robot_node", "--params-file", str(REPO / "config/sim_robot_params.yaml"),
                params={"time_scale": 0.05, "bindings": bindings,
                        # the pose is read from a topic published every period: one must fall
                        # within the errand's scaled wait (75 ms) after the robot arrived
                        "publish_period_s": 0.02})
    nodes.start("agent", "agent_node", "--params-file", str(REPO / "config/agent_params.yaml"),
                params={"bindings": bindings, "plans_file": str(plans), "speech": False, "audit_log": ""})
    probe = Probe(domain)
    try:
        wait_up(probe, nodes)
        answer = command(probe, errand[0], timeout=60)
        assert answer == ("I went to the kitchen, I picked up the red cup, Bob is in the living room, I went to"
                          " the living room, I waited 1.5 seconds and I am in the living room."), answer
        # the robot read the Nav2 goals back as the skill's arguments: a pose as the place, a Duration as seconds
        calls = [(c["skill"], c["args"]) for c in probe.messages("calls") if c["outcome"] == "ok"]
        assert ("navigate_to", {"location": "kitchen"}) in calls and ("wait", {"seconds": 1.5}) in calls, calls
    finally:
        probe.close()
        nodes.stop_all()
