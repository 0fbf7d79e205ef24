"""The embedded default robot: a seeded, deterministic simulated house robot."""

from tool_adapters.sim.robot import LogEntry, SimRobot
from tool_adapters.sim.world import World, WorldError, load_world, match_names, normalize_name

__all__ = ["LogEntry", "SimRobot", "World", "WorldError", "load_world", "match_names", "normalize_name"]
