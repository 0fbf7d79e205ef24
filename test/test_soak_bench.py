"""bench/soak.py run small: every command answered, every result in the audit log, in order.

The bench starts sim_robot_node and agent_node (recorded plans) in a ROS domain
of their own on loopback only (test/ros_helpers.py), as the other ROS tests do.
"""

from __future__ import annotations

import importlib.util

from ros_helpers import REPO


def load_soak():
    spec = importlib.util.spec_from_file_location("bench_soak", REPO / "bench" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unique_texts_look_up_the_same_recorded_plan():
    from agent_node.planning.recorded_plans import normalise_command

    soak = load_soak()
    width = soak.suffix_width(10_000)
    texts = [soak.unique_text("Go to the kitchen", i, width) for i in range(10_000)]
    assert len(set(texts)) == len(texts)
    assert {normalise_command(t) for t in texts} == {"go to the kitchen"}


def test_soak_loses_no_command_and_no_result(tmp_path):
    soak = load_soak()
    n = 200
    lines: list[str] = []
    f = soak.soak(n, outstanding=8, tmp=tmp_path, stall_s=20.0, log=lines.append)
    soak.report(f, log=lines.append)
    summary = "\n".join(lines) + "\n" + "\n".join((tmp_path / f"{name}.log").read_text(errors="replace")[-2000:]
                                                  for name in ("agent", "robot"))
    assert f["commands_sent"] == n, summary
    assert f["answers_received"] == n, summary
    assert f["commands_lost"] == 0, summary
    assert f["results_lost"] == 0, summary
    assert f["audit_lines"] == n and f["runs_increasing"], summary
    # The simulated house comes back to the same state every cycle: each command ends as expected
    # (no call times out: the agent's action clients do not lose responses, see LockedActionClient).
    assert f["unexpected_outcomes"] == {}, summary
    assert sum(f["outcomes"].values()) == n, summary
    assert f["exit_codes"] == {"robot": 0, "agent": 0}, summary


def test_the_figures_count_a_lost_answer_and_a_lost_audit_line():
    soak = load_soak()
    texts = [soak.unique_text(soak.PLANS[i % len(soak.PLANS)][0], i, 3) for i in range(6)]
    records = [{"run": i + 2, "command": t, "answer": f"answer {i}", "ok": True} for i, t in enumerate(texts)]
    answers = [(float(i), f"answer {i}") for i in range(6)]
    sent = [float(i) for i in range(6)]

    def figures(recs, ans):
        return soak.figures(texts, sent, ans, recs, [], (None, None), "", REPO, {})

    clean = figures(records, answers)
    assert clean["commands_lost"] == 0 and clean["results_lost"] == 0
    lost_answer = figures(records, answers[:2] + answers[3:])  # the third answer never came
    assert lost_answer["commands_lost"] == 1 and lost_answer["answers_mismatched"] == 3
    lost_line = figures(records[:4] + records[5:], answers)  # the fifth command has no audit line
    assert lost_line["no_audit_line"] == 1 and lost_line["results_lost"] >= 1
    swapped = figures(records[:1] + records[2:3] + records[1:2] + records[3:], answers)
    assert swapped["audit_out_of_order"] == 2 and not swapped["runs_increasing"]
