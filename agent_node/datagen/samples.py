"""Synthetic samples: a command, the gold plan it means, its kind and the world it needs;
read and written as JSONL."""


from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from agent_node.plan.model import Plan

Kind = Literal["single", "parallel", "chain", "body", "mix", "none"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Call = tuple[str, dict[str, Any]]


# -- samples -----------------------------------------------------------------------
class PlanCall(BaseModel):
    """One task of a gold plan; task N is the Nth call."""

    model_config = ConfigDict(extra="forbid")

    skill: str
    args: dict[str, Any] = Field(default_factory=dict)


class Setup(BaseModel):
    """What the execution check arranges in the world before running a plan:
    object and person locations (added to the world if unknown), the object
    the robot holds, and where the robot starts."""

    model_config = ConfigDict(extra="forbid")

    objects: dict[str, str] = Field(default_factory=dict)
    people: dict[str, str] = Field(default_factory=dict)
    held: str | None = None
    robot_at: str | None = None


class Sample(BaseModel):
    """A command, the plan it means, its kind and the world it needs."""

    model_config = ConfigDict(extra="forbid")

    id: str
    command: str
    plan: list[PlanCall]
    kind: Kind
    setup: Setup = Field(default_factory=Setup)

    def to_plan(self) -> Plan:
        return Plan.of(*[(c.skill, c.args) for c in self.plan])

    def to_json(self) -> str:
        """One JSONL line, like the development set's plus ``kind`` and ``setup``."""
        data = self.model_dump()
        data["setup"] = self.setup.model_dump(exclude_defaults=True)
        return json.dumps(data, ensure_ascii=False)


@dataclass
class GenerationReport:
    """The verified samples and what it took: kinds, attempts, rejections by
    (check, reason); the "compose" check counts drafts dropped before
    verification (a duplicate command, a plan the world cannot allow)."""

    samples: list[Sample]
    attempts: int = 0
    rejections: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def kinds(self) -> Counter:
        return Counter(s.kind for s in self.samples)


def write_jsonl(samples: Iterable[Sample], path: str | Path) -> None:
    Path(path).write_text("".join(s.to_json() + "\n" for s in samples), encoding="utf-8")


def read_jsonl(path: str | Path) -> list[Sample]:
    return [Sample.model_validate_json(line) for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip()]
