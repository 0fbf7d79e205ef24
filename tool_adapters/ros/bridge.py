"""rclpy and asyncio side by side: rclpy spins in background threads, asyncio owns the main one.

The node's callbacks run on a :class:`~rclpy.executors.MultiThreadedExecutor` in a
daemon thread (:class:`SpinThread`); they hand work to the asyncio loop with
:func:`to_loop`. Coroutines await rclpy futures (service responses, goal
handles, results) through :func:`wait_future`, which completes an asyncio future
from rclpy's thread with ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from typing import Any, Callable

import rclpy
from rclpy.action import ActionClient
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node

log = logging.getLogger(__name__)


class SpinThread:
    """Spins one node on a multi-threaded executor in a daemon thread until :meth:`stop`."""

    def __init__(self, node: Node, num_threads: int = 4):
        self.node = node
        self.executor = MultiThreadedExecutor(num_threads=num_threads, context=node.context)
        self.executor.add_node(node)
        self._thread = threading.Thread(target=self._spin, name=f"rclpy-{node.get_name()}", daemon=True)

    def start(self) -> "SpinThread":
        self._thread.start()
        return self

    def _spin(self) -> None:
        while self.node.context.ok():
            try:
                self.executor.spin()
                return
            except (ExternalShutdownException, KeyboardInterrupt):
                return
            except Exception:  # a callback raised: log it and keep serving
                if not self.node.context.ok():
                    return
                log.exception("a ROS callback of %s failed", self.node.get_name())

    def stop(self, timeout: float = 2.0) -> None:
        try:
            self.executor.shutdown(timeout_sec=timeout)
        except Exception:  # pragma: no cover - shutting down anyway
            log.debug("executor shutdown failed", exc_info=True)
        self._thread.join(timeout)


class LockedActionClient(ActionClient):
    """rclpy's ActionClient without the lost-response race of ros2/rclpy#1123.

    rclpy 7.1 (Jazzy) sends a goal, cancel or result request and only then
    records it as pending, unlocked: when an executor thread takes the response
    in between, it is dropped ("Ignoring unexpected goal response") and the
    caller waits until its timeout; a dropped goal response also leaves the goal
    running on the robot untracked. The soak bench met it about once in 500
    action commands. Here a request is sent and recorded under one lock, and a
    response is looked up only once no request is half-recorded (the fix
    upstream made in rclpy#1308).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._request_lock = threading.Lock()

    def send_goal_async(self, *args: Any, **kwargs: Any) -> Any:
        with self._request_lock:
            return super().send_goal_async(*args, **kwargs)

    def _cancel_goal_async(self, goal_handle: Any) -> Any:
        with self._request_lock:
            return super()._cancel_goal_async(goal_handle)

    def _get_result_async(self, goal_handle: Any) -> Any:
        with self._request_lock:
            return super()._get_result_async(goal_handle)

    async def execute(self, taken_data: Any) -> None:
        with self._request_lock:  # a response arrives only after its request was sent, under this lock
            pass
        await super().execute(taken_data)


def to_loop(loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any) -> bool:
    """Call ``fn(*args)`` on the asyncio loop from any thread; False once the loop is closed."""
    try:
        loop.call_soon_threadsafe(fn, *args)
        return True
    except RuntimeError:  # the loop is closed: we are shutting down
        return False


def _transfer(source: Any, target: asyncio.Future) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
        return
    error = source.exception()
    if error is not None:
        target.set_exception(error)
    else:
        target.set_result(source.result())


async def wait_future(future: Any) -> Any:
    """Await an rclpy Future from asyncio (cancel-safe: the asyncio side just stops waiting)."""
    loop = asyncio.get_running_loop()
    target: asyncio.Future = loop.create_future()
    future.add_done_callback(lambda f: to_loop(loop, _transfer, f, target))
    return await target


def init_context(args: list[str] | None = None, domain_id: int | None = None) -> Any:
    """``rclpy.init`` without rclpy's own signal handlers (the asyncio loop handles
    SIGINT/SIGTERM and shuts down cleanly); returns the default context."""
    from rclpy.signals import SignalHandlerOptions

    kwargs: dict[str, Any] = {"args": args, "signal_handler_options": SignalHandlerOptions.NO}
    if domain_id is not None:
        kwargs["domain_id"] = domain_id
    rclpy.init(**kwargs)
    return rclpy.get_default_context()


def run_node(name: str, amain: Callable[[Node], Any], argv: list[str] | None = None) -> int:
    """A console script's body: init rclpy with ``argv`` (``--ros-args`` ...), make
    node ``name``, run ``amain(node)`` on asyncio, always shut down; exit code 2
    when the node cannot start (bad ``--ros-args``, for one)."""
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s] [%(name)s]: %(message)s")
    try:
        init_context(sys.argv if argv is None else argv)
        node = Node(name)
    except Exception as e:
        print(f"{name}: cannot start: {e}", file=sys.stderr, flush=True)
        rclpy.try_shutdown()
        return 2
    try:
        return asyncio.run(amain(node))
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


async def until_signalled() -> None:
    """Return once SIGINT or SIGTERM arrives (the node then shuts down cleanly)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover
            pass
    await stop.wait()
