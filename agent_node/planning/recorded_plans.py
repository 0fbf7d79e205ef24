"""Plans looked up by command in a JSON-lines file, instead of written by the model.

Each line is ``{"command": "...", "tasks": [...]}`` (or the development set's
``{"id", "command", "plan": [...]}``); an empty plan records a command no skill
serves. Commands match after normalising (case, spaces, a closing ``.``, ``!``
or ``?``). Every plan is checked against the catalog at load, so a bad file
fails at start-up naming the file and the line. For tests, soak runs and demos
that must not wait for the model; the same :class:`~agent_node.agent.PlanSource`
interface as the planner.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent_node.catalog.skills import Catalog
from agent_node.execution.events import ExecutionResult
from agent_node.files.config_files import ConfigFileError
from agent_node.plan.checker import check_plan
from agent_node.plan.json_form import plan_from_data
from agent_node.plan.model import Plan, PlanParseError
from agent_node.planning.planner import NO_SKILL, PlanResult, clean_command

NO_RECORDED_PLAN = "I have no recorded plan for that."


class RecordedPlansError(ConfigFileError):
    what = "recorded plans file"


def normalise_command(command: str) -> str:
    """The key a command is looked up by."""
    return " ".join(clean_command(command).lower().split()).rstrip(" .!?")


class RecordedPlans:
    def __init__(self, plans: dict[str, Plan]):
        self.plans = plans

    @classmethod
    def load(cls, path: str | Path, catalog: Catalog) -> "RecordedPlans":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise RecordedPlansError(str(path), [f"cannot read file: {getattr(e, 'strerror', None) or e}"]) from None
        plans: dict[str, Plan] = {}
        problems: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict) or not isinstance(data.get("command"), str):
                    raise PlanParseError("expected an object with a 'command' string and 'tasks'")
                plan = plan_from_data(data)
            except json.JSONDecodeError as e:
                problems.append(f"line {number}: invalid JSON: {e.msg} (column {e.colno})")
                continue
            except PlanParseError as e:
                problems.append(f"line {number}: {e}")
                continue
            checked = check_plan(plan, catalog)
            if not checked.ok:
                problems.extend(f"line {number}: {p}" for p in checked.problems)
                continue
            key = normalise_command(data["command"])
            if not key:
                problems.append(f"line {number}: the command is empty")
                continue
            plans[key] = checked.plan
        if problems:
            raise RecordedPlansError(str(path), problems)
        return cls(plans)

    def plan(self, command: str) -> PlanResult:
        cleaned = clean_command(command)
        result = PlanResult(command=cleaned)
        plan = self.plans.get(normalise_command(command))
        if plan is None:
            result.declined, result.reason = True, NO_RECORDED_PLAN
        elif plan.is_empty:
            result.declined, result.reason = True, NO_SKILL
        else:
            result.plan = plan
        return result

    def replan(self, command: str, executed: ExecutionResult) -> PlanResult:
        """Recorded plans have nothing new to offer after a failure."""
        return PlanResult(command=clean_command(command), declined=True)

    def __len__(self) -> int:
        return len(self.plans)
