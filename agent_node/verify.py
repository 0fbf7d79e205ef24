"""The three APIGen checks of a synthetic sample: format, execution, meaning.

Each check returns None when the sample passes, else a reason ``"what: detail"``
whose part before the colon is short and countable:

- :func:`check_format`: the plan parses into a :class:`~agent_node.plan.Plan`
  and passes :func:`~agent_node.checker.check_plan` against the catalog;
- :func:`check_execution`: the plan runs with every task succeeding, on the
  simulated house (the reference catalog; the world arranged per the sample's
  setup) or on a :class:`~tool_adapters.scripted.ScriptedRunner` that answers
  each skill with a value of its declared type (any other catalog);
- :func:`check_meaning`: the command mentions what the plan uses: every enum
  value (in one of its surface forms), name, number (digits or words, the sign
  by direction words) and on/off flag; free text is exempt. An empty plan's
  command must not be a plain robot request (a motion verb with a place).

:func:`verify` runs them in that order (execution only on a well-formed plan);
:class:`Verifier` does the same for many samples, reusing what it loads.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from agent_node.catalog import Catalog, Param
from agent_node.checker import check_plan
from agent_node.executor import Executor
from agent_node.phrasebook import (
    FREE_DOMAINS, SIGNS, ParamSpec, Phrasebook, is_reference_catalog, load_phrasebook, mentions,
    normalize_text, number_forms,
)
from agent_node.plan import Plan
from agent_node.skill_runner import SkillRunner
from agent_node.values import normalize_name, whole_ref

if TYPE_CHECKING:
    from agent_node.datagen import Sample, Setup
    from tool_adapters.sim.world import World

Check = Literal["format", "execution", "meaning"]
CHECKS: tuple[Check, ...] = ("format", "execution", "meaning")


@dataclass(frozen=True)
class Rejection:
    """Why a check rejected a sample: ``reason`` is countable, ``detail`` specific."""

    check: Check
    reason: str
    detail: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.check, self.reason

    def __str__(self) -> str:
        return f"{self.check}: {self.reason}" + (f": {self.detail}" if self.detail else "")


def _rejection(check: Check, why: str) -> Rejection:
    reason, _, detail = why.partition(": ")
    return Rejection(check, reason, detail)


def _blur(message: str) -> str:
    """A checker message without its particulars ('x', numbers), for counting."""
    message = re.sub(r"'[^']*'", "X", message.split(";")[0])
    return re.sub(r"-?\d+(\.\d+)?", "N", message)


# -- format -----------------------------------------------------------------------------
def sample_plan(sample: Sample) -> Plan:
    """The sample's plan as a :class:`Plan` (pydantic ValidationError if it cannot be)."""
    return Plan.of(*[(c.skill, c.args) for c in sample.plan])


def check_format(sample: Sample, catalog: Catalog) -> str | None:
    """None if the plan is a valid plan for ``catalog``, else why not."""
    try:
        plan = sample_plan(sample)
    except ValidationError as e:
        return f"plan does not parse: {e.errors()[0]['msg']}"
    problems = check_plan(plan, catalog).problems
    if problems:
        return f"{_blur(problems[0].message)}: {problems[0]}"
    return None


# -- execution ----------------------------------------------------------------------------
def typed_result(catalog: Catalog, skill: str) -> Any:
    """A value of the skill's declared result type (first enum value, 1.0, 1, True, "x", [...])."""
    s = catalog.skill(skill)
    if s is None or s.returns is None:
        return True
    stand_ins: dict[str, Any] = {"number": 1.0, "integer": 1, "boolean": True, "string": "x"}

    def one(type_name: str) -> Any:
        return catalog.enums[type_name][0] if catalog.is_enum(type_name) else stand_ins.get(type_name, "x")

    return [one(s.returns.items or "string")] if s.returns.type == "array" else one(s.returns.type)


def arranged_world(world: World, setup: Setup) -> World:
    """A copy of ``world`` arranged as ``setup`` says (unknown names added)."""
    from tool_adapters.sim.world import ObjectState, PersonState

    w = world.clone()
    if setup.robot_at is not None:
        room = w.rooms[setup.robot_at]
        w.robot.location, w.robot.x, w.robot.y, w.robot.charging = setup.robot_at, room.x, room.y, False
    for name, location in setup.objects.items():
        w.rooms[location]  # KeyError: an unknown room
        w.objects[name] = ObjectState(location=location, surface="")
    for name, location in setup.people.items():
        w.rooms[location]
        w.people[name] = PersonState(location=location)
    if setup.held is not None:
        w.objects[setup.held] = ObjectState(location=w.robot.location, held_by="robot")
        w.robot.held = setup.held
    return w


def _runner(catalog: Catalog, world: World | None, setup: Setup) -> SkillRunner:
    if world is None:
        from tool_adapters.scripted import ScriptedRunner

        return ScriptedRunner(results=lambda skill, args: typed_result(catalog, skill))
    from tool_adapters.sim.robot import SimRobot

    return SimRobot(world=arranged_world(world, setup), time_scale=0)


async def _execute(sample: Sample, catalog: Catalog, world: World | None) -> str | None:
    try:
        runner = _runner(catalog, world, sample.setup)
    except KeyError as e:
        return f"bad setup: unknown room {e}"
    result = await Executor(catalog, runner).run(sample_plan(sample))
    for task in result.tasks:
        if task.status != "succeeded":
            return f"{task.skill} {task.status}: task {task.task}: {task.error}"
    return None


def _simulated_world(catalog: Catalog, world: World | None) -> World | None:
    """The world to run on: ``world`` (or the default house) for the reference catalog, else None."""
    if not is_reference_catalog(catalog):
        return None
    if world is not None:
        return world
    from tool_adapters.sim.world import load_world

    return load_world()


def check_execution(sample: Sample, catalog: Catalog, world: World | None = None) -> str | None:
    """None if every task of the (well-formed) plan succeeds, else which failed and why."""
    return asyncio.run(_execute(sample, catalog, _simulated_world(catalog, world)))


# -- meaning ---------------------------------------------------------------------------------
def _said_any(text: str, phrases: list[str]) -> bool:
    return any(mentions(text, p) for p in phrases)


def _number_unsaid(text: str, spec: ParamSpec, value: float) -> str | None:
    if spec.directional:
        forms = number_forms(abs(value), signed=False) + spec.special.get(float(abs(value)), [])
        sign = "negative" if value < 0 else "positive"
        other = SIGNS[1 - SIGNS.index(sign)]
        if sign == "negative" or _said_any(text, spec.accepted(other)):
            if not _said_any(text, spec.accepted(sign)):
                return f"direction not mentioned: {sign} {value}"
    else:
        forms = number_forms(value, signed=True) + spec.special.get(float(value), [])
    return None if _said_any(text, forms) else f"number not mentioned: {value}"


def _value_unsaid(text: str, pb: Phrasebook, catalog: Catalog, skill: str, pname: str, p: Param,
                  value: Any) -> str | None:
    """Why ``value`` of parameter ``pname`` is not said in the normalised ``text``, or None."""
    if whole_ref(value) is not None:
        return None
    spec = pb.spec(skill, pname)
    if p.type == "array":
        item = Param(type=p.items or "string")
        return next((why for v in value if (why := _value_unsaid(text, pb, catalog, skill, pname, item, v))), None)
    if catalog.is_enum(p.type):
        said = _said_any(text, pb.enum_forms(p.type, value))
        return None if said else f"{p.type} not mentioned: '{value}'"
    if p.type in ("number", "integer"):
        return _number_unsaid(text, spec, value)
    if p.type == "boolean":
        return None if _said_any(text, pb.bool_accepted(spec, value)) else f"on/off not mentioned: {value}"
    if spec.domain in FREE_DOMAINS or not isinstance(value, str) or not value:
        return None
    return None if mentions(text, normalize_name(value)) else f"name not mentioned: '{value}'"


def _robot_request(text: str, pb: Phrasebook, catalog: Catalog) -> str | None:
    """Why a command with an empty plan reads as a plain robot request, or None."""
    verb = next((v for v in pb.lang.motion_verbs if mentions(text, v)), None)
    if verb is None:
        return None
    for type_name, values in catalog.enums.items():
        for value in values:
            place = next((f for f in pb.enum_forms(type_name, value) if mentions(text, f)), None)
            if place:
                return f"empty plan for a robot request: '{verb}' with '{place}'"
    return None


def check_meaning(sample: Sample, catalog: Catalog, phrasebook: Phrasebook | None = None) -> str | None:
    """None if the command mentions everything the plan uses, else the first thing it does not."""
    pb = phrasebook or load_phrasebook(catalog)
    text = normalize_text(sample.command)
    if not sample.plan:
        return _robot_request(text, pb, catalog)
    for i, call in enumerate(sample.plan, start=1):
        skill = catalog.skill(call.skill)
        for pname, value in call.args.items():
            p = skill.params.get(pname) if skill else None
            why = p and _value_unsaid(text, pb, catalog, call.skill, pname, p, value)
            if why:
                return f"{why} (task {i}, {call.skill}.{pname})"
    return None


# -- all three ----------------------------------------------------------------------------------
class Verifier:
    """Verifies many samples against one catalog, phrasebook and world.

    Use as a context manager (it keeps one event loop for the execution check)."""

    def __init__(self, catalog: Catalog, phrasebook: Phrasebook | None = None, world: World | None = None):
        self.catalog = catalog
        self.phrasebook = phrasebook or load_phrasebook(catalog)
        self.world = _simulated_world(catalog, world)
        self._loop = asyncio.new_event_loop()

    def __enter__(self) -> "Verifier":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._loop.close()

    def verify(self, sample: Sample) -> list[Rejection]:
        """Every check's rejection, in the order format, execution, meaning."""
        out = []
        why = check_format(sample, self.catalog)
        if why:
            out.append(_rejection("format", why))
        else:
            why = self._loop.run_until_complete(_execute(sample, self.catalog, self.world))
            if why:
                out.append(_rejection("execution", why))
        why = check_meaning(sample, self.catalog, self.phrasebook)
        if why:
            out.append(_rejection("meaning", why))
        return out


def verify(sample: Sample, catalog: Catalog, phrasebook: Phrasebook | None = None,
           world: World | None = None) -> list[Rejection]:
    """Run the three checks on one sample; an empty list means it passed."""
    with Verifier(catalog, phrasebook, world) as verifier:
        return verifier.verify(sample)
