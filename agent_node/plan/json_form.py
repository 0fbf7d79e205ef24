"""The JSON form of a plan: ``{"tasks": [{"id": 1, "skill": "...", "args": {...}}]}``.

For reading, the gold form of ``shared/spec`` (``{"plan": [{"skill", "args"}]}``)
and a bare list of tasks are accepted too; ids, when given, must be 1..n.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import ValidationError

from agent_node.plan.model import Plan, PlanParseError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number plans may use")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def plan_from_data(data: Any) -> Plan:
    """Build a Plan from already-decoded JSON data. Raises PlanParseError."""
    if isinstance(data, dict):
        unknown = set(data) - {"tasks", "plan", "id", "command"}
        if unknown:
            raise PlanParseError(f"unknown key(s) {sorted(unknown)}; expected 'tasks'")
        raw = data.get("tasks", data.get("plan"))
    else:
        raw = data
    if not isinstance(raw, list):
        raise PlanParseError("a plan must be a list of tasks, or an object with a 'tasks' list")
    tasks = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise PlanParseError(f"task {position}: expected an object with 'skill' and 'args'")
        tasks.append({"id": item.get("id", position), **{k: v for k, v in item.items() if k != "id"}})
    try:
        return Plan.model_validate({"tasks": tasks})
    except ValidationError as e:
        first = e.errors()[0]
        loc = first["loc"]
        where = f"task {loc[1] + 1}" if len(loc) > 1 and isinstance(loc[1], int) else "plan"
        field = ".".join(str(p) for p in loc[2:])
        raise PlanParseError(f"{where}{' ' + field if field else ''}: {first['msg']}") from None


def parse_plan_json(text: str) -> Plan:
    """Read the JSON form. Raises PlanParseError, nothing else."""
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise PlanParseError(f"invalid JSON: {e.msg}", e.lineno, e.colno) from None
    except (ValueError, RecursionError, TypeError) as e:
        raise PlanParseError(f"invalid JSON: {e}") from None
    return plan_from_data(data)


def plan_to_data(plan: Plan) -> dict[str, Any]:
    return {"tasks": [t.model_dump() for t in plan.tasks]}


def format_plan_json(plan: Plan, indent: int | None = 2) -> str:
    return json.dumps(plan_to_data(plan), indent=indent, ensure_ascii=False)
