"""agent-check and agent-run, in-process and as installed console scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_node.cli.run import check_main, run_main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
BIN = Path(sys.executable).parent


def write(tmp_path: Path, text: str, name: str = "plan.txt") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_file()))  # plans; dirs: robots
def test_examples_check_and_run(example, capsys):
    assert check_main([str(EXAMPLES / example)]) == 0
    assert "OK:" in capsys.readouterr().out
    assert run_main(["--plan", str(EXAMPLES / example), "--time-scale", "0", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and "done:" in out


def test_a_risky_call_without_a_yes_does_not_run(capsys):
    """find_and_fetch ends with hand_over, which the reference policy confirms:
    no terminal to ask on (pytest's stdin) is a no; --policy of a permissive file runs it."""
    assert run_main(["--plan", str(EXAMPLES / "find_and_fetch.json"), "--time-scale", "0"]) == 1
    out = capsys.readouterr().out
    assert "Shall I hand over (person=alice)?" in out and "no (no terminal to ask on" in out
    assert "6. hand_over      cancelled not confirmed: the answer was no" in out


def test_a_policy_file_can_allow_all_and_ask_nothing(tmp_path, capsys):
    (tmp_path / "policy.yaml").write_text("allowed_skills: all\n")
    assert run_main(["--plan", str(EXAMPLES / "find_and_fetch.json"), "--time-scale", "0",
                     "--policy", str(tmp_path / "policy.yaml")]) == 0
    (tmp_path / "policy.yaml").write_text("allowed_skills: [say]\n")
    assert run_main(["--plan", str(EXAMPLES / "find_and_fetch.json"), "--time-scale", "0",
                     "--policy", str(tmp_path / "policy.yaml")]) == 1
    assert "unknown skill 'find_object'" in capsys.readouterr().err
    (tmp_path / "policy.yaml").write_text("allowed_skills: [sing]\n")
    assert run_main(["--plan", str(EXAMPLES / "find_and_fetch.json"), "--policy", str(tmp_path / "policy.yaml")]) == 2
    assert "'sing' is not a catalog skill" in capsys.readouterr().err


def test_stop_yes_and_no_are_not_planned(capsys):
    assert run_main(["stop"]) == 0
    assert "There is nothing to stop." in capsys.readouterr().out


def test_check_reports_every_problem_and_exits_1(tmp_path, capsys):
    plan = write(tmp_path, '1. navigate_to(location="moon")\n2. drive(distance_m=9)\n3. fly()\n')
    assert check_main([plan]) == 1
    out = capsys.readouterr().out
    assert "3 problems" in out and "'moon'" in out and "maximum 5" in out and "unknown skill 'fly'" in out


def test_parse_error_names_line_and_column_and_exits_2(tmp_path, capsys):
    plan = write(tmp_path, '1. get_battery()\n2. navigate_to(location="office"\n')
    assert check_main([plan]) == 2
    err = capsys.readouterr().err
    assert "line 2, column 15" in err and "never closed" in err
    assert check_main([str(tmp_path / "missing.txt")]) == 2


def test_invalid_plan_is_not_run(tmp_path, capsys):
    plan = write(tmp_path, '1. say(text="hi")\n2. drive(distance_m=-7)\n')
    assert run_main(["--plan", plan, "--time-scale", "0"]) == 1
    captured = capsys.readouterr()
    assert "nothing was run" in captured.err and "started" not in captured.out


def test_failed_task_exits_1_and_json_output(tmp_path, capsys):
    plan = write(tmp_path, '{"tasks": [{"id": 1, "skill": "pick", "args": {"object": "banana"}},'
                           ' {"id": 2, "skill": "get_battery", "args": {}}]}', "plan.json")
    assert run_main(["--plan", plan, "--time-scale", "0", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [t["status"] for t in report["result"]["tasks"]] == ["failed", "succeeded"]
    assert "banana" in report["result"]["tasks"][0]["error"]
    assert {e["kind"] for e in report["events"]} >= {"started", "failed", "succeeded"}


def test_graphs_are_written(tmp_path):
    dot, png = tmp_path / "p.dot", tmp_path / "p.png"
    assert check_main([str(EXAMPLES / "find_and_fetch.json"), "--dot", str(dot), "--png", str(png)]) == 0
    assert dot.read_text().startswith("digraph") and png.read_bytes()[:4] == b"\x89PNG"


def test_console_scripts_are_installed_and_run():
    env = {**os.environ, "PYTHONPATH": ""}
    check = subprocess.run([str(BIN / "agent-check"), str(EXAMPLES / "bring_book_and_report.txt")],
                           capture_output=True, text=True, env=env, timeout=120)
    assert check.returncode == 0, check.stderr
    run = subprocess.run([str(BIN / "agent-run"), "--plan", str(EXAMPLES / "bring_book_and_report.txt"),
                          "--time-scale", "0.01"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "feedback" in run.stdout and "done: 8/8" in run.stdout
