"""Soak: thousands of commands through agent_node on the simulated robot; nothing lost, memory flat.

Starts ``sim_robot_node`` (``time_scale`` 0: simulated motions take no real
time) and ``agent_node`` with recorded plans (no model: planning takes no time)
in a ROS domain of their own on loopback only (test/ros_helpers.py), then sends
``--n`` commands on ``/agent_node/command``, keeping at most ``--outstanding``
unanswered (the next one goes when an answer arrives; the agent's queue is
sized for that, so none is refused).

The commands cycle through a dozen recorded ones over services, actions and a
topic (1-4 tasks each), chosen so the simulated house comes back to the same
state after every cycle (the robot docks and charges once a cycle): two fail on
purpose (an object in another room, an object that does not exist), one is
recorded with an empty plan and one has no recorded plan (declined). Each text
is made unique with a suffix of ``.``, ``!`` and ``?`` (the index in base 3),
which the recorded-plans look-up strips, so every audit line names its command.

The agent answers queued commands in order, and writes the audit line of a
command just before it publishes the answer, so:

- commands lost: sent and never answered;
- results lost: a sent command with no audit line, or with more than one, or an
  answer that is not, at its position, the answer its audit line holds, or
  audit lines out of sending order;
- outcomes per command (ok / failed: why / declined: why / error), against the
  outcome expected of it;
- throughput (answers per second), command -> answer latency (with the
  commands waiting ahead of it), and the RSS of both processes (VmRSS of
  /proc/PID/status) after warm-up (the first 500 answers), every 1000 answers
  and at the end; the agent's RSS growth from warm-up to the end (goal: within 5 %);
- whether a command costs more as the run goes on: CPU time per command of
  both processes between samples, and the agent's handling time (audit
  ``duration_s``) per 1000 commands for declined ones, service-only ones and
  ones with action goals.

The agent gets a short timeout for every call (``--call-timeout``, 10 s; the
simulated calls take milliseconds): a call whose response never reaches it
then ends as a failure that the outcomes show ("timed out ..."), rather than
holding the queue for the bindings' timeout (11 minutes for ``wait``). The
agent log's "Ignoring unexpected goal/result response" warnings (rclpy's action
client dropping a response, ros2/rclpy#1123, which
``tool_adapters.ros.bridge.LockedActionClient`` prevents) are counted too.

Prints figures; asserts nothing (test/test_soak_bench.py runs it small and does).
Always stops both nodes, also on Ctrl-C.

    .venv/bin/python bench/soak.py [--n 10000] [--outstanding 8] [--keep]
           [--time-scale 0] [--call-timeout 10] [--stall 60] [--speech]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "test") not in sys.path:
    sys.path.insert(0, str(REPO / "test"))

from ros_helpers import Nodes, SpinningNode, new_domain_id, ros_env  # noqa: E402  (sets the loopback profile first)

#: (command, tasks or None when it is not in the file, how its outcome starts), in sending order.
#: The robot starts at the charging dock; every cycle ends there, charged.
PLANS: list[tuple[str, list[tuple[str, dict[str, Any]]] | None, str]] = [
    ("go to the kitchen", [("navigate_to", {"location": "kitchen"})], "ok"),
    ("pick up the apple", [("pick", {"object": "apple"})], "ok"),
    ("put it on the counter", [("place", {"surface": "counter"})], "ok"),
    ("where is bob and how is the battery", [("find_person", {"person": "bob"}), ("get_battery", {})], "ok"),
    ("turn on the office light", [("set_light", {"room": "office", "on": True})], "ok"),
    ("is the front door open", [("check_door", {"door": "front_door"})], "ok"),
    ("pick up the laptop", [("pick", {"object": "laptop"})],
     "failed: pick: the laptop is in the office"),  # the robot is in the kitchen
    ("where is the unicorn", [("find_object", {"object": "unicorn"})],
     "failed: find_object: I don't know any object called 'unicorn'"),
    ("dance the tango", None, "declined: I have no recorded plan"),
    ("sing a song", [], "declined: I have no skill"),  # recorded with an empty plan
    ("where are you", [("get_location", {})], "ok"),
    ("go to the office, turn off the light, say hello and come back to the kitchen",
     [("navigate_to", {"location": "office"}), ("set_light", {"room": "office", "on": False}),
      ("say", {"text": "hello"}), ("navigate_to", {"location": "kitchen"})], "ok"),
    ("go and charge for ten minutes", [("dock", {}), ("wait", {"seconds": 600})], "ok"),
]
EXPECTED = {c: e for c, _, e in PLANS}
SKILLS = {s for _, tasks, _ in PLANS for s, _ in tasks or []}
#: Skills the simulated robot serves as actions (config/sim_robot_bindings.yaml); the rest of
#: PLANS' skills are services and a topic.
ACTION_SKILLS = {"navigate_to", "pick", "place", "dock", "wait"}
KIND_OF = {c: ("declined" if not tasks else "with actions" if any(s in ACTION_SKILLS for s, _ in tasks)
               else "services only") for c, tasks, _ in PLANS}
HANDSHAKE = "where are you"  # sent as is (no suffix) until the first answer comes back
WARMUP = 500
SAMPLE_EVERY = 1000
DIGITS = ".!?"


def write_plans(path: Path) -> Path:
    lines = [json.dumps({"command": c, "tasks": [{"skill": s, "args": a} for s, a in tasks]})
             for c, tasks, _ in PLANS if tasks is not None]
    path.write_text("\n".join(lines) + "\n")
    return path


def unique_text(base: str, index: int, width: int) -> str:
    """``base`` and a suffix that encodes ``index`` (base 3 in ``.!?``, ``width`` of them)."""
    digits = []
    for _ in range(width):
        index, d = divmod(index, 3)
        digits.append(DIGITS[d])
    return f"{base} {''.join(reversed(digits))}"


def suffix_width(n: int) -> int:
    width = 1
    while 3 ** width < n:
        width += 1
    return width


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def mib(kib: int | None) -> str:
    return "    n/a" if kib is None else f"{kib / 1024:7.1f}"


class Client(SpinningNode):
    """A small rclpy node in this process: publishes commands, records answers (and when)."""

    def __init__(self, domain_id: int, agent: str = "/agent_node"):
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from std_msgs.msg import String

        super().__init__(domain_id, "soak_client")
        self._String = String
        self.cond = threading.Condition()
        self.answers: list[tuple[float, str]] = []
        self.status: dict[str, Any] = {}
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.node.create_subscription(String, f"{agent}/answer", self._on_answer, reliable)
        self.node.create_subscription(String, f"{agent}/status", self._on_status, latched)
        self.pub = self.node.create_publisher(String, f"{agent}/command", reliable)
        self.start()

    def _on_answer(self, msg: Any) -> None:
        with self.cond:
            self.answers.append((time.time(), msg.data))
            self.cond.notify_all()

    def _on_status(self, msg: Any) -> None:
        try:
            status = json.loads(msg.data)
        except ValueError:
            return
        with self.cond:
            self.status = status
            self.cond.notify_all()

    def count(self) -> int:
        with self.cond:
            return len(self.answers)

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Until ``predicate()`` (called under the lock) holds; False after ``timeout`` s."""
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def send(self, text: str) -> float:
        t = time.time()
        self.pub.publish(self._String(data=text))
        return t



def read_audit_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:  # a line being written as we read
            pass
    return out


def outcome(record: dict[str, Any]) -> str:
    """What happened to a command, from its audit line: ok, failed: ..., declined: ..., error: ..."""
    if record.get("error"):
        return f"error: {record['error']}"
    if record.get("ok"):
        return "ok"
    if record.get("cancelled"):
        return "cancelled"
    if record.get("declined") or not record.get("runs"):
        return f"declined: {record.get('reason') or '?'}"
    failed = [t for t in record["runs"][-1].get("tasks", []) if t.get("status") == "failed"]
    if failed:
        return f"failed: {failed[0]['skill']}: {failed[0].get('error', '')[:70]}"
    return "failed"


def start(tmp: Path, outstanding: int, time_scale: float, call_timeout_s: float, speech: bool,
          log: Callable[[str], None]) -> tuple[Nodes, Client, Path]:
    plans = write_plans(tmp / "plans.jsonl")
    audit = tmp / "audit.jsonl"
    domain = new_domain_id()
    nodes = Nodes(ros_env(domain), tmp)
    nodes.start("robot", "sim_robot_node", params={"time_scale": time_scale})
    params: dict[str, Any] = {"plans_file": str(plans), "audit_log": str(audit),
                              "queue_size": max(10, 2 * outstanding), "speech": speech}
    if call_timeout_s > 0:  # a call that hangs costs this long, not the bindings' minutes
        params["timeouts"] = [f"{s}={call_timeout_s:g}" for s in sorted(SKILLS)]
    nodes.start("agent", "agent_node", params=params)
    client = None
    try:
        client = Client(domain)
        t0 = time.monotonic()
        for name in ("robot", "agent"):
            if nodes.procs[name][0].poll() is not None:
                raise RuntimeError(f"{name} exited:\n{nodes.log(name)}")
        if not client.wait(lambda: client.status.get("state") == "idle", 60):
            raise RuntimeError("the agent did not report 'idle' within 60 s:\n" + nodes.log("agent"))
        deadline = time.monotonic() + 30
        while client.pub.get_subscription_count() == 0 or client.node.count_publishers("/sim_robot/calls") == 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the agent's ~/command or the robot did not show up within 30 s")
            time.sleep(0.05)
        # Our ~/command writer has matched the agent's reader; our ~/answer reader may not have
        # matched its writer yet (an answer before that is lost): send until one comes back.
        sent = 0
        while client.count() == 0:
            if sent >= 10:
                raise RuntimeError("no answer to 10 handshake commands:\n" + nodes.log("agent"))
            client.send(HANDSHAKE)
            sent += 1
            client.wait(lambda: len(client.answers) > 0, 3.0)
        # Every handshake handled (its audit line is written just before its answer), then start clean.
        deadline = time.monotonic() + 30
        while sum(r.get("command") == HANDSHAKE for r in read_audit_lines(audit)) < sent:
            if time.monotonic() > deadline:
                raise RuntimeError("the handshake commands were not all handled")
            time.sleep(0.05)
        time.sleep(0.3)
        with client.cond:
            client.answers.clear()
        log(f"nodes up in {time.monotonic() - t0:.1f} s (handshake: {sent} command{'s' * (sent != 1)});"
            f" agent pid {nodes.procs['agent'][0].pid}, robot pid {nodes.procs['robot'][0].pid}")
        return nodes, client, audit
    except BaseException:
        if client is not None:
            client.close()
        nodes.stop_all()
        raise


def soak(n: int = 10_000, outstanding: int = 8, tmp: Path | None = None, stall_s: float = 60.0,
         time_scale: float = 0.0, call_timeout_s: float = 10.0, speech: bool = False,
         log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the soak; returns the figures (see the module docstring). Stops the nodes before returning.

    ``time_scale``: the robot's real seconds per simulated second; ``call_timeout_s``: the
    agent's timeout of every call (0: the bindings' own, up to an hour); ``stall_s``: give
    up when no answer came for that long; ``speech``: let the agent load its speech models
    (static memory that only dilutes the RSS growth; off by default)."""
    if n < 1 or outstanding < 1:
        raise ValueError("n and outstanding must be at least 1")
    tmp = Path(tmp or tempfile.mkdtemp(prefix="bench_soak_"))
    tmp.mkdir(parents=True, exist_ok=True)
    nodes, client, audit = start(tmp, outstanding, time_scale, call_timeout_s, speech, log)
    agent_proc, robot_proc = nodes.procs["agent"][0], nodes.procs["robot"][0]
    width = suffix_width(n)
    texts = [unique_text(PLANS[i % len(PLANS)][0], i, width) for i in range(n)]
    sent_at: list[float] = []
    samples: list[tuple[int, float, int | None, int | None]] = []  # (answers, seconds, agent KiB, robot KiB)
    stop_reason = ""
    t_start = time.time()

    prev = [0, t_start, cpu_s(agent_proc.pid), cpu_s(robot_proc.pid)]  # answers, time, CPU s at the last sample

    def sample(count: int) -> None:
        now = time.time()
        a, r = rss_kib(agent_proc.pid), rss_kib(robot_proc.pid)
        ca, cr = cpu_s(agent_proc.pid), cpu_s(robot_proc.pid)
        samples.append((count, now - t_start, a, r))
        done = max(1, count - prev[0])

        def per_cmd(c1: float | None, c0: float | None) -> str:
            return "  n/a" if c1 is None or c0 is None else f"{1000 * (c1 - c0) / done:5.1f}"
        log(f"  {count:6d} answered  {now - t_start:7.1f} s  {done / max(1e-9, now - prev[1]):6.1f} cmd/s"
            f"   CPU ms/cmd agent {per_cmd(ca, prev[2])} robot {per_cmd(cr, prev[3])}"
            f"   RSS agent {mib(a)} MiB   robot {mib(r)} MiB")
        prev[:] = [count, now, ca, cr]

    next_sample = [min(WARMUP, n)] + list(range(SAMPLE_EVERY, n + 1, SAMPLE_EVERY))
    next_sample = sorted(set(next_sample))

    def take_samples(count: int) -> None:
        if next_sample and count >= next_sample[0]:
            while next_sample and count >= next_sample[0]:
                next_sample.pop(0)
            sample(count)

    try:
        for i, text in enumerate(texts):
            # at most `outstanding` unanswered
            while True:
                if client.wait(lambda: i - len(client.answers) < outstanding, 1.0):
                    break
                if agent_proc.poll() is not None or robot_proc.poll() is not None:
                    stop_reason = "a node exited"
                    break
                last_answer = client.answers[-1][0] if client.answers else t_start
                if time.time() - last_answer > stall_s:
                    stop_reason = f"no answer for {stall_s:g} s"
                    break
            if stop_reason:
                break
            take_samples(client.count())
            sent_at.append(client.send(text))
        # the last answers
        while not stop_reason and client.count() < len(sent_at):
            before = client.count()
            if not client.wait(lambda: len(client.answers) > before, stall_s):
                stop_reason = f"no answer for {stall_s:g} s"
            take_samples(client.count())
        if stop_reason:
            log(f"stopped early: {stop_reason}")
        take_samples(client.count())
        time.sleep(0.5)  # anything late
    except KeyboardInterrupt:
        stop_reason = "interrupted"
        log("interrupted: figures so far")
    finally:
        end_rss = (rss_kib(agent_proc.pid), rss_kib(robot_proc.pid))
        client.close()
        nodes.stop_all()

    with client.cond:
        answers = list(client.answers)
    f = figures(texts[:len(sent_at)], sent_at, answers, read_audit_lines(audit), samples, end_rss,
                stop_reason, tmp, {name: nodes.procs[name][0].returncode for name in nodes.procs})
    agent_log = nodes.log("agent")
    f["ignored_action_responses"] = {kind: agent_log.count(f"Ignoring unexpected {kind} response")
                                     for kind in ("goal", "result", "cancel")}
    f["agent_log_warnings"] = sum(line.startswith(("[WARN", "[WARNING", "[ERROR")) for line in agent_log.splitlines())
    return f


def figures(texts: list[str], sent_at: list[float], answers: list[tuple[float, str]],
            records: list[dict[str, Any]], samples: list, end_rss: tuple, stop_reason: str, tmp: Path,
            exit_codes: dict[str, int | None]) -> dict[str, Any]:
    n_sent, n_answered = len(texts), len(answers)
    mine = [r for r in records if r.get("command") != HANDSHAKE]
    by_text: dict[str, list[dict[str, Any]]] = {}
    for r in mine:
        by_text.setdefault(r.get("command"), []).append(r)
    no_line = [t for t in texts if t not in by_text]
    duplicated = [t for t in texts if len(by_text.get(t, [])) > 1]
    strangers = [r for r in mine if r.get("command") not in set(texts)]
    # audit order = sending order (the queue is first in, first out)
    audit_order = [r.get("command") for r in mine if r.get("command") in by_text]
    out_of_order = sum(a != b for a, b in zip(audit_order, [t for t in texts if t in by_text]))
    runs = [r.get("run") for r in mine]
    runs_increasing = all(a < b for a, b in zip(runs, runs[1:]))
    # the i-th answer is the answer of the i-th command
    expected_answers = [by_text[t][0].get("answer") if t in by_text else None for t in texts]
    mismatched = [i for i, (_, a) in enumerate(answers[:n_sent]) if a != expected_answers[i]]
    extra_answers = max(0, n_answered - n_sent)
    results_lost = len(no_line) + len(duplicated) + len(strangers) + len(mismatched) + extra_answers + out_of_order

    kinds: Counter[str] = Counter()
    unexpected: Counter[str] = Counter()
    base_of = {}
    for t in texts:
        base_of[t] = t.rsplit(" ", 1)[0]
    for t in texts:
        if t not in by_text:
            continue
        o = outcome(by_text[t][0])
        kinds[o] += 1
        if not o.startswith(EXPECTED[base_of[t]]):
            unexpected[f"{base_of[t]!r} -> {o}"] += 1

    # the agent's handling time (audit duration_s) per 1000 commands, by kind of command
    handling: list[tuple[int, dict[str, float]]] = []
    for lo in range(0, n_sent, SAMPLE_EVERY):
        block: dict[str, list[float]] = {}
        for t in texts[lo:lo + SAMPLE_EVERY]:
            if t in by_text and isinstance(by_text[t][0].get("duration_s"), (int, float)):
                block.setdefault(KIND_OF[base_of[t]], []).append(by_text[t][0]["duration_s"])
        handling.append((lo, {k: 1000 * statistics.median(v) for k, v in sorted(block.items())}))

    latencies = [answers[i][0] - sent_at[i] for i in range(min(n_answered, n_sent))]
    elapsed = (answers[-1][0] - sent_at[0]) if answers and sent_at else 0.0
    warm = next((s for s in samples if s[0] >= min(WARMUP, n_sent)), None)
    final = samples[-1] if samples else None
    agent_end = end_rss[0] if end_rss[0] is not None else (final[2] if final else None)
    robot_end = end_rss[1] if end_rss[1] is not None else (final[3] if final else None)

    def growth(base: int | None, end: int | None) -> float | None:
        return None if not base or end is None else 100.0 * (end - base) / base

    return {
        "commands_sent": n_sent, "answers_received": n_answered,
        "commands_lost": max(0, n_sent - n_answered),
        "results_lost": results_lost,
        "audit_lines": len(mine), "no_audit_line": len(no_line), "duplicated_audit_lines": len(duplicated),
        "unknown_audit_lines": len(strangers), "audit_out_of_order": out_of_order,
        "runs_increasing": runs_increasing, "answers_mismatched": len(mismatched), "extra_answers": extra_answers,
        "first_mismatch": (mismatched[0], answers[mismatched[0]][1], expected_answers[mismatched[0]])
        if mismatched else None,
        "outcomes": dict(kinds.most_common()), "unexpected_outcomes": dict(unexpected.most_common()),
        "seconds": elapsed, "throughput_cmd_s": n_answered / elapsed if elapsed > 0 else 0.0,
        "latency_ms": ({"median": 1000 * statistics.median(latencies),
                        "p99": 1000 * sorted(latencies)[int(0.99 * (len(latencies) - 1))],
                        "max": 1000 * max(latencies)} if latencies else None),
        "rss_samples_kib": samples, "handling_ms": handling,
        "agent_rss_warm_kib": warm[2] if warm else None, "agent_rss_end_kib": agent_end,
        "agent_rss_growth_pct": growth(warm[2] if warm else None, agent_end),
        "robot_rss_warm_kib": warm[3] if warm else None, "robot_rss_end_kib": robot_end,
        "robot_rss_growth_pct": growth(warm[3] if warm else None, robot_end),
        "stop_reason": stop_reason, "exit_codes": exit_codes, "tmp": str(tmp),
    }


def report(f: dict[str, Any], log: Callable[[str], None] = print) -> None:
    pct = lambda v: "n/a" if v is None else f"{v:+.2f} %"  # noqa: E731
    log("")
    log(f"commands sent          {f['commands_sent']}")
    log(f"answers received       {f['answers_received']}")
    log(f"commands lost          {f['commands_lost']}   (sent, never answered)")
    log(f"results lost           {f['results_lost']}   (no audit line {f['no_audit_line']}, duplicated "
        f"{f['duplicated_audit_lines']}, unknown {f['unknown_audit_lines']}, out of order "
        f"{f['audit_out_of_order']}, answer not the audited one {f['answers_mismatched']}, extra answers "
        f"{f['extra_answers']}; run ids increasing: {f['runs_increasing']})")
    if f["first_mismatch"]:
        i, got, want = f["first_mismatch"]
        log(f"  first mismatch at answer {i}: got {got!r}, audit says {want!r}")
    log(f"throughput             {f['throughput_cmd_s']:.1f} commands/s ({f['seconds']:.1f} s)")
    if f["latency_ms"]:
        lat = f["latency_ms"]
        log(f"command -> answer      median {lat['median']:.1f} ms   p99 {lat['p99']:.1f} ms   max {lat['max']:.1f} ms"
            "   (commands waiting ahead included)")
    if f["handling_ms"]:
        kinds = sorted({k for _, block in f["handling_ms"] for k in block})
        log("agent's handling time per command, median ms (audit duration_s), per 1000 commands:")
        log("  commands     " + "".join(f"{k:>16}" for k in kinds))
        for lo, block in f["handling_ms"]:
            log(f"  {lo:5d}-{lo + SAMPLE_EVERY - 1:<5d}" + "".join(
                f"{block[k]:16.1f}" if k in block else f"{'':16}" for k in kinds))
    log("outcomes:")
    for kind, count in f["outcomes"].items():
        log(f"  {count:6d}  {kind}")
    log(f"unexpected outcomes:   {sum(f['unexpected_outcomes'].values())}")
    for kind, count in f["unexpected_outcomes"].items():
        log(f"  {count:6d}  {kind}")
    log(f"agent RSS              after warm-up {mib(f['agent_rss_warm_kib'])} MiB   end {mib(f['agent_rss_end_kib'])}"
        f" MiB   growth {pct(f['agent_rss_growth_pct'])}   (goal: within 5 %)")
    log(f"robot RSS              after warm-up {mib(f['robot_rss_warm_kib'])} MiB   end {mib(f['robot_rss_end_kib'])}"
        f" MiB   growth {pct(f['robot_rss_growth_pct'])}")
    if "ignored_action_responses" in f:
        log(f"agent log              {f['agent_log_warnings']} warning/error lines; action responses rclpy ignored"
            f" (\"Ignoring unexpected ... response\"): {f['ignored_action_responses']}")
    if f["stop_reason"]:
        log(f"stopped early: {f['stop_reason']}")
    log(f"node exit codes        {f['exit_codes']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="commands to send (default 10000)")
    ap.add_argument("--outstanding", type=int, default=8, help="at most this many unanswered (default 8)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (plans, audit log, node logs)")
    ap.add_argument("--time-scale", type=float, default=0.0,
                    help="the robot's real seconds per simulated second (default 0: instant)")
    ap.add_argument("--call-timeout", type=float, default=10.0,
                    help="the agent's timeout of every call, s (default 10; 0: the bindings' own)")
    ap.add_argument("--speech", action="store_true", help="let the agent load its speech models (default: off)")
    ap.add_argument("--stall", type=float, default=60.0, help="give up after this long with no answer (default 60 s)")
    args = ap.parse_args(argv)
    # SIGTERM like Ctrl-C, so the nodes are stopped either way
    def interrupt(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="bench_soak_"))
    try:
        print(f"soak: {args.n} commands, at most {args.outstanding} unanswered; files in {tmp}", flush=True)
        f = soak(args.n, args.outstanding, tmp, stall_s=args.stall, time_scale=args.time_scale,
                 call_timeout_s=args.call_timeout, speech=args.speech, log=lambda s: print(s, flush=True))
        report(f)
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
