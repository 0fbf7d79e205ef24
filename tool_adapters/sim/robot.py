"""A simulated house robot that carries out the 20 skills of the reference catalog.

:class:`SimRobot` implements :class:`agent_node.execution.skill_runner.SkillRunner`. Every
skill takes simulated time (``asyncio.sleep(sim_seconds * time_scale)``), moves
the robot and things in its :class:`~tool_adapters.sim.world.World`, and fails
with :class:`SkillFailed` and a sentence a person understands when it cannot do
what was asked. It is seeded and deterministic.
"""

from __future__ import annotations

import asyncio
import copy
import math
import random
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, NamedTuple

from agent_node.catalog.values import is_integral, is_number
from agent_node.execution.skill_runner import FeedbackFn, SkillFailed
from tool_adapters.sim.world import Message, Photo, World, load_world, match_names

#: At most this many progress steps (plus the start) per motion.
MAX_STEPS = 10

Handler = Callable[["SimRobot", "_Args", FeedbackFn], Awaitable[Any]]


@dataclass(frozen=True)
class _SkillEntry:
    handler: Handler
    #: Moving/manipulation skills, which ``fail_rate`` may make fail.
    faulty: bool


#: The dispatch table: skill name -> handler, filled by :func:`_skill`.
_SKILLS: dict[str, _SkillEntry] = {}


def _skill(name: str, *, faulty: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _SKILLS[name] = _SkillEntry(fn, faulty)
        return fn

    return register


class LogEntry(NamedTuple):
    """One finished call: outcome is "ok", "failed" or "cancelled"; detail is
    the result, the failure message, or None."""

    skill: str
    args: dict[str, Any]
    outcome: str
    detail: Any


def _no_feedback(progress: float | None, message: str) -> None:
    pass


def _normalize_angle(deg: float) -> float:
    """An angle in (-180, 180]."""
    deg = deg % 360.0
    return deg - 360.0 if deg > 180.0 else deg


class _Args:
    """Typed access to a call's arguments; anything odd is a SkillFailed."""

    _MISSING = object()

    def __init__(self, skill: str, raw: Any):
        if not isinstance(raw, dict):
            raise SkillFailed(f"{skill}: arguments must be a mapping, got {raw!r}")
        self.skill = skill
        self.raw = raw

    def _get(self, key: str, default: Any) -> Any:
        value = self.raw.get(key, default)
        if value is self._MISSING:
            raise SkillFailed(f"{self.skill}: missing argument '{key}'")
        return value

    def _bad(self, key: str, expected: str, value: Any) -> SkillFailed:
        return SkillFailed(f"{self.skill}: '{key}' must be {expected}, got {value!r}")

    def number(self, key: str, default: Any = _MISSING) -> float:
        value = self._get(key, default)
        if not is_number(value):
            raise self._bad(key, "a number", value)
        return float(value)

    def integer(self, key: str, default: Any = _MISSING) -> int:
        value = self._get(key, default)
        if not is_integral(value):
            raise self._bad(key, "an integer", value)
        return int(value)

    def text(self, key: str, default: Any = _MISSING, *, allow_empty: bool = False) -> str:
        value = self._get(key, default)
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise self._bad(key, "a non-empty string" if not allow_empty else "a string", value)
        return value.strip()

    def flag(self, key: str) -> bool:
        value = self._get(key, self._MISSING)
        if not isinstance(value, bool):
            raise self._bad(key, "true or false", value)
        return value

    def texts(self, key: str) -> list[str]:
        value = self._get(key, self._MISSING)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self._bad(key, "a non-empty list of strings", value)
        return value


class SimRobot:
    """A seeded, deterministic simulated home robot (a ``SkillRunner``).

    ``world``: the house to start from (copied; None loads the default world).
    ``time_scale``: real seconds per simulated second (0: no waiting at all).
    ``fail_rate``: probability that a moving/manipulation call fails with a
    "simulated fault" (drawn from ``random.Random(seed)``).
    """

    def __init__(
        self,
        world: World | None = None,
        time_scale: float = 1.0,
        seed: int = 0,
        fail_rate: float = 0.0,
    ):
        if not is_number(time_scale) or time_scale < 0:
            raise ValueError(f"time_scale must be a number >= 0, got {time_scale!r}")
        if not is_number(fail_rate) or not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, got {fail_rate!r}")
        self.state: World = world.clone() if world is not None else load_world()
        self.time_scale = float(time_scale)
        self.fail_rate = float(fail_rate)
        self.log: list[LogEntry] = []
        self._rng = random.Random(seed)
        self._t0 = time.monotonic()
        self._virtual_time = 0.0

    # -- read-only views ------------------------------------------------------
    @staticmethod
    def skill_names() -> list[str]:
        """Every skill the simulator implements."""
        return list(_SKILLS)

    @property
    def location(self) -> str:
        return self.state.robot.location

    @property
    def pose(self) -> tuple[float, float, float]:
        """``(x, y, yaw_deg)`` on the map."""
        r = self.state.robot
        return float(r.x or 0.0), float(r.y or 0.0), r.yaw_deg

    @property
    def battery(self) -> float:
        return self.state.robot.battery

    @property
    def held(self) -> str | None:
        return self.state.robot.held

    @property
    def charging(self) -> bool:
        return self.state.robot.charging

    @property
    def photos(self) -> tuple[Photo, ...]:
        return tuple(self.state.photos)

    @property
    def spoken(self) -> tuple[str, ...]:
        return tuple(self.state.spoken)

    @property
    def messages(self) -> tuple[Message, ...]:
        return tuple(self.state.messages)

    @property
    def sim_time(self) -> float:
        """Simulated seconds since the robot was made (wall clock / time_scale;
        with time_scale 0, the sum of simulated durations)."""
        if self.time_scale > 0:
            return (time.monotonic() - self._t0) / self.time_scale
        return self._virtual_time

    # -- SkillRunner ------------------------------------------------------------
    async def call(self, skill: str, args: dict[str, Any], feedback: FeedbackFn) -> Any:
        """Carry out one skill call; see :class:`agent_node.execution.skill_runner.SkillRunner`."""
        logged_args = copy.deepcopy(args) if isinstance(args, dict) else {"<args>": args}
        try:
            result = await self._dispatch(skill, args, feedback or _no_feedback)
        except SkillFailed as e:
            self.log.append(LogEntry(skill, logged_args, "failed", str(e)))
            raise
        except asyncio.CancelledError:
            self.log.append(LogEntry(skill, logged_args, "cancelled", None))
            raise
        self.log.append(LogEntry(skill, logged_args, "ok", result))
        return result

    async def _dispatch(self, skill: str, args: Any, feedback: FeedbackFn) -> Any:
        entry = _SKILLS.get(skill)
        if entry is None:
            raise SkillFailed(f"unknown skill '{skill}'; the simulator knows: {', '.join(_SKILLS)}")
        parsed = _Args(skill, args)
        if entry.faulty and self._rng.random() < self.fail_rate:
            await self._sleep(0.0)
            raise SkillFailed(f"simulated fault: {skill} failed")
        return await entry.handler(self, parsed, feedback)

    # -- time and motion ----------------------------------------------------------
    async def _sleep(self, sim_seconds: float) -> None:
        """Let ``sim_seconds`` of simulated time pass (always yields to the loop)."""
        if self.time_scale > 0:
            await asyncio.sleep(sim_seconds * self.time_scale)
        else:
            await asyncio.sleep(0)
            self._virtual_time += sim_seconds

    async def _animate(
        self,
        duration: float,
        apply: Callable[[float], None],
        feedback: FeedbackFn,
        describe: Callable[[float], str],
    ) -> None:
        """Spend ``duration`` simulated seconds in steps, calling ``apply(f)``
        with the fraction f done and reporting feedback after each step. On
        cancel, applies the fraction reached so far, then re-raises."""
        steps = max(1, min(MAX_STEPS, math.ceil(duration)))
        step_s = duration / steps
        feedback(0.0, describe(0.0))
        for i in range(1, steps + 1):
            started = time.monotonic()
            try:
                await self._sleep(step_s)
            except asyncio.CancelledError:
                apply((i - 1 + self._fraction_of_step(started, step_s)) / steps)
                raise
            apply(i / steps)
            feedback(i / steps, describe(i / steps))

    def _fraction_of_step(self, started: float, step_s: float) -> float:
        """How much of an interrupted step had passed (0 when time_scale is 0)."""
        real = step_s * self.time_scale
        if real <= 0:
            return 0.0
        return min(1.0, (time.monotonic() - started) / real)

    def _battery_range_m(self) -> float:
        drain = self.state.physics.battery_drain_per_m
        return self.battery / drain if drain > 0 else math.inf

    async def _drive_to(
        self,
        x: float,
        y: float,
        label: str,
        feedback: FeedbackFn,
        *,
        speed: float | None = None,
        face: bool = True,
    ) -> float:
        """Drive straight to (x, y), draining the battery; returns metres driven.

        ``face`` turns the robot to the direction of travel (not when backing
        up). Fails when the battery is, or runs, empty on the way.
        """
        robot, physics = self.state.robot, self.state.physics
        x0, y0 = self.pose[:2]
        distance = math.hypot(x - x0, y - y0)
        if distance > 0 and self.battery <= 0:
            raise SkillFailed("the battery is empty; I cannot drive")
        reach = min(distance, self._battery_range_m())
        if distance > 0:
            robot.charging = False
            if face:
                robot.yaw_deg = _normalize_angle(math.degrees(math.atan2(y - y0, x - x0)))
        battery0 = robot.battery

        def apply(fraction: float) -> None:
            d = fraction * reach
            robot.battery = max(0.0, battery0 - d * physics.battery_drain_per_m)
            t = d / distance if distance > 0 else 1.0
            robot.x, robot.y = x0 + (x - x0) * t, y0 + (y - y0) * t
            robot.location = self.state.nearest_room(robot.x, robot.y)

        def describe(fraction: float) -> str:
            return f"{distance - fraction * reach:.1f} m to {label}"

        await self._animate(reach / (speed or physics.drive_speed_mps), apply, feedback, describe)
        if reach < distance:
            robot.battery = 0.0
            raise SkillFailed(f"the battery ran out {distance - reach:.1f} m short of {label}")
        return reach

    async def _go_to_room(self, location: str, feedback: FeedbackFn) -> str:
        room = self.state.rooms[location]
        label = f"the {location.replace('_', ' ')}"
        await self._drive_to(room.x, room.y, label, feedback)
        self.state.robot.location = location
        return location

    # -- argument resolution --------------------------------------------------------
    def _room(self, args: _Args, key: str) -> str:
        return self._room_named(args.text(key))

    def _room_named(self, value: str) -> str:
        """A room key from "kitchen", "Living Room", "the living_room"..."""
        name = "_".join(value.lower().replace("-", " ").split())
        name = name.removeprefix("the_")
        if name not in self.state.rooms:
            raise SkillFailed(f"unknown location '{value}'; known locations: {', '.join(self.state.rooms)}")
        return name

    def _one_of(self, kind: str, query: str, names: dict[str, Any]) -> str:
        found = match_names(query, names)
        if not found:
            raise SkillFailed(f"I don't know any {kind} called '{query}'")
        if len(found) > 1:
            raise SkillFailed(f"'{query}' could be any of: {', '.join(sorted(found))}")
        return found[0]

    def _object(self, args: _Args) -> str:
        return self._one_of("object", args.text("object"), self.state.objects)

    def _person(self, query: str) -> str:
        return self._one_of("person", query, self.state.people)

    def _holding(self) -> str:
        if self.held is None:
            raise SkillFailed("my hand is empty")
        return self.held

    # -- motion skills ------------------------------------------------------------
    @_skill("navigate_to", faulty=True)
    async def _navigate_to(self, args: _Args, feedback: FeedbackFn) -> str:
        return await self._go_to_room(self._room(args, "location"), feedback)

    @_skill("go_to_pose", faulty=True)
    async def _go_to_pose(self, args: _Args, feedback: FeedbackFn) -> str:
        x, y = args.number("x"), args.number("y")
        yaw = _normalize_angle(args.number("yaw_deg", 0.0))
        if not self.state.on_map(x, y):
            raise SkillFailed(f"the pose ({x:.1f}, {y:.1f}) is outside the map")
        await self._drive_to(x, y, f"({x:.1f}, {y:.1f})", feedback)
        self.state.robot.yaw_deg = yaw
        return f"{x:.1f},{y:.1f},{yaw:.1f}"

    @_skill("drive", faulty=True)
    async def _drive(self, args: _Args, feedback: FeedbackFn) -> float:
        distance, speed = args.number("distance_m"), args.number("speed_mps", 0.3)
        if speed <= 0:
            raise SkillFailed(f"drive: speed must be positive, got {speed}")
        x0, y0, yaw = self.pose
        x1 = x0 + distance * math.cos(math.radians(yaw))
        y1 = y0 + distance * math.sin(math.radians(yaw))
        t = self.state.reachable_fraction(x0, y0, x1, y1)
        label = "the wall" if t < 1.0 else "go"
        driven = await self._drive_to(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, label, feedback, speed=speed, face=False)
        return math.copysign(round(driven, 3), distance)

    @_skill("rotate", faulty=True)
    async def _rotate(self, args: _Args, feedback: FeedbackFn) -> float:
        angle = args.number("angle_deg")
        robot = self.state.robot
        yaw0 = robot.yaw_deg

        def apply(fraction: float) -> None:
            robot.yaw_deg = _normalize_angle(yaw0 + angle * fraction)

        def describe(fraction: float) -> str:
            return f"{abs(angle) * (1 - fraction):.0f} deg to turn"

        await self._animate(abs(angle) / self.state.physics.turn_speed_dps, apply, feedback, describe)
        return angle

    @_skill("dock", faulty=True)
    async def _dock(self, args: _Args, feedback: FeedbackFn) -> bool:
        await self._go_to_room("charging_dock", feedback)
        self.state.robot.charging = True
        return True

    @_skill("patrol", faulty=True)
    async def _patrol(self, args: _Args, feedback: FeedbackFn) -> int:
        route = [self._room_named(r) for r in args.texts("route")]
        laps = args.integer("laps", 1)
        if laps < 1:
            raise SkillFailed(f"patrol: laps must be at least 1, got {laps}")
        legs = len(route) * laps
        for leg in range(legs):
            location = route[leg % len(route)]
            await self._go_to_room(location, _no_feedback)
            lap = leg // len(route) + 1
            feedback((leg + 1) / legs, f"lap {lap}/{laps}: reached the {location.replace('_', ' ')}")
        return laps

    @_skill("wait")
    async def _wait(self, args: _Args, feedback: FeedbackFn) -> float:
        seconds = args.number("seconds")
        if seconds < 0:
            raise SkillFailed(f"wait: seconds must not be negative, got {seconds}")
        robot, physics = self.state.robot, self.state.physics
        battery0 = robot.battery

        def apply(fraction: float) -> None:
            if robot.charging:
                robot.battery = min(100.0, battery0 + physics.charge_per_s * seconds * fraction)

        def describe(fraction: float) -> str:
            return f"{seconds * (1 - fraction):.0f} s left"

        await self._animate(seconds, apply, feedback, describe)
        return seconds

    # -- manipulation skills ----------------------------------------------------------
    @_skill("pick", faulty=True)
    async def _pick(self, args: _Args, feedback: FeedbackFn) -> str:
        if self.held is not None:
            raise SkillFailed(f"my hand is already holding the {self.held}")
        name = self._object(args)
        obj = self.state.objects[name]
        if obj.held_by is not None:
            where = self.state.where(self.state.object_location(name))
            raise SkillFailed(f"{obj.held_by} has the {name} ({where})")
        if obj.location != self.location:
            raise SkillFailed(
                f"the {name} is {self.state.where(obj.location)}, not {self.state.where(self.location)}"
            )
        await self._sleep(self.state.physics.pick_s)
        obj.held_by, obj.surface = "robot", ""
        self.state.robot.held = name
        return name

    @_skill("place", faulty=True)
    async def _place(self, args: _Args, feedback: FeedbackFn) -> str:
        name = self._holding()
        surface = args.text("surface")
        await self._sleep(self.state.physics.place_s)
        obj = self.state.objects[name]
        obj.location, obj.surface, obj.held_by = self.location, surface, None
        self.state.robot.held = None
        return surface

    @_skill("hand_over", faulty=True)
    async def _hand_over(self, args: _Args, feedback: FeedbackFn) -> bool:
        name = self._holding()
        person = self._person(args.text("person"))
        there = self.state.people[person].location
        if there != self.location:
            raise SkillFailed(f"{person} is {self.state.where(there)}, not {self.state.where(self.location)}")
        await self._sleep(self.state.physics.hand_over_s)
        obj = self.state.objects[name]
        obj.location, obj.surface, obj.held_by = there, "", person
        self.state.robot.held = None
        return True

    # -- sensing and look-ups ------------------------------------------------------------
    @_skill("detect_objects")
    async def _detect_objects(self, args: _Args, feedback: FeedbackFn) -> list[str]:
        await self._sleep(self.state.physics.detect_s)
        return self.state.objects_at(self.location)

    @_skill("take_photo")
    async def _take_photo(self, args: _Args, feedback: FeedbackFn) -> str:
        await self._sleep(self.state.physics.photo_s)
        photo_id = f"photo_{len(self.state.photos) + 1:04d}"
        objects = self.state.objects_at(self.location)
        self.state.photos.append(Photo(id=photo_id, location=self.location, objects=objects, sim_time=self.sim_time))
        return photo_id

    @_skill("find_object")
    async def _find_object(self, args: _Args, feedback: FeedbackFn) -> str:
        name = self._object(args)
        await self._sleep(self.state.physics.lookup_s)
        return self.state.object_location(name)

    @_skill("find_person")
    async def _find_person(self, args: _Args, feedback: FeedbackFn) -> str:
        person = self._person(args.text("person"))
        await self._sleep(self.state.physics.lookup_s)
        return self.state.people[person].location

    @_skill("check_door")
    async def _check_door(self, args: _Args, feedback: FeedbackFn) -> str:
        query = args.text("door")
        door = "_".join(query.lower().split())
        if door not in self.state.doors:
            raise SkillFailed(f"unknown door '{query}'; known doors: {', '.join(self.state.doors)}")
        await self._sleep(self.state.physics.lookup_s)
        return self.state.doors[door]

    @_skill("set_light")
    async def _set_light(self, args: _Args, feedback: FeedbackFn) -> bool:
        room, on = self._room(args, "room"), args.flag("on")
        await self._sleep(self.state.physics.lookup_s)
        self.state.lights[room] = on
        return on

    @_skill("get_battery")
    async def _get_battery(self, args: _Args, feedback: FeedbackFn) -> float:
        await self._sleep(self.state.physics.lookup_s)
        return round(self.battery, 1)

    @_skill("get_location")
    async def _get_location(self, args: _Args, feedback: FeedbackFn) -> str:
        await self._sleep(self.state.physics.lookup_s)
        return self.location

    # -- talking ------------------------------------------------------------------------
    @_skill("say")
    async def _say(self, args: _Args, feedback: FeedbackFn) -> bool:
        text = args.text("text")
        await self._sleep(len(text.split()) * self.state.physics.say_s_per_word)
        self.state.spoken.append(text)
        return True

    @_skill("send_message")
    async def _send_message(self, args: _Args, feedback: FeedbackFn) -> bool:
        recipient = self._person(args.text("recipient"))
        text = args.text("text")
        attachment = args.text("attachment", "", allow_empty=True)
        if attachment and attachment not in {p.id for p in self.state.photos}:
            raise SkillFailed(f"there is no photo '{attachment}' to attach")
        await self._sleep(self.state.physics.lookup_s)
        self.state.messages.append(
            Message(recipient=recipient, text=text, attachment=attachment, sim_time=self.sim_time)
        )
        return True
