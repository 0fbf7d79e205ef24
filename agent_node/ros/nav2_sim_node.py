"""The ``nav2_sim_node`` ROS 2 node: a stand-in for Nav2 (Jazzy) where Nav2 is not installed.

It serves Nav2's action interfaces as Nav2 names and declares them
(``nav2_msgs``: ``navigate_to_pose``, ``spin``, ``drive_on_heading``, ``wait``,
and opennav_docking's ``dock_robot``) over a simulated planar pose that moves
over time, publishes that pose as AMCL does (``/amcl_pose``,
``geometry_msgs/PoseWithCovarianceStamped``), sends Nav2's feedback, honours
cancel and fails with Nav2's error codes:

- a goal in a frame other than ``map``: the planner's ``TF_ERROR`` (202);
- a goal within ``blocked_radius_m`` of a point of ``blocked`` ("x,y" texts): the
  planner's ``NO_VALID_PATH`` (208) after a moment of planning;
- a spin or drive longer than its ``time_allowance``: ``TIMEOUT``;
- a dock id other than ``dock_id``: ``DOCK_NOT_IN_DB`` (901).

It stands in for the robot, not for the agent: the agent reaches it only
through a bindings file (``config/nav2_bindings.yaml``), as it would reach Nav2.
Parameters: ``x``, ``y``, ``yaw_deg`` (start pose), ``speed_mps``,
``turn_rate_dps``, ``time_scale`` (real seconds per simulated second),
``blocked``, ``blocked_radius_m``, ``dock_id``, ``dock_x``, ``dock_y``.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import Any, Callable

from geometry_msgs.msg import PoseWithCovarianceStamped
from nav2_msgs.action import DockRobot, DriveOnHeading, NavigateToPose, Spin, Wait
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile

from agent_node.ros.params import ParameterError, Spec, declare_all
from tool_adapters.ros.bridge import SpinThread, run_node, until_signalled
from tool_adapters.ros.value_maps import quaternion, yaw_of

NODE_NAME = "nav2_sim"
#: Simulated seconds per step of a motion.
STEP_S = 0.05
#: Error codes of Nav2 Jazzy's planner server (ComputePathToPose), passed on by the navigator.
PLANNER_TF_ERROR, NO_VALID_PATH = 202, 208

PARAMETERS = [
    Spec("x", 2.0, "start x in the map frame, metres"),
    Spec("y", 2.0, "start y in the map frame, metres"),
    Spec("yaw_deg", 0.0, "start heading, degrees"),
    Spec("speed_mps", 1.0, "driving speed of navigate_to_pose, metres per second", minimum=0.01),
    Spec("turn_rate_dps", 90.0, "turning speed of spin, degrees per second", minimum=1.0),
    Spec("time_scale", 1.0, "real seconds per simulated second (0 = instant)", minimum=0.0),
    Spec("blocked", [""], "goals no path leads to, as 'x,y' texts"),
    Spec("blocked_radius_m", 0.5, "how near a goal must be to a blocked point", minimum=0.0),
    Spec("dock_id", "home_dock", "the one dock of the dock database"),
    Spec("dock_x", 2.0, "the dock's x, metres"),
    Spec("dock_y", 2.0, "the dock's y, metres"),
]


class Nav2Sim:
    """The simulated pose and Nav2's action servers over it."""

    def __init__(self, node: Node, p: dict[str, Any]):
        self.node, self.p = node, p
        self.x, self.y, self.yaw = p["x"], p["y"], math.radians(p["yaw_deg"])
        self.lock = threading.Lock()
        self.blocked = [_point(text) for text in p["blocked"] if text.strip()]
        group = ReentrantCallbackGroup()
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.pose_pub = node.create_publisher(PoseWithCovarianceStamped, "/amcl_pose", latched)
        serve: list[tuple[type, str, Callable]] = [(NavigateToPose, "navigate_to_pose", self.navigate),
                                                   (Spin, "spin", self.spin),
                                                   (DriveOnHeading, "drive_on_heading", self.drive),
                                                   (Wait, "wait", self.wait), (DockRobot, "dock_robot", self.dock)]
        self.servers = [ActionServer(node, kind, name, execute_callback=fn, callback_group=group,
                                     goal_callback=lambda _: GoalResponse.ACCEPT,
                                     cancel_callback=lambda _: CancelResponse.ACCEPT) for kind, name, fn in serve]
        self.timer = node.create_timer(0.5, self.publish_pose, callback_group=group)
        self.publish_pose()

    # -- the pose --------------------------------------------------------------------
    def publish_pose(self) -> None:
        msg = PoseWithCovarianceStamped()
        msg.header.frame_id = "map"
        msg.header.stamp = self.node.get_clock().now().to_msg()
        with self.lock:
            msg.pose.pose.position.x, msg.pose.pose.position.y = float(self.x), float(self.y)
            q = quaternion(self.yaw)
        msg.pose.pose.orientation.z, msg.pose.pose.orientation.w = q["z"], q["w"]
        self.pose_pub.publish(msg)

    def _sleep(self, sim_s: float) -> None:
        time.sleep(sim_s * self.p["time_scale"])

    def _run(self, goal_handle: Any, seconds: float, step: Callable[[float], None],
             allowance: float | None = None) -> str:
        """Move through ``step(fraction done)`` over ``seconds`` of motion: "done", or
        "cancelled" on cancel, or "timeout" once the time allowance runs out."""
        steps = max(1, math.ceil(seconds / STEP_S))
        for i in range(1, steps + 1):
            if goal_handle.is_cancel_requested:
                return "cancelled"
            if allowance and i * STEP_S > allowance:
                return "timeout"
            self._sleep(STEP_S)
            step(i / steps)
        return "done"

    @staticmethod
    def _finish(goal_handle: Any, result: Any, outcome: str, code: int = 0, why: str = "") -> Any:
        result.error_code, result.error_msg = code, why
        if outcome == "cancelled":
            goal_handle.canceled()
        elif code:
            goal_handle.abort()
        else:
            goal_handle.succeed()
        return result

    # -- Nav2's actions ----------------------------------------------------------------------
    def navigate(self, goal_handle: Any) -> Any:
        goal, result = goal_handle.request, NavigateToPose.Result()
        frame = goal.pose.header.frame_id
        if frame not in ("map", ""):
            return self._finish(goal_handle, result, "", PLANNER_TF_ERROR, f"no transform from '{frame}' to 'map'")
        tx, ty = goal.pose.pose.position.x, goal.pose.pose.position.y
        if any(math.hypot(tx - bx, ty - by) <= self.p["blocked_radius_m"] for bx, by in self.blocked):
            self._sleep(0.3)
            return self._finish(goal_handle, result, "", NO_VALID_PATH, "no valid path found")
        with self.lock:
            x0, y0 = self.x, self.y
        length = math.hypot(tx - x0, ty - y0)
        started = time.monotonic()
        feedback = NavigateToPose.Feedback()

        def step(done: float) -> None:
            with self.lock:
                self.x, self.y = x0 + (tx - x0) * done, y0 + (ty - y0) * done
                feedback.current_pose.pose.position.x, feedback.current_pose.pose.position.y = self.x, self.y
            feedback.current_pose.header.frame_id = "map"
            feedback.distance_remaining = float(length * (1 - done))
            feedback.navigation_time.sec = int(time.monotonic() - started)
            goal_handle.publish_feedback(feedback)

        outcome = self._run(goal_handle, length / self.p["speed_mps"], step)
        if outcome == "done":
            with self.lock:
                self.yaw = yaw_of(goal.pose.pose.orientation)
        self.publish_pose()
        return self._finish(goal_handle, result, outcome)

    def spin(self, goal_handle: Any) -> Any:
        goal, result = goal_handle.request, Spin.Result()
        with self.lock:
            yaw0 = self.yaw
        target = float(goal.target_yaw)
        feedback = Spin.Feedback()

        def step(done: float) -> None:
            with self.lock:
                self.yaw = yaw0 + target * done
            feedback.angular_distance_traveled = float(abs(target) * done)
            goal_handle.publish_feedback(feedback)

        seconds = abs(math.degrees(target)) / self.p["turn_rate_dps"]
        outcome = self._run(goal_handle, seconds, step, _seconds(goal.time_allowance))
        if outcome == "timeout":
            return self._finish(goal_handle, result, outcome, Spin.Result.TIMEOUT, "spin ran out of its time allowance")
        return self._finish(goal_handle, result, outcome)

    def drive(self, goal_handle: Any) -> Any:
        goal, result = goal_handle.request, DriveOnHeading.Result()
        distance, speed = float(goal.target.x), abs(float(goal.speed))
        if goal.target.y or goal.target.z or speed == 0:
            return self._finish(goal_handle, result, "", DriveOnHeading.Result.INVALID_INPUT,
                                "drive on heading takes target.x and a speed that is not 0")
        with self.lock:
            x0, y0, yaw = self.x, self.y, self.yaw
        feedback = DriveOnHeading.Feedback()

        def step(done: float) -> None:
            with self.lock:
                self.x, self.y = x0 + math.cos(yaw) * distance * done, y0 + math.sin(yaw) * distance * done
            feedback.distance_traveled = float(abs(distance) * done)
            goal_handle.publish_feedback(feedback)

        outcome = self._run(goal_handle, abs(distance) / speed, step, _seconds(goal.time_allowance))
        self.publish_pose()
        if outcome == "timeout":
            return self._finish(goal_handle, result, outcome, DriveOnHeading.Result.TIMEOUT,
                                "drive on heading ran out of its time allowance")
        return self._finish(goal_handle, result, outcome)

    def wait(self, goal_handle: Any) -> Any:
        goal, result = goal_handle.request, Wait.Result()
        total = _seconds(goal.time) or 0.0
        feedback = Wait.Feedback()

        def step(done: float) -> None:
            left = total * (1 - done)
            feedback.time_left.sec, feedback.time_left.nanosec = int(left), int((left % 1) * 1e9)
            goal_handle.publish_feedback(feedback)

        outcome = self._run(goal_handle, total, step)
        waited = total if outcome == "done" else 0.0
        result.total_elapsed_time.sec, result.total_elapsed_time.nanosec = int(waited), int((waited % 1) * 1e9)
        return self._finish(goal_handle, result, outcome)

    def dock(self, goal_handle: Any) -> Any:
        goal, result = goal_handle.request, DockRobot.Result()
        if goal.use_dock_id and goal.dock_id != self.p["dock_id"]:
            result.success = False
            return self._finish(goal_handle, result, "", DockRobot.Result.DOCK_NOT_IN_DB,
                                f"dock '{goal.dock_id}' is not in the dock database")
        with self.lock:
            x0, y0 = self.x, self.y
        tx, ty = self.p["dock_x"], self.p["dock_y"]
        feedback = DockRobot.Feedback()

        def step(done: float) -> None:
            with self.lock:
                self.x, self.y = x0 + (tx - x0) * done, y0 + (ty - y0) * done
            feedback.state = 1 if done < 0.9 else 3  # to the staging pose, then docking
            goal_handle.publish_feedback(feedback)

        outcome = self._run(goal_handle, math.hypot(tx - x0, ty - y0) / self.p["speed_mps"], step)
        self.publish_pose()
        result.success = outcome == "done"
        return self._finish(goal_handle, result, outcome)


def _seconds(duration: Any) -> float | None:
    value = duration.sec + duration.nanosec / 1e9
    return value or None


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise ParameterError(f"blocked: '{text}' is not 'x,y'") from None
    return x, y


async def _amain(node: Node) -> int:
    try:
        sim = Nav2Sim(node, declare_all(node, PARAMETERS))
    except ParameterError as e:
        print(f"nav2_sim_node: cannot start: {e}", file=sys.stderr, flush=True)
        return 2
    spin = SpinThread(node, num_threads=8).start()
    node.get_logger().info(f"Nav2 stand-in at ({sim.x:g}, {sim.y:g}): navigate_to_pose, spin, drive_on_heading,"
                           " wait, dock_robot; /amcl_pose")
    await until_signalled()
    spin.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Console script ``nav2_sim_node``: ``nav2_sim_node --ros-args -p time_scale:=0.1``."""
    return run_node(NODE_NAME, _amain, argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
