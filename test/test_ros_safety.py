"""Safety and speech through the real nodes: stop words, confirmations, a full queue,
a restart mid-plan, and spoken commands on ~/utterance and ~/audio.

Separate processes over DDS on loopback, as in test_ros_nodes.py; plans come from
a recorded-plans file, speech goes through the real Whisper and VAD.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import yaml
from ros_helpers import REPO
from test_ros_nodes import audit_records, close_house, command, start_house

from agent_node.execution.audit import read_audit

PLANS = [
    ("wait for ten minutes", [("wait", {"seconds": 600})]),
    ("drive forward two meters", [("drive", {"distance_m": 2.0})]),
    ("go to the kitchen", [("navigate_to", {"location": "kitchen"})]),
    ("say hello", [("say", {"text": "hello"})]),
]
TIMEOUT_S = 3


def write_plans(path) -> str:
    lines = [json.dumps({"command": c, "tasks": [{"skill": s, "args": a} for s, a in calls]}) for c, calls in PLANS]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def write_policy(path) -> str:
    policy = yaml.safe_load((REPO / "config/home_robot_policy.yaml").read_text())
    policy["confirm_timeout_s"] = TIMEOUT_S
    path.write_text(yaml.safe_dump(policy))
    return str(path)


@pytest.fixture(scope="module")
def house(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("safe_house")
    h = start_house(tmp, plans_file=write_plans(tmp / "safe_plans.jsonl"), policy=write_policy(tmp / "policy.yaml"),
                    queue_size=2, speech_names=["Alice", "Bob"])
    yield h
    close_house(h)


def wait_started(p, skill: str, timeout: float = 20.0) -> None:
    p.wait_for(lambda: any(e["kind"] == "feedback" and e["skill"] == skill for e in p.messages("events")[-5:]),
               timeout, f"feedback of the {skill} goal")


def robot_cancelled(p, skill: str, timeout: float = 5.0) -> None:
    p.wait_for(lambda: any(c["skill"] == skill and c["outcome"] == "cancelled" for c in p.messages("calls")),
               timeout, f"the robot to cancel the {skill} goal")


def test_a_stop_word_cancels_the_goal_and_never_reaches_the_planner(house):
    p = house.probe
    n = len(p.answers())
    p.send("wait for ten minutes")
    wait_started(p, "wait")
    p.send("Stop!")
    robot_cancelled(p, "wait")
    answers = p.wait_answers(n + 2, 10)[n:]
    assert sorted(answers) == ["I stopped as asked.", "Stopping."]
    records = audit_records(house.audit, 2)
    stop = [r for r in records if r["command"] == "Stop!"][-1]
    assert stop["control"] == "stop" and stop["plans"] == []
    assert command(p, "stop") == "There was nothing to stop."


def test_a_risky_call_waits_for_yes(house):
    p = house.probe
    n = len(p.answers())
    p.send("drive forward two meters")
    question = p.wait_answers(n + 1, 10)[n]
    assert question.startswith("Shall I drive (distance_m=2") and question.endswith("Say yes or no.")
    p.wait_for(lambda: p.messages("status")[-1]["state"] == "asking", 5, "status asking")
    assert not any(c["skill"] == "drive" for c in p.messages("calls"))
    p.send("Yes.")
    assert p.wait_answers(n + 3, 20)[n + 1:] == ["Going ahead.", "I drove 2 m forward."]


def test_a_no_or_silence_cancels_the_risky_call(house):
    p = house.probe
    drives = sum(c["skill"] == "drive" for c in p.messages("calls"))
    n = len(p.answers())
    p.send("drive forward two meters")
    p.wait_answers(n + 1, 10)
    p.send("no")
    assert p.wait_answers(n + 3, 10)[n + 1:] == [
        "I will not do that.", "I did not drive without your yes (the answer was no), so I stopped there."]
    n += 3
    p.send("drive forward two meters")
    p.wait_answers(n + 1, 10)
    assert p.wait_answers(n + 2, TIMEOUT_S + 10)[n + 1] == (
        f"I did not drive without your yes (no answer within {TIMEOUT_S} s), so I stopped there.")
    assert sum(c["skill"] == "drive" for c in p.messages("calls")) == drives


def test_a_stop_while_asking_cancels(house):
    p = house.probe
    n = len(p.answers())
    p.send("drive forward two meters")
    p.wait_answers(n + 1, 10)
    p.send("halt")
    assert sorted(p.wait_answers(n + 3, 10)[n + 1:]) == ["I stopped as asked.", "Stopping."]
    assert command(p, "yes") == "There is no question to answer."


def test_a_full_queue_refuses_with_a_reason_and_a_stop_drops_the_queue(house):
    p = house.probe
    n = len(p.answers())
    p.send("wait for ten minutes")
    wait_started(p, "wait")
    for _ in range(3):
        p.send("say hello")
    refused = p.wait_answers(n + 1, 10)[n]
    assert refused == "I cannot do that now: 2 commands are waiting already."
    p.send("stop")
    answers = p.wait_answers(n + 5, 10)[n + 1:]
    assert answers.count('I did not start "say hello": stopped before it started.') == 2
    assert "Stopping." in answers and "I stopped as asked." in answers
    assert command(p, "say hello") == 'I said "hello".'


# -- speech --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def voice():
    from agent_node.speech.audio import to_int16
    from agent_node.speech.espeak import espeak_available, speak

    if not espeak_available():
        pytest.skip("espeak-ng is not installed (make setup installs it)")
    return lambda text: to_int16(speak(text))  # what a microphone driver publishes


def test_a_spoken_utterance_is_transcribed_published_and_run(house, voice):
    p = house.probe
    n = len(p.answers())
    p.send_samples("utterance", voice("Go to the kitchen."))
    assert p.wait_answers(n + 1, 60)[n] == "I went to the kitchen."
    transcript = p.messages("transcript")[-1]
    assert transcript["status"] == "ok" and transcript["text"].lower().rstrip(".") == "go to the kitchen"
    assert 0.5 <= transcript["confidence"] <= 1.0


def test_streamed_audio_is_cut_by_the_vad_and_run(house, voice):
    p = house.probe
    n, heard = len(p.answers()), len(p.messages("transcript"))
    quiet = np.zeros(8000, dtype=np.int16)
    stream = np.concatenate([quiet, voice("Go to the kitchen."), quiet, quiet, quiet])
    p.send_samples("audio", stream, chunk=1600, period_s=0.01)  # 100 ms chunks
    assert p.wait_answers(n + 1, 60)[n] == "I went to the kitchen."
    assert len(p.messages("transcript")) == heard + 1


def test_empty_or_silent_utterances_ask_to_say_it_again(house):
    p = house.probe
    n = len(p.answers())
    p.send_samples("utterance", np.zeros(0, dtype=np.int16))
    p.send_samples("utterance", np.zeros(16000, dtype=np.int16))
    rng = np.random.default_rng(0)
    p.send_samples("utterance", (rng.normal(0, 3000, 32000)).astype(np.int16))  # noise
    answers = p.wait_answers(n + 3, 60)[n:]
    assert all("Please say it again." in a for a in answers), answers
    statuses = [t["status"] for t in p.messages("transcript")[-3:]]
    assert statuses[:2] == ["no_speech", "no_speech"] and statuses[2] != "ok"
    assert house.nodes.procs["agent"][0].poll() is None


def test_a_sixty_second_ramble_on_the_stream_is_one_too_long_utterance(house, voice):
    p = house.probe
    n, heard = len(p.answers()), len(p.messages("transcript"))
    sentence = voice("and then I was thinking that maybe the kitchen could be painted blue or green")
    ramble = np.concatenate([sentence] * int(np.ceil(60 * 16000 / sentence.size)))
    p.send_samples("audio", np.concatenate([ramble, np.zeros(16000, np.int16)]), chunk=3200, period_s=0.002)
    answer = p.wait_answers(n + 1, 60)[n]
    assert answer == "That was too long for one command (15 seconds). Please say it again, shorter."
    time.sleep(2.0)
    assert len(p.answers()) == n + 1 and len(p.messages("transcript")) == heard + 1  # one ramble, one answer
    assert p.messages("transcript")[-1]["status"] == "too_long"


def test_a_missing_whisper_model_stops_the_node_at_start_up(tmp_path):
    from test_ros_nodes import start_and_fail

    done = start_and_fail(tmp_path, "-p", "whisper_model:=/nonexistent/ggml.bin",
                          "-p", "plans_file:=" + write_plans(tmp_path / "p.jsonl"))
    assert done.returncode == 2 and "/nonexistent/ggml.bin" in done.stderr


def test_a_spoken_stop_cancels_the_goal(house, voice):
    p = house.probe
    n = len(p.answers())
    p.send("wait for ten minutes")
    wait_started(p, "wait")
    p.send_samples("utterance", voice("Stop!"))
    robot_cancelled(p, "wait", timeout=30)
    assert sorted(p.wait_answers(n + 2, 10)[n:]) == ["I stopped as asked.", "Stopping."]


# -- a restart mid-plan --------------------------------------------------------------
def test_a_node_killed_mid_plan_reports_the_command_as_interrupted_when_it_is_back(tmp_path):
    house = start_house(tmp_path, plans_file=write_plans(tmp_path / "safe_plans.jsonl"), speech=False)
    try:
        p = house.probe
        p.send("wait for ten minutes")
        wait_started(p, "wait")
        house.nodes.kill("agent")
        args = {"plans_file": str(tmp_path / "safe_plans.jsonl"), "audit_log": str(house.audit), "speech": False}
        n = len(p.answers())
        house.nodes.start("agent", "agent_node", "--params-file", str(REPO / "config/agent_params.yaml"),
                          params=args)
        answer = p.wait_answers(n + 1, 60)[n]
        assert answer.startswith('I was restarted while doing "wait for ten minutes"; it did not finish.')
        record = read_audit(house.audit)[-1]
        assert record["interrupted"] and record["command"] == "wait for ten minutes" and not record["ok"]
        assert [e["kind"] for e in record["events"]][:1] == ["started"]
        assert record["plans"][0]["tasks"][0]["skill"] == "wait"
        time.sleep(1.0)
        assert command(p, "say hello") == 'I said "hello".'  # and it serves again
    finally:
        close_house(house)



# -- a robot that crashes mid-goal ----------------------------------------------------
def test_a_robot_killed_mid_goal_is_a_reported_failure_and_the_agent_keeps_serving(tmp_path):
    bindings = yaml.safe_load((REPO / "config/sim_robot_bindings.yaml").read_text())
    bindings["defaults"]["server_wait_s"] = 1.0
    (tmp_path / "bindings.yaml").write_text(yaml.safe_dump(bindings))
    house = start_house(tmp_path, plans_file=write_plans(tmp_path / "safe_plans.jsonl"), speech=False,
                        bindings=str(tmp_path / "bindings.yaml"))
    try:
        p = house.probe
        n = len(p.answers())
        p.send("wait for ten minutes")  # its goal may take 660 s before it times out
        wait_started(p, "wait")
        t0 = time.monotonic()
        house.nodes.kill("robot")
        answer = p.wait_answers(n + 1, 30)[n]
        assert answer == ("I could not wait: the robot's action server /robot/wait went away during the call"
                          " (did it crash?).")
        assert time.monotonic() - t0 < 15  # the DDS lease (4 s) and server_wait_s, not the 660 s timeout
        record = audit_records(house.audit, 1)[-1]
        assert record["command"] == "wait for ten minutes" and not record["ok"]
        assert house.nodes.procs["agent"][0].poll() is None
        assert command(p, "say hello").startswith("I could not say")  # robot still down: a clear failure
    finally:
        close_house(house)


def test_a_robot_that_hangs_mid_goal_is_a_reported_failure_and_is_used_again_once_back(tmp_path):
    import signal

    bindings = yaml.safe_load((REPO / "config/sim_robot_bindings.yaml").read_text())
    bindings["defaults"]["server_wait_s"] = 1.0
    bindings["skills"]["say"]["timeout_s"] = 3.0
    (tmp_path / "bindings.yaml").write_text(yaml.safe_dump(bindings))
    house = start_house(tmp_path, plans_file=write_plans(tmp_path / "safe_plans.jsonl"), speech=False,
                        bindings=str(tmp_path / "bindings.yaml"))
    robot = house.nodes.procs["robot"][0]
    try:
        p = house.probe
        n = len(p.answers())
        p.send("wait for ten minutes")
        wait_started(p, "wait")
        robot.send_signal(signal.SIGSTOP)  # hung: no result, no feedback, no DDS traffic
        answer = p.wait_answers(n + 1, 30)[n]
        assert answer.startswith("I could not wait: ") and "/robot/wait" in answer
        robot.send_signal(signal.SIGCONT)
        for _ in range(20):  # the agent rediscovers the robot a moment after it wakes
            answer = command(p, "say hello")
            if answer == 'I said "hello".':
                break
            time.sleep(0.5)
        assert answer == 'I said "hello".'
        assert house.nodes.procs["agent"][0].poll() is None
    finally:
        robot.send_signal(signal.SIGCONT)
        close_house(house)
