"""A plan must not quietly change a number the person said.

Asked to "turn 1000 degrees", a small model tends to write the nearest value
the catalog allows (``rotate(angle_deg=360)``): within bounds, so the checker
passes it, but not what was asked. :func:`clamped` finds such plans: a number
the command says lies beyond a parameter's bound while the plan puts that
parameter exactly at the bound it crossed, and no call uses the number itself.
The planner declines those and says why, so the person hears the limit
instead of the robot doing something else. (A number said in other units,
"two hours" for a parameter in seconds, is caught by ``repairs.beyond_bounds``.)
"""

from __future__ import annotations

import re

from agent_node.catalog.skills import Catalog
from agent_node.catalog.values import is_number, readable
from agent_node.language.number_words import ORDINALS, words_to_digits
from agent_node.plan.model import Plan

_NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)(?![\w.])(\s+(?:times?|laps?|rounds?)\b)?")


#: Ordinals that say a number: "9th", and in words from "third" ("first" and "second" say other things).
_ORDINAL = re.compile(r"(?<![\w.])(\d+)(?:st|nd|rd|th)\b|\b(%s)\b" % "|".join(ORDINALS[2:]))


def said_numbers(command: str) -> list[tuple[float, bool]]:
    """The numbers in a command, also those said in words ("two" -> 2) or as ordinals
    ("the ninth floor" -> 9), each with whether it counts repetitions ("3 times",
    "twice"): those only bound counts."""
    text = words_to_digits(command).replace(",", " ")
    ordinals = [(float(m.group(1)) if m.group(1) else float(ORDINALS.index(m.group(2)) + 1), False)
                for m in _ORDINAL.finditer(text.lower())]
    return [(float(m.group(1)), bool(m.group(2))) for m in _NUMBER.finditer(text)] + ordinals


def used_numbers(plan: Plan) -> set[float]:
    """The numbers the calls of ``plan`` use, without their signs."""
    return {abs(float(v)) for t in plan.tasks for v in t.args.values() if is_number(v)}


def unused_said_numbers(command: str, plan: Plan) -> list[tuple[float, bool]]:
    """:func:`said_numbers` of the command that no call of ``plan`` uses, with either sign."""
    used = used_numbers(plan)
    return [(n, count) for n, count in said_numbers(command) if abs(n) not in used]


def clamped(command: str, plan: Plan, catalog: Catalog) -> list[str]:
    """One sentence per argument the plan seems to have clipped to a bound."""
    said = unused_said_numbers(command, plan)
    out: list[str] = []
    for task in plan.tasks:
        skill = catalog.skill(task.skill)
        if skill is None:
            continue
        for name, value in task.args.items():
            param = skill.params.get(name)
            if param is None or param.type not in ("number", "integer") or not is_number(value):
                continue
            lo, hi = param.minimum, param.maximum
            for n, count in said:  # "back 20 m" says 20 for a value that would be -20
                if count and param.type != "integer":
                    continue
                # the other sign only where the parameter takes it: "3 laps" written as laps=1 is no -3
                signs = (n, -n) if lo is None or lo < 0 else (n,)
                crossed = any((hi is not None and m > hi and value == hi) or (lo is not None and m < lo and value == lo)
                              for m in signs)
                if crossed:
                    out.append(beyond(readable(n), task.skill, name, lo, hi))
                    break
    return out


def beyond(said: str, skill: str, name: str, lo: float | None, hi: float | None, unit: str = "") -> str:
    """The sentence for a number said beyond a parameter's bounds ("9 is beyond what ride
    elevator allows for floor (-1 to 6)"), with the parameter's ``unit`` if given."""
    return (f"{said} is beyond what {skill.replace('_', ' ')} allows for {name}"
            f" ({readable(lo)} to {readable(hi)}{' ' + unit if unit else ''})")
