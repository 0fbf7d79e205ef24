"""The ``agent_node`` ROS 2 node: commands in, plans, progress and answers out.

Topics (relative to the node, ``/agent_node/...`` by default):

- ``~/command`` (std_msgs/String, in): what the robot should do, in plain language;
  "stop", "halt", "cancel" (:mod:`agent_node.language.control_words`) never reach the
  planner: they cancel every goal in flight, the plan being written and the
  queue at once; "yes" / "no" answer the open question of the safety policy;
- ``~/audio`` (std_msgs/Int16MultiArray, in): a stream of 16 kHz mono chunks,
  cut into utterances by voice activity detection;
- ``~/utterance`` (std_msgs/Int16MultiArray, in): one whole utterance per
  message (16 kHz mono), e.g. from a push-to-talk button;
- ``~/transcript`` (std_msgs/String, JSON): what was heard, before anything is
  planned: ``{"text", "confidence", "status", "detail", "duration_s",
  "speech_s"}``; a transcript with status ``ok`` (or any heard "stop") goes on
  as a command, any other gets an answer asking to say it again;
- ``~/plan`` (std_msgs/String, JSON): ``{"run", "command", "attempt", "tasks"}``
  for each plan before it runs (attempt 2.. are replans);
- ``~/events`` (std_msgs/String, JSON): every task event of the executor
  (started, feedback with progress, succeeded, failed, skipped, cancelled)
  with the run number;
- ``~/answer`` (std_msgs/String): the sentence for the person, also for bad
  input ("I cannot do that: the command is empty."), and the questions of the
  policy ("Shall I drive (distance_m=2, ...)? ... Say yes or no.");
- ``~/status`` (std_msgs/String, JSON, latched): ``{"state": starting | idle |
  planning | running | asking, "run", "command", "queued"}``;
- ``~/cancel`` (std_srvs/Trigger): stop the command being handled and drop the queued ones.

A command that arrives while another runs is queued, or preempts it
(``busy_policy``); a full queue refuses it with an answer, never silently. The
safety policy (``policy``) names the skills plans may use and the calls that
need a yes; no answer within its timeout is a no. Plans come from the model
(loaded once at start) or, with ``plans_file`` set, from recorded plans.
Skills are carried out per the bindings file (default: the simulated robot's).
Each handled command is one JSON line in the audit log; a command the node was
handling when it died is logged and answered as interrupted at the next start.
Parameters: see :data:`PARAMETERS` or ``config/agent_params.yaml``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sys
import time
from typing import Any

import numpy as np
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from std_msgs.msg import Int16MultiArray, String
from std_srvs.srv import Trigger

from agent_node.agent import Agent, command_problem
from agent_node.catalog.policy import Policy, load_policy
from agent_node.catalog.skills import load_catalog
from agent_node.execution.audit import AuditLog
from agent_node.execution.events import TaskEvent
from agent_node.execution.executor import DEFAULT_TIMEOUT_S
from agent_node.files.config_files import ConfigFileError
from agent_node.files.model_files import ModelFileError
from agent_node.language.control_words import control_word
from agent_node.plan.json_form import plan_to_data
from agent_node.plan.model import Plan
from agent_node.planning.settings import PlannerSettings, SettingsError, settings_of
from agent_node.profiles.profile import load_profile
from agent_node.ros.params import ParameterError, Spec, declare_all
from tool_adapters.ros.bindings import load_bindings
from tool_adapters.ros.bridge import SpinThread, run_node, to_loop, until_signalled
from tool_adapters.ros.runner import CANCEL_WAIT_S, RosSkillRunner

log = logging.getLogger("agent_node")

NODE_NAME = "agent_node"
DEFAULT_AUDIT_LOG = "~/.ros/agent_node/audit.jsonl"

PARAMETERS = [
    Spec("robot", "", "robot profile: a directory agent-robot build wrote, or a shipped one's name "
                      "('' = none); catalog, bindings, policy, model, adapter and ToolRAG come from it unless "
                      "set here"),
    Spec("catalog", "", "skill catalog YAML ('' = the reference home robot)"),
    Spec("bindings", "", "bindings YAML from skills to ROS services/actions/topics"
                         " ('' = config/sim_robot_bindings.yaml, the simulated robot)"),
    Spec("plans_file", "", "recorded plans, JSON lines {command, tasks}: when set, plans are looked up"
                           " there and no model is loaded"),
    Spec("model", "", "planner model: registry name or GGUF path ('' = the registry's default)"),
    Spec("adapter", "", "planner LoRA adapter: registered name or GGUF path ('' = the registry's default for "
                        "the model and catalog; 'none' = the model without one)"),
    Spec("toolrag_model", "", "ToolRAG model directory ('' = the committed one)"),
    Spec("toolrag_threshold", -1.0, "ToolRAG selection threshold (< 0 = the tuned one)"),
    Spec("threads", 2, "CPU threads for the model", minimum=1),
    Spec("prompt_states", "", "directory of the planner's stored prompt states "
         "('' = ~/.cache/agent_node/prompt_states; 'off' = none)"),
    Spec("timeout_s", DEFAULT_TIMEOUT_S, "executor timeout of a call whose binding gives none, seconds",
         minimum=0.001),
    Spec("timeouts", [""], "per-skill call timeouts overriding the bindings, as 'skill=seconds' strings"),
    Spec("max_replans", 2, "new plans after a failed run", minimum=0),
    Spec("busy_policy", "queue", "a command while one runs: queue it, or preempt (cancel) the running one",
         choices=("queue", "preempt")),
    Spec("queue_size", 10, "commands that may wait; more are refused with an answer", minimum=1),
    Spec("audit_log", DEFAULT_AUDIT_LOG, "audit log, JSON lines, one per command ('' = none)"),
    Spec("policy", "", "safety policy YAML ('' = config/home_robot_policy.yaml with the reference catalog,"
                       " none with another catalog)"),
    Spec("speech", True, "listen on ~/audio and ~/utterance (loads Whisper and the voice activity detector)"),
    Spec("whisper_model", "", "Whisper ggml model: speech registry name or path ('' = the default, tiny.en)"),
    Spec("speech_names", [""], "names that bias recognition: people, objects ('Alice', 'the red cup')"),
    Spec("max_utterance_s", 15.0, "longer speech on ~/audio is cut there and not acted on", minimum=1.0),
]


#: Node parameters a robot profile fills when they are left '' (parameter -> profile part).
FROM_ROBOT = {"catalog": "catalog", "bindings": "bindings", "policy": "policy", "model": "model",
              "adapter": "adapter", "toolrag_model": "toolrag", "bank": "bank"}


def with_robot(p: dict[str, Any]) -> dict[str, Any]:
    """The parameters with the robot profile's parts where they are left '' (ProfileError
    when the profile is unusable)."""
    if not p.get("robot"):
        return p
    return load_profile(p["robot"]).fill({"bank": "", **p}, FROM_ROBOT)


def planner_settings(p: dict[str, Any]) -> PlannerSettings:
    """The planner's settings from the node's parameters (``model``, ``adapter``, ``threads``,
    ``toolrag_model``, ``toolrag_threshold``, ``prompt_states``, and a profile's ``bank``)."""
    states = p["prompt_states"]
    return settings_of(dict(model=p["model"] or None, adapter=p["adapter"], threads=p["threads"],
                            toolrag_dir=p["toolrag_model"] or None, bank_dir=p.get("bank") or None,
                            threshold=p["toolrag_threshold"] if p["toolrag_threshold"] >= 0 else None,
                            states_dir=states if states not in ("", "off") else None, store_states=states != "off"))


#: Utterances waiting for the transcriber; more are answered "say it again".
SPEECH_QUEUE = 4


class StartupError(RuntimeError):
    """The node cannot start: a parameter, file or model is unusable."""


def _timeouts(entries: list[str], skills: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for entry in entries:
        if not entry.strip():
            continue
        name, sep, value = entry.partition("=")
        name = name.strip()
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not sep or name not in skills or not seconds > 0:
            raise ParameterError(f"parameter 'timeouts': '{entry}' is not 'skill=seconds' with a catalog skill"
                                 " and a positive number")
        out[name] = seconds
    return out


class AgentNode:
    """Everything the node does, on a node made by the caller, driven by an asyncio loop."""

    def __init__(self, node: Node, loop: asyncio.AbstractEventLoop):
        self.node = node
        self.loop = loop
        status_qos = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self._status_pub = node.create_publisher(String, "~/status", status_qos)
        self._status: dict[str, Any] = {"state": "starting", "run": None, "command": None, "queued": 0}
        self._publish_status()
        try:
            p = with_robot(declare_all(node, PARAMETERS))
            self.params = p
            self.catalog = load_catalog(p["catalog"] or None)
            self.bindings = load_bindings(p["bindings"] or None, self.catalog)
            timeouts = {s: b.server_wait_s + b.timeout_s + CANCEL_WAIT_S + 1.0 for s, b in self.bindings.skills.items()}
            for skill, seconds in _timeouts(p["timeouts"], self.catalog.skill_names).items():
                timeouts[skill] = seconds
                if skill in self.bindings.skills:
                    self.bindings.skills[skill].timeout_s = seconds
            self.policy = self._policy(p)
            self.source = self._plan_source(p)
            self.transcriber, self.cutter = self._speech(p) if p["speech"] else (None, None)
        except (ParameterError, ConfigFileError, ModelFileError, SettingsError) as e:
            raise StartupError(str(e)) from None
        if self.bindings.unbound:
            log.warning("skills with no binding in %s (plans using them will fail): %s",
                        self.bindings.source, ", ".join(self.bindings.unbound))
        self.runner = RosSkillRunner(node, self.bindings)
        self.runner.prepare()
        self.agent = Agent(self.catalog, self.source, self.runner, timeout_s=p["timeout_s"], timeouts=timeouts,
                           max_replans=p["max_replans"], on_event=self._on_event, on_plan=self._on_plan,
                           policy=self.policy, on_question=self._on_question)
        self.audit = AuditLog(p["audit_log"] or None)
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(maxsize=p["queue_size"])
        self._ids = itertools.count(1)
        self._run_id: int | None = None
        self._events: list[dict[str, Any]] = []
        self._plans: list[dict[str, Any]] = []
        self._plan_pub = node.create_publisher(String, "~/plan", QoSProfile(depth=10))
        self._events_pub = node.create_publisher(String, "~/events", QoSProfile(depth=100))
        self._answer_pub = node.create_publisher(String, "~/answer", QoSProfile(depth=10))
        self._transcript_pub = node.create_publisher(String, "~/transcript", QoSProfile(depth=10))
        self.speech_queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=SPEECH_QUEUE)
        node.create_subscription(String, "~/command", self._command_callback, QoSProfile(depth=10))
        if self.transcriber is not None:
            node.create_subscription(Int16MultiArray, "~/audio", self._audio_callback, QoSProfile(depth=100))
            node.create_subscription(Int16MultiArray, "~/utterance", self._utterance_callback, QoSProfile(depth=10))
        node.create_service(Trigger, "~/cancel", self._cancel_callback)
        self._interrupted = ""
        self._report_interrupted()
        self._set_status(state="idle")
        log.info("ready: catalog %d skills, bindings %s, plans from %s, busy policy %s, policy %s, speech %s",
                 len(self.catalog.skills), self.bindings.source, p["plans_file"] or "the model",
                 p["busy_policy"], self.policy.source, "on" if self.transcriber is not None else "off")

    def _policy(self, p: dict[str, Any]) -> Policy:
        if not p["policy"] and p["catalog"]:
            log.warning("no safety policy for catalog %s: every skill allowed, nothing confirmed"
                        " (set the 'policy' parameter)", p["catalog"])
            return Policy.permissive()
        return load_policy(p["policy"] or None, self.catalog)

    def _speech(self, p: dict[str, Any]) -> tuple[Any, Any]:
        from agent_node.speech import Transcriber, UtteranceCutter

        log.info("loading the speech models (once)...")
        names = [n for n in p["speech_names"] if n.strip()]
        transcriber = Transcriber.load(self.catalog, names=names, model=p["whisper_model"] or None,
                                       threads=p["threads"])
        return transcriber, UtteranceCutter(max_utterance_s=p["max_utterance_s"])

    def _report_interrupted(self) -> None:
        """A command the previous process died handling: logged now, answered once someone listens."""
        record = self.audit.recover()
        if record is not None:
            log.warning("the previous run stopped while handling %r", record.get("command"))
            self._interrupted = (f"I was restarted while doing \"{str(record.get('command'))[:80]}\"; it did not"
                                 " finish. Please check the robot and ask again.")

    async def _announce_interrupted(self, wait_s: float = 5.0) -> None:
        if not self._interrupted:
            return
        deadline = time.monotonic() + wait_s
        while self._answer_pub.get_subscription_count() == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # matching settles a moment after the graph shows the reader
        self._publish(self._answer_pub, self._interrupted)
        self._interrupted = ""

    def _plan_source(self, p: dict[str, Any]) -> Any:
        if p["plans_file"]:
            from agent_node.planning.recorded_plans import RecordedPlans

            return RecordedPlans.load(p["plans_file"], self.catalog)
        from agent_node.planning.planner import Planner

        log.info("loading the planner model (once)...")
        allowed = None if self.policy.allowed_skills == "all" else self.policy.allowed_skills
        return Planner.load(self.catalog, planner_settings(p), allowed=allowed)

    # -- publishing ----------------------------------------------------------------
    def _publish(self, pub: Any, data: Any) -> None:
        try:
            text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str)
            pub.publish(String(data=text))
        except Exception:  # a message that cannot go out must not stop the agent
            log.exception("cannot publish on %s", pub.topic_name)

    def _set_status(self, **fields: Any) -> None:
        self._status.update(fields)
        self._status["queued"] = self.queue.qsize() if hasattr(self, "queue") else 0
        self._publish_status()

    def _publish_status(self) -> None:
        self._publish(self._status_pub, dict(self._status))

    def _on_event(self, ev: TaskEvent) -> None:
        data = {"run": self._run_id, **ev.model_dump()}
        self._events.append(data)
        self._publish(self._events_pub, data)
        if ev.kind not in ("feedback", "confirm"):
            self._journal()

    def _on_plan(self, plan: Plan, attempt: int) -> None:
        data = {"run": self._run_id, "command": self._status.get("command"), "attempt": attempt,
                **plan_to_data(plan)}
        self._plans.append(data)
        self._publish(self._plan_pub, data)
        self._set_status(state="running")
        self._journal()

    def _on_question(self, question: str) -> None:
        self._set_status(state="asking")
        self._publish(self._answer_pub, question)

    def _journal(self) -> None:
        """What the command in flight has done so far (read back after a crash)."""
        self.audit.begin({"run": self._run_id, "command": self._status.get("command"),
                          "plans": self._plans, "events": self._events})

    def _answer(self, run_id: int, command: str, answer: str, record: dict[str, Any]) -> None:
        self.audit.write({"run": run_id, "command": command, **record, "answer": answer})
        self._publish(self._answer_pub, answer)

    # -- commands --------------------------------------------------------------------
    def _command_callback(self, msg: String) -> None:  # rclpy's thread
        to_loop(self.loop, self._on_command, msg.data)

    def _on_command(self, text: Any) -> None:
        run_id = next(self._ids)
        control = control_word(text)
        if control is not None:
            self._on_control(run_id, text, control)
            return
        problem = command_problem(text)
        if problem:  # bad input is answered at once and never disturbs a running command
            self._answer(run_id, str(text)[:1000], f"I cannot do that: {problem}.",
                         {"ok": False, "error": problem, "plans": [], "events": []})
            return
        if self.params["busy_policy"] == "preempt" and (self.agent.busy or not self.queue.empty()):
            self._drop_queued("a newer command replaced it")
            self.agent.cancel()
        try:
            self.queue.put_nowait((run_id, text))
        except asyncio.QueueFull:
            self._answer(run_id, text, f"I cannot do that now: {self.queue.maxsize} commands are waiting already.",
                         {"ok": False, "error": "queue full", "plans": [], "events": []})
            return
        self._set_status()

    def _on_control(self, run_id: int, text: str, control: str) -> None:
        """Stop, yes and no: handled at once, in any state, never planned."""
        if control == "stop":
            running, message = self._stop_all("stopped before it started")
            answer = "Stopping." if running else ("There was nothing to stop." if not message else f"I {message}.")
        elif self.agent.confirm(control == "yes"):
            self._set_status(state="running")
            answer = "Going ahead." if control == "yes" else "I will not do that."
        else:
            answer = "There is no question to answer."
        self._answer(run_id, text, answer, {"ok": True, "control": control, "plans": [], "events": []})

    def _stop_all(self, why: str) -> tuple[bool, str]:
        """Cancel the command being handled and drop the queued ones:
        (a command was running, what was done in words; "" when nothing)."""
        dropped = self._drop_queued(why)
        running = self.agent.cancel()
        parts = []
        if running:
            parts.append(f"cancelling run {self._run_id} ({self._status.get('command')!r})")
        if dropped:
            parts.append(f"dropped {dropped} queued command{'s' * (dropped != 1)}")
        self._set_status()
        return running, "; ".join(parts)

    def _drop_queued(self, why: str) -> int:
        dropped = 0
        while not self.queue.empty():
            run_id, text = self.queue.get_nowait()
            dropped += 1
            self._answer(run_id, text, f"I did not start \"{text[:80]}\": {why}.",
                         {"ok": False, "error": why, "plans": [], "events": []})
        return dropped

    async def serve(self) -> None:
        """Handle queued commands one at a time, forever."""
        await self._announce_interrupted()
        while True:
            run_id, text = await self.queue.get()
            self._run_id, self._events, self._plans = run_id, [], []
            self._set_status(state="planning", run=run_id, command=text)
            self._journal()
            t0 = time.monotonic()
            try:
                run = await self.agent.handle(text)
                record = {**run.to_data(), "plans": self._plans, "events": self._events,
                          "duration_s": round(time.monotonic() - t0, 3)}
                self._answer(run_id, text, run.answer, record)
            except Exception as e:  # pragma: no cover - Agent.handle does not raise; belt and braces
                log.exception("command %d failed", run_id)
                self._answer(run_id, text, f"I cannot do that: internal error: {e}.", {"ok": False, "error": str(e)})
            finally:
                self.audit.finish()
                self._run_id = None
                self._set_status(state="idle", run=None, command=None)

    # -- cancel ------------------------------------------------------------------------
    def _cancel_callback(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        try:
            fut = asyncio.run_coroutine_threadsafe(self.cancel(), self.loop)
            response.success, response.message = fut.result(timeout=5.0)
        except Exception as e:
            response.success, response.message = False, f"cancel failed: {type(e).__name__}: {e}"
        return response

    async def cancel(self) -> tuple[bool, str]:
        _, message = self._stop_all("cancelled before it started")
        return (True, message) if message else (False, "nothing to cancel")

    # -- speech ------------------------------------------------------------------------
    def _audio_callback(self, msg: Int16MultiArray) -> None:  # rclpy's thread
        to_loop(self.loop, self._on_audio, np.array(msg.data, dtype=np.int16))

    def _utterance_callback(self, msg: Int16MultiArray) -> None:  # rclpy's thread
        to_loop(self.loop, self._hear, "samples", np.array(msg.data, dtype=np.int16))

    def _on_audio(self, chunk: np.ndarray) -> None:
        for utterance in self.cutter.feed(chunk):  # the voice activity detector: about 1 ms per 100 ms chunk
            self._hear("utterance", utterance)

    def _hear(self, kind: str, item: Any) -> None:
        try:
            self.speech_queue.put_nowait((kind, item))
        except asyncio.QueueFull:
            self._publish(self._answer_pub, "I am still working out what was said before. Please say it again.")

    async def serve_speech(self) -> None:
        """Transcribe utterances one at a time, forever; each transcript is published,
        then acted on as a command or answered with a request to say it again."""
        while True:
            kind, item = await self.speech_queue.get()
            try:
                hear = self.transcriber.transcribe_utterance if kind == "utterance" else self.transcriber.transcribe
                transcript = await asyncio.to_thread(hear, item)
            except Exception as e:  # never lose the node to one utterance
                log.exception("transcription failed")
                self._publish(self._answer_pub, f"I could not make out what was said ({type(e).__name__}). "
                                                "Please say it again.")
                continue
            self._publish(self._transcript_pub, transcript.model_dump())
            if transcript.actionable or control_word(transcript.text) == "stop":  # a stop is a stop, even unsure;
                self._on_command(transcript.text)                                  # an unsure yes is no yes
            else:
                self._publish(self._answer_pub, transcript.reply)


async def _amain(node: Node) -> int:
    loop = asyncio.get_running_loop()
    try:
        app = AgentNode(node, loop)
    except StartupError as e:
        node.get_logger().fatal(f"cannot start: {e}")
        print(f"agent_node: cannot start: {e}", file=sys.stderr, flush=True)
        return 2
    spin = SpinThread(node, num_threads=4).start()
    workers = [loop.create_task(app.serve())]
    if app.transcriber is not None:
        workers.append(loop.create_task(app.serve_speech()))
    await until_signalled()
    app.agent.cancel()
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    spin.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Console script ``agent_node``: ``agent_node --ros-args --params-file config/agent_params.yaml``."""
    return run_node(NODE_NAME, _amain, argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
