"""The benches' own safety check of calls that reach the robot, and a runner that applies it.

Written straight from the catalog's parameter declarations, on purpose without
``agent_node.plan.checker`` or ``agent_node.catalog.values``: it is the independent witness
that ``bench/fuzz.py`` and ``bench/adversarial.py`` hold the pipeline to
(skill in the catalog, argument names known, required ones present, values of
the declared type, enum, bounds and item type, enough items). A call that fails
it is counted as unsafe and never passed on to the robot.
"""

from __future__ import annotations

import asyncio
import copy
import math
from typing import Any

from agent_node.catalog.skills import Catalog, Param
from agent_node.execution.skill_runner import FeedbackFn, SkillFailed


def scalar_problem(value: Any, type_name: str, p: Param | None, catalog: Catalog) -> str | None:
    """Own statement of a valid scalar: None when it fits."""
    if type_name in catalog.enums:
        return None if type(value) is str and value in catalog.enums[type_name] else f"not a {type_name}"
    if type_name == "string":
        return None if type(value) is str else "not a string"
    if type_name == "boolean":
        return None if type(value) is bool else "not a boolean"
    if type_name in ("number", "integer"):
        if type(value) not in (int, float):
            return f"not a {type_name}"
        if type(value) is float and not math.isfinite(value):
            return "not finite"
        if type_name == "integer" and type(value) is float and not value.is_integer():
            return "not an integer"
        if p is not None and p.minimum is not None and value < p.minimum:
            return f"below the minimum {p.minimum:g}"
        if p is not None and p.maximum is not None and value > p.maximum:
            return f"above the maximum {p.maximum:g}"
        return None
    return f"unknown type {type_name}"


def call_problems(skill: str, args: Any, catalog: Catalog) -> list[str]:
    """Why a call that reached the robot is unsafe (empty when it is in catalog and bounds)."""
    spec = catalog.skill(skill) if type(skill) is str else None
    if spec is None:
        return [f"unknown skill {short(skill, 60)}"]
    if type(args) is not dict:
        return [f"arguments are a {type(args).__name__}"]
    out = [f"unknown argument {short(name, 60)}" for name in args if name not in spec.params]
    for name, p in spec.params.items():
        if name not in args:
            if p.required:
                out.append(f"missing argument {name!r}")
            continue
        value = args[name]
        if p.type == "array":
            if type(value) is not list:
                out.append(f"{name}: not a list")
                continue
            if p.minItems is not None and len(value) < p.minItems:
                out.append(f"{name}: fewer than {p.minItems} item(s)")
            for k, item in enumerate(value):
                why = scalar_problem(item, p.items or "string", None, catalog)
                if why:
                    out.append(f"{name}[{k}]: {why}")
        else:
            why = scalar_problem(value, p.type, p, catalog)
            if why:
                out.append(f"{name}={short(value, 40)}: {why}")
    return out


def short(value: Any, limit: int = 200) -> str:
    """``ascii(value)`` cut to ``limit`` characters (also for ints too long to write)."""
    try:
        text = ascii(value)
    except ValueError:  # an int too long to write in decimal
        text = f"<int of {value.bit_length()} bits>" if isinstance(value, int) else "<unwritable>"
    return text if len(text) <= limit else text[:limit] + "..."


class GuardedRunner:
    """Wraps a runner: records every call that reaches it (``calls``: skill, args,
    problems, outcome); unsafe ones are counted and not passed on; adapter
    exceptions other than SkillFailed are kept in ``faults``."""

    def __init__(self, inner: Any, catalog: Catalog):
        self.inner = inner
        self.catalog = catalog
        self.calls: list[dict[str, Any]] = []
        self.faults: list[str] = []

    @property
    def unsafe(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["problems"]]

    async def call(self, skill: str, args: dict[str, Any], feedback: FeedbackFn) -> Any:
        problems = call_problems(skill, args, self.catalog)
        record = {"skill": skill, "args": copy.deepcopy(args), "problems": problems, "outcome": ""}
        self.calls.append(record)
        if problems:
            record["outcome"] = "blocked"
            raise SkillFailed(f"blocked by the bench guard: {'; '.join(problems)}")
        try:
            result = await self.inner.call(skill, args, feedback)
        except SkillFailed as e:
            record["outcome"] = f"failed: {e}"
            raise
        except asyncio.CancelledError:
            record["outcome"] = "cancelled"
            raise
        except Exception as e:
            record["outcome"] = f"fault: {type(e).__name__}"
            self.faults.append(f"{skill}({short(args)}): {type(e).__name__}: {e}")
            raise
        record["outcome"] = f"ok: {short(result)}"
        return result
