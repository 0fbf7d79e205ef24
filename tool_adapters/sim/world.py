"""The simulated house: its file format, loading, and the mutable world state.

A world file (see ``config/house_world.yaml``) names the rooms with their map
coordinates, the robot's start, the household objects and people, doors,
lights and the physics of the robot. :func:`load_world` validates it into a
:class:`World`, which is also the live state a :class:`~tool_adapters.sim.robot.SimRobot`
mutates; :meth:`World.clone` gives each robot its own copy.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent_node.catalog.values import normalize_name
from agent_node.files.config_files import ConfigFileError, read_yaml
from agent_node.files.paths import config_path

DoorState = Literal["open", "closed"]


class WorldError(ConfigFileError):
    """A world file that cannot be used, with every reason found."""

    what = "world"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Room(_Model):
    x: float = Field(ge=-50, le=50, allow_inf_nan=False)
    y: float = Field(ge=-50, le=50, allow_inf_nan=False)
    #: How a sentence puts something there: "in the kitchen", "at the front door".
    preposition: Literal["in", "at"] = "in"


class Physics(_Model):
    drive_speed_mps: float = Field(0.5, gt=0)
    turn_speed_dps: float = Field(90.0, gt=0)
    pick_s: float = Field(4.0, ge=0)
    place_s: float = Field(3.0, ge=0)
    hand_over_s: float = Field(3.0, ge=0)
    lookup_s: float = Field(0.2, ge=0)
    detect_s: float = Field(1.0, ge=0)
    photo_s: float = Field(0.5, ge=0)
    say_s_per_word: float = Field(0.4, ge=0)
    battery_drain_per_m: float = Field(0.2, ge=0)
    charge_per_s: float = Field(0.05, ge=0)
    map_margin_m: float = Field(2.0, ge=0)


class RobotState(_Model):
    location: str
    #: Map pose; x and y default to the coordinates of ``location``.
    x: float | None = None
    y: float | None = None
    yaw_deg: float = Field(0.0, ge=-180, le=180)
    battery: float = Field(100.0, ge=0, le=100)
    held: str | None = None
    charging: bool = False


class ObjectState(_Model):
    location: str
    surface: str = ""
    #: ``"robot"``, a person's name, or None when it lies somewhere.
    held_by: str | None = None


class PersonState(_Model):
    location: str


class Photo(_Model):
    id: str
    location: str
    objects: list[str]
    sim_time: float


class Message(_Model):
    recipient: str
    text: str
    attachment: str = ""
    sim_time: float


class World(_Model):
    """The whole simulated house: static layout plus mutable state."""

    rooms: dict[str, Room] = Field(min_length=1)
    robot: RobotState
    objects: dict[str, ObjectState] = Field(default_factory=dict)
    people: dict[str, PersonState] = Field(default_factory=dict)
    doors: dict[str, DoorState] = Field(default_factory=dict)
    lights: dict[str, bool] = Field(default_factory=dict)
    physics: Physics = Field(default_factory=Physics)
    # -- what happened (filled while the robot runs) ------------------------
    photos: list[Photo] = Field(default_factory=list)
    spoken: list[str] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)

    @field_validator("objects", "people", mode="before")
    @classmethod
    def _location_shorthand(cls, value: Any) -> Any:
        """``alice: kitchen`` is short for ``alice: {location: kitchen}``."""
        if isinstance(value, dict):
            return {k: {"location": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> "World":
        problems = self._problems()
        if problems:
            raise ValueError("; ".join(problems))
        self._fill_defaults()
        return self

    def _problems(self) -> list[str]:
        out: list[str] = []

        def check_room(what: str, location: str) -> None:
            if location not in self.rooms:
                out.append(f"{what}: unknown room '{location}'")

        check_room("robot", self.robot.location)
        for name, obj in self.objects.items():
            check_room(f"object '{name}'", obj.location)
            if obj.held_by not in (None, "robot") and obj.held_by not in self.people:
                out.append(f"object '{name}': held by unknown person '{obj.held_by}'")
        for name, person in self.people.items():
            check_room(f"person '{name}'", person.location)
        for room in self.lights:
            check_room("lights", room)
        if self.robot.held is not None and self.robot.held not in self.objects:
            out.append(f"robot: holds unknown object '{self.robot.held}'")
        for kind, names in (("object", self.objects), ("person", self.people)):
            seen: dict[str, str] = {}
            for name in names:
                key = normalize_name(name)
                if not key:
                    out.append(f"{kind} name {name!r} is empty")
                elif key in seen:
                    out.append(f"{kind} names '{seen[key]}' and '{name}' are the same")
                seen.setdefault(key, name)
        return out

    def _fill_defaults(self) -> None:
        room = self.rooms[self.robot.location]
        if self.robot.x is None:
            self.robot.x = room.x
        if self.robot.y is None:
            self.robot.y = room.y
        if self.robot.held is not None:
            self.objects[self.robot.held].held_by = "robot"
        for name in self.rooms:
            self.lights.setdefault(name, False)

    # -- copies -------------------------------------------------------------
    def clone(self) -> "World":
        """An independent deep copy (a fresh state for another robot)."""
        return self.model_copy(deep=True)

    # -- geometry -----------------------------------------------------------
    def nearest_room(self, x: float, y: float) -> str:
        """The room whose map point is closest to (x, y); ties go to file order."""
        return min(self.rooms, key=lambda r: math.hypot(self.rooms[r].x - x, self.rooms[r].y - y))

    def map_bounds(self) -> tuple[float, float, float, float]:
        """``(min_x, min_y, max_x, max_y)`` of the drivable map."""
        m = self.physics.map_margin_m
        xs = [r.x for r in self.rooms.values()]
        ys = [r.y for r in self.rooms.values()]
        return min(xs) - m, min(ys) - m, max(xs) + m, max(ys) + m

    def on_map(self, x: float, y: float) -> bool:
        x0, y0, x1, y1 = self.map_bounds()
        return x0 <= x <= x1 and y0 <= y <= y1

    def reachable_fraction(self, x0: float, y0: float, x1: float, y1: float) -> float:
        """How much of the segment (x0, y0) -> (x1, y1) stays on the map (0..1)."""
        lo_x, lo_y, hi_x, hi_y = self.map_bounds()
        fraction = 1.0
        for start, delta, lo, hi in ((x0, x1 - x0, lo_x, hi_x), (y0, y1 - y0, lo_y, hi_y)):
            if delta > 0 and start + delta > hi:
                fraction = min(fraction, (hi - start) / delta)
            elif delta < 0 and start + delta < lo:
                fraction = min(fraction, (lo - start) / delta)
        return max(0.0, fraction)

    def where(self, location: str) -> str:
        """``"in the kitchen"`` / ``"at the front door"``."""
        room = self.rooms.get(location)
        preposition = room.preposition if room else "in"
        return f"{preposition} the {location.replace('_', ' ')}"

    # -- things -------------------------------------------------------------
    def object_location(self, name: str) -> str:
        """Where an object is now: with whoever holds it, else where it lies."""
        obj = self.objects[name]
        if obj.held_by == "robot":
            return self.robot.location
        if obj.held_by in self.people:
            return self.people[obj.held_by].location
        return obj.location

    def objects_at(self, location: str) -> list[str]:
        """Objects lying (not held) at a location, sorted."""
        return sorted(n for n, o in self.objects.items() if o.held_by is None and o.location == location)


# -- names --------------------------------------------------------------------
def match_names(query: str, names: list[str] | dict[str, Any]) -> list[str]:
    """Names a query may mean: the exact match if any, else every name whose
    last words are the query's words ("cup" -> ["red cup"])."""
    wanted = normalize_name(query)
    if not wanted:
        return []
    normalized = {n: normalize_name(n) for n in names}
    exact = [n for n, key in normalized.items() if key == wanted]
    if exact:
        return exact
    return [n for n, key in normalized.items() if key.endswith(" " + wanted)]


# -- loading ------------------------------------------------------------------
def default_world_path() -> Path:
    """``config/house_world.yaml`` of this source tree, else the installed copy."""
    return config_path("house_world.yaml")


def load_world(path: str | Path | None = None) -> World:
    """Load and validate a world file; ``None`` loads the default house."""
    path = default_world_path() if path is None else path
    return world_from_dict(read_yaml(path, WorldError), source=str(path))


def world_from_dict(data: Any, source: str = "<world>") -> World:
    """Validate already-parsed world data, raising :class:`WorldError`."""
    if not isinstance(data, dict):
        raise WorldError(source, ["top level must be a mapping with 'rooms' and 'robot'"])
    try:
        return World.model_validate(data)
    except ValidationError as e:
        raise WorldError(source, _error_lines(e)) from None


def _error_lines(e: ValidationError) -> list[str]:
    lines: list[str] = []
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts = msg.split("; ") if not where else [msg]
        lines.extend(f"{where}: {p}" if where else p for p in parts)
    return lines
