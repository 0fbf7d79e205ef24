"""Argument values: does a literal fit a parameter, and ``$N`` references.

A string argument ``"$N"`` (the whole value) is the result of task N and keeps
its type; ``$N`` inside a longer string is that result rendered as text.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Protocol


class ParamLike(Protocol):
    """What a value is checked against: a catalog parameter (:class:`agent_node.catalog.skills.Param`)
    or a skill's result type."""

    type: str
    items: str | None
    minItems: int | None
    minimum: float | None
    maximum: float | None

WHOLE_REF = re.compile(r"\$([0-9]+)")  # used with fullmatch
INLINE_REF = re.compile(r"\$([0-9]+)")


#: Words dropped from the front of a name ("the red cup", "my keys"), as the
#: plan metric of shared/spec/README.md compares names.
LEADING_WORDS = frozenset({"the", "a", "an", "my", "your", "his", "her", "our", "their", "its"})


def normalize_name(name: str) -> str:
    """A name as compared: lower case, ``_`` as space, single spaces, leading
    articles and possessives dropped (never the last word)."""
    words = name.replace("_", " ").lower().split()
    while len(words) > 1 and words[0] in LEADING_WORDS:
        words = words[1:]
    return " ".join(words)


def whole_ref(value: Any) -> int | None:
    """The N of a value that is exactly ``"$N"``, else None."""
    if isinstance(value, str):
        m = WHOLE_REF.fullmatch(value)
        if m:
            return int(m.group(1))
    return None


def refs_in(value: Any) -> set[int]:
    """Every task number cited anywhere in a value (strings, lists, dicts)."""
    if isinstance(value, str):
        return {int(n) for n in INLINE_REF.findall(value)}
    if isinstance(value, list):
        return set().union(*(refs_in(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(refs_in(v) for v in value.values())) if value else set()
    return set()


def renumber_refs(value: Any, new: Callable[[int], int]) -> Any:
    """``value`` with every ``$N`` cited as ``$new(N)`` (strings, lists, dicts)."""
    if isinstance(value, str):
        return INLINE_REF.sub(lambda m: f"${new(int(m.group(1)))}", value)
    if isinstance(value, list):
        return [renumber_refs(v, new) for v in value]
    if isinstance(value, dict):
        return {k: renumber_refs(v, new) for k, v in value.items()}
    return value


def is_number(value: Any) -> bool:
    """A JSON number plans may use: int or finite float, never bool."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def is_integral(value: Any) -> bool:
    return is_number(value) and (isinstance(value, int) or value.is_integer())


def _fmt(x: float) -> str:
    try:
        return str(int(x)) if is_integral(x) else str(x)
    except ValueError:  # an int beyond sys.get_int_max_str_digits() digits
        return _show(x)


def _show(value: Any) -> str:
    """``repr(value)``, also for values holding an int too long to write in decimal."""
    try:
        return repr(value)
    except ValueError:
        return f"an integer of {value.bit_length()} bits" if isinstance(value, int) else "a value too large to write"


def scalar_problem(value: Any, type_name: str, enums: dict[str, list[str]]) -> str | None:
    """Why a non-array value does not fit ``type_name``, or None if it fits."""
    if type_name in enums:
        if not isinstance(value, str):
            return f"expected one of {enums[type_name]}, got {type(value).__name__} {_show(value)}"
        if value not in enums[type_name]:
            return f"'{value}' is not a {type_name}; expected one of {enums[type_name]}"
        return None
    if type_name == "string":
        return None if isinstance(value, str) else f"expected a string, got {type(value).__name__} {_show(value)}"
    if type_name == "boolean":
        return None if isinstance(value, bool) else f"expected true or false, got {_show(value)}"
    if type_name == "number":
        return None if is_number(value) else f"expected a number, got {_show(value)}"
    if type_name == "integer":
        if is_integral(value):
            return None
        return f"expected an integer, got {_show(value)}"
    return f"unknown type '{type_name}'"


def bounds_problem(value: float, param: ParamLike) -> str | None:
    if param.minimum is not None and value < param.minimum:
        return f"{_fmt(value)} is below the minimum {_fmt(param.minimum)}"
    if param.maximum is not None and value > param.maximum:
        return f"{_fmt(value)} is above the maximum {_fmt(param.maximum)}"
    return None


def value_problem(value: Any, param: ParamLike, enums: dict[str, list[str]]) -> str | None:
    """Why a literal value (no references) does not fit ``param``, or None."""
    if param.type == "array":
        if not isinstance(value, list):
            return f"expected a list of {param.items}, got {_show(value)}"
        if param.minItems is not None and len(value) < param.minItems:
            return f"needs at least {param.minItems} item(s), got {len(value)}"
        for i, item in enumerate(value):
            problem = scalar_problem(item, param.items or "string", enums)
            if problem:
                return f"item {i + 1}: {problem}"
        return None
    problem = scalar_problem(value, param.type, enums)
    if problem is None and param.type in ("number", "integer"):
        problem = bounds_problem(value, param)
    return problem


def readable(value: Any, enum_like: bool = False) -> str:
    """A result as a person would read it inside a sentence."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _fmt(round(value, 2))
    if isinstance(value, list):
        words = [readable(v, enum_like) for v in value]
        if not words:
            return "nothing"
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    if isinstance(value, str) and enum_like:
        return value.replace("_", " ")
    return str(value)
