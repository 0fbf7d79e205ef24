"""Progress of a plan's execution, as events and results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

EventKind = Literal["confirm", "started", "feedback", "succeeded", "failed", "skipped", "cancelled"]
TaskStatus = Literal["pending", "running", "succeeded", "failed", "skipped", "cancelled"]


class TaskEvent(BaseModel):
    """One thing that happened to one task; ``t`` is seconds since the run began."""

    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    task: int
    skill: str
    t: float
    progress: float | None = None
    message: str = ""
    result: Any = None


class TaskResult(BaseModel):
    task: int
    skill: str
    status: TaskStatus = "pending"
    args: dict[str, Any] = {}
    result: Any = None
    error: str = ""
    started_at: float | None = None
    ended_at: float | None = None


class ExecutionResult(BaseModel):
    tasks: list[TaskResult]
    makespan: float
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return all(t.status == "succeeded" for t in self.tasks)

    def result_of(self, task_id: int) -> TaskResult:
        return self.tasks[task_id - 1]
