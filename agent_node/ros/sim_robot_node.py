"""The ``sim_robot_node`` ROS 2 node: the simulated house robot behind real interfaces.

It serves the skills of :class:`tool_adapters.sim.robot.SimRobot` exactly as a
bindings file describes them (for another robot's catalog, a stand-in that
answers every call with a result of its declared type, so the agent can be run
over DDS against that robot's interfaces before the robot exists) (default ``config/sim_robot_bindings.yaml``, the
agent node's default too): typed actions of ``home_robot_interfaces`` for the
skills that move, typed services for the look-ups, ``std_srvs/SetBool`` per
room for the lights (``/lights/<room>/set``) and ``sensor_msgs/BatteryState`` on
``/battery_state``. Every finished call (and every start) is published as JSON
on ``~/calls``, which tests and benchmarks read to see the robot's side.

Parameters: ``world`` (YAML, '' = config/house_world.yaml), ``catalog``,
``bindings``, ``time_scale`` (real seconds per simulated second), ``seed``,
``fail_rate``, ``publish_period_s`` (battery topic).
"""

from __future__ import annotations

import asyncio
import logging
import sys

from rclpy.node import Node

from agent_node.catalog.skills import load_catalog
from agent_node.files.config_files import ConfigFileError
from agent_node.language.phrasebook import is_reference_catalog
from agent_node.ros.params import ParameterError, Spec, declare_all
from tool_adapters.ros.bindings import load_bindings
from tool_adapters.ros.bridge import SpinThread, run_node, until_signalled
from tool_adapters.ros.server import SkillServer
from tool_adapters.scripted import dry_runner
from tool_adapters.sim.robot import SimRobot
from tool_adapters.sim.world import load_world

log = logging.getLogger("sim_robot_node")

NODE_NAME = "sim_robot"
#: Simulated seconds a call of a robot the simulator does not model takes (dry stand-in).
DRY_CALL_S = 2.0

PARAMETERS = [
    Spec("world", "", "simulated world YAML ('' = config/house_world.yaml)"),
    Spec("catalog", "", "skill catalog YAML ('' = the reference home robot)"),
    Spec("bindings", "", "bindings YAML ('' = config/sim_robot_bindings.yaml)"),
    Spec("time_scale", 1.0, "real seconds per simulated second (0 = instant)", minimum=0.0),
    Spec("seed", 0, "simulator seed"),
    Spec("fail_rate", 0.0, "probability that a motion or manipulation fails (simulated fault)", minimum=0.0),
    Spec("publish_period_s", 0.5, "period of topics such as /battery_state, seconds", minimum=0.01),
    Spec("threads", 16, "executor threads (one per call in flight)", minimum=2),
]


async def _amain(node: Node) -> int:
    loop = asyncio.get_running_loop()
    try:
        p = declare_all(node, PARAMETERS)
        catalog = load_catalog(p["catalog"] or None)
        bindings = load_bindings(p["bindings"] or None, catalog)
        if is_reference_catalog(catalog):
            robot = SimRobot(world=load_world(p["world"] or None), time_scale=p["time_scale"], seed=p["seed"],
                             fail_rate=p["fail_rate"])
            missing = [s for s in bindings.skills if s not in SimRobot.skill_names()]
            if missing:
                raise ParameterError(f"the simulator does not implement: {', '.join(missing)}")
        else:  # another robot: its interfaces served, every call a stand-in
            log.info("no simulator for this catalog: every call succeeds with a stand-in result of its type")
            robot = dry_runner(catalog, duration_s=DRY_CALL_S * p["time_scale"])
        server = SkillServer(node, bindings, catalog, robot, loop, publish_period_s=p["publish_period_s"])
    except (ParameterError, ConfigFileError, ValueError) as e:
        node.get_logger().fatal(f"cannot start: {e}")
        print(f"sim_robot_node: cannot start: {e}", file=sys.stderr, flush=True)
        return 2
    spin = SpinThread(node, num_threads=p["threads"]).start()
    server.start()
    log.info("serving %d skills of %s (time scale %g)", len(bindings.skills), bindings.source, p["time_scale"])
    trim = loop.create_task(_trim_log(robot)) if isinstance(robot, SimRobot) else None
    await until_signalled()
    if trim is not None:
        trim.cancel()
    server.stop()
    spin.stop()
    return 0


async def _trim_log(robot: SimRobot, keep: int = 1000, period_s: float = 10.0) -> None:
    """The simulator logs every call (the battery topic alone, twice a second): keep the last ``keep``."""
    while True:
        await asyncio.sleep(period_s)
        del robot.log[:-keep]


def main(argv: list[str] | None = None) -> int:
    """Console script ``sim_robot_node``: ``sim_robot_node --ros-args --params-file config/sim_robot_params.yaml``."""
    return run_node(NODE_NAME, _amain, argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
