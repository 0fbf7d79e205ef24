"""The world a plan of the reference robot needs: :class:`Arrangement` plays the
plan symbolically and arranges the start so that every step can succeed."""


from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Iterable

from agent_node.catalog.values import whole_ref

if TYPE_CHECKING:
    from tool_adapters.sim.world import World
from agent_node.datagen.compose import Infeasible
from agent_node.datagen.samples import Call, Setup


# -- the world a plan needs (reference robot) -------------------------------------------------
class Arrangement:
    """Plays a plan of the reference robot symbolically and arranges the start so
    that every step can succeed: an object to pick is where the robot is, a
    person to hand to stands by the robot, something is held before a place.
    Prefers moving the robot's start, then unfixed objects and people; raises
    :class:`Infeasible` when nothing can. :meth:`play` returns the :class:`Setup`."""

    def __init__(self, world: World, rng: random.Random, held_hints: Iterable[str] = ()):
        self.world, self.rng = world, rng
        self.robot: str | None = world.robot.location
        self.robot_free = True      # the start may still be chosen
        self.held: str | None = world.robot.held
        self.held_free = self.held is None
        self.where: dict[str, str | None] = {}  # "object:x" / "person:y" -> current location; "robot" = held
        self.fixed: set[str] = set()
        self.moved: set[str] = set()
        self.given: set[str] = set()  # objects handed to someone: out of reach
        self.setup = Setup()
        self.results: dict[int, str | None] = {}
        self.hints = list(held_hints)

    def play(self, calls: list[Call]) -> Setup:
        for i, (skill, args) in enumerate(calls, start=1):
            step = getattr(self, f"_{skill}", None)
            self.results[i] = step(args) if step else None
        return self.setup

    # -- names -----------------------------------------------------------------------------
    def _thing(self, kind: str, name: str) -> str:
        """The key of an object/person, added to the world (at a random room) if unknown."""
        key = f"{kind}:{name}"
        if key not in self.where:
            known = self.world.objects if kind == "object" else self.world.people
            if name in known:
                self.where[key] = known[name].location
            else:
                self.where[key] = self.rng.choice(sorted(self.world.rooms))
                self._record(kind, name, self.where[key])
        return key

    def _record(self, kind: str, name: str, location: str | None) -> None:
        if location is not None:
            (self.setup.objects if kind == "object" else self.setup.people)[name] = location

    def _locate(self, key: str) -> str | None:
        loc = self.where[key]
        return self.robot if loc == "robot" else loc

    def _bring_together(self, key: str) -> None:
        """Make the thing ``key`` and the robot share a location (or Infeasible)."""
        kind, name = key.split(":", 1)
        loc = self.where[key]
        if self.robot is None or loc is None:
            raise Infeasible(f"{kind} or robot at an unknown place")
        if self.robot_free:  # the robot has not moved yet: start it there
            self.robot, self.setup.robot_at = loc, loc
        elif loc != self.robot:
            if key not in self.fixed:
                self.where[key] = loc = self.robot
            else:
                raise Infeasible(f"{kind} fixed away from the robot")
        if key not in self.moved:
            self._record(kind, name, loc)
        self.fixed.add(key)
        self.robot_free = False

    def _need_held(self) -> str:
        if self.held is not None:
            return self.held
        if not self.held_free:
            raise Infeasible("hand empty")
        taken = {k.split(":", 1)[1] for k in self.where}
        name = next((h for h in self.hints if h not in taken), None)
        name = name or self.rng.choice(sorted(set(self.world.objects) - taken))
        key = f"object:{name}"
        self.where[key], self.held, self.setup.held = "robot", name, name
        self.fixed.add(key)
        self.moved.add(key)
        self.held_free = False
        return name

    def _go(self, location: str | None) -> None:
        self.robot, self.robot_free = location, False

    def _loc(self, value: Any) -> str | None:
        n = whole_ref(value)
        return self.results.get(n) if n is not None else value

    # -- skills (names match the reference catalog) ----------------------------------------
    def _navigate_to(self, args: dict[str, Any]) -> str | None:
        self._go(self._loc(args["location"]))
        return self.robot

    def _dock(self, args: dict[str, Any]) -> None:
        self._go("charging_dock")

    def _patrol(self, args: dict[str, Any]) -> None:
        self._go(args["route"][-1])

    def _go_to_pose(self, args: dict[str, Any]) -> None:
        self._go(self.world.nearest_room(args["x"], args["y"]))

    def _drive(self, args: dict[str, Any]) -> None:
        self._go(None)

    def _get_location(self, args: dict[str, Any]) -> str | None:
        self.robot_free = False
        return self.robot

    def _find_object(self, args: dict[str, Any]) -> str | None:
        key = self._thing("object", args["object"])
        self.fixed.add(key)
        return self._locate(key)

    def _find_person(self, args: dict[str, Any]) -> str | None:
        key = self._thing("person", args["person"])
        self.fixed.add(key)
        return self._locate(key)

    def _send_message(self, args: dict[str, Any]) -> None:
        self._thing("person", args["recipient"])

    def _pick(self, args: dict[str, Any]) -> None:
        if self.held is not None:
            raise Infeasible("hand already full")
        key = self._thing("object", args["object"])
        if key in self.given:
            raise Infeasible("object already handed over")
        self._bring_together(key)
        self.where[key], self.held, self.held_free = "robot", args["object"], False
        self.moved.add(key)

    def _place(self, args: dict[str, Any]) -> None:
        name = self._need_held()
        self.where[f"object:{name}"], self.held = self.robot, None
        self.robot_free = False

    def _hand_over(self, args: dict[str, Any]) -> None:
        name = self._need_held()
        self._bring_together(self._thing("person", args["person"]))
        self.where[f"object:{name}"], self.held = None, None
        self.given.add(f"object:{name}")
