"""Declarative bindings: how each catalog skill is carried out on a ROS 2 robot.

A bindings file (see ``config/sim_robot_bindings.yaml``) maps a skill to one of

- ``service: NAME`` — call a service;
- ``action: NAME`` — send an action goal (feedback becomes executor feedback,
  executor cancel cancels the goal);
- ``topic_read: NAME`` — the latest message on a topic, at most ``max_age_s``
  old, else the next one within ``timeout_s``;
- ``topic_publish: NAME`` — publish one message;

with ``type`` (``pkg/srv/Name``, ``pkg/action/Name``, ``pkg/msg/Name``). Names may
use arguments: ``/lights/{room}/set``. ``fields`` fills the request, goal or
message: ``{field.path: arg_name}`` or ``{field: {value: constant}}`` (default:
every parameter into the field of the same name). ``result`` says where the
skill's result comes from: a response field (``result: location`` or
``{field: percentage, scale: 100, round: 1}``), an argument echoed
(``{arg: "on"}``, for acknowledgements like ``std_srvs/SetBool``) or a constant
(``{value: true}``). ``success`` (a boolean field; false fails the call) and
``message`` (the reason, for a person) default to the response's ``success``
and ``message`` fields when it has them; for actions, ``feedback: {progress,
message}`` likewise, or progress from a field that counts down (``remaining``)
or up to a goal field (``done`` of ``of``), and a message that is a template of
feedback fields. ``error_code`` / ``error_text`` (default: the response's
``error_code`` and ``error_msg``, as Nav2 has them): a code that is not 0 fails
the call, read as ``errors[code]`` or the name of the code's constant. A field
``{arg: A, map: M}`` or ``{arg: A, convert: C}`` and a result ``{field: F,
map: M}`` or ``{..., convert: C}`` go through the file's ``value_maps`` and unit
conversions (:mod:`tool_adapters.ros.value_maps`); a result ``{format: "{x},{y}"}``
says the arguments. Top-level keys ``x-...`` hold YAML anchors and are ignored.
``timeout_s``, ``server_wait_s`` and ``max_age_s`` may be set per skill or under
``defaults``.

Everything is checked at start-up against the catalog and the message types
themselves: an unknown type, field or argument, or a field whose type cannot
hold the parameter, fails with every problem listed, naming file, skill and
field. Importing this module does not import rclpy (message packages only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent_node.catalog.skills import Catalog, Param, Skill
from agent_node.catalog.values import readable, value_problem
from agent_node.execution.skill_runner import SkillFailed
from agent_node.files.config_files import ConfigFileError, read_yaml
from agent_node.files.paths import config_path
from tool_adapters.ros.messages import (
    FieldType,
    FieldValueError,
    MessageTypeError,
    check_value,
    field_type,
    fields_of,
    fill,
    get_path,
    message_class,
    parse_field_type,
    python_kind,
    to_python,
)
from tool_adapters.ros.value_maps import (
    CONVERSIONS,
    POSE_TYPES,
    POSITION_TYPES,
    Conversion,
    ValueMap,
    ValueMapError,
    ValueMapSpec,
    conversion_problem,
    load_value_map,
)

Kind = Literal["service", "action", "topic_read", "topic_publish"]
KINDS: tuple[Kind, ...] = ("service", "action", "topic_read", "topic_publish")
_TYPE_KIND = {"service": "srv", "action": "action", "topic_read": "msg", "topic_publish": "msg"}
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
ROS_NAME = re.compile(r"^(~/|/)?[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$|^~$")
NAME_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BindingsError(ConfigFileError):
    """A bindings file that cannot be used, with every reason found."""

    what = "bindings"


def default_bindings_path() -> Path:
    return config_path("sim_robot_bindings.yaml")


# -- the file format ---------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArgSource(_Model):
    arg: str
    #: a table of the file's value_maps the value goes through (enum value -> pose or constant)
    map: str | None = None
    #: a unit conversion (tool_adapters.ros.value_maps.CONVERSIONS), skill -> field
    convert: str | None = None


class ValueSource(_Model):
    value: Any


Source = Union[str, ArgSource, ValueSource]


class ResultSpec(_Model):
    field: str | None = None
    arg: str | None = None
    value: Any = None
    #: the skill's arguments in a text: "{x},{y},{yaw_deg}"
    format: str | None = None
    scale: float | None = None
    round: int | None = Field(None, ge=0, le=12)
    #: a value map read backwards (a pose -> the nearest named place)
    map: str | None = None
    #: a unit conversion, field -> skill (duration_to_s, rad_to_deg, ...)
    convert: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "ResultSpec":
        given = [k for k in ("field", "arg", "value", "format") if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError("give exactly one of 'field', 'arg', 'value' or 'format'")
        return self


class FeedbackSpec(_Model):
    #: a field in [0, 1]
    progress: str | None = None
    #: a field that counts down to 0 (Nav2's distance_remaining): progress = 1 - now / first
    remaining: str | None = None
    #: a field that counts up to the goal's field ``of`` (distance_traveled of target.x)
    done: str | None = None
    of: str | None = None
    #: a text field, or a text with feedback fields in braces: "{distance_remaining:.1f} m to go"
    message: str | None = None


class Defaults(_Model):
    timeout_s: float = Field(30.0, gt=0)
    server_wait_s: float = Field(5.0, gt=0)
    max_age_s: float = Field(2.0, ge=0)


class BindingSpec(_Model):
    service: str | None = None
    action: str | None = None
    topic_read: str | None = None
    topic_publish: str | None = None
    type: str
    fields: dict[str, Source] | None = None
    result: str | ResultSpec | None = None
    success: str | None = None
    message: str | None = None
    feedback: FeedbackSpec | None = None
    #: an integer field that says why it failed when not 0 (Nav2's error_code; default: a field of that name)
    error_code: str | None = None
    #: a text field that goes with the code (default: error_msg)
    error_text: str | None = None
    #: what a person reads for a code (default: the name of the code's constant, "collision ahead")
    errors: dict[int, str] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0)
    server_wait_s: float | None = Field(None, gt=0)
    max_age_s: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_kind(self) -> "BindingSpec":
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)} (got {', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> Kind:
        return next(k for k in KINDS if getattr(self, k) is not None)


class BindingsFile(_Model):
    defaults: Defaults = Field(default_factory=Defaults)
    value_maps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    skills: dict[str, dict[str, Any]]


# -- resolved bindings -------------------------------------------------------------
@dataclass
class FieldMap:
    path: str
    ftype: FieldType
    arg: str | None = None
    value: Any = None
    vmap: ValueMap | None = None
    conv: Conversion | None = None

    def to_field(self, value: Any) -> Any:
        """A skill's argument as this field's value (unit, then map)."""
        if self.conv is not None:
            value = self.conv.forward(value)
        return self.vmap.forward(value, self.ftype.base) if self.vmap is not None else value

    def from_field(self, value: Any) -> Any:
        """This field's value (plain Python) as the skill's argument."""
        if self.vmap is not None:
            value = self.vmap.back(value)
        return self.conv.back(value) if self.conv is not None else value


@dataclass
class ResultMap:
    kind: Literal["field", "arg", "value", "format", "none"]
    path: str | None = None
    ftype: FieldType | None = None
    arg: str | None = None
    value: Any = None
    scale: float | None = None
    round: int | None = None
    vmap: ValueMap | None = None
    conv: Conversion | None = None


@dataclass
class FeedbackReader:
    """Turns one goal's feedback messages into (progress, text)."""

    progress_field: str | None
    remaining_field: str | None
    done_field: str | None
    total: float | None
    message: str | None
    message_is_template: bool = False
    first_remaining: float | None = None

    def __call__(self, feedback: Any) -> tuple[float | None, str]:
        progress = None
        if self.progress_field:
            progress = _number(get_path(feedback, self.progress_field))
        elif self.remaining_field:
            left = _number(get_path(feedback, self.remaining_field))
            if left is not None and left > 0 and self.first_remaining is None:
                self.first_remaining = left
            if left is not None and self.first_remaining:
                progress = 1.0 - left / self.first_remaining
        elif self.done_field and self.total:
            done = _number(get_path(feedback, self.done_field))
            progress = abs(done) / abs(self.total) if done is not None else None
        if progress is not None:
            progress = min(1.0, max(0.0, progress))
        text = ""
        if self.message and self.message_is_template:
            try:
                text = self.message.format(**to_python(feedback))
            except (KeyError, ValueError, IndexError, TypeError, AttributeError):
                text = ""
        elif self.message:
            text = str(get_path(feedback, self.message))
        return progress, text


class _Said(dict):
    """Arguments for a result's format; one the plan left out reads as '?'."""

    def __missing__(self, key: str) -> str:
        return "?"


def _number(raw: Any) -> float | None:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


@dataclass
class SkillBinding:
    """One skill's binding, checked against the catalog and the message types."""

    skill: str
    kind: Kind
    name: str
    type_name: str
    interface: type
    request_cls: type
    response_cls: type | None
    feedback_cls: type | None
    fields: list[FieldMap]
    result: ResultMap
    success_field: str | None
    message_field: str | None
    progress_field: str | None
    feedback_message_field: str | None
    timeout_s: float
    server_wait_s: float
    max_age_s: float
    placeholders: list[str] = field(default_factory=list)
    feedback_spec: FeedbackSpec = field(default_factory=FeedbackSpec)
    error_code_field: str | None = None
    error_text_field: str | None = None
    errors: dict[int, str] = field(default_factory=dict)

    # -- agent side ------------------------------------------------------------
    def render_name(self, args: dict[str, Any]) -> str:
        """The name with ``{arg}`` filled in; SkillFailed if a value cannot be part of a ROS name."""
        def token(m: re.Match) -> str:
            value = args.get(m.group(1))
            text = "_".join(str(value).strip().lower().replace("-", " ").split()) if value is not None else ""
            if not NAME_TOKEN.match(text):
                raise SkillFailed(f"{self.skill}: {m.group(1)}={value!r} cannot be part of the ROS name {self.name}")
            return text

        return PLACEHOLDER.sub(token, self.name)

    def request(self, args: dict[str, Any]) -> Any:
        """The request, goal or message for these arguments, every field checked."""
        msg = self.request_cls()
        values = {}
        for f in self.fields:
            if f.arg is not None:
                if f.arg not in args:
                    continue  # an optional parameter the plan left out keeps the field's default
                try:
                    values[f.path] = f.to_field(args[f.arg])
                except ValueMapError as e:
                    raise SkillFailed(f"{self.skill}: {f.arg}={args[f.arg]!r}: {e}") from None
            else:
                values[f.path] = f.value
        try:
            return fill(msg, values)
        except FieldValueError as e:
            raise SkillFailed(f"{self.skill}: cannot send {self.type_name}: {e}") from None

    def failure(self, response: Any) -> str | None:
        """Why the response says the call failed (its success field false, or its error
        code not 0), or None."""
        if response is None:
            return None
        if self.success_field is not None and not bool(get_path(response, self.success_field)):
            text = str(get_path(response, self.message_field)) if self.message_field else ""
            failed = f"the robot reports that {self.skill.replace('_', ' ')} failed"
            return text or self._error_reason(response) or failed
        return self._error_reason(response)

    def _error_reason(self, response: Any) -> str | None:
        """An error code not 0 as a person reads it: "collision ahead: ... (error 703)"."""
        code = int(get_path(response, self.error_code_field)) if self.error_code_field else 0
        if not code:
            return None
        said = self.errors.get(code) or _constant_name(type(response), code) or "it failed"
        detail = str(get_path(response, self.error_text_field)).strip() if self.error_text_field else ""
        return f"{said}{': ' + detail if detail and detail.lower() != said.lower() else ''} (error {code})"

    def result_of(self, response: Any, args: dict[str, Any]) -> Any:
        r = self.result
        if r.kind == "value":
            return r.value
        if r.kind == "arg":
            return args.get(r.arg)
        if r.kind == "format":
            return r.value.format_map(_Said({k: readable(v) for k, v in args.items()}))
        if r.kind == "none":
            return None
        value = to_python(get_path(response, r.path), r.ftype)
        try:
            if r.vmap is not None:
                value = r.vmap.back(value)
            if r.conv is not None:
                value = r.conv.forward(value)
        except ValueMapError as e:
            raise SkillFailed(f"{self.skill}: {e}") from None
        if r.scale is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = value * r.scale
        if r.round is not None and isinstance(value, float):
            value = round(value, r.round)
        return value

    def feedback_reader(self, goal: Any = None) -> FeedbackReader:
        """What turns the feedback of ``goal`` into (progress, text), one per goal."""
        fb = self.feedback_spec
        total = _number(get_path(goal, fb.of)) if goal is not None and fb.of else None
        message = self.feedback_message_field
        return FeedbackReader(self.progress_field, fb.remaining, fb.done, total, message,
                              message is not None and "{" in message)

    # -- robot side (serving a SkillRunner over the same bindings) --------------
    def args_from(self, request: Any, fixed: dict[str, Any] | None = None) -> dict[str, Any]:
        """The skill's arguments from a request/goal/message (and template values)."""
        args = dict(fixed or {})
        for f in self.fields:
            if f.arg is not None:
                try:
                    args[f.arg] = f.from_field(to_python(get_path(request, f.path), f.ftype))
                except ValueMapError as e:
                    raise SkillFailed(f"{self.skill}: {f.path}: {e}") from None
        return args

    def response_values(self, value: Any) -> dict[str, Any]:
        """Response fields that carry a result ``value`` back (the inverse of result_of)."""
        r = self.result
        if r.kind != "field":
            return {}
        if r.scale and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = value / r.scale
        if r.conv is not None:
            value = r.conv.back(value)
        if r.vmap is not None:
            value = r.vmap.forward(value, r.ftype.base)
        return {r.path: value}


@dataclass
class Bindings:
    source: str
    skills: dict[str, SkillBinding]
    #: Catalog skills with no binding (calls to them fail with a clear error).
    unbound: list[str]

    def get(self, skill: str) -> SkillBinding | None:
        return self.skills.get(skill)


# -- checking ----------------------------------------------------------------------
_COMPATIBLE = {"string": {"string"}, "number": {"number", "integer"}, "integer": {"integer"},
               "boolean": {"boolean"}}


def _catalog_kind(type_name: str, catalog: Catalog) -> str:
    return "string" if catalog.is_enum(type_name) else type_name


def _fits(param_type: str, items: str | None, ftype: FieldType, catalog: Catalog, into_field: bool) -> str | None:
    """Why a catalog value of this type cannot go into (or come out of) the field, or None."""
    kind = _catalog_kind(param_type, catalog)
    fkind = python_kind(ftype)
    if kind == "array":
        if fkind != "array":
            return f"is a {ftype.describe()}, not a list"
        return _fits(items or "string", None, ftype.item, catalog, into_field)
    if fkind == "array":
        return f"is a {ftype.describe()}, not a single {kind}"
    allowed = _COMPATIBLE.get(kind, set())
    if into_field:  # a catalog number into an integer field would lose its fraction
        ok = fkind == kind or (kind == "integer" and fkind == "number")
    else:
        ok = fkind in allowed
    return None if ok else f"is a {ftype.base} field, which cannot hold a {kind}"


def _resolve(skill: Skill, spec: BindingSpec, defaults: Defaults, catalog: Catalog,
             maps: dict[str, ValueMap]) -> tuple[SkillBinding | None, list[str]]:
    """A skill's binding checked against its interface: the binding, or None and every problem."""
    kind = spec.kind
    name = getattr(spec, kind)
    placeholders, problems = _check_name(skill, name)
    try:
        interface = message_class(spec.type, _TYPE_KIND[kind])
    except MessageTypeError as e:
        return None, problems + [f"type {e}"]
    request_cls, response_cls, feedback_cls = _parts(kind, interface)
    short = spec.type.rsplit("/", 1)[-1]
    fields, found = _resolve_fields(skill, spec, request_cls, placeholders, short, catalog, maps)
    problems += found
    result, found = _resolve_result(skill, spec, kind, response_cls, short, catalog, maps)
    problems += found
    answers = response_cls if kind in ("service", "action") else None
    success_field = _response_field(spec, answers, "success", spec.success, "boolean", problems)
    message_field = _response_field(spec, answers, "message", spec.message, "string", problems)
    error_code = _response_field(spec, answers, "error_code", spec.error_code, "integer", problems)
    error_text = _response_field(spec, answers, "error_text", spec.error_text, "string", problems,
                                 default_name="error_msg") if error_code else None
    progress_field, message_fb, found = _resolve_feedback(spec, feedback_cls, request_cls)
    problems += found
    if problems:
        return None, problems
    return SkillBinding(
        skill=skill.name, kind=kind, name=name, type_name=spec.type, interface=interface,
        request_cls=request_cls, response_cls=response_cls, feedback_cls=feedback_cls, fields=fields,
        result=result, success_field=success_field, message_field=message_field, progress_field=progress_field,
        feedback_message_field=message_fb, timeout_s=spec.timeout_s or defaults.timeout_s,
        server_wait_s=spec.server_wait_s or defaults.server_wait_s,
        max_age_s=spec.max_age_s if spec.max_age_s is not None else defaults.max_age_s,
        placeholders=placeholders, feedback_spec=spec.feedback or FeedbackSpec(), error_code_field=error_code,
        error_text_field=error_text, errors=dict(spec.errors)), []


def _check_name(skill: Skill, name: str) -> tuple[list[str], list[str]]:
    """The ``{param}`` placeholders of a service, action or topic name, and its problems."""
    problems = []
    placeholders = PLACEHOLDER.findall(name)
    for p in placeholders:
        if p not in skill.params:
            problems.append(f"name {name}: {{{p}}} is not a parameter of {skill.name}"
                            f" (parameters: {', '.join(skill.params) or 'none'})")
    if not ROS_NAME.match(PLACEHOLDER.sub("x", name)):
        problems.append(f"'{name}' is not a valid ROS name")
    return placeholders, problems


def _parts(kind: Kind, interface: type) -> tuple[type, type | None, type | None]:
    """(what is sent, what comes back, feedback) of an interface used as ``kind``."""
    if kind == "service":
        return interface.Request, interface.Response, None
    if kind == "action":
        return interface.Goal, interface.Result, interface.Feedback
    if kind == "topic_read":
        return interface, interface, None
    return interface, None, None


def _resolve_fields(skill: Skill, spec: BindingSpec, request_cls: type, placeholders: list[str], short: str,
                    catalog: Catalog, maps: dict[str, ValueMap]) -> tuple[list[FieldMap], list[str]]:
    """The request, goal or message fields filled from the skill's arguments or constants."""
    kind = spec.kind
    fields: list[FieldMap] = []
    problems: list[str] = []
    if kind == "topic_read":
        if spec.fields:
            problems.append("fields: a topic that is read takes no fields")
        sources: dict[str, Source] = {}
    elif spec.fields is None:
        sources = {p: p for p in skill.params if p not in placeholders}
    else:
        sources = spec.fields
    for path, source in sources.items():
        try:
            ftype = field_type(request_cls, path)
        except (KeyError, MessageTypeError) as e:
            what = "request" if kind == "service" else "goal" if kind == "action" else "message"
            problems.append(f"fields: {short} {what} field '{path}': {e.args[0] if e.args else e}")
            continue
        if isinstance(source, ValueSource):
            try:
                check_value(ftype, source.value, f"fields: '{path}'")
            except FieldValueError as e:
                problems.append(str(e))
                continue
            fields.append(FieldMap(path, ftype, value=source.value))
            continue
        arg = source.arg if isinstance(source, ArgSource) else source
        param = skill.params.get(arg)
        if param is None:
            problems.append(f"fields: '{path}' comes from '{arg}', which is not a parameter of {skill.name}"
                            f" (parameters: {', '.join(skill.params) or 'none'})")
            continue
        mapped = isinstance(source, ArgSource) and (source.map or source.convert)
        if mapped:
            vmap, conv, why = _mapping(skill, arg, param, source.map, source.convert, ftype, catalog, maps, True)
            if why:
                problems.append(f"fields: '{path}' {why}")
                continue
            fields.append(FieldMap(path, ftype, arg=arg, vmap=vmap, conv=conv))
            continue
        why = _fits(param.type, param.items, ftype, catalog, into_field=True)
        if why:
            problems.append(f"fields: '{path}' {why} (parameter '{arg}' is a {param.type})")
            continue
        fields.append(FieldMap(path, ftype, arg=arg))
    return fields, problems


def _mapping(skill: Skill, arg: str, param: Param, map_name: str | None, convert: str | None, ftype: FieldType,
             catalog: Catalog, maps: dict[str, ValueMap],
             into_field: bool) -> tuple[ValueMap | None, Conversion | None, str | None]:
    """The value map and conversion between parameter ``arg`` (or the skill's result) and a
    field, checked: (map, conversion, None), or (None, None, why not)."""
    vmap = conv = None
    if convert is not None:
        why = conversion_problem(convert, python_kind(ftype), ftype.base, into_field)
        if why:
            return None, None, why
        conv = CONVERSIONS[convert]
        if param.type not in ("number", "integer") and (conv.source if into_field else conv.target) == "number":
            return None, None, f"converts with {convert}, but '{arg}' is a {param.type}, not a number"
    if map_name is not None:
        vmap = maps.get(map_name)
        if vmap is None:
            return None, None, (f"maps through '{map_name}', which is not in value_maps"
                                f" (value maps: {', '.join(maps) or 'none'})")
        if not catalog.is_enum(param.type):
            return None, None, f"maps through '{map_name}', but '{arg}' is a {param.type}, not an enum"
        allowed = POSE_TYPES if into_field else POSITION_TYPES
        if vmap.kind == "pose" and (ftype.base not in allowed or ftype.is_list):
            return None, None, (f"maps places to poses through '{map_name}', but it is a {ftype.describe()}"
                                f" (a pose field is one of {', '.join(allowed)})")
        missing = [v for v in catalog.enums[param.type] if v not in vmap.keys]
        if missing:
            what = "pose" if vmap.kind == "pose" else "entry"
            return None, None, (f"maps through '{map_name}', which has no {what} for "
                                f"{', '.join(repr(v) for v in missing)} ({param.type} of {skill.name}.{arg})")
        if vmap.kind == "value":
            for key, value in vmap.values.items():
                try:
                    check_value(ftype, value, f"value_maps.{map_name}.{key}")
                except FieldValueError as e:
                    return None, None, str(e)
    return vmap, conv, None


def _response_field(spec: BindingSpec, cls: type | None, key: str, given: str | None, want: str,
                    problems: list[str], default_name: str | None = None) -> str | None:
    """The response field read as ``key`` (success, message, error_code, error_text): the one
    the binding names, else a field called ``default_name`` (default ``key``) of kind
    ``want`` if the response has one; problems appended."""
    if cls is None:
        if key in spec.model_fields_set and given:
            problems.append(f"{key}: {spec.kind} has no response to read '{given}' from")
        return None
    if key in spec.model_fields_set:
        if not given:
            return None
        try:
            ftype = field_type(cls, given)
        except (KeyError, MessageTypeError) as e:
            problems.append(f"{key}: {e.args[0] if e.args else e}")
            return None
        if python_kind(ftype) != want:
            problems.append(f"{key}: '{given}' is a {ftype.describe()}, not a {want}")
        return given
    name = default_name or key
    found = fields_of(cls).get(name)
    return name if found is not None and python_kind(parse_field_type(found)) == want else None


def _constant_name(cls: type, code: int) -> str | None:
    """The constant of a message class that has value ``code`` (not NONE), readable: "collision ahead"."""
    names = [n for n in dir(cls) if n.isupper() and not n.startswith("_") and n != "NONE"]
    for name in names:
        try:
            if getattr(cls, name) == code:
                return name.lower().replace("_", " ")
        except Exception:  # pragma: no cover - a property that cannot be read
            continue
    return None


def _resolve_feedback(spec: BindingSpec, feedback_cls: type | None,
                      goal_cls: type | None) -> tuple[str | None, str | None, list[str]]:
    """An action's feedback fields read as progress (a number) and message (text, or a
    template of feedback fields), and problems."""
    if spec.kind != "action":
        return None, None, ["feedback: only actions have feedback"] if spec.feedback is not None else []
    problems: list[str] = []
    found: dict[str, str] = {}
    fb = spec.feedback or FeedbackSpec()
    fb_fields = fields_of(feedback_cls)
    for key, cls in (("remaining", feedback_cls), ("done", feedback_cls), ("of", goal_cls)):
        given = getattr(fb, key)
        if given is None:
            continue
        try:
            ftype = field_type(cls, given)
        except (KeyError, MessageTypeError) as e:
            problems.append(f"feedback.{key}: {e.args[0] if e.args else e}")
            continue
        if python_kind(ftype) not in ("number", "integer"):
            problems.append(f"feedback.{key}: '{given}' is a {ftype.describe()}, not a number")
    if (fb.done is None) != (fb.of is None):
        problems.append("feedback: 'done' and 'of' go together (progress = done / the goal's 'of')")
    if fb.message and "{" in fb.message:
        names = set(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)", fb.message))
        problems += [f"feedback.message: '{{{n}}}' is not a feedback field (fields: {', '.join(fb_fields)})"
                     for n in sorted(names - set(fb_fields))]
        found["message"] = fb.message
    read = [("message", "string")] if fb.remaining is not None or fb.done is not None else \
        [("progress", "number"), ("message", "string")]  # else progress comes from remaining or done
    for key, want in read:
        if key in found:
            continue
        given = getattr(fb, key)
        if given is None:
            default = fb_fields.get(key)
            if default is None or python_kind(parse_field_type(default)) != want:
                continue
            given = key
        try:
            ftype = field_type(feedback_cls, given)
        except (KeyError, MessageTypeError) as e:
            problems.append(f"feedback.{key}: {e.args[0] if e.args else e}")
            continue
        if python_kind(ftype) not in ({want, "integer"} if want == "number" else {want}):
            problems.append(f"feedback.{key}: '{given}' is a {ftype.describe()}, not a {want}")
            continue
        found[key] = given
    return found.get("progress"), found.get("message"), problems


def _resolve_result(skill: Skill, spec: BindingSpec, kind: Kind, response_cls: type | None, short: str,
                    catalog: Catalog, maps: dict[str, ValueMap]) -> tuple[ResultMap, list[str]]:
    returns = skill.returns
    raw = spec.result
    if raw is None:
        if kind == "topic_publish":
            return ResultMap("value", value=True), []
        if returns is None:
            return ResultMap("none"), []
        return ResultMap("none"), [f"result: {skill.name} returns a {returns.type}: say where it comes from"
                                   " (a response field, {arg: name} or {value: constant})"]
    r = ResultSpec(field=raw) if isinstance(raw, str) else raw
    if r.field is not None and "field" in r.model_fields_set:
        if response_cls is None:
            return ResultMap("none"), [f"result: a published topic has no response field '{r.field}'"]
        try:
            ftype = field_type(response_cls, r.field)
        except (KeyError, MessageTypeError) as e:
            return ResultMap("none"), [f"result: {short} field '{r.field}': {e.args[0] if e.args else e}"]
        if r.map is not None or r.convert is not None:
            if returns is None:
                return ResultMap("none"), [f"result: {skill.name} returns nothing to map"]
            vmap, conv, why = _mapping(skill, "its result", Param(type=returns.type, items=returns.items), r.map,
                                       r.convert, ftype, catalog, maps, False)
            if why:
                return ResultMap("none"), [f"result: '{r.field}' {why}"]
            return ResultMap("field", path=r.field, ftype=ftype, scale=r.scale, round=r.round, vmap=vmap, conv=conv), []
        if returns is not None:
            why = _fits(returns.type, returns.items, ftype, catalog, into_field=False)
            if why:
                return ResultMap("none"), [f"result: '{r.field}' {why} ({skill.name} returns a {returns.type})"]
        if (r.scale is not None or r.round is not None) and python_kind(ftype) not in ("number", "integer"):
            return ResultMap("none"), [f"result: scale and round apply to numbers; '{r.field}' is a {ftype.base}"]
        return ResultMap("field", path=r.field, ftype=ftype, scale=r.scale, round=r.round), []
    if "format" in r.model_fields_set:
        names = set(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)", r.format or ""))
        unknown = sorted(names - set(skill.params))
        if unknown:
            return ResultMap("none"), [f"result: format names {', '.join(unknown)}, not parameters of {skill.name}"
                                       f" (parameters: {', '.join(skill.params) or 'none'})"]
        if returns is not None and _catalog_kind(returns.type, catalog) != "string":
            return ResultMap("none"), [f"result: format gives text, but {skill.name} returns a {returns.type}"]
        return ResultMap("format", value=r.format), []
    if "arg" in r.model_fields_set:
        param = skill.params.get(r.arg or "")
        if param is None:
            return ResultMap("none"), [f"result: '{r.arg}' is not a parameter of {skill.name}"]
        if returns is not None and _catalog_kind(param.type, catalog) != _catalog_kind(returns.type, catalog):
            return ResultMap("none"), [f"result: parameter '{r.arg}' is a {param.type}, but {skill.name}"
                                       f" returns a {returns.type}"]
        return ResultMap("arg", arg=r.arg), []
    if returns is not None:
        problem = value_problem(r.value, Param(type=returns.type, items=returns.items), catalog.enums)
        if problem:
            return ResultMap("none"), [f"result: value {r.value!r} {problem}"]
    return ResultMap("value", value=r.value), []


def load_bindings(path: str | Path | None, catalog: Catalog) -> Bindings:
    """Read and check a bindings file (None: the simulated robot's) against a catalog. A bare
    file name that is not in the working directory is one of the package's config files
    (``nav2_bindings.yaml``), so a params file works wherever the node starts."""
    path = default_bindings_path() if path is None or str(path) == "" else Path(path)
    if len(path.parts) == 1 and not path.exists() and config_path(path.name).is_file():
        path = config_path(path.name)
    data = read_yaml(path, BindingsError)
    if isinstance(data, dict):  # x-...: YAML anchors to reuse, as in compose files
        data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    try:
        spec = BindingsFile.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = [str(p) for p in err["loc"]]
            if len(loc) >= 2 and loc[0] == "skills":
                where = f"skill '{loc[1]}'" + (f", {'.'.join(loc[2:])}" if len(loc) > 2 else "")
            else:
                where = ".".join(loc) or "top level"
            problems.append(f"{where}: {err['msg']}")
        raise BindingsError(str(path), problems) from None
    problems: list[str] = []
    maps: dict[str, ValueMap] = {}
    for name, raw in spec.value_maps.items():
        try:
            vspec = ValueMapSpec.model_validate(raw)
        except ValidationError as e:
            problems += [f"value_maps.{name}{'.' + '.'.join(map(str, err['loc'])) if err['loc'] else ''}: {err['msg']}"
                         for err in e.errors()]
            continue
        vmap, found = load_value_map(name, vspec)
        problems += found
        if vmap is not None:
            maps[name] = vmap
    skills: dict[str, SkillBinding] = {}
    for name, raw in spec.skills.items():
        skill = catalog.skill(name)
        if skill is None:
            problems.append(f"skill '{name}': not in the catalog (skills: {', '.join(catalog.skill_names)})")
            continue
        try:
            binding = BindingSpec.model_validate(raw)
        except ValidationError as e:
            for err in e.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(f"skill '{name}': {where + ': ' if where else ''}{err['msg']}")
            continue
        resolved, found = _resolve(skill, binding, spec.defaults, catalog, maps)
        problems.extend(f"skill '{name}': {p}" for p in found)
        if resolved is not None:
            skills[name] = resolved
    if problems:
        raise BindingsError(str(path), problems)
    unbound = [s for s in catalog.skill_names if s not in skills]
    return Bindings(source=str(path), skills=skills, unbound=unbound)
