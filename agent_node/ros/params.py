"""Declaring and reading a node's parameters, with errors that name the parameter.

Every parameter is declared with dynamic typing and checked here, so
``threshold:=1`` (an integer for a number) works and ``threads:=two`` fails
with a sentence instead of an rclpy exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node


class ParameterError(ValueError):
    """A parameter with a value the node cannot use."""


@dataclass(frozen=True)
class Spec:
    name: str
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None


def declare_all(node: Node, specs: list[Spec]) -> dict[str, Any]:
    """Declare ``specs`` on ``node`` and return their checked values; ParameterError
    listing every bad one. Overrides for undeclared names are logged as warnings."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for spec in specs:
        node.declare_parameter(spec.name, spec.default,
                               ParameterDescriptor(description=spec.description, dynamic_typing=True))
        value = node.get_parameter(spec.name).value
        try:
            values[spec.name] = _check(spec, value)
        except ParameterError as e:
            problems.append(str(e))
    known = {s.name for s in specs} | {"use_sim_time", "start_type_description_service"}
    unknown = sorted(set(getattr(node, "_parameter_overrides", {}) or {}) - known)
    if unknown:
        node.get_logger().warning(f"ignoring unknown parameter(s) {', '.join(unknown)}"
                                  f" (known: {', '.join(s.name for s in specs)})")
    if problems:
        raise ParameterError("; ".join(problems))
    return values


def _check(spec: Spec, value: Any) -> Any:
    default = spec.default
    where = f"parameter '{spec.name}'"
    if value is None:
        return default
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ParameterError(f"{where} must be true or false, got {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{where} must be an integer, got {value!r}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{where} must be a number, got {value!r}")
        value = float(value)
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ParameterError(f"{where} must be text, got {value!r}")
    elif isinstance(default, list):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ParameterError(f"{where} must be a list of strings, got {value!r}")
        value = list(value)
    if spec.choices and value not in spec.choices:
        raise ParameterError(f"{where} must be one of {', '.join(spec.choices)}, got {value!r}")
    if spec.minimum is not None and value < spec.minimum:
        raise ParameterError(f"{where} must be at least {spec.minimum:g}, got {value!r}")
    return value
