"""Overhead of the ROS 2 layer: command to first goal, and cancel to every goal cancelled.

Starts sim_robot_node and agent_node (recorded plans: no model, so planning
takes no time) in a ROS domain of their own on loopback only, and measures with
wall-clock stamps taken by the processes themselves (one machine, one clock):

- command -> first goal: from publishing ``/agent_node/command`` to the robot
  node starting the call (its ``~/calls`` "started" record), for an action
  (navigate_to) and a service (find_person): DDS both ways, the agent's queue,
  plan look-up, check, executor start, goal send and acceptance;
- cancel -> every goal cancelled: from calling ``/agent_node/cancel`` while a
  goal runs to the robot's "cancelled" record of it (goal: <= 200 ms), and to
  the agent's answer;
- stop -> every goal cancelled: the same from publishing "stop" on
  ``/agent_node/command`` (the stop word path: no planner), with p99 over
  ``--stops`` runs (goal: p99 <= 200 ms).

Prints figures; asserts nothing. ``python bench/ros.py [-n RUNS] [--stops 100]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "test"))

from ros_helpers import Nodes, Probe, new_domain_id, ros_env  # noqa: E402

PLANS = {
    "go to the kitchen": [("navigate_to", {"location": "kitchen"})],
    "go to the office": [("navigate_to", {"location": "office"})],
    "where is bob": [("find_person", {"person": "bob"})],
    "wait for ten minutes": [("wait", {"seconds": 600})],
}


def figures(name: str, values_s: list[float]) -> str:
    ms = sorted(v * 1000 for v in values_s)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    return (f"{name:<42} n={len(ms):<3} median {statistics.median(ms):7.1f} ms   p90 {p90:7.1f} ms"
            f"   p99 {p99:7.1f} ms   max {ms[-1]:7.1f} ms")


def wait_call(probe: Probe, skill: str, outcome: str, after: int, timeout: float = 30.0) -> dict:
    def found():
        calls = probe.messages("calls")[after:]
        return next((c for c in calls if c["skill"] == skill and c["outcome"] == outcome), None)
    return probe.wait_for(found, timeout, f"{skill} {outcome}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=20, help="runs per figure (default 20)")
    ap.add_argument("--stops", type=int, default=100, help="runs of the stop word (default 100)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_ros_"))
    plans = tmp / "plans.jsonl"
    plans.write_text("".join(json.dumps({"command": c, "tasks": [{"skill": s, "args": a} for s, a in calls]}) + "\n"
                             for c, calls in PLANS.items()))
    domain = new_domain_id()
    nodes = Nodes(ros_env(domain), tmp)
    nodes.start("robot", "sim_robot_node", params={"time_scale": 0.02})
    nodes.start("agent", "agent_node", params={"plans_file": str(plans), "audit_log": str(tmp / "audit.jsonl")})
    probe = Probe(domain)
    try:
        t0 = time.monotonic()
        probe.wait_ready(60)
        probe.wait_for(lambda: probe.node.count_publishers("/sim_robot/calls") > 0, 30, "the robot")
        print(f"both nodes up and discovered in {time.monotonic() - t0:.1f} s (from the probe's start)")
        command("go to the kitchen", probe)  # warm-up: first goal creates the robot's goal state

        to_goal, to_service = [], []
        for i in range(args.n):
            text = "go to the office" if i % 2 == 0 else "go to the kitchen"
            for text, skill, out in ((text, "navigate_to", to_goal), ("where is bob", "find_person", to_service)):
                n, after = len(probe.answers()), len(probe.messages("calls"))
                sent = probe.send(text)
                started = wait_call(probe, skill, "started", after)
                out.append(started["t"] - sent)
                probe.wait_answers(n + 1, 30)

        to_cancelled, to_answer, stop_to_cancelled = [], [], []
        for i in range(max(3, args.n // 2) + args.stops):
            by_word = i >= max(3, args.n // 2)
            n, after, events = len(probe.answers()), len(probe.messages("calls")), len(probe.messages("events"))
            probe.send("wait for ten minutes")
            wait_call(probe, "wait", "started", after)
            probe.wait_for(lambda: any(e["kind"] == "feedback" for e in probe.messages("events")[events:]), 10,
                           "feedback of the goal")
            t_cancel = probe.send("stop") if by_word else time.time()
            if not by_word:
                probe.cancel()
            cancelled = wait_call(probe, "wait", "cancelled", after)
            probe.wait_answers(n + 1 + by_word, 10)
            if by_word:
                stop_to_cancelled.append(cancelled["t"] - t_cancel)
                continue
            answered = probe.stamped("answer")[n][0]
            to_cancelled.append(cancelled["t"] - t_cancel)
            to_answer.append(answered - t_cancel)

        print(figures("command -> first goal started (action)", to_goal))
        print(figures("command -> first call started (service)", to_service))
        print(figures("cancel -> goal cancelled on the robot", to_cancelled) + "   (goal: <= 200 ms)")
        print(figures("cancel -> answer on ~/answer", to_answer))
        if stop_to_cancelled:
            print(figures('"stop" -> goal cancelled on the robot', stop_to_cancelled) + "   (goal: p99 <= 200 ms)")
    finally:
        probe.close()
        nodes.stop_all()


def command(text: str, probe: Probe) -> str:
    n = len(probe.answers())
    probe.send(text)
    return probe.wait_answers(n + 1, 30)[n]


if __name__ == "__main__":
    main()
