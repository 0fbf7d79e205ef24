"""Plans: numbered skill calls whose arguments may cite earlier results as ``$N``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent_node.catalog.values import refs_in, renumber_refs


class PlanParseError(ValueError):
    """Plan text or JSON that cannot be read; names line and column when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line is not None and column is not None else (
            f"line {line}: " if line is not None else "")
        super().__init__(where + message)


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1)
    skill: str
    args: dict[str, Any] = Field(default_factory=dict)

    def refs(self) -> set[int]:
        """The task numbers this task cites, anywhere in its arguments."""
        return refs_in(self.args)


class Plan(BaseModel):
    """Tasks in plan order; task ids are 1..n in that order."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[Task] = Field(default_factory=list)

    @field_validator("tasks")
    @classmethod
    def _ids_in_order(cls, tasks: list[Task]) -> list[Task]:
        for position, task in enumerate(tasks, start=1):
            if task.id != position:
                raise ValueError(f"task ids must be 1..n in plan order; task {position} has id {task.id}")
        return tasks

    @classmethod
    def of(cls, *calls: tuple[str, dict[str, Any]]) -> "Plan":
        """``Plan.of(("find_person", {"person": "bob"}), ...)``: ids by position."""
        return cls(tasks=[Task(id=i, skill=s, args=a) for i, (s, a) in enumerate(calls, start=1)])

    def keep(self, ids: set[int]) -> "Plan":
        """Only the tasks ``ids``, numbered 1..n again with their ``$N`` renumbered
        (ValueError when a kept task cites one that is not kept)."""
        kept = [t for t in self.tasks if t.id in ids]
        mapping = {t.id: n for n, t in enumerate(kept, start=1)}
        for t in kept:
            if t.refs() - set(mapping):
                raise ValueError(f"task {t.id} cites task(s) {sorted(t.refs() - set(mapping))}, which are not kept")
        return Plan(tasks=[Task(id=mapping[t.id], skill=t.skill, args=renumber_refs(t.args, mapping.__getitem__))
                           for t in kept])

    def task(self, task_id: int) -> Task:
        return self.tasks[task_id - 1]

    def __len__(self) -> int:
        return len(self.tasks)

    @property
    def is_empty(self) -> bool:
        return not self.tasks
