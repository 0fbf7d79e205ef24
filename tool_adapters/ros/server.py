"""The robot side of a bindings file: serve any SkillRunner's skills on ROS 2.

For each bound skill, :class:`SkillServer` offers what the agent's
:class:`~tool_adapters.ros.runner.RosSkillRunner` expects: a service, an action
server (feedback published, cancel honoured), a topic published periodically
(``topic_read`` skills) or a topic listened to (``topic_publish`` skills). A name
with ``{arg}`` is served once per value of that parameter's enum
(``/lights/kitchen/set``, ...). The runner's coroutines run on the asyncio loop;
rclpy callbacks block their executor thread until the call ends, so the node
needs a multi-threaded executor with a thread per concurrent call. Every
call is published as JSON on ``~/calls`` when it starts and when it ends
(outcome started, ok, failed or cancelled, with the wall-clock time ``t``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import logging
import time
from typing import Any

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import QoSProfile
from std_msgs.msg import String

from agent_node.catalog.skills import Catalog
from agent_node.execution.skill_runner import FeedbackFn, SkillFailed, SkillRunner
from tool_adapters.ros.bindings import Bindings, BindingsError, SkillBinding
from tool_adapters.ros.messages import FieldValueError, fields_of, fill

log = logging.getLogger(__name__)
#: Seconds a finished goal's result stays available (rclpy's default, 900 s, keeps every
#: goal of the last 15 minutes in each status message: the soak bench saw the client's
#: cost per goal grow fourfold over 10 000 commands).
RESULT_KEEP_S = 30


def _no_feedback(progress: float | None, message: str) -> None:
    pass


class SkillServer:
    def __init__(self, node: Node, bindings: Bindings, catalog: Catalog, runner: SkillRunner,
                 loop: asyncio.AbstractEventLoop, publish_period_s: float = 0.5):
        self.node = node
        self.bindings = bindings
        self.runner = runner
        self.loop = loop
        self.publish_period_s = publish_period_s
        self._group = ReentrantCallbackGroup()
        self._calls_pub = node.create_publisher(String, "~/calls", QoSProfile(depth=100))
        self._action_servers: list[ActionServer] = []
        self._periodic: list[tuple[SkillBinding, str, dict[str, Any], Any]] = []
        self._tasks: list[asyncio.Task] = []
        self._running: dict[bytes, concurrent.futures.Future] = {}
        problems = []
        for b in bindings.skills.values():
            try:
                names = _names(b, catalog)
            except ValueError as e:
                problems.append(f"skill '{b.skill}': {e}")
                continue
            for name, fixed in names:
                self._serve(b, name, fixed)
        if problems:
            raise BindingsError(bindings.source, problems)

    def start(self) -> None:
        """Start publishing the topics of ``topic_read`` skills (call on the asyncio loop)."""
        for b, name, fixed, pub in self._periodic:
            self._tasks.append(self.loop.create_task(self._publish_forever(b, name, fixed, pub)))

    def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for fut in list(self._running.values()):
            fut.cancel()
        for server in self._action_servers:
            server.destroy()

    # -- serving --------------------------------------------------------------------
    def _serve(self, b: SkillBinding, name: str, fixed: dict[str, Any]) -> None:
        if b.kind == "service":
            self.node.create_service(b.interface, name, lambda req, resp: self._on_service(b, fixed, req, resp),
                                     callback_group=self._group)
        elif b.kind == "action":
            self._action_servers.append(ActionServer(
                self.node, b.interface, name, execute_callback=lambda gh: self._execute(b, fixed, gh),
                goal_callback=lambda goal: GoalResponse.ACCEPT, cancel_callback=self._on_cancel,
                callback_group=self._group, result_timeout=RESULT_KEEP_S))
        elif b.kind == "topic_read":
            pub = self.node.create_publisher(b.interface, name, QoSProfile(depth=10))
            self._periodic.append((b, name, fixed, pub))
        else:
            self.node.create_subscription(b.interface, name, lambda msg: self._on_message(b, fixed, msg),
                                          QoSProfile(depth=10), callback_group=self._group)

    def _run(self, b: SkillBinding, args: dict[str, Any], feedback: FeedbackFn) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(self._call(b, args, feedback), self.loop)

    async def _call(self, b: SkillBinding, args: dict[str, Any], feedback: FeedbackFn) -> Any:
        outcome, detail = "failed", None
        self._log_call(b.skill, args, "started", None)
        try:
            value = await self.runner.call(b.skill, args, feedback)
            outcome, detail = "ok", value
            return value
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except SkillFailed as e:
            detail = str(e)
            raise
        except Exception as e:
            detail = f"{type(e).__name__}: {e}"
            raise
        finally:
            self._log_call(b.skill, args, outcome, detail)

    def _log_call(self, skill: str, args: dict[str, Any], outcome: str, detail: Any) -> None:
        try:
            self._calls_pub.publish(String(data=json.dumps(
                {"skill": skill, "args": args, "outcome": outcome, "detail": detail, "t": time.time()},
                default=str)))
        except Exception:  # the log must never break a call
            log.exception("cannot publish ~/calls")

    def _on_service(self, b: SkillBinding, fixed: dict[str, Any], request: Any, response: Any) -> Any:
        try:
            args = b.args_from(request, fixed)
            value = self._run(b, args, _no_feedback).result()
            fill(response, b.response_values(value))
            _set_outcome(b, response, True, "")
        except SkillFailed as e:
            _set_outcome(b, response, False, str(e))
        except (concurrent.futures.CancelledError, asyncio.CancelledError):
            _set_outcome(b, response, False, "cancelled")
        except FieldValueError as e:
            _set_outcome(b, response, False, f"the robot's result does not fit {b.type_name}: {e}")
        except Exception as e:
            log.exception("%s failed", b.skill)
            _set_outcome(b, response, False, f"internal error: {type(e).__name__}: {e}")
        return response

    def _on_cancel(self, goal_handle: Any) -> CancelResponse:
        fut = self._running.get(bytes(goal_handle.goal_id.uuid))
        if fut is not None:
            fut.cancel()  # cancels the asyncio task of the call
        return CancelResponse.ACCEPT

    def _execute(self, b: SkillBinding, fixed: dict[str, Any], goal_handle: Any) -> Any:
        result = b.response_cls()
        goal_id = bytes(goal_handle.goal_id.uuid)

        def feedback(progress: float | None, message: str) -> None:  # on the asyncio loop
            try:
                values: dict[str, Any] = {}
                if b.progress_field and progress is not None:
                    values[b.progress_field] = float(progress)
                if b.feedback_message_field and "{" not in b.feedback_message_field:  # not a template
                    values[b.feedback_message_field] = str(message)
                goal_handle.publish_feedback(fill(b.feedback_cls(), values))
            except Exception:
                log.exception("cannot publish feedback of %s", b.skill)

        try:
            args = b.args_from(goal_handle.request, fixed)
            fut = self._run(b, args, feedback)
            self._running[goal_id] = fut
            while True:  # _on_cancel cancels at once; the poll covers a cancel that raced the start
                try:
                    value = fut.result(timeout=0.1)
                    break
                except concurrent.futures.TimeoutError:
                    if goal_handle.is_cancel_requested:
                        fut.cancel()
            fill(result, b.response_values(value))
            _set_outcome(b, result, True, "")
            goal_handle.succeed()
        except (concurrent.futures.CancelledError, asyncio.CancelledError):
            _set_outcome(b, result, False, "cancelled")
            deadline = time.monotonic() + 1.0  # the cancel request is accepted just after _on_cancel returns
            while not goal_handle.is_cancel_requested and time.monotonic() < deadline:
                time.sleep(0.002)
            if goal_handle.is_cancel_requested:
                goal_handle.canceled()
            else:
                goal_handle.abort()
        except Exception as e:
            if isinstance(e, SkillFailed):
                text = str(e)
            elif isinstance(e, FieldValueError):
                text = f"the robot's result does not fit {b.type_name}: {e}"
            else:
                log.exception("%s failed", b.skill)
                text = f"internal error: {type(e).__name__}: {e}"
            _set_outcome(b, result, False, text)
            goal_handle.abort()
        finally:
            self._running.pop(goal_id, None)
        return result

    def _on_message(self, b: SkillBinding, fixed: dict[str, Any], msg: Any) -> None:
        try:
            self._run(b, b.args_from(msg, fixed), _no_feedback)
        except Exception:
            log.exception("%s: cannot handle a message", b.skill)

    async def _publish_forever(self, b: SkillBinding, name: str, fixed: dict[str, Any], pub: Any) -> None:
        has_header = "header" in fields_of(b.interface)
        while True:
            try:
                value = await self.runner.call(b.skill, dict(fixed), _no_feedback)
                msg = fill(b.interface(), b.response_values(value))
                if has_header:
                    msg.header.stamp = self.node.get_clock().now().to_msg()
                pub.publish(msg)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cannot publish %s", name)
            await asyncio.sleep(self.publish_period_s)


def _set_outcome(b: SkillBinding, response: Any, ok: bool, message: str) -> None:
    if b.success_field:
        fill(response, {b.success_field: ok})
    if b.message_field:
        fill(response, {b.message_field: message})
    elif not ok:
        log.warning("%s failed and %s has no field to say why: %s", b.skill, b.type_name, message)


def _names(b: SkillBinding, catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    """Every concrete name of a binding with the argument values it stands for."""
    if not b.placeholders:
        return [(b.name, {})]
    skill = catalog.skill(b.skill)
    choices = []
    for p in b.placeholders:
        param = skill.params[p] if skill else None
        if param is None or not catalog.is_enum(param.type):
            raise ValueError(f"cannot serve {b.name}: '{p}' is not an enum, so its names cannot be listed")
        choices.append([(p, v) for v in catalog.enums[param.type]])
    out = []
    for combo in itertools.product(*choices):
        args = dict(combo)
        out.append((b.render_name(args), args))
    return out
