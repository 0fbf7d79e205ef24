"""ROS message types by name, and plain values into and out of messages, checked first.

``rosidl_runtime_py`` is not on PyPI, so messages are filled generically from
``get_fields_and_field_types()``. Jazzy's generated setters do not check types
unless asked, and a value of the wrong type aborts the process when the
message is published, so every value is checked (and converted: an ``int`` for
a ``double`` field, ``array.array`` for numeric sequences) here, in Python,
with an error that names the field.
"""

from __future__ import annotations

import array
import importlib
import math
import re
from dataclasses import dataclass
from typing import Any

KINDS = ("msg", "srv", "action")

_INT_RANGES = {
    "int8": (-2**7, 2**7 - 1), "uint8": (0, 2**8 - 1), "int16": (-2**15, 2**15 - 1), "uint16": (0, 2**16 - 1),
    "int32": (-2**31, 2**31 - 1), "uint32": (0, 2**32 - 1), "int64": (-2**63, 2**63 - 1), "uint64": (0, 2**64 - 1),
    "octet": (0, 255), "char": (0, 255), "byte": (0, 255),
}
_FLOATS = {"float": 3.4028234663852886e38, "double": 1.7976931348623157e308, "long double": 1.7976931348623157e308}
_TYPECODES = {"float": "f", "double": "d", "int8": "b", "uint8": "B", "int16": "h", "uint16": "H",
              "int32": "i", "uint32": "I", "int64": "q", "uint64": "Q"}
_SEQUENCE = re.compile(r"^sequence<(?P<item>[^,>]+)(?:,\s*(?P<max>\d+))?>$")
_ARRAY = re.compile(r"^(?P<item>.+)\[(?P<size>\d+)\]$")
_BOUNDED_STRING = re.compile(r"^(?P<base>w?string)<=(?P<max>\d+)$")


class MessageTypeError(ValueError):
    """A type name that does not name an importable message, service or action."""


class FieldValueError(ValueError):
    """A value that does not fit a message field."""


def message_class(type_name: str, kind: str | None = None) -> type:
    """The class of ``pkg/msg/Name``, ``pkg/srv/Name`` or ``pkg/action/Name``
    (``pkg/Name`` is read as a message). ``kind`` requires one of the three."""
    parts = type_name.split("/") if isinstance(type_name, str) else []
    if len(parts) == 2:
        parts = [parts[0], "msg", parts[1]]
    if len(parts) != 3 or parts[1] not in KINDS or not all(p.isidentifier() for p in parts):
        raise MessageTypeError(f"'{type_name}' is not a type name like 'pkg/msg/Name', 'pkg/srv/Name'"
                               " or 'pkg/action/Name'")
    package, found_kind, name = parts
    if kind is not None and found_kind != kind:
        raise MessageTypeError(f"'{type_name}' is a {found_kind}, not a {kind}")
    try:
        module = importlib.import_module(f"{package}.{found_kind}")
    except ImportError as e:
        raise MessageTypeError(f"'{type_name}': cannot import {package}.{found_kind} ({e}); is the package"
                               " installed (make setup builds home_robot_interfaces)?") from None
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        known = sorted(n for n in dir(module) if not n.startswith("_") and isinstance(getattr(module, n), type))
        raise MessageTypeError(f"'{type_name}': {package}.{found_kind} has no type '{name}'"
                               f" (it has: {', '.join(known) or 'none'})")
    return cls


@dataclass(frozen=True)
class FieldType:
    """A parsed field type: a basic type, a nested message, or a sequence/array of them."""

    base: str  # "string", "double", ..., or "pkg/Name" for a nested message
    sequence: bool = False
    size: int | None = None  # exact size of a fixed array
    max_size: int | None = None  # bound of a bounded sequence
    max_length: int | None = None  # bound of a bounded string

    @property
    def is_list(self) -> bool:
        return self.sequence or self.size is not None

    @property
    def is_message(self) -> bool:
        return "/" in self.base

    @property
    def item(self) -> "FieldType":
        return FieldType(self.base, max_length=self.max_length)

    def describe(self) -> str:
        return self.base if not self.is_list else f"list of {self.base}"


def parse_field_type(text: str) -> FieldType:
    text = text.strip()
    m = _SEQUENCE.match(text)
    if m:
        item = parse_field_type(m["item"])
        return FieldType(item.base, sequence=True, max_size=int(m["max"]) if m["max"] else None,
                         max_length=item.max_length)
    m = _ARRAY.match(text)
    if m:
        item = parse_field_type(m["item"])
        return FieldType(item.base, size=int(m["size"]), max_length=item.max_length)
    m = _BOUNDED_STRING.match(text)
    if m:
        return FieldType(m["base"], max_length=int(m["max"]))
    return FieldType(text)


def fields_of(cls: type) -> dict[str, str]:
    """Field name -> type text of a message class."""
    return dict(cls.get_fields_and_field_types())


def field_type(cls: type, path: str) -> FieldType:
    """The type of a dotted field path (``pose.position.x``); KeyError naming the known fields."""
    parts = path.split(".")
    current = cls
    for i, part in enumerate(parts):
        fields = fields_of(current)
        if part not in fields:
            where = ".".join(parts[:i]) or current.__name__
            raise KeyError(f"{where} has no field '{part}' (fields: {', '.join(fields) or 'none'})")
        ftype = parse_field_type(fields[part])
        if i == len(parts) - 1:
            return ftype
        if not ftype.is_message or ftype.is_list:
            raise KeyError(f"'{'.'.join(parts[:i + 1])}' is a {ftype.describe()}, not a message with fields")
        current = message_class(ftype.base)
    raise KeyError(path)  # pragma: no cover - empty path


def check_value(ftype: FieldType, value: Any, what: str = "value") -> Any:
    """``value`` converted for a field of type ``ftype``; FieldValueError if it does not fit."""
    if ftype.is_list:
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
            raise FieldValueError(f"{what} must be a list of {ftype.base}, got {value!r:.80}")
        if ftype.size is not None and len(value) != ftype.size:
            raise FieldValueError(f"{what} must have exactly {ftype.size} items, got {len(value)}")
        if ftype.max_size is not None and len(value) > ftype.max_size:
            raise FieldValueError(f"{what} may have at most {ftype.max_size} items, got {len(value)}")
        items = [check_value(ftype.item, v, f"{what}[{i}]") for i, v in enumerate(value)]
        code = _TYPECODES.get(ftype.base)
        if code is None:
            return items
        if ftype.size is not None:
            import numpy  # fixed numeric arrays are numpy arrays in rclpy

            return numpy.array(items, dtype={"float": "float32", "double": "float64"}.get(ftype.base, ftype.base))
        return array.array(code, items)
    base = ftype.base
    if base == "boolean":
        if not isinstance(value, bool):
            raise FieldValueError(f"{what} must be true or false, got {value!r:.80}")
        return value
    if base in ("string", "wstring"):
        if not isinstance(value, str):
            raise FieldValueError(f"{what} must be text, got {value!r:.80}")
        if ftype.max_length is not None and len(value) > ftype.max_length:
            raise FieldValueError(f"{what} may have at most {ftype.max_length} characters, got {len(value)}")
        if base == "string" and "\x00" in value:
            raise FieldValueError(f"{what} must not contain NUL characters")
        return value
    if base in _FLOATS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldValueError(f"{what} must be a number, got {value!r:.80}")
        value = float(value)
        if math.isfinite(value) and abs(value) > _FLOATS[base]:
            raise FieldValueError(f"{what} is out of range for a {base}: {value}")
        return value
    if base in _INT_RANGES:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldValueError(f"{what} must be an integer, got {value!r:.80}")
        lo, hi = _INT_RANGES[base]
        if not lo <= value <= hi:
            raise FieldValueError(f"{what} is out of range for a {base} ({lo}..{hi}): {value}")
        return value
    if "/" in base:
        cls = message_class(base)
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise FieldValueError(f"{what} must be a mapping of the fields of {base}, got {value!r:.80}")
        msg = cls()
        fill(msg, value, what)
        return msg
    raise FieldValueError(f"{what}: the field type '{base}' is not supported")


def fill(msg: Any, values: dict[str, Any], what: str = "") -> Any:
    """Set fields of ``msg`` from ``{dotted.path: value}``, every value checked first."""
    checked = []
    for path, value in values.items():
        label = f"{what}.{path}" if what else path
        try:
            ftype = field_type(type(msg), path)
        except KeyError as e:
            raise FieldValueError(f"{label}: {e.args[0]}") from None
        checked.append((path, check_value(ftype, value, label)))
    for path, value in checked:
        *parents, last = path.split(".")
        target = msg
        for p in parents:
            target = getattr(target, p)
        setattr(target, last, value)
    return msg


def get_path(msg: Any, path: str) -> Any:
    value = msg
    for part in path.split("."):
        value = getattr(value, part)
    return value


def to_python(value: Any, ftype: FieldType | None = None) -> Any:
    """A field value as plain Python: messages as dicts, arrays as lists; a ``float``
    (32-bit) field rounded to the 7 significant digits it holds (0.95, not 0.949999988)."""
    if hasattr(type(value), "get_fields_and_field_types"):
        return {name: to_python(getattr(value, name), parse_field_type(t))
                for name, t in fields_of(type(value)).items()}
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    if isinstance(value, (list, tuple, array.array)) or type(value).__name__ == "ndarray":
        item = ftype.item if ftype is not None else None
        return [to_python(v, item) for v in list(value)]
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (str, bytes)):
        value = value.item()  # a numpy scalar
    if isinstance(value, float) and ftype is not None and ftype.base == "float" and math.isfinite(value):
        return float(f"{value:.7g}")
    return value


def python_kind(ftype: FieldType) -> str:
    """What a field holds, in the catalog's terms: boolean, string, integer, number,
    array, message (for checking bindings)."""
    if ftype.is_list:
        return "array"
    if ftype.base == "boolean":
        return "boolean"
    if ftype.base in ("string", "wstring"):
        return "string"
    if ftype.base in _FLOATS:
        return "number"
    if ftype.base in _INT_RANGES:
        return "integer"
    if ftype.is_message:
        return "message"
    return "unsupported"
