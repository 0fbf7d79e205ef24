"""Helpers for tests and benchmarks that talk DDS: loopback only, a domain of their own.

Importing this module points Fast DDS at ``config/fastdds_loopback.xml`` (one UDP
transport bound to 127.0.0.1, built-in transports and multicast off) for this
process and every process it starts: nothing leaves the machine. Each
:func:`ros_env` call gets a fresh ``ROS_DOMAIN_ID``, so tests never see each
other's nodes. :class:`Nodes` starts the console scripts as separate processes;
:class:`Probe` is a small rclpy node in the test process that sends commands and
records what the agent and the robot publish.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROFILE = REPO / "config" / "fastdds_loopback.xml"

#: Set before rclpy (Fast DDS reads the profile once per process).
LOOPBACK_ENV = {
    "FASTRTPS_DEFAULT_PROFILES_FILE": str(PROFILE),  # the name Fast DDS 2.14 (Jazzy) reads
    "FASTDDS_DEFAULT_PROFILES_FILE": str(PROFILE),  # the name later Fast DDS versions read
    "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp",
    "ROS_LOG_DIR": str(Path(tempfile.gettempdir()) / f"agent_node_ros_logs_{os.getuid()}"),
}
os.environ.update(LOOPBACK_ENV)
os.environ.pop("ROS_LOCALHOST_ONLY", None)

# Domains 1..100, spread by process id so two test runs at once rarely meet.
_domains = itertools.count((os.getpid() * 13) % 97)


def new_domain_id() -> int:
    return 1 + next(_domains) % 100


def ros_env(domain_id: int | None = None) -> dict[str, str]:
    """The environment for a node process: loopback profile, its own domain."""
    env = {**os.environ, **LOOPBACK_ENV, "PYTHONUNBUFFERED": "1", "PYTHONPATH": ""}
    env["ROS_DOMAIN_ID"] = str(new_domain_id() if domain_id is None else domain_id)
    return env


class Nodes:
    """Node processes started by a test; :meth:`stop_all` ends them (SIGINT, then SIGKILL)."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.log_dir = Path(log_dir)
        self.procs: dict[str, tuple[subprocess.Popen, Path]] = {}

    def start(self, name: str, executable: str, *ros_args: str, params: dict[str, Any] | None = None) -> subprocess.Popen:
        args = [str(BIN / executable), "--ros-args", *ros_args]
        for key, value in (params or {}).items():
            args += ["-p", f"{key}:={_param_text(value)}"]
        log = self.log_dir / f"{name}.log"
        out = log.open("w")
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=REPO,
                                start_new_session=True)
        out.close()
        self.procs[name] = (proc, log)
        return proc

    def log(self, name: str) -> str:
        return self.procs[name][1].read_text(errors="replace")

    def stop(self, name: str, timeout: float = 5.0) -> int | None:
        proc, _ = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        return proc.returncode

    def kill(self, name: str) -> None:
        proc, _ = self.procs[name]
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def wait_up(probe: "Probe", nodes: Nodes, robot_topic: str | None = "/sim_robot/calls", what: str = "the robot",
            ready_s: float = 60.0) -> None:
    """Until the agent is ready and someone publishes ``robot_topic``; else AssertionError
    with every node's log."""
    try:
        probe.wait_ready(ready_s)
        if robot_topic:
            probe.wait_for(lambda: probe.node.count_publishers(robot_topic) > 0, 30, what)
    except AssertionError:
        raise AssertionError("nodes did not come up:\n" + "\n".join(nodes.log(n) for n in nodes.procs)) from None
    # The graph shows an endpoint before every reader has matched every writer; a message sent
    # in between is lost to a volatile reader, so let matching settle before the first command.
    time.sleep(1.0)


def _param_text(value: Any) -> str:
    if value == "":
        return "''"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(f"'{v}'" if isinstance(v, str) else str(v) for v in value) + "]"
    return str(value)


class SpinningNode:
    """An rclpy node in this process, on a context and domain of its own, spun by a
    thread; :meth:`close` ends it."""

    def __init__(self, domain_id: int, name: str):
        import rclpy
        from rclpy.context import Context
        from rclpy.signals import SignalHandlerOptions

        self._rclpy = rclpy
        self.context = Context()
        rclpy.init(context=self.context, domain_id=domain_id, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node(name, context=self.context)

    def start(self) -> None:
        """Spin from now on (call once the subscriptions are made)."""
        from rclpy.executors import SingleThreadedExecutor

        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except Exception:  # shutting down
            pass

    def close(self) -> None:
        try:
            self.executor.shutdown(timeout_sec=2.0)
            self.node.destroy_node()
            self._rclpy.shutdown(context=self.context)
        except Exception:  # already shut down
            pass
        self._thread.join(2.0)


class Probe(SpinningNode):
    """An rclpy node in the test process, on its own context and domain.

    Records every message on the agent's outputs and the robot's ``~/calls``
    (decoded from JSON where they are JSON) with the time it arrived."""

    def __init__(self, domain_id: int, agent: str = "/agent_node", robot: str = "/sim_robot"):
        from rclpy.qos import DurabilityPolicy, QoSProfile
        from std_msgs.msg import String
        from std_srvs.srv import Trigger

        super().__init__(domain_id, f"probe_{os.getpid()}")
        self.lock = threading.Lock()
        self.got: dict[str, list[tuple[float, Any]]] = {
            k: [] for k in ("answer", "plan", "events", "status", "calls", "transcript")}
        qos = QoSProfile(depth=100)
        latched = QoSProfile(depth=20, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        for key, topic, q in (("answer", f"{agent}/answer", qos), ("plan", f"{agent}/plan", qos),
                              ("events", f"{agent}/events", qos), ("status", f"{agent}/status", latched),
                              ("calls", f"{robot}/calls", qos), ("transcript", f"{agent}/transcript", qos)):
            self.node.create_subscription(String, topic, self._recorder(key), q)
        self.command_pub = self.node.create_publisher(String, f"{agent}/command", qos)
        from std_msgs.msg import Int16MultiArray

        self._Int16MultiArray = Int16MultiArray
        self.audio_pubs = {name: self.node.create_publisher(Int16MultiArray, f"{agent}/{name}", qos)
                           for name in ("audio", "utterance")}
        self.cancel_client = self.node.create_client(Trigger, f"{agent}/cancel")
        self._String, self._Trigger = String, Trigger
        self.start()

    def _recorder(self, key: str) -> Callable[[Any], None]:
        def record(msg: Any) -> None:
            try:
                value = json.loads(msg.data) if key != "answer" else msg.data
            except ValueError:
                value = msg.data
            with self.lock:
                self.got[key].append((time.time(), value))
        return record

    def messages(self, key: str) -> list[Any]:
        with self.lock:
            return [v for _, v in self.got[key]]

    def stamped(self, key: str) -> list[tuple[float, Any]]:
        with self.lock:
            return list(self.got[key])

    def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.01)
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the agent says it is idle and hears our commands."""
        self.wait_for(lambda: any(s.get("state") == "idle" for s in self.messages("status") if isinstance(s, dict)),
                      timeout, "the agent's status 'idle'")
        self.wait_for(lambda: self.command_pub.get_subscription_count() > 0, timeout, "the agent's ~/command")
        self.wait_for(lambda: self.node.count_publishers("/agent_node/answer") > 0, timeout, "the agent's ~/answer")

    def send(self, text: str) -> float:
        t = time.time()
        self.command_pub.publish(self._String(data=text))
        return t

    def send_samples(self, topic: str, samples: Any, chunk: int = 0, period_s: float = 0.0) -> None:
        """16 kHz int16 samples on the agent's ``~/utterance`` (whole) or ``~/audio``
        (in chunks of ``chunk`` samples, ``period_s`` apart)."""
        import numpy as np

        data = np.asarray(samples, dtype=np.int16)
        step = chunk or max(data.size, 1)
        for start in range(0, max(data.size, 1), step):
            self.audio_pubs[topic].publish(self._Int16MultiArray(data=data[start:start + step].tolist()))
            if period_s:
                time.sleep(period_s)

    def answers(self) -> list[str]:
        return self.messages("answer")

    def wait_answers(self, n: int, timeout: float) -> list[str]:
        return self.wait_for(lambda: len(self.answers()) >= n and self.answers(), timeout, f"{n} answer(s)")

    def cancel(self, timeout: float = 10.0) -> Any:
        if not self.cancel_client.wait_for_service(timeout_sec=timeout):
            raise AssertionError("the agent's ~/cancel service is not there")
        future = self.cancel_client.call_async(self._Trigger.Request())
        self.wait_for(future.done, timeout, "the answer of ~/cancel")
        return future.result()

