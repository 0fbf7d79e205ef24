"""Values that change form between a skill and a message: units and value maps.

A skill speaks the catalog's language (``angle_deg=90``, ``location="kitchen"``,
``seconds=45``); a robot's stack speaks its own (Nav2's ``Spin`` wants radians,
``NavigateToPose`` a ``geometry_msgs/PoseStamped`` in the map frame, ``Wait`` a
``builtin_interfaces/Duration``). A bindings file bridges the two without code:

- ``convert: NAME`` on a field or a result: a unit conversion of :data:`CONVERSIONS`
  (``deg_to_rad``, ``cm_to_m``, ``s_to_duration``, ``duration_to_s``, a heading
  ``deg_to_quaternion``, ...), from the
  skill's value to the field's on a field, from the field's to the skill's on a
  result; the robot side of the same bindings uses the inverse.
- ``map: NAME`` on a field or a result: a table of the file's ``value_maps``:
  - ``kind: pose``: a named place -> ``{x, y, yaw_deg}`` in ``frame_id``, filled
    into a ``PoseStamped`` (header and quaternion), a ``Pose`` or a ``Pose2D``;
    back, the nearest named place within ``tolerance_m`` (else an error that says
    how far the nearest one is);
  - ``kind: value``: an enum value -> any constant the field takes (a number,
    text, or a mapping of a message's fields); back, the entry equal to it.

Everything here works on plain values (numbers, dicts of message fields) and
never imports rclpy; :mod:`tool_adapters.ros.bindings` checks the maps against
the message types at start-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DURATION = "builtin_interfaces/Duration"
QUATERNION = "geometry_msgs/Quaternion"
#: Message types a pose map fills, by the fields it sets.
POSE_TYPES = ("geometry_msgs/PoseStamped", "geometry_msgs/Pose", "geometry_msgs/Pose2D")
#: Message types a pose map reads a position from (a result mapped back to a place).
POSITION_TYPES = POSE_TYPES + ("geometry_msgs/PoseWithCovarianceStamped", "geometry_msgs/PoseWithCovariance",
                               "geometry_msgs/Point")


class ValueMapError(ValueError):
    """A value with no entry in a map, or a pose too far from every named place."""


# -- unit conversions -----------------------------------------------------------------
@dataclass(frozen=True)
class Conversion:
    """A unit conversion: ``forward`` turns a ``source`` value into a ``target`` one,
    ``back`` the inverse. ``number`` or a message type (a Duration)."""

    name: str
    forward: Callable[[Any], Any]
    back: Callable[[Any], Any]
    source: str = "number"
    target: str = "number"


def _scale(name: str, factor: float) -> Conversion:
    return Conversion(name, lambda v: float(v) * factor, lambda v: float(v) / factor)


def _to_duration(seconds: float) -> dict[str, int]:
    if seconds < 0:
        raise ValueMapError(f"a duration cannot be negative ({seconds:g} s)")
    sec = math.floor(seconds)
    return {"sec": int(sec), "nanosec": int(round((seconds - sec) * 1e9)) % 1_000_000_000}


def _from_duration(value: Any) -> float:
    sec, nanosec = (value["sec"], value["nanosec"]) if isinstance(value, dict) else (value.sec, value.nanosec)
    return round(sec + nanosec / 1e9, 9)


CONVERSIONS: dict[str, Conversion] = {c.name: c for c in (
    _scale("deg_to_rad", math.pi / 180), _scale("rad_to_deg", 180 / math.pi),
    _scale("cm_to_m", 0.01), _scale("m_to_cm", 100.0), _scale("mm_to_m", 0.001), _scale("m_to_mm", 1000.0),
    _scale("s_to_ms", 1000.0), _scale("ms_to_s", 0.001),
    _scale("percent_to_fraction", 0.01), _scale("fraction_to_percent", 100.0),
    Conversion("s_to_duration", _to_duration, _from_duration, "number", DURATION),
    Conversion("deg_to_quaternion", lambda d: quaternion(math.radians(float(d))),
               lambda q: round(math.degrees(yaw_of(q)), 6), "number", QUATERNION),
    Conversion("duration_to_s", _from_duration, _to_duration, DURATION, "number"),
)}


def conversion_problem(name: str, field_kind: str, field_base: str, into_field: bool) -> str | None:
    """Why conversion ``name`` cannot fill (``into_field``) or read a field of this kind
    (``python_kind``) and base type, or None."""
    conv = CONVERSIONS.get(name)
    if conv is None:
        return f"unknown conversion '{name}' (known: {', '.join(CONVERSIONS)})"
    side = conv.target if into_field else conv.source
    verb = "gives" if into_field else "reads"
    if side == "number":
        ok = field_kind in ("number", "integer")
        return None if ok else f"{name} {verb} a number, but the field is a {field_base}"
    return None if field_base == side else f"{name} {verb} a {side}, but the field is a {field_base}"


# -- value maps -----------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Pose(_Model):
    x: float
    y: float
    yaw_deg: float = 0.0
    frame_id: str | None = None


class ValueMapSpec(_Model):
    """One table of a bindings file's ``value_maps``."""

    kind: Literal["pose", "value"] = "pose"
    #: pose maps: the frame of the poses (a pose may name its own).
    frame_id: str = "map"
    #: pose maps: how far (metres) a pose may be from a named place to count as there.
    tolerance_m: float = Field(0.5, gt=0)
    values: dict[str, Any]


@dataclass
class ValueMap:
    name: str
    kind: Literal["pose", "value"]
    frame_id: str
    tolerance_m: float
    poses: dict[str, Pose]
    values: dict[str, Any]

    @property
    def keys(self) -> list[str]:
        return list(self.poses if self.kind == "pose" else self.values)

    def forward(self, value: Any, field_base: str) -> Any:
        """The field value for enum ``value`` (a dict of message fields for a pose)."""
        if self.kind == "value":
            if value not in self.values:
                raise ValueMapError(f"value map '{self.name}' has no entry for '{value}'")
            return self.values[value]
        pose = self.poses.get(value)
        if pose is None:
            raise ValueMapError(f"value map '{self.name}' has no pose for '{value}'")
        return pose_fields(pose, pose.frame_id or self.frame_id, field_base)

    def back(self, field_value: Any) -> str:
        """The enum value a field value stands for: the nearest place within the tolerance,
        or the entry equal to it; ValueMapError when there is none."""
        if self.kind == "value":
            found = next((k for k, v in self.values.items() if v == field_value), None)
            if found is None:
                raise ValueMapError(f"{field_value!r} is none of the values of map '{self.name}'")
            return found
        x, y = planar(field_value)
        name, distance = min(((n, math.hypot(p.x - x, p.y - y)) for n, p in self.poses.items()),
                             key=lambda item: item[1])
        if distance > self.tolerance_m:
            raise ValueMapError(f"at ({x:.2f}, {y:.2f}), {distance:.1f} m from the nearest named place"
                                f" ({name.replace('_', ' ')}); not within {self.tolerance_m:g} m of any")
        return name


def load_value_map(name: str, spec: ValueMapSpec) -> tuple[ValueMap | None, list[str]]:
    """A checked value map, or None and its problems (each names the map and the entry)."""
    poses: dict[str, Pose] = {}
    problems = []
    if spec.kind == "pose":
        for key, raw in spec.values.items():
            try:
                poses[key] = Pose.model_validate(raw)
            except ValidationError as e:  # its errors name the missing or unknown key
                why = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'pose'}: {err['msg']}" for err in e.errors())
                problems.append(f"value_maps.{name}.{key}: not a pose {{x, y, yaw_deg}} ({why})")
    if problems:
        return None, problems
    return ValueMap(name, spec.kind, spec.frame_id, spec.tolerance_m, poses,
                    dict(spec.values) if spec.kind == "value" else {}), []


def quaternion(yaw_rad: float) -> dict[str, float]:
    return {"x": 0.0, "y": 0.0, "z": math.sin(yaw_rad / 2), "w": math.cos(yaw_rad / 2)}


def yaw_of(orientation: Any) -> float:
    """The yaw (radians) of a quaternion, as a dict or a message."""
    get = orientation.get if isinstance(orientation, dict) else lambda k: getattr(orientation, k)
    x, y, z, w = (float(get(k)) for k in "xyzw")
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def pose_fields(pose: Pose, frame_id: str, field_base: str) -> dict[str, Any]:
    """``pose`` as the fields of a PoseStamped, Pose, Pose2D, Point or a pose with covariance."""
    yaw = math.radians(pose.yaw_deg)
    if field_base.endswith("Pose2D"):
        return {"x": pose.x, "y": pose.y, "theta": yaw}
    plain = {"position": {"x": pose.x, "y": pose.y, "z": 0.0}, "orientation": quaternion(yaw)}
    if field_base.endswith("Point"):
        return plain["position"]
    if field_base.endswith("WithCovariance"):
        return {"pose": plain}
    if field_base.endswith("WithCovarianceStamped"):
        return {"header": {"frame_id": frame_id}, "pose": {"pose": plain}}
    if field_base.endswith("PoseStamped"):
        return {"header": {"frame_id": frame_id}, "pose": plain}
    return plain


def planar(value: Any) -> tuple[float, float]:
    """(x, y) of a PoseStamped, PoseWithCovarianceStamped, Pose, Pose2D or Point, as a dict or a message."""
    get = (lambda v, k: v[k]) if isinstance(value, dict) else getattr
    current = value
    for _ in range(4):  # PoseWithCovarianceStamped.pose.pose.position
        keys = current.keys() if isinstance(current, dict) else type(current).get_fields_and_field_types().keys()
        if "x" in keys and "y" in keys:
            return float(get(current, "x")), float(get(current, "y"))
        current = get(current, "position" if "position" in keys else "pose")
    raise ValueMapError("the value holds no position")
