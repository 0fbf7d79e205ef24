"""A runner that plays back canned results after fixed delays.

For dry runs of a plan, executor tests and benchmarks: no world, no physics.
``durations`` and ``results`` map a skill name (or ``(skill, args)`` via a
callable) to seconds and to the value returned; ``failures`` maps a skill to
the message it fails with.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, Mapping

from agent_node.execution.skill_runner import FeedbackFn, SkillFailed

if TYPE_CHECKING:
    from agent_node.catalog.skills import Catalog

Lookup = Mapping[str, Any] | Callable[[str, dict[str, Any]], Any]


def _lookup(table: Lookup | None, skill: str, args: dict[str, Any], default: Any) -> Any:
    if table is None:
        return default
    if callable(table):
        return table(skill, args)
    return table.get(skill, default)


class ScriptedRunner:
    def __init__(self, durations: Lookup | None = None, results: Lookup | None = None,
                 failures: Mapping[str, str] | None = None, default_duration: float = 0.0,
                 feedback_steps: int = 0):
        self.durations = durations
        self.results = results
        self.failures = dict(failures or {})
        self.default_duration = default_duration
        self.feedback_steps = feedback_steps
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.cancelled: list[str] = []

    async def call(self, skill: str, args: dict[str, Any], feedback: FeedbackFn) -> Any:
        self.calls.append((skill, dict(args)))
        seconds = float(_lookup(self.durations, skill, args, self.default_duration))
        steps = max(self.feedback_steps, 1)
        try:
            for i in range(steps):
                await asyncio.sleep(seconds / steps)
                if self.feedback_steps:
                    feedback((i + 1) / steps, f"step {i + 1} of {steps}")
        except asyncio.CancelledError:
            self.cancelled.append(skill)
            raise
        if skill in self.failures:
            raise SkillFailed(self.failures[skill])
        return _lookup(self.results, skill, args, True)


def typed_result(catalog: "Catalog", skill: str) -> Any:
    """A value of the skill's declared result type (first enum value, 1.0, 1, True, "x", [...])."""
    s = catalog.skill(skill)
    if s is None or s.returns is None:
        return True
    stand_ins: dict[str, Any] = {"number": 1.0, "integer": 1, "boolean": True, "string": "x"}

    def one(type_name: str) -> Any:
        return catalog.enums[type_name][0] if catalog.is_enum(type_name) else stand_ins.get(type_name, "x")

    return [one(s.returns.items or "string")] if s.returns.type == "array" else one(s.returns.type)


def dry_runner(catalog: "Catalog", duration_s: float = 0.0) -> ScriptedRunner:
    """A robot for any catalog that does nothing: every call succeeds after ``duration_s``
    with a stand-in result of its declared type (to see a plan run before the robot exists)."""
    return ScriptedRunner(results=lambda skill, args: typed_result(catalog, skill), default_duration=duration_s)
