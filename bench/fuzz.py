"""Fuzz bench: random and mutated plans through parser, checker and executor on the simulator.

Run: ``.venv/bin/python bench/fuzz.py [--n 100000] [--seed 0] [--no-execute]``

Prints figures; asserts nothing (exit status 0). Goal: zero unsafe calls
executed and zero crashes; either, when it happens, gets an ``UNSAFE`` or
``CRASH`` line with examples.

Every plan comes from a seeded ``random.Random`` in one of these ways:

* ``text_random`` / ``json_random``: plans written from scratch, valid-looking
  but wild: catalog skills and made-up ones (``format_disk``, ``rm_rf``...),
  random argument names, values of every type (huge, NaN/inf, negative,
  wrong enum, wrong type), ``$N`` forward, backward, to itself or to no task,
  bare or quoted, garbage characters, deep nesting, bad numbering, lines
  truncated, ``join()`` anywhere; the JSON one also with broken ids, keys and shapes.
* ``text_mutated`` / ``json_mutated``: valid plans built from the catalog,
  mutated at the plan level (number beyond its bounds by a little or a lot,
  skill swapped, argument dropped, duplicated or added, value replaced by
  ``$N``, tasks swapped, duplicated or dropped, cycles) and/or at the
  character level (characters deleted or inserted, digits flipped, lines
  swapped, duplicated, dropped or truncated).
* ``valid``: valid plans as they are (text or JSON).
* ``runtime_oob``: valid plans in which a number result (``get_battery()``,
  ``wait``, ``rotate``, ``drive``, ``patrol``) fills a bounded number parameter
  as ``$N``, mostly with a value out of that parameter's bounds once
  substituted at run time: the checker cannot see it, the executor must.

Pipeline per plan: parse (text or JSON form) -> ``check_plan`` -> if accepted,
``Executor.run`` on a fresh :class:`SimRobot` with ``time_scale=0`` (no
waiting) behind a :class:`GuardedRunner`, which checks every call that reaches
the robot against the catalog with code of its own (not the checker's), counts
the unsafe ones (unknown skill, unknown or missing argument, value out of type,
enum, bounds or minItems) and does not pass them on. A rejected plan is also
given to the executor, which must raise ``PlanCheckError`` and call nothing.

A crash is any exception other than ``PlanParseError`` (parsers) and
``PlanCheckError`` (the executor's check), an adapter exception other than
``SkillFailed``, a task that timed out, ended in no final state, or whose
result the executor called garbage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

for _path in (Path(__file__).resolve().parents[1], Path(__file__).resolve().parent):  # the repository, bench/
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from call_guard import GuardedRunner, call_problems, scalar_problem, short  # noqa: E402, F401 (call_problems: for the tests)

from agent_node.catalog.skills import Param, Skill, load_catalog  # noqa: E402
from agent_node.execution.events import TaskEvent  # noqa: E402
from agent_node.execution.executor import Executor  # noqa: E402
from agent_node.plan.checker import PlanCheckError, check_plan  # noqa: E402
from agent_node.plan.model import Plan, PlanParseError  # noqa: E402
from agent_node.plan.reading import read_plan  # noqa: E402
from agent_node.plan.text import parse_plan_text  # noqa: E402
from tool_adapters.sim import SimRobot, World, load_world  # noqa: E402

CATALOG = load_catalog()
WORLD = load_world()

KINDS = ("text_random", "text_mutated", "json_random", "json_mutated", "valid", "runtime_oob")
KIND_WEIGHTS = (22, 24, 10, 16, 10, 18)
#: Seconds of wall clock after which one plan counts as hung (the simulator runs with time_scale 0).
PLAN_TIMEOUT_S = 20.0
MAX_EXAMPLES = 5

# -- value representation -------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A token written as is: ``text`` in the text form, ``json`` in the JSON form."""

    text: str
    json: str


@dataclass(frozen=True)
class BareRef:
    """``$N`` written without quotes in the text form (``"$N"`` in JSON)."""

    n: int


class Pairs(list):
    """An object as (key, value) pairs: keys may repeat."""


@dataclass
class Call:
    skill: str
    args: list[tuple[str, Any]] = field(default_factory=list)

    def copy(self) -> "Call":
        return Call(self.skill, list(self.args))


@dataclass
class Case:
    """One generated plan as written."""

    kind: str
    form: str  # "text" or "json"
    source: str
    note: str = ""
    seed: int = 0  # the simulator's seed
    fail_rate: float = 0.0


def _tdump(v: Any, rng: random.Random) -> str:
    """A value in the text form."""
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, BareRef):
        return f"${v.n}"
    if v is None or isinstance(v, bool):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return repr(v) if rng.random() < 0.15 else json.dumps(v, ensure_ascii=False)
    if isinstance(v, Pairs):
        return "{" + ", ".join(f"{_tdump(k, rng)}: {_tdump(x, rng)}" for k, x in v) + "}"
    if isinstance(v, dict):
        return _tdump(Pairs(v.items()), rng)
    if isinstance(v, list):
        return "[" + ", ".join(_tdump(x, rng) for x in v) + "]"
    raise TypeError(type(v).__name__)


def _jdump(v: Any) -> str:
    """A value in the JSON form (object keys may repeat)."""
    if isinstance(v, Raw):
        return v.json
    if isinstance(v, BareRef):
        return f'"${v.n}"'
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return json.dumps(v)  # NaN / Infinity for the non-finite ones
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Pairs):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_jdump(x)}" for k, x in v) + "}"
    if isinstance(v, dict):
        return _jdump(Pairs(v.items()))
    if isinstance(v, list):
        return "[" + ", ".join(_jdump(x) for x in v) + "]"
    raise TypeError(type(v).__name__)


# -- the catalog, as the generator sees it ----------------------------------------------------

SKILLS: list[Skill] = list(CATALOG.skills)
SKILL_NAMES = [s.name for s in SKILLS]
PARAM_NAMES = sorted({p for s in SKILLS for p in s.params})
ENUM_VALUES = sorted({v for vs in CATALOG.enums.values() for v in vs})
ALL_PARAMS = [p for s in SKILLS for p in s.params.values()]
NUMERIC = [(s.name, n, p) for s in SKILLS for n, p in s.params.items() if p.type in ("number", "integer")]
OBJECTS = sorted(WORLD.objects)
PEOPLE = sorted(WORLD.people)
ROOMS = list(CATALOG.enums.get("location", []))
DOORS = list(CATALOG.enums.get("door", []))
SURFACES = ["table", "counter", "shelf", "desk", "sofa", "floor", "kitchen counter"]
SENTENCES = ["hello", "I am on my way", "dinner is ready", "here you go", "the kitchen is clean", "done"]
GOOD_STRINGS: dict[tuple[str, str], list[str]] = {
    ("pick", "object"): OBJECTS, ("find_object", "object"): OBJECTS,
    ("hand_over", "person"): PEOPLE, ("find_person", "person"): PEOPLE,
    ("send_message", "recipient"): PEOPLE, ("place", "surface"): SURFACES,
    ("say", "text"): SENTENCES, ("send_message", "text"): SENTENCES,
    ("send_message", "attachment"): ["", "", "photo_0001"],
}
MADE_UP_SKILLS = ["format_disk", "rm_rf", "shutdown", "reboot", "self_destruct", "disable_safety",
                  "unlock_door", "open_door", "exec", "eval", "system", "sudo", "delete_map", "set_speed_limit",
                  "navigate_to_", "Navigate_To", "NAVIGATE_TO", "navigateto", "drive2", "pick_up", "grab",
                  "teleport", "fly", "launch_missile", "join_", "_", "__import__", "print",
                  "dr\u0456ve",  # Cyrillic i: another identifier
                  "\uff44rive"]  # fullwidth d: NFKC makes it "drive" in the text form
DANGER_LINES = ['os.system("rm -rf /")', '__import__("os").system("reboot")', 'exec("import os")',
                'format_disk(drive="C:")', 'rm_rf(path="/")', "drive(distance_m=1e6)",
                "navigate_to(location=kitchen)", "navigate_to(*['kitchen'])", "navigate_to(**{'location': 'x'})",
                "drive(5)", "lambda: 0", "(drive)(distance_m=1)", "drive(distance_m=1)(speed_mps=1)",
                "say(text=f'{1}')", "say(text=b'x')", "drive(distance_m=[1][0])", "drive(distance_m=-(-100))"]
GARBAGE = list("()[]{}=,.:;'\"\\$#@!?*&|^~`%+-_0123456789eE \t\n") + [
    "\r", "\x00", "\x0b", "\x0c", "\x85", "\u2028", "\ufeff", "\ud800", "é", "日本", "\U0001f916", "$1", "$0",
    "$99", "join()", "True", "None", "nan", "inf", "1e999", "\"\"\"", "'''", "**", "\\u", "\\x", "\\N{"]
BAD_ENUMS = ["attic", "Kitchen", "KITCHEN", "kitchen ", " kitchen", "living room", "the kitchen", "", "kitchen\n",
             "front door", "back_doors", "moon", "$1x", "kitchen; rm -rf /", "\u212aitchen", "kit\u00adchen"]
NON_FINITE = [Raw("nan", "NaN"), Raw("inf", "Infinity"), Raw("-inf", "-Infinity"), Raw("1e999", "1e999"),
              Raw("-1e999", "-1e999"), Raw("float('nan')", '"nan"'), Raw("float('inf')", '"inf"'),
              Raw("1e400", "1e400"), Raw("-2e308", "-2e308")]
HUGE_INTS = [Raw("1" + "0" * 400, "1" + "0" * 400), Raw("-1" + "0" * 40, "-1" + "0" * 40),
             Raw("0x" + "f" * 4000, "1" + "0" * 5000), Raw("-0b" + "1" * 9000, "-" + "9" * 4400),
             Raw("0o" + "7" * 5000, "7" * 4301), Raw("10**400", "1e400"), Raw("1_000_000", "1000000"),
             Raw("0x7fffffffffffffff", "9223372036854775807"), Raw("2**63", "9223372036854775808")]


def _nest(depth: int) -> Raw:
    return Raw("[" * depth + "1" + "]" * depth, "[" * depth + "1" + "]" * depth)


def _has_bounds(p: Param) -> bool:
    return p.minimum is not None or p.maximum is not None


def _range(p: Param) -> tuple[float, float]:
    lo = -1000.0 if p.minimum is None else p.minimum
    hi = 1000.0 if p.maximum is None else p.maximum
    return lo, hi


def valid_literal(skill: str, name: str, p: Param, rng: random.Random) -> Any:
    """A literal value that fits ``p`` (and usually makes sense to the simulator)."""
    t = p.type
    if t in CATALOG.enums:
        return rng.choice(CATALOG.enums[t])
    if t == "boolean":
        return rng.random() < 0.5
    if t == "string":
        good = GOOD_STRINGS.get((skill, name))
        return rng.choice(good) if good and rng.random() < 0.9 else rng.choice(SENTENCES + OBJECTS + ["x"])
    if t == "array":
        items = CATALOG.enums.get(p.items or "", ROOMS) if p.items in CATALOG.enums else ["a", "b"]
        return [rng.choice(items) for _ in range(max(p.minItems or 0, rng.randint(1, 4)))]
    lo, hi = _range(p)
    if t == "integer":
        lo_i, hi_i = math.ceil(lo), math.floor(hi)
        v = rng.randint(lo_i, hi_i)
        return float(v) if rng.random() < 0.1 else v
    r = rng.random()
    if r < 0.15:
        return lo if p.minimum is not None else 0
    if r < 0.3:
        return hi if p.maximum is not None else 1
    if r < 0.5:
        return rng.randint(math.ceil(lo), math.floor(hi))
    v = rng.uniform(lo, hi)
    rounded = round(v, rng.choice([0, 1, 2, 3, 6]))
    return rounded if lo <= rounded <= hi else v


def _fits(returns: Any, type_name: str) -> bool:
    """Whether a result of ``returns`` may fill a ``type_name`` slot (own rule, for building valid plans)."""
    if returns is None:
        return False
    if type_name == "string":
        return True
    if type_name == "number":
        return returns.type in ("number", "integer")
    return type_name != "array" and returns.type == type_name


def _earlier_fitting(calls: list[Call], type_name: str) -> list[int]:
    out = []
    for i, c in enumerate(calls, start=1):
        s = CATALOG.skill(c.skill)
        if s is not None and _fits(s.returns, type_name):
            out.append(i)
    return out


def valid_value(calls: list[Call], skill: str, name: str, p: Param, rng: random.Random) -> Any:
    """A valid value, sometimes a valid ``$N`` (whole, inline or as an item)."""
    if p.type == "array":
        value = valid_literal(skill, name, p, rng)
        refs = _earlier_fitting(calls, p.items or "string")
        if refs and rng.random() < 0.3:
            value[rng.randrange(len(value))] = f"${rng.choice(refs)}"
        return value
    refs = _earlier_fitting(calls, p.type)
    if refs and rng.random() < 0.3:
        n = rng.choice(refs)
        if p.type == "string" and rng.random() < 0.5:
            return rng.choice(["it is $N", "$N", "found: $N.", "$N and $N"]).replace("N", str(n))
        return BareRef(n) if rng.random() < 0.3 else f"${n}"
    return valid_literal(skill, name, p, rng)


def valid_call(calls: list[Call], skill: Skill, rng: random.Random) -> Call:
    args = []
    for name, p in skill.params.items():
        if p.required or rng.random() < 0.5:
            args.append((name, valid_value(calls, skill.name, name, p, rng)))
    if rng.random() < 0.3:
        rng.shuffle(args)
    return Call(skill.name, args)


def _template(rng: random.Random) -> list[Call]:
    """Plans a person might ask for, which the simulator mostly carries out."""
    o, p = rng.choice(OBJECTS), rng.choice(PEOPLE)
    room, door = rng.choice(ROOMS), rng.choice(DOORS)
    templates = [
        [Call("find_object", [("object", o)]), Call("navigate_to", [("location", "$1")]),
         Call("pick", [("object", o)]), Call("find_person", [("person", p)]),
         Call("navigate_to", [("location", BareRef(4))]), Call("hand_over", [("person", p)]),
         Call("say", [("text", f"Here is the {o}, {p}")])],
        [Call("navigate_to", [("location", room)]), Call("detect_objects"), Call("say", [("text", "I see $2")])],
        [Call("navigate_to", [("location", room)]), Call("take_photo"),
         Call("send_message", [("recipient", p), ("text", "a photo of the $1"), ("attachment", "$2")])],
        [Call("check_door", [("door", door)]), Call("send_message", [("recipient", p), ("text", "it is $1")])],
        [Call("get_battery"), Call("say", [("text", "battery at $1 percent")]), Call("dock")],
        [Call("patrol", [("route", rng.sample(ROOMS, rng.randint(1, 3))), ("laps", rng.randint(1, 3))]),
         Call("dock")],
        [Call("go_to_pose", [("x", rng.choice([3, 6.0, 10])), ("y", rng.choice([0, -3.0, 3])),
                             ("yaw_deg", rng.choice([0, 90, -179.5, 180]))]),
         Call("rotate", [("angle_deg", rng.choice([-360, 90, 45.5, 0]))]),
         Call("drive", [("distance_m", rng.choice([-1, 0.5, 2])), ("speed_mps", rng.choice([0.05, 0.3, 1]))]),
         Call("wait", [("seconds", rng.choice([0, 1.5, 30]))])],
        [Call("find_person", [("person", p)]), Call("set_light", [("room", "$1"), ("on", True)]),
         Call("get_location"), Call("set_light", [("room", "$3"), ("on", False)])],
    ]
    return [c.copy() for c in rng.choice(templates)]


def valid_plan(rng: random.Random) -> list[Call]:
    if rng.random() < 0.4:
        return _template(rng)
    calls: list[Call] = []
    for _ in range(rng.choice([1, 1, 2, 3, 3, 4, 5, 6, 8])):
        calls.append(valid_call(calls, rng.choice(SKILLS), rng))
    return calls


# -- wild values ---------------------------------------------------------------------------------

def ref_value(rng: random.Random, task_id: int, n_tasks: int) -> Any:
    """``$N`` to anywhere: earlier, itself, later, 0, beyond the plan, huge, odd spellings."""
    choices = [0, task_id, task_id + 1, n_tasks + 1, 99, 10**12, 10**30]
    if task_id > 1:
        choices += [rng.randint(1, task_id - 1)] * 3
    n = rng.choice(choices)
    r = rng.random()
    if r < 0.35:
        return BareRef(n)
    if r < 0.75:
        return f"${n}"
    return rng.choice([f"$0{n}", f"$ {n}", f"${n}$", f"${{{n}}}", f"${n}.0", f"-${n}", f"${n}\n", f"about ${n}",
                       [f"${n}"], f"${n}${n}", "$", "$$1", "$-1", "$1e3"])


def wild_string(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return rng.choice(ENUM_VALUES + OBJECTS + PEOPLE + SKILL_NAMES + PARAM_NAMES)
    if r < 0.5:
        return rng.choice(BAD_ENUMS)
    if r < 0.8:
        return "".join(rng.choice(GARBAGE) for _ in range(rng.randint(0, 12)))
    if r < 0.9:
        return rng.choice(["x" * 3000, " ", "\t", "'", '"', "\\", "\\n", "'); drop table --", "${1}", "%s",
                           "{}", "{0}", "\u202eevil", "\ud800", "\U0001f916 robot"])
    return "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 8)))


def wild_number(rng: random.Random, p: Param | None = None) -> Any:
    lo, hi = _range(p) if p is not None else (-1000.0, 1000.0)
    r = rng.random()
    if r < 0.2:
        return rng.choice(NON_FINITE)
    if r < 0.35:
        return rng.choice(HUGE_INTS)
    if r < 0.6:  # just beyond a bound
        d = rng.choice([1e-12, 1e-9, 1e-6, 0.001, 0.01, 0.5, 1, 1.5, 10])
        return hi + d if rng.random() < 0.5 else lo - d
    if r < 0.8:  # far beyond
        return rng.choice([1e6, -1e6, 1e15, -1e15, 1.7976931348623157e308, -1.7976931348623157e308, 10**30,
                           -(10**30), 2**53 + 1, -(2**63), 5e-324, -5e-324])
    return rng.choice([0, -0.0, 0.0, -1, 1, 2.5, lo, hi, (lo + hi) / 2, 3.0000000000000004])


def wild_value(rng: random.Random, task_id: int, n_tasks: int, depth: int = 0) -> Any:
    r = rng.random()
    if r < 0.1:
        return rng.choice([None, True, False])
    if r < 0.3:
        return wild_number(rng)
    if r < 0.55:
        return wild_string(rng)
    if r < 0.7:
        return ref_value(rng, task_id, n_tasks)
    if r < 0.8 and depth < 3:
        return [wild_value(rng, task_id, n_tasks, depth + 1) for _ in range(rng.randint(0, 4))]
    if r < 0.87 and depth < 3:
        return Pairs((rng.choice(["a", "", "$1", "location", "x"]), wild_value(rng, task_id, n_tasks, depth + 1))
                     for _ in range(rng.randint(0, 3)))
    if r < 0.9:
        return _nest(rng.choice([5, 50, 150, 199, 201, 300, 1000, 3000]))
    if r < 0.95:
        return rng.choice([Raw("(1, 2)", "[1, 2]"), Raw("{1, 2}", "{1: 2}"), Raw("...", "..."),
                           Raw("1j", '"1j"'), Raw("-5j", "-5"), Raw("b'abc'", '"abc"'), Raw("f'x'", "'x'"),
                           Raw("kitchen", "kitchen"), Raw("true", "True"), Raw("null", "None"),
                           Raw("0x1f", "0x1f"), Raw("0b11", "011"), Raw("1_0", "1_0"), Raw("+5", "+5"),
                           Raw("--5", "--5"), Raw("len('x')", "len"), Raw("[*range(3)]", "[,]"),
                           Raw("{**{}}", "{,}"), Raw("(yield)", "}"), Raw("'a' 'b'", '"a" "b"'),
                           Raw("\"\"\"x\ny\"\"\"", '"x\\ny"'), Raw("'\\x00'", '"\\u0000"'),
                           Raw("'\\ud800'", '"\\ud800"'), Raw("'\\N{BULLET}'", '"\\u2022"')])
    return wrong_type(rng, rng.choice(ALL_PARAMS))


def wrong_type(rng: random.Random, p: Param) -> Any:
    t = p.type
    if t in ("number", "integer"):
        opts = ["5", "0", "1.5", True, False, None, [1], Pairs([("value", 1)]), "one", "", "$"]
        if t == "integer":
            opts += [1.5, 2.000001, rng.choice([0.5, 9.99])]
        return rng.choice(opts)
    if t == "boolean":
        return rng.choice([1, 0, "true", "True", "yes", "on", None, [True], 1.0, "$"])
    if t == "array":
        return rng.choice(["kitchen", [], [1], [["kitchen"]], ["attic"], [None], Pairs([("0", "kitchen")]),
                          ["kitchen", 3], [True], None, 5, ["Kitchen"]])
    if t in CATALOG.enums:
        return rng.choice([3, True, None, ["kitchen"], 1.5] + BAD_ENUMS)
    return rng.choice([5, -1.5, True, None, ["text"], Pairs([("text", "x")]), 0])


# -- plan-level mutations ----------------------------------------------------------------------------

def _pick_arg(calls: list[Call], rng: random.Random, want=lambda p: True) -> tuple[int, int, Param] | None:
    """(task index, arg index, param) of an existing argument whose param matches ``want``."""
    spots = []
    for i, c in enumerate(calls):
        s = CATALOG.skill(c.skill)
        for j, (name, _v) in enumerate(c.args):
            p = s.params.get(name) if s else None
            if p is not None and want(p):
                spots.append((i, j, p))
    return rng.choice(spots) if spots else None


def _set_arg(calls: list[Call], i: int, j: int, value: Any) -> None:
    name, _ = calls[i].args[j]
    calls[i].args[j] = (name, value)


def _ensure_numeric(calls: list[Call], rng: random.Random) -> None:
    """Put a call with a bounded number parameter in the plan if it has none."""
    if _pick_arg(calls, rng, lambda p: p.type in ("number", "integer")) is None:
        skill_name, name, p = rng.choice(NUMERIC)
        call = valid_call([], CATALOG.skill(skill_name), rng)
        if name not in dict(call.args):
            call.args.append((name, valid_literal(skill_name, name, p, rng)))
        calls.insert(rng.randint(0, len(calls)), call)


def mutate_plan(calls: list[Call], rng: random.Random) -> tuple[list[Call], str]:
    """One plan-level mutation; returns the plan and the mutation's name."""
    calls = [c.copy() for c in calls]
    n = len(calls)
    m = rng.choice(["oob_small", "oob_small", "oob_huge", "oob_huge", "swap_skill", "drop_arg", "dup_arg",
                    "extra_arg", "ref_value", "ref_value", "wrong_type", "wrong_enum", "swap_tasks", "dup_task",
                    "delete_task", "cycle", "array", "integer_float"])
    if m in ("oob_small", "oob_huge", "integer_float"):
        _ensure_numeric(calls, rng)
        i, j, p = _pick_arg(calls, rng, lambda p: p.type in ("number", "integer"))
        lo, hi = _range(p)
        if m == "oob_small":
            d = rng.choice([1e-12, 1e-9, 1e-6, 0.001, 0.01, 0.1, 0.5, 1, 2])
            value = hi + d if rng.random() < 0.5 else lo - d
            if p.type == "integer" and rng.random() < 0.7:
                value = int(hi) + 1 if rng.random() < 0.5 else int(lo) - 1
        elif m == "oob_huge":
            value = wild_number(rng, p) if rng.random() < 0.5 else rng.choice(
                [hi * 1e6, lo * 1e6 - 1, -abs(hi) * 1000, 10**30, -(10**30), 1e308, -1e308])
        else:
            value = rng.choice([1.5, float(int(lo) + 1), -0.0, 0.5, hi + 0.5, float(hi), 1e-300])
        _set_arg(calls, i, j, value)
    elif m == "swap_skill" and calls:
        i = rng.randrange(n)
        calls[i].skill = rng.choice(MADE_UP_SKILLS if rng.random() < 0.5 else SKILL_NAMES)
    elif m == "drop_arg" and any(c.args for c in calls):
        c = rng.choice([c for c in calls if c.args])
        del c.args[rng.randrange(len(c.args))]
    elif m == "dup_arg" and any(c.args for c in calls):
        c = rng.choice([c for c in calls if c.args])
        name, value = rng.choice(c.args)
        other = value if rng.random() < 0.3 else wild_value(rng, 1, n)
        c.args.insert(rng.randint(0, len(c.args)), (name, other))
    elif m == "extra_arg" and calls:
        c = rng.choice(calls)
        name = rng.choice(PARAM_NAMES + ["force", "unsafe", "speed", "x", "_", "self", "distance", "Location",
                                         "location_", "location ", "", "2x", "a-b", "if", "None", "join"])
        c.args.append((name, wild_value(rng, 1, n)))
    elif m in ("ref_value", "cycle") and any(c.args for c in calls):
        i = rng.choice([i for i, c in enumerate(calls) if c.args])
        j = rng.randrange(len(calls[i].args))
        if m == "cycle" and n >= 2:
            k = rng.choice([x for x in range(n) if x != i])
            _set_arg(calls, i, j, f"${k + 1}")
            if calls[k].args:
                _set_arg(calls, k, rng.randrange(len(calls[k].args)), BareRef(i + 1))
            else:
                calls[k].args.append(("text", f"${i + 1}"))
        else:
            _set_arg(calls, i, j, ref_value(rng, i + 1, n))
    elif m == "wrong_type" and any(c.args for c in calls):
        spot = _pick_arg(calls, rng)
        if spot:
            i, j, p = spot
            _set_arg(calls, i, j, wrong_type(rng, p))
    elif m == "wrong_enum":
        spot = _pick_arg(calls, rng, lambda p: p.type in CATALOG.enums)
        if spot:
            i, j, _p = spot
            _set_arg(calls, i, j, rng.choice(BAD_ENUMS + ["back_door", "front_door", "office"]))
    elif m == "swap_tasks" and n >= 2:
        a, b = rng.sample(range(n), 2)
        calls[a], calls[b] = calls[b], calls[a]
    elif m == "dup_task" and calls:
        i = rng.randrange(n)
        calls.insert(rng.randint(0, n), calls[i].copy())
    elif m == "delete_task" and calls:
        del calls[rng.randrange(n)]
    elif m == "array":
        spot = _pick_arg(calls, rng, lambda p: p.type == "array")
        if spot is None:
            calls.append(Call("patrol", [("route", ["kitchen"])]))
            spot = (len(calls) - 1, 0, CATALOG.skill("patrol").params["route"])
        i, j, p = spot
        _set_arg(calls, i, j, wrong_type(rng, p) if rng.random() < 0.7 else [ref_value(rng, i + 1, n)])
    else:
        m = "noop"
    return calls, m


# -- text-level mutations ---------------------------------------------------------------------------------

def mutate_chars(text: str, rng: random.Random) -> tuple[str, str]:
    m = rng.choice(["del_chars", "ins_chars", "digit_flip", "digit_flip", "minus", "swap_lines", "dup_line",
                    "del_line", "truncate", "renumber", "join_mid", "noise_lines"])
    lines = text.split("\n")
    if m == "del_chars" and text:
        i = rng.randrange(len(text))
        text = text[:i] + text[i + rng.randint(1, 5):]
    elif m == "ins_chars":
        i = rng.randint(0, len(text))
        text = text[:i] + "".join(rng.choice(GARBAGE) for _ in range(rng.randint(1, 4))) + text[i:]
    elif m in ("digit_flip", "minus"):
        spots = [mm.start() for mm in re.finditer(r"[0-9]", text)]
        if spots:
            i = rng.choice(spots)
            if m == "digit_flip":
                text = text[:i] + rng.choice("0123456789" + "9" * 5) * rng.randint(1, 3) + text[i + 1:]
            else:
                text = text[:i] + rng.choice(["-", "-", "9", "1e3*", "e9", "00"]) + text[i:]
    elif m == "swap_lines" and len(lines) >= 2:
        a, b = rng.sample(range(len(lines)), 2)
        lines[a], lines[b] = lines[b], lines[a]
        text = "\n".join(lines)
    elif m == "dup_line" and lines:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        text = "\n".join(lines)
    elif m == "del_line" and lines:
        del lines[rng.randrange(len(lines))]
        text = "\n".join(lines)
    elif m == "truncate" and text:
        text = text[:rng.randrange(len(text))]
    elif m == "renumber":
        spots = list(re.finditer(r"^\s*([0-9]+)\.", text, re.M))
        if spots:
            mm = rng.choice(spots)
            text = text[:mm.start(1)] + str(rng.choice([0, 1, 2, 7, 10**9, 10**10])) + text[mm.end(1):]
    elif m == "join_mid" and lines:
        i = rng.randrange(len(lines))
        lines.insert(i, f"{i + 1}. join()")
        text = "\n".join(lines)
    else:
        m = "noise_lines"
        i = rng.randint(0, len(lines))
        lines.insert(i, rng.choice(["", "  ", "# comment", "Thought: drive 100 m", "thought:", "\r", "join()",
                                    "Plan:", "```", "1. ", "- 1. say(text='x')", "\t# x"]))
        text = "\n".join(lines)
    return text, m


# -- writing plans --------------------------------------------------------------------------------------

def write_text(calls: list[Call], rng: random.Random, noise: bool = False) -> str:
    """The text form; with ``noise``, also bad numbering, odd lines, join() anywhere, CRLF..."""
    lines = []
    start = 1
    if noise and rng.random() < 0.04:
        start = rng.choice([0, 2])
    for k, c in enumerate(calls):
        number = start + k
        if noise and rng.random() < 0.015:
            number = rng.choice([number - 1, number + 1, number, 0, -1])
        body = f"{c.skill}(" + ", ".join(f"{name}={_tdump(v, rng)}" for name, v in c.args) + ")"
        sep = ". " if not noise or rng.random() < 0.97 else rng.choice([".", ")", " ", ".  ", ":"])
        indent = "" if not noise or rng.random() < 0.95 else rng.choice([" ", "\t", "   "])
        if noise and rng.random() < 0.02:
            body = rng.choice(DANGER_LINES)
        if noise and rng.random() < 0.015:
            body += rng.choice([" extra", ",", ")", " # note", "  ", ";", " and then"])
        if noise and rng.random() < 0.015:
            body = body[:rng.randrange(max(1, len(body)))]
        lines.append(f"{indent}{number}{sep}{body}")
        if noise and rng.random() < 0.05:
            lines.append(rng.choice(["", "# next", "Thought: now go", "   ", "\tThought:"]))
        if noise and rng.random() < 0.01:
            lines.append(f"{number + 1}. join()")
    join = not noise or rng.random() < 0.8
    if join:
        lines.append(f"{start + len(calls)}. join()" if not noise or rng.random() < 0.9
                     else rng.choice([f"{len(calls) + 1}. join(x=1)", "join()", f"{len(calls) + 1}. join"]))
    if noise and rng.random() < 0.03:
        lines.append(f"{len(lines) + 1}. say(text='after join')")
    if noise and rng.random() < 0.1:
        lines.insert(0, rng.choice(["Thought: the user wants something", "# plan", "", "Plan:"]))
    end = "\r\n" if noise and rng.random() < 0.05 else "\n"
    return end.join(lines) + (end if rng.random() < 0.8 else "")


def task_data(calls: list[Call]) -> list[Pairs]:
    return [Pairs([("id", i), ("skill", c.skill), ("args", Pairs(c.args))]) for i, c in enumerate(calls, start=1)]


def mutate_json_data(tasks: list[Pairs], rng: random.Random) -> tuple[Any, str]:
    """A JSON-shape mutation: ids, keys, shapes, wrappers."""
    tasks = [Pairs(t) for t in tasks]
    m = rng.choice(["ids", "ids", "drop_id", "wrapper", "extra_key", "args_type", "skill_type", "task_type"])
    if m in ("ids", "drop_id", "extra_key", "args_type", "skill_type") and not tasks:
        tasks.append(Pairs([("skill", "say"), ("args", Pairs([("text", "x")]))]))
    if m == "ids":
        t = rng.choice(tasks)
        t[:] = [kv for kv in t if kv[0] != "id"]
        t.insert(0, ("id", rng.choice([0, -1, 2, 1, len(tasks) + 1, "1", 1.0, 1.5, True, None, 10**20, [1]])))
    elif m == "drop_id":
        for t in tasks:
            if rng.random() < 0.7:
                t[:] = [kv for kv in t if kv[0] != "id"]
    elif m == "extra_key":
        t = rng.choice(tasks)
        t.append((rng.choice(["extra", "id", "skill", "args", "result", "depends_on", "Skill"]),
                  wild_value(rng, 1, len(tasks))))
    elif m == "args_type":
        t = rng.choice(tasks)
        t[:] = [(k, v) if k != "args" else (k, rng.choice([None, [], "x", 5, [["location", "kitchen"]], True]))
                for k, v in t]
    elif m == "skill_type":
        t = rng.choice(tasks)
        t[:] = [(k, v) if k != "skill" else (k, rng.choice([None, 5, ["drive"], Pairs([("name", "drive")]),
                                                             "", " drive", "drive "])) for k, v in t]
    elif m == "task_type" and tasks:
        tasks[rng.randrange(len(tasks))] = rng.choice([None, "1. drive(distance_m=1)", 5, [], ["drive"]])
    wrapper = rng.random()
    if m == "wrapper" or wrapper < 0.1:
        data: Any = rng.choice([tasks, Pairs([("plan", tasks)]), Pairs([("tasks", tasks), ("command", "go")]),
                                Pairs([("tasks", tasks), ("plan", [])]), Pairs([("tasks", tasks), ("x", 1)]),
                                Pairs([("tasks", Pairs([("1", tasks)]))]), Pairs([("id", 1)]),
                                Pairs([("tasks", tasks), ("tasks", [])])])
        m = "wrapper" if m == "wrapper" else m
    else:
        data = Pairs([("tasks", tasks)])
    return data, m


def write_json(data: Any, rng: random.Random) -> str:
    text = _jdump(data)
    if rng.random() < 0.3:  # pretty-print when it is plain JSON
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            pass
    return text


# -- generator kinds -----------------------------------------------------------------------------------------

def random_calls(rng: random.Random) -> list[Call]:
    """Calls from scratch: catalog skills or made-up ones, with random argument names and values."""
    n = rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 12, 20])
    calls: list[Call] = []
    for task_id in range(1, n + 1):
        r = rng.random()
        skill = rng.choice(SKILLS) if r < 0.75 else None
        name = skill.name if skill else rng.choice(MADE_UP_SKILLS + [rng.choice(SKILL_NAMES) + "_x", "join"])
        args = []
        if skill is not None:
            for pname, p in skill.params.items():
                if rng.random() < (0.85 if p.required else 0.4):
                    u = rng.random()
                    if u < 0.35:
                        value = valid_value(calls, skill.name, pname, p, rng)
                    elif u < 0.5:
                        value = wild_number(rng, p) if p.type in ("number", "integer") else wrong_type(rng, p)
                    elif u < 0.65:
                        value = ref_value(rng, task_id, n)
                    else:
                        value = wild_value(rng, task_id, n)
                    args.append((pname, value))
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            args.append((rng.choice(PARAM_NAMES + ["x", "force", "cmd", "path", "target", "$1"]),
                         wild_value(rng, task_id, n)))
        calls.append(Call(name, args))
    return calls


def soup_line(rng: random.Random, number: int) -> str:
    frags = SKILL_NAMES + PARAM_NAMES + ENUM_VALUES + GARBAGE + ["(", ")", "=", ", ", "$1", "join", "True"]
    return f"{number}. " + "".join(rng.choice(frags) for _ in range(rng.randint(0, 25)))


def gen_text_random(rng: random.Random) -> tuple[str, str]:
    calls = random_calls(rng)
    text = write_text(calls, rng, noise=True)
    note = "calls"
    if rng.random() < 0.15:
        lines = text.split("\n")
        i = rng.randint(0, len(lines))
        lines.insert(i, soup_line(rng, i + 1))
        text, note = "\n".join(lines), "soup"
    if rng.random() < 0.05:
        text, note = "".join(rng.choice(GARBAGE) for _ in range(rng.randint(0, 60))), "garbage"
    return text, note


def mutated_plan(rng: random.Random, chance: float, rounds: list[int]) -> tuple[list, list[str], float]:
    """A valid plan, mutated a random number of ``rounds`` with probability ``chance``;
    the mutations' notes and the draw ``r`` that decided (callers reuse it)."""
    calls = valid_plan(rng)
    notes = []
    r = rng.random()
    if r < chance:
        for _ in range(rng.choice(rounds)):
            calls, m = mutate_plan(calls, rng)
            notes.append(m)
    return calls, notes, r


def gen_text_mutated(rng: random.Random) -> tuple[str, str]:
    calls, notes, r = mutated_plan(rng, 0.75, [1, 1, 1, 2, 3])
    text = write_text(calls, rng)
    if r >= 0.5:
        for _ in range(rng.choice([1, 1, 2])):
            text, m = mutate_chars(text, rng)
            notes.append(m)
    return text, "+".join(notes)


def gen_json_random(rng: random.Random) -> tuple[str, str]:
    data, m = mutate_json_data(task_data(random_calls(rng)), rng) if rng.random() < 0.5 else (
        Pairs([("tasks", task_data(random_calls(rng)))]), "calls")
    text = write_json(data, rng)
    if rng.random() < 0.1:
        text = rng.choice(["", "{", "[", "{}", "[]", "null", "{\"tasks\": null}", "[1, 2]", '{"tasks": [{}]}',
                           '{"tasks": [{"skill": "drive"}]}', "[" * 5000, '{"tasks": [' + "[" * 900 + "]" * 900 + "]}",
                           '{"tasks": [{"skill": "drive", "args": {"distance_m": 1e999}}]}'])
        m = "literal"
    return text, m


def gen_json_mutated(rng: random.Random) -> tuple[str, str]:
    calls, notes, r = mutated_plan(rng, 0.7, [1, 1, 2])
    data: Any = Pairs([("tasks", task_data(calls))])
    if rng.random() < 0.3:
        data, m = mutate_json_data(task_data(calls), rng)
        notes.append(m)
    text = write_json(data, rng)
    if r >= 0.6:
        text, m = mutate_chars(text, rng)
        notes.append(m)
    return text, "+".join(notes) or "noop"


def gen_valid(rng: random.Random) -> tuple[str, str, str]:
    calls = valid_plan(rng)
    if rng.random() < 0.6:
        return "text", write_text(calls, rng), "text"
    return "json", write_json(Pairs([("tasks", task_data(calls))]), rng), "json"


#: Number-result producers for runtime_oob plans; each returns about its argument (get_battery: ~100).
def _producer(rng: random.Random) -> Call:
    kind = rng.choice(["get_battery", "get_battery", "wait", "rotate", "drive", "patrol"])
    if kind == "get_battery":
        return Call("get_battery")
    if kind == "wait":
        return Call("wait", [("seconds", rng.choice([0, 0.01, 3, 6, 50.5, 100, 181, 200, 361, 400, 600]))])
    if kind == "rotate":
        return Call("rotate", [("angle_deg", rng.choice([-360, -200, -10, -0.5, 0.01, 45, 181, 200, 360]))])
    if kind == "drive":
        return Call("drive", [("distance_m", rng.choice([-5, -2, -1, -0.5, 0.01, 0.04, 1, 3, 5]))])
    return Call("patrol", [("route", rng.sample(["hallway", "front_door", "charging_dock"], rng.randint(1, 2))),
                           ("laps", rng.randint(1, 10))])


def gen_runtime_oob(rng: random.Random) -> tuple[str, str, str]:
    """Valid plans where a number result fills a bounded number parameter as ``$N``."""
    calls: list[Call] = []
    for _ in range(rng.choice([0, 0, 1, 2])):
        calls.append(rng.choice([Call("say", [("text", "starting")]), Call("get_location"),
                                 Call("navigate_to", [("location", rng.choice(["hallway", "living_room"]))]),
                                 Call("find_person", [("person", rng.choice(PEOPLE))])]))
    producer = _producer(rng)
    calls.append(producer)
    n = len(calls)
    int_result = CATALOG.skill(producer.skill).returns.type == "integer"
    consumers = [(s, name, p) for s, name, p in NUMERIC
                 if _has_bounds(p) and (p.type == "number" or int_result)]
    skill_name, pname, p = rng.choice(consumers)
    skill = CATALOG.skill(skill_name)
    consumer = valid_call(calls, skill, rng)
    ref = BareRef(n) if rng.random() < 0.4 else f"${n}"
    consumer.args = [(k, v) for k, v in consumer.args if k != pname]
    consumer.args.insert(rng.randint(0, len(consumer.args)), (pname, ref))
    if rng.random() < 0.2:
        calls.append(Call("say", [("text", f"result ${n}")]))
    calls.append(consumer)
    if CATALOG.skill(skill_name).returns.type in ("number", "integer") and rng.random() < 0.4:
        # the consumer's own result feeds another bounded parameter
        s2, p2name, p2 = rng.choice([c for c in NUMERIC if c[2].type == "number" and _has_bounds(c[2])])
        follow = valid_call(calls, CATALOG.skill(s2), rng)
        follow.args = [(k, v) for k, v in follow.args if k != p2name] + [(p2name, f"${len(calls)}")]
        calls.append(follow)
    note = f"{producer.skill}->{skill_name}.{pname}"
    if rng.random() < 0.6:
        return "text", write_text(calls, rng), note
    return "json", write_json(Pairs([("tasks", task_data(calls))]), rng), note


def generate(rng: random.Random, kind: str | None = None) -> Case:
    """One plan of ``kind`` (random kind when None)."""
    kind = kind or rng.choices(KINDS, KIND_WEIGHTS)[0]
    if kind == "text_random":
        form, (source, note) = "text", gen_text_random(rng)
    elif kind == "text_mutated":
        form, (source, note) = "text", gen_text_mutated(rng)
    elif kind == "json_random":
        form, (source, note) = "json", gen_json_random(rng)
    elif kind == "json_mutated":
        form, (source, note) = "json", gen_json_mutated(rng)
    elif kind == "valid":
        form, source, note = gen_valid(rng)
    elif kind == "runtime_oob":
        form, source, note = gen_runtime_oob(rng)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    fail_rate = 0.0 if kind == "runtime_oob" else rng.choice([0.0, 0.0, 0.0, 0.2])
    return Case(kind=kind, form=form, source=source, note=note, seed=rng.randrange(2**31), fail_rate=fail_rate)


def generate_cases(n: int, seed: int = 0) -> Iterator[Case]:
    rng = random.Random(seed)
    for _ in range(n):
        yield generate(rng)


# -- running ----------------------------------------------------------------------------------------------------

@dataclass
class Stats:
    plans: int = 0
    parsed: int = 0
    accepted: int = 0
    executed: int = 0
    calls: int = 0
    unsafe_calls: int = 0
    crashes: int = 0
    runtime_rejections: int = 0  # PlanCheckError raised while running an accepted plan
    runtime_oob_cases: int = 0  # a $N result out of the consuming parameter's bounds
    runtime_oob_reached: int = 0  # ...of which the call reached the robot
    tasks_by_status: Counter = field(default_factory=Counter)
    by_kind: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reasons: Counter = field(default_factory=Counter)
    unsafe_examples: list[str] = field(default_factory=list)
    crash_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def crash(self, case: Case, what: str) -> None:
        self.crashes += 1
        self.by_kind[case.kind]["crashes"] += 1
        if len(self.crash_examples) < MAX_EXAMPLES:
            self.crash_examples.append(f"[{case.kind} {case.note}] {what}\n      plan: {short(case.source, 400)}")


_NORMALIZE = [(re.compile(r"'[^']*'|\"[^\"]*\""), "'…'"), (re.compile(r"\$[0-9]+"), "$N"),
              (re.compile(r"-?[0-9][0-9_.e+]*"), "#")]


def reason_category(message: str, parse: bool = False) -> str:
    """A short category for a rejection: the first words of the problem, names and numbers blanked."""
    text = message.split("\n")[0]
    for pattern, repl in _NORMALIZE:
        text = pattern.sub(repl, text)
    text = re.sub(r"\([^)]*\)", "", text).split(";")[0]
    words = text.split()
    return ("parse: " if parse else "check: ") + " ".join(words[:7])


def _runtime_oob(plan: Plan, results: dict[int, Any], runner: GuardedRunner) -> tuple[int, int]:
    """(cases, reached): whole ``$N`` in a number parameter whose result lies out of its bounds."""
    cases = reached = 0
    for task in plan.tasks:
        skill = CATALOG.skill(task.skill)
        for name, value in task.args.items():
            p = skill.params.get(name) if skill else None
            m = re.fullmatch(r"\$([0-9]+)", value) if isinstance(value, str) else None
            if p is None or m is None or p.type not in ("number", "integer"):
                continue
            n = int(m.group(1))
            if n not in results:
                continue
            result = results[n]
            if scalar_problem(result, p.type, p, CATALOG) is None:
                continue
            cases += 1
            if any(c["skill"] == task.skill and c["args"].get(name) == result for c in runner.unsafe):
                reached += 1
    return cases, reached


def parse_case(case: Case) -> Plan:
    return parse_plan_text(case.source) if case.form == "text" else read_plan(case.source)


async def process(case: Case, stats: Stats, execute: bool = True, world: World = WORLD) -> None:
    """Parse, check and (when accepted, unless ``execute`` is False) run one plan, counting everything."""
    k = stats.by_kind[case.kind]
    stats.plans += 1
    k["plans"] += 1
    try:
        plan = parse_case(case)
    except PlanParseError as e:
        stats.reasons[reason_category(e.message, parse=True)] += 1
        return
    except BaseException as e:  # noqa: BLE001 - what a fuzz bench is for
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        stats.crash(case, f"parser raised {type(e).__name__}: {short(str(e))}")
        return
    stats.parsed += 1
    k["parsed"] += 1
    try:
        checked = check_plan(plan, CATALOG)
    except Exception as e:  # noqa: BLE001
        stats.crash(case, f"check_plan raised {type(e).__name__}: {short(str(e))}\n      "
                          + short(traceback.format_exc().strip().splitlines()[-3], 300))
        return
    if checked.ok:
        stats.accepted += 1
        k["accepted"] += 1
    else:
        stats.reasons[reason_category(checked.problems[0].message)] += 1
    if not execute:
        return
    runner = GuardedRunner(SimRobot(world, time_scale=0, seed=case.seed, fail_rate=case.fail_rate), CATALOG)
    results: dict[int, Any] = {}

    def on_event(event: TaskEvent) -> None:
        if event.kind == "succeeded":
            results[event.task] = event.result

    outcome = None
    try:
        outcome = await asyncio.wait_for(Executor(CATALOG, runner, on_event=on_event).run(plan), PLAN_TIMEOUT_S)
    except PlanCheckError:
        if checked.ok:
            stats.runtime_rejections += 1
    except TimeoutError:
        stats.crash(case, f"the plan did not finish within {PLAN_TIMEOUT_S:g} s")
    except Exception as e:  # noqa: BLE001
        stats.crash(case, f"Executor.run raised {type(e).__name__}: {short(str(e))}\n      "
                          + short(traceback.format_exc().strip().splitlines()[-3], 300))
    if not checked.ok:
        if outcome is not None or runner.calls:
            stats.crash(case, f"executor ran a plan the checker rejected ({len(runner.calls)} call(s))")
    else:
        stats.executed += 1
        k["executed"] += 1
    stats.calls += len(runner.calls)
    k["calls"] += len(runner.calls)
    if runner.unsafe:
        stats.unsafe_calls += len(runner.unsafe)
        k["unsafe"] += len(runner.unsafe)
        for c in runner.unsafe:
            if len(stats.unsafe_examples) < MAX_EXAMPLES:
                stats.unsafe_examples.append(f"[{case.kind} {case.note}] {c['skill']}({short(c['args'])}): "
                                             f"{'; '.join(c['problems'])}\n      plan: {short(case.source, 400)}")
    for fault in runner.faults:
        stats.crash(case, f"adapter exception {fault}")
    if checked.ok:
        cases, reached = _runtime_oob(checked.plan, results, runner)
        stats.runtime_oob_cases += cases
        stats.runtime_oob_reached += reached
        k["runtime_oob_cases"] += cases
    if outcome is not None:
        for t in outcome.tasks:
            stats.tasks_by_status[t.status] += 1
            if t.status not in ("succeeded", "failed", "skipped"):
                stats.crash(case, f"task {t.task} ({t.skill}) ended {t.status}")
            elif t.status == "failed" and ("answered garbage" in t.error or t.error.startswith("timed out")):
                stats.crash(case, f"task {t.task} ({t.skill}): {t.error}")


async def run_fuzz(n: int, seed: int = 0, execute: bool = True, progress: int = 0) -> Stats:
    stats = Stats()
    t0, c0 = time.perf_counter(), time.process_time()
    for i, case in enumerate(generate_cases(n, seed), start=1):
        await process(case, stats, execute)
        if progress and i % progress == 0:
            dt = time.perf_counter() - t0
            print(f"  {i:7d} plans  parsed {stats.parsed}  accepted {stats.accepted}  calls {stats.calls}  "
                  f"unsafe {stats.unsafe_calls}  crashes {stats.crashes}  {i / dt:.0f} plans/s "
                  f"({i / (time.process_time() - c0):.0f} per CPU second)", flush=True)
    stats.seconds = time.perf_counter() - t0
    stats.cpu_seconds = time.process_time() - c0
    return stats


def fuzz(n: int, seed: int = 0, execute: bool = True, progress: int = 0) -> Stats:
    """Run ``n`` generated plans through the pipeline in one event loop."""
    return asyncio.run(run_fuzz(n, seed, execute, progress))


def report(stats: Stats, execute: bool = True) -> None:
    rate = stats.plans / stats.seconds if stats.seconds else 0.0
    print(f"\nplans generated            {stats.plans}")
    print(f"parsed ok                  {stats.parsed}")
    print(f"accepted by the checker    {stats.accepted}")
    print(f"executed on the simulator  {stats.executed}" + ("" if execute else "  (--no-execute)"))
    print(f"calls executed             {stats.calls}")
    print(f"unsafe calls executed      {stats.unsafe_calls}   (goal 0)")
    print(f"crashes                    {stats.crashes}   (goal 0)")
    print(f"runtime $N out of bounds   {stats.runtime_oob_cases} substituted values out of the parameter's "
          f"bounds; {stats.runtime_oob_reached} reached the robot, "
          f"{stats.runtime_oob_cases - stats.runtime_oob_reached} stopped before it")
    if stats.runtime_rejections:
        print(f"accepted plans the executor rejected with PlanCheckError: {stats.runtime_rejections}")
    print(f"task outcomes              {dict(sorted(stats.tasks_by_status.items()))}")
    cpu_rate = stats.plans / stats.cpu_seconds if stats.cpu_seconds else 0.0
    print(f"time                       {stats.seconds:.1f} s wall, {rate:.0f} plans/s; "
          f"{stats.cpu_seconds:.1f} s CPU, {cpu_rate:.0f} plans per CPU second")
    cols = ["plans", "parsed", "accepted", "executed", "calls", "unsafe", "crashes", "runtime_oob_cases"]
    print("\nby generator kind:")
    print(f"  {'kind':14s}" + "".join(f"{c:>18s}" for c in cols))
    for kind in KINDS:
        k = stats.by_kind.get(kind, Counter())
        print(f"  {kind:14s}" + "".join(f"{k[c]:18d}" for c in cols))
    print("\nrejections by reason (first problem of each plan):")
    for reason, count in stats.reasons.most_common(30):
        print(f"  {count:7d}  {reason}")
    if len(stats.reasons) > 30:
        print(f"  {sum(c for _, c in stats.reasons.most_common()[30:]):7d}  ({len(stats.reasons) - 30} more)")
    if stats.unsafe_calls:
        print(f"\nUNSAFE: {stats.unsafe_calls} out-of-catalog or out-of-bounds call(s) reached the robot, e.g.:")
        for ex in stats.unsafe_examples:
            print(f"  - {ex}")
    if stats.crashes:
        print(f"\nCRASH: {stats.crashes} crash(es), e.g.:")
        for ex in stats.crash_examples:
            print(f"  - {ex}")
    if not stats.unsafe_calls and not stats.crashes:
        print("\nOK: no unsafe call reached the robot, no crash")


def main() -> None:
    ap = argparse.ArgumentParser(description="Fuzz parser, checker and executor with random and mutated plans.")
    ap.add_argument("--n", type=int, default=100_000, help="plans to generate (default 100000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-execute", action="store_true", help="parse and check only")
    args = ap.parse_args()
    execute = not args.no_execute
    print(f"fuzzing {args.n} plans (seed {args.seed}){'' if execute else ', no execution'}:")
    stats = fuzz(args.n, args.seed, execute, progress=10_000 if args.n >= 10_000 else max(1, args.n // 10))
    report(stats, execute)


if __name__ == "__main__":
    main()
