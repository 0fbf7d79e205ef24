"""The three APIGen checks of a synthetic sample: format, execution, meaning.

Each check returns None when the sample passes, else a reason ``"what: detail"``
whose part before the colon is short and countable:

- :func:`check_format`: the plan parses into a :class:`~agent_node.plan.model.Plan`
  and passes :func:`~agent_node.plan.checker.check_plan` against the catalog;
- :func:`check_execution`: the plan runs with every task succeeding, on the
  simulated house (the reference catalog; the world arranged per the sample's
  setup) or on a :class:`~tool_adapters.scripted.ScriptedRunner` that answers
  each skill with a value of its declared type (any other catalog);
- :func:`check_meaning`: the command mentions what the plan uses (see
  :mod:`agent_node.language.meaning`): every enum
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

from agent_node.catalog.skills import Catalog
from agent_node.datagen.samples import Sample, Setup
from agent_node.execution.executor import Executor
from agent_node.execution.skill_runner import SkillRunner
from agent_node.language.meaning import robot_request, unsaid
from agent_node.language.phrasebook import Phrasebook, is_reference_catalog, load_phrasebook
from agent_node.plan.checker import check_plan
from agent_node.plan.model import Plan

if TYPE_CHECKING:
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
        from tool_adapters.scripted import dry_runner

        return dry_runner(catalog)
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
def check_meaning(sample: Sample, catalog: Catalog, phrasebook: Phrasebook | None = None) -> str | None:
    """None if the command mentions everything the plan uses, else the first thing it does not."""
    pb = phrasebook or load_phrasebook(catalog)
    if not sample.plan:
        return robot_request(sample.command, pb, catalog)
    first = next(iter(unsaid(sample.command, sample.plan, catalog, pb)), None)
    return str(first) if first else None


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
