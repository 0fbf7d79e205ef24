"""Prove a plan valid against a catalog, reporting every problem at once.

Checks: unknown skill; unknown, missing or mistyped argument; enum value not in
the enum; number out of bounds; too few items; ``$N`` citing a task that does
not exist or does not come earlier; a cited result whose type cannot fill the
parameter. Any result may be cited inside free text (a ``string`` parameter),
where it is rendered as text. Defaults are filled in on the returned plan.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from agent_node.catalog.skills import Catalog, Param, Returns
from agent_node.catalog.values import INLINE_REF, scalar_problem, value_problem, whole_ref
from agent_node.plan.model import Plan, Task


class Problem(BaseModel):
    task: int | None = None
    skill: str | None = None
    arg: str | None = None
    message: str

    @property
    def breaks_a_bound(self) -> bool:
        """A number below a parameter's minimum or above its maximum."""
        return "minimum" in self.message or "maximum" in self.message

    def __str__(self) -> str:
        where = []
        if self.task is not None:
            where.append(f"task {self.task}" + (f" ({self.skill})" if self.skill else ""))
        if self.arg is not None:
            where.append(f"argument '{self.arg}'")
        return (", ".join(where) + ": " if where else "") + self.message


class PlanCheckError(ValueError):
    """A plan that failed the check; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem], command: str | None = None):
        self.problems = problems
        self.command = command
        head = f"plan for command {command!r} is invalid" if command else "plan is invalid"
        super().__init__(head + ":\n  - " + "\n  - ".join(str(p) for p in problems))


class CheckResult(BaseModel):
    plan: Plan
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self, command: str | None = None) -> Plan:
        """The checked plan (defaults filled), or PlanCheckError."""
        if self.problems:
            raise PlanCheckError(self.problems, command)
        return self.plan


def result_fits(result: Returns | None, type_name: str, items: str | None,
                enums: dict[str, list[str]]) -> str | None:
    """Why a result of type ``result`` cannot fill a ``type_name`` slot, or None."""
    if type_name == "string":
        return None  # rendered as text
    if result is None:
        return "returns nothing"
    got = result.type
    if type_name == "array":
        if got != "array":
            return f"returns {got}, not a list of {items}"
        return result_fits(Returns(type=result.items or "string"), items or "string", None, enums)
    ok = got == type_name or (type_name == "number" and got == "integer")
    return None if ok else f"returns {got}, which cannot fill a {type_name}"


class _TaskChecker:
    def __init__(self, catalog: Catalog, plan: Plan, task: Task):
        self.catalog = catalog
        self.plan = plan
        self.task = task
        self.problems: list[Problem] = []

    def problem(self, message: str, arg: str | None = None) -> None:
        self.problems.append(Problem(task=self.task.id, skill=self.task.skill, arg=arg, message=message))

    def cited(self, n: int, arg: str) -> Returns | None | bool:
        """The cited task's result type; False (after reporting) if it cannot be cited."""
        if n == self.task.id:
            self.problem(f"cites ${n}, its own result", arg)
        elif n < 1 or n > len(self.plan.tasks):
            self.problem(f"cites ${n}, but there is no task {n}", arg)
        elif n > self.task.id:
            self.problem(f"cites ${n}, which comes later in the plan", arg)
        else:
            source = self.catalog.skill(self.plan.task(n).skill)
            return source.returns if source else None
        return False

    def check_text_refs(self, text: str, arg: str) -> None:
        for n in sorted({int(m) for m in INLINE_REF.findall(text)}):
            self.cited(n, arg)

    def check_ref(self, n: int, type_name: str, items: str | None, arg: str) -> None:
        returns = self.cited(n, arg)
        if returns is False:
            return
        why = result_fits(returns, type_name, items, self.catalog.enums)
        if why:
            self.problem(f"${n} ({self.plan.task(n).skill}) {why}", arg)

    def check_arg(self, name: str, value: Any, param: Param) -> Any:
        """Report problems of one argument; returns the value to keep."""
        enums = self.catalog.enums
        n = whole_ref(value)
        if n is not None:
            self.check_ref(n, param.type, param.items, name)
            return value
        if param.type == "array" and isinstance(value, list):
            if param.minItems is not None and len(value) < param.minItems:
                self.problem(f"needs at least {param.minItems} item(s), got {len(value)}", name)
            for i, item in enumerate(value, start=1):
                m = whole_ref(item)
                if m is not None:
                    self.check_ref(m, param.items or "string", None, name)
                    continue
                problem = scalar_problem(item, param.items or "string", enums)
                if problem:
                    self.problem(f"item {i}: {problem}", name)
                elif isinstance(item, str) and param.items == "string":
                    self.check_text_refs(item, name)
            return value
        if param.type == "string" and isinstance(value, str):
            self.check_text_refs(value, name)
            return value
        problem = value_problem(value, param, enums)
        if problem:
            self.problem(problem, name)
        elif param.type == "integer":
            return int(value)
        return value

    def run(self) -> Task:
        task = self.task
        skill = self.catalog.skill(task.skill)
        if skill is None:
            self.problem(f"unknown skill '{task.skill}'; the catalog has: {', '.join(self.catalog.skill_names)}")
            return task
        args: dict[str, Any] = {}
        for name, value in task.args.items():
            param = skill.params.get(name)
            if param is None:
                known = ", ".join(skill.params) or "none"
                self.problem(f"unknown argument '{name}' (arguments of {skill.name}: {known})", name)
                continue
            args[name] = self.check_arg(name, value, param)
        for name, param in skill.params.items():
            if name in args or name in task.args:
                continue
            if param.required:
                self.problem(f"missing required argument '{name}' ({param.type})", name)
            else:
                args[name] = param.default
        ordered = {n: args[n] for n in skill.params if n in args}
        return Task(id=task.id, skill=task.skill, args=ordered)


def check_plan(plan: Plan, catalog: Catalog) -> CheckResult:
    """Check every task of ``plan``; the result carries the plan with defaults."""
    problems: list[Problem] = []
    tasks: list[Task] = []
    for task in plan.tasks:
        checker = _TaskChecker(catalog, plan, task)
        tasks.append(checker.run())
        problems.extend(checker.problems)
    return CheckResult(plan=Plan(tasks=tasks), problems=problems)
