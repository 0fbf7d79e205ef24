"""A SkillRunner that carries skills out over ROS 2, as a bindings file says.

Service calls and action goals wait ``server_wait_s`` for their server (a robot
that is down fails the call with a clear error instead of hanging) and
``timeout_s`` for the answer; a server that goes away while a call is in
flight (the robot crashed) fails the call ``server_wait_s`` after DDS notices
(the lease duration of the robot's process). Action feedback becomes executor feedback;
cancelling the call (the executor's cancel) cancels the goal on the robot and
waits briefly for the robot to confirm. Topic reads take the latest message at
most ``max_age_s`` old, else wait for the next; a topic is published to once
someone subscribes (within ``server_wait_s``). All calls are made from the
asyncio loop; rclpy spins in its own threads (:mod:`tool_adapters.ros.bridge`).
Timeouts use ``asyncio.timeout``, not ``asyncio.wait_for``: on Python 3.11
``wait_for`` can swallow a cancel that lands as the awaited future completes
(a goal accepted just as the executor cancels it would then run to the end).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from action_msgs.msg import GoalStatus
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_sensor_data

from agent_node.execution.skill_runner import FeedbackFn, SkillFailed
from tool_adapters.ros.bindings import Bindings, SkillBinding
from tool_adapters.ros.bridge import LockedActionClient, to_loop, wait_future

log = logging.getLogger(__name__)

#: How long a cancelled goal waits for the robot to confirm the cancel.
CANCEL_WAIT_S = 2.0
_POLL_S = 0.02
#: How often a call in flight checks that its server is still there.
_LIVENESS_S = 0.5


class _Latest:
    """The latest message on a topic and when it came (written by rclpy's thread)."""

    def __init__(self) -> None:
        self.msg: Any = None
        self.at = 0.0
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, msg: Any) -> None:
        with self.lock:
            self.msg, self.at, self.count = msg, time.monotonic(), self.count + 1


class RosSkillRunner:
    """Implements :class:`agent_node.execution.skill_runner.SkillRunner` on a node, per ``bindings``.

    Clients, subscriptions and publishers are made on first use (names may
    depend on arguments) and kept. ``goals_in_flight`` counts goals sent and not
    finished, for status and benchmarks."""

    def __init__(self, node: Node, bindings: Bindings):
        self.node = node
        self.bindings = bindings
        self._group = ReentrantCallbackGroup()
        self._clients: dict[tuple[str, str], Any] = {}
        self._latest: dict[str, _Latest] = {}
        self._publishers: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.goals_in_flight = 0

    def prepare(self) -> None:
        """Make the clients and subscriptions whose names need no arguments now,
        so discovery starts before the first command."""
        for b in self.bindings.skills.values():
            if b.placeholders:
                continue
            if b.kind in ("service", "action"):
                self._client(b, b.name)
            elif b.kind == "topic_read":
                self._subscription(b, b.name)
            else:
                self._publisher(b, b.name)

    # -- SkillRunner -------------------------------------------------------------
    async def call(self, skill: str, args: dict[str, Any], feedback: FeedbackFn) -> Any:
        b = self.bindings.get(skill)
        if b is None:
            raise SkillFailed(f"{skill}: this robot has no ROS binding for it (bindings: {self.bindings.source})")
        name = b.render_name(args)
        request = b.request(args) if b.kind != "topic_read" else None
        if b.kind == "service":
            response = await self._call_service(b, name, request)
        elif b.kind == "action":
            response = await self._send_goal(b, name, request, feedback)
        elif b.kind == "topic_read":
            response = await self._read_topic(b, name)
        else:
            pub = self._publisher(b, name)
            await self._wait_for_server(b, name, lambda: pub.get_subscription_count() > 0)
            pub.publish(request)
            response = None
        why = b.failure(response)
        if why:
            raise SkillFailed(why)
        return b.result_of(response, args)

    # -- entities ------------------------------------------------------------------
    def _client(self, b: SkillBinding, name: str) -> Any:
        key = (b.kind, name)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                if b.kind == "service":
                    client = self.node.create_client(b.interface, name, callback_group=self._group)
                else:
                    client = LockedActionClient(self.node, b.interface, name, callback_group=self._group)
                self._clients[key] = client
            return client

    def _subscription(self, b: SkillBinding, name: str) -> _Latest:
        with self._lock:
            latest = self._latest.get(name)
            if latest is None:
                latest = self._latest[name] = _Latest()
                # best effort matches reliable and best-effort publishers alike
                self.node.create_subscription(b.interface, name, latest, qos_profile_sensor_data,
                                              callback_group=self._group)
            return latest

    def _publisher(self, b: SkillBinding, name: str) -> Any:
        with self._lock:
            pub = self._publishers.get(name)
            if pub is None:
                pub = self._publishers[name] = self.node.create_publisher(b.interface, name, QoSProfile(depth=10))
            return pub

    async def _wait_for_server(self, b: SkillBinding, name: str, ready: Any) -> None:
        deadline = time.monotonic() + b.server_wait_s
        while not ready():
            if time.monotonic() >= deadline:
                what = {"service": "service", "action": "action server"}.get(b.kind, "subscriber of")
                raise SkillFailed(f"timed out after {b.server_wait_s:g} s waiting for the robot's {what} {name}"
                                  " (is the robot up?)")
            await asyncio.sleep(_POLL_S)

    # -- services ----------------------------------------------------------------------
    async def _call_service(self, b: SkillBinding, name: str, request: Any) -> Any:
        client = self._client(b, name)
        await self._wait_for_server(b, name, client.service_is_ready)
        future = client.call_async(request)
        try:
            async with asyncio.timeout(b.timeout_s):
                return await self._while_served(future, client.service_is_ready, b, f"service {name}")
        except TimeoutError:
            raise SkillFailed(f"timed out after {b.timeout_s:g} s waiting for the answer of {name}") from None
        finally:
            if not future.done():
                future.cancel()
                try:
                    client.remove_pending_request(future)
                except Exception:  # pragma: no cover - already gone
                    pass

    # -- actions -----------------------------------------------------------------------
    async def _send_goal(self, b: SkillBinding, name: str, goal: Any, feedback: FeedbackFn) -> Any:
        client = self._client(b, name)
        await self._wait_for_server(b, name, client.server_is_ready)
        loop = asyncio.get_running_loop()
        read = b.feedback_reader(goal)

        def on_feedback(msg: Any) -> None:  # rclpy's thread
            try:
                progress, text = read(msg.feedback)
            except Exception:
                log.exception("bad feedback from %s", name)
                return
            to_loop(loop, feedback, progress, text)

        send = client.send_goal_async(goal, feedback_callback=on_feedback)
        self.goals_in_flight += 1
        handle = result = None
        try:
            try:
                async with asyncio.timeout(b.timeout_s):
                    handle = await wait_future(send)
            except TimeoutError:
                raise SkillFailed(f"timed out after {b.timeout_s:g} s waiting for {name} to accept the goal") from None
            if not handle.accepted:
                raise SkillFailed(f"the robot rejected the {b.skill} goal ({name})")
            result = handle.get_result_async()
            try:
                async with asyncio.timeout(b.timeout_s):
                    outcome = await self._while_served(result, client.server_is_ready, b, f"action server {name}")
            except TimeoutError:
                await self._cancel_goal(handle, name, result)
                raise SkillFailed(f"timed out after {b.timeout_s:g} s waiting for {name} to finish;"
                                  " the goal was cancelled") from None
        except asyncio.CancelledError:
            if handle is None and send.done() and not send.cancelled() and send.exception() is None:
                handle = send.result()
            if handle is None:  # cancelled before the robot answered the goal: cancel it once it does
                send.add_done_callback(lambda f: self._cancel_late(f, name))
            elif handle.accepted:
                await self._cancel_goal(handle, name, result)
            raise
        finally:
            self.goals_in_flight -= 1
        if outcome.status == GoalStatus.STATUS_SUCCEEDED:
            return outcome.result
        why = b.failure(outcome.result)
        if outcome.status == GoalStatus.STATUS_CANCELED:
            raise SkillFailed(why or f"the robot cancelled the {b.skill} goal")
        raise SkillFailed(why or f"the robot aborted the {b.skill} goal")

    async def _while_served(self, future: Any, ready: Any, b: SkillBinding, what: str) -> Any:
        """The rclpy ``future``'s result; SkillFailed once the server has been gone
        (``ready()`` false) for ``server_wait_s``: a robot that crashed mid-call."""
        target = asyncio.ensure_future(wait_future(future))
        gone_since = None
        try:
            while True:
                done, _ = await asyncio.wait({target}, timeout=_LIVENESS_S)
                if done:
                    return target.result()
                if ready():
                    gone_since = None
                elif gone_since is None:
                    gone_since = time.monotonic()
                elif time.monotonic() - gone_since >= b.server_wait_s:
                    raise SkillFailed(f"the robot's {what} went away during the call (did it crash?)")
        finally:
            target.cancel()

    async def _cancel_goal(self, handle: Any, name: str, result: Any | None) -> None:
        """Ask the robot to cancel and wait (at most CANCEL_WAIT_S, shielded from a second
        cancel) until the goal has ended there, so a cancelled call means a stopped robot."""
        async def cancel_and_wait() -> None:
            await wait_future(handle.cancel_goal_async())
            if result is not None:
                await wait_future(result)

        try:
            await asyncio.shield(asyncio.wait_for(cancel_and_wait(), CANCEL_WAIT_S))
        except (TimeoutError, asyncio.CancelledError):
            log.warning("the robot did not confirm cancelling the goal on %s within %g s", name, CANCEL_WAIT_S)
        except Exception:
            log.exception("cancelling the goal on %s failed", name)

    def _cancel_late(self, send: Any, name: str) -> None:
        try:
            if not send.cancelled() and send.exception() is None and send.result().accepted:
                send.result().cancel_goal_async()
        except Exception:  # pragma: no cover - best effort
            log.exception("cancelling a late goal on %s failed", name)

    # -- topics --------------------------------------------------------------------------
    async def _read_topic(self, b: SkillBinding, name: str) -> Any:
        latest = self._subscription(b, name)
        with latest.lock:
            msg, at, seen = latest.msg, latest.at, latest.count
        if msg is not None and time.monotonic() - at <= b.max_age_s:
            return msg
        deadline = time.monotonic() + b.timeout_s
        while time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)
            with latest.lock:
                if latest.count > seen:
                    return latest.msg
        raise SkillFailed(f"no message on {name} within {b.timeout_s:g} s (is the robot up?)")
