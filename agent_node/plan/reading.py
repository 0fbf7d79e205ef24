"""Read a plan in either form, from text or from a file."""

from __future__ import annotations

from pathlib import Path

from agent_node.plan.json_form import parse_plan_json
from agent_node.plan.model import Plan, PlanParseError
from agent_node.plan.text import parse_plan_text


def read_plan(text: str) -> Plan:
    """JSON when the text starts with ``{`` or ``[``, else the LLMCompiler text form."""
    if not isinstance(text, str):
        raise PlanParseError("a plan must be text")
    if text.lstrip().startswith(("{", "[")):
        return parse_plan_json(text)
    return parse_plan_text(text)


def load_plan(path: str | Path) -> Plan:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PlanParseError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    return read_plan(text)
