"""Property tests: the parsers raise only PlanParseError, and the checker never lets a bad call through."""

from __future__ import annotations

import json
import keyword
import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_node.catalog.skills import Param, load_catalog
from agent_node.plan.checker import CheckResult, check_plan
from agent_node.plan.json_form import format_plan_json, parse_plan_json, plan_from_data
from agent_node.plan.model import Plan, PlanParseError, Task
from agent_node.plan.reading import read_plan
from agent_node.plan.text import format_plan_text, parse_plan_text

CATALOG = load_catalog()
SKILL_NAMES = CATALOG.skill_names
PARAM_NAMES = sorted({p for s in CATALOG.skills for p in s.params})
ENUM_VALUES = sorted({v for values in CATALOG.enums.values() for v in values})

# Python's parser warns about odd literals ("0x1fand", "\d"); parse_plan_text lets it, which is fine here.
pytestmark = [pytest.mark.filterwarnings("ignore:invalid .* literal:SyntaxWarning"),
              pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")]

FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# Also ints beyond the float range (the checker must treat them as out of bounds).
INTS = st.one_of(st.integers(), st.integers(300, 320).map(lambda e: 10**e), st.integers(-(2**70), 2**70))

# -- strategies -------------------------------------------------------------------------

FRAGMENTS = st.sampled_from([
    *SKILL_NAMES, *PARAM_NAMES, *ENUM_VALUES, "join", "Thought:", "#", "\n", "\r\n", " ", "\t",
    "1", "2", "3", "10", "0", "-1", "1.5", "1e999", "-0.0", "1_000", "0x1f", ".", ". ", "1.", "2.",
    "(", ")", "[", "]", "{", "}", ",", "=", ":", "*", "**", "'", '"', '"""', "'''", "\\", "$", "$1", "$2",
    "$0", "$99", "True", "False", "None", "nan", "inf", "lambda", "f'", "b'", "j", "é", "日本", "\u2028",
    "\x85", "\x00", "\ud800", "\U0001f916", "...", "+", "-", "@", ";", "`",
])

fragment_text = st.lists(FRAGMENTS, max_size=40).map("".join)

json_scalars = st.one_of(
    st.none(), st.booleans(), INTS, st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20), st.sampled_from([*SKILL_NAMES, *PARAM_NAMES, "$1", "$2", "$0", "tasks", "plan"]),
)
jsonish = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(["tasks", "plan", "id", "skill", "args"])),
                        inner, max_size=4),
    ),
    max_leaves=15,
)


@st.composite
def plan_shaped(draw: st.DrawFn) -> Any:
    """Data shaped like a plan in one of the JSON forms, with random holes."""
    tasks = draw(st.lists(st.fixed_dictionaries(
        {"skill": st.one_of(st.sampled_from(SKILL_NAMES), jsonish)},
        optional={"id": st.one_of(st.integers(-1, 6), jsonish), "args": jsonish, "extra": jsonish}),
        max_size=4))
    return draw(st.sampled_from([{"tasks": tasks}, {"plan": tasks}, tasks, {"tasks": tasks, "x": 1}]))


# What the text form can write: identifiers that are not keywords, finite numbers, any string,
# any dict keys.
text_strings = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
dict_keys = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
identifiers = st.tuples(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"),
    st.text("abcdefghijklmnopqrstuvwxyz_0123456789ABC", max_size=10),
).map("".join).filter(lambda s: not keyword.iskeyword(s) and s != "join")


def text_writable(value: Any) -> bool:
    """Whether the text form can carry ``value``: no astral character in a dict key."""
    if isinstance(value, list):
        return all(text_writable(v) for v in value)
    if isinstance(value, dict):
        return all(max(map(ord, k), default=0) <= 0xFFFF and text_writable(v) for k, v in value.items())
    return True


def ref(max_n: int = 8) -> st.SearchStrategy[str]:
    return st.integers(0, max_n).map(lambda n: f"${n}")


def task_ref(task_id: int) -> st.SearchStrategy[str]:
    """``$N`` for task ``task_id``: usually an earlier task, else 0, itself or a later one."""
    anything = ref(task_id + 1)
    return st.one_of(ref(task_id - 1).filter(lambda r: r != "$0"), anything) if task_id > 1 else anything


def values_for(param: Param, task_id: int) -> st.SearchStrategy[Any]:
    """Values that fit ``param``, or lie near its edges, or cite a result (earlier, own or later)."""
    refs = task_ref(task_id)
    t = param.type
    if t in CATALOG.enums:
        literal: st.SearchStrategy[Any] = st.sampled_from(CATALOG.enums[t])
    elif t == "boolean":
        literal = st.booleans()
    elif t == "string":
        literal = st.one_of(text_strings, refs.map(lambda r: f"about {r}"))
    elif t == "array":
        item = st.sampled_from(CATALOG.enums[param.items]) if param.items in CATALOG.enums else text_strings
        literal = st.lists(st.one_of(item, item, refs), max_size=3)
    else:
        lo = -1e3 if param.minimum is None else param.minimum
        hi = 1e3 if param.maximum is None else param.maximum
        edges = st.sampled_from([lo, hi, lo - 1, hi + 1, lo - 0.001, hi + 0.001, (lo + hi) / 2])
        ints = st.integers(math.floor(lo) - 2, math.ceil(hi) + 2)
        literal = st.one_of(ints, edges, st.floats(lo - 1, hi + 1), ints.map(float))
    return st.one_of(literal, literal, refs)


def mostly(draw: st.DrawFn, usual: st.SearchStrategy[Any], *rare: st.SearchStrategy[Any]) -> Any:
    """A value from ``usual`` most of the time (and when shrinking), else from one of ``rare``."""
    return draw(usual) if draw(st.integers(0, 9)) < 8 else draw(st.one_of(*rare))


@st.composite
def random_tasks(draw: st.DrawFn, n_max: int = 5) -> list[tuple[str, dict[str, Any]]]:
    """Calls that are mostly plausible: catalog skills with their params, plus noise."""
    calls = []
    for task_id in range(1, draw(st.integers(0, n_max)) + 1):
        name = mostly(draw, st.sampled_from(SKILL_NAMES), st.text("abcdefghijklmnopqrstuvwxyz_", max_size=10))
        skill = CATALOG.skill(name)
        args: dict[str, Any] = {}
        for pname, param in (skill.params.items() if skill else ()):
            if mostly(draw, st.just(param.required), st.booleans()):
                args[pname] = mostly(draw, values_for(param, task_id), task_ref(task_id), json_scalars)
        if draw(st.integers(0, 9)) == 9:  # an extra argument, sometimes a real param name
            key = draw(st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=6)))
            args[key] = draw(st.one_of(jsonish, ref(task_id + 1), st.floats()))
        calls.append((name, args))
    return calls


random_plans = random_tasks().map(lambda calls: Plan.of(*calls))

text_values = st.recursive(
    st.one_of(st.none(), st.booleans(), INTS, st.floats(allow_nan=False, allow_infinity=False),
              text_strings, ref(20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(dict_keys, inner, max_size=3)),
    max_leaves=8,
)
writable_plans = st.lists(
    st.tuples(identifiers, st.dictionaries(identifiers, text_values, max_size=3)), max_size=4,
).map(lambda calls: Plan.of(*calls))


def same(a: Plan, b: Plan) -> bool:
    """Equal plans, also by JSON type (True is not 1, 1 is not 1.0, -0.0 is not 0.0)."""
    return a == b and format_plan_json(a) == format_plan_json(b)


def parses_or_fails_cleanly(parse: Any, text: str) -> Plan | None:
    """The plan, or None after a PlanParseError whose position lies inside the text."""
    try:
        plan = parse(text)
    except PlanParseError as e:
        assert e.message
        if e.column is not None:
            assert e.line is not None and e.column >= 1
        if e.line is not None:
            assert 1 <= e.line <= max(len(text.splitlines()), text.count("\n") + 1)
        return None
    assert isinstance(plan, Plan)
    return plan


# -- parsers raise only PlanParseError ----------------------------------------------------

@FUZZ
@given(st.one_of(st.text(), fragment_text))
def test_parse_plan_text_raises_only_parse_errors(text: str) -> None:
    plan = parses_or_fails_cleanly(parse_plan_text, text)
    if plan is not None:
        assert [t.id for t in plan.tasks] == list(range(1, len(plan) + 1))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["", "  "]), FRAGMENTS, fragment_text), max_size=6))
def test_parse_plan_text_on_numbered_lines(lines: list[tuple[str, str, str]]) -> None:
    """Lines that start like tasks (``N. name(``) reach the call parser."""
    text = "\n".join(f"{indent}{i}. {name}({rest}" for i, (indent, name, rest) in enumerate(lines, start=1))
    parses_or_fails_cleanly(parse_plan_text, text)


@FUZZ
@given(st.one_of(jsonish, plan_shaped()))
def test_json_data_raises_only_parse_errors(data: Any) -> None:
    text = json.dumps(data)
    for parse in (parse_plan_json, read_plan, lambda _: plan_from_data(data)):
        plan = parses_or_fails_cleanly(parse, text)
        if plan is not None:
            assert same(parse_plan_json(format_plan_json(plan)), plan)


@FUZZ
@given(st.one_of(st.text(), fragment_text))
def test_json_text_raises_only_parse_errors(text: str) -> None:
    parses_or_fails_cleanly(parse_plan_json, text)
    parses_or_fails_cleanly(read_plan, text)


# -- the checker never raises and never lets a bad call through ---------------------------

# A whole "$N" value. The trailing "\n?" mirrors values.WHOLE_REF, whose "$" also matches before a
# final newline (see test_checker.py::test_ref_with_trailing_newline_is_not_a_ref).
WHOLE_REF = re.compile(r"\$(\d+)\n?")


def literal_fits(value: Any, param: Param, enums: dict[str, list[str]], task_id: int) -> bool:
    """An independent statement of what a valid argument is (whole ``$N`` must cite an earlier task)."""
    ref_match = WHOLE_REF.fullmatch(value) if isinstance(value, str) and param.type != "string" else None
    if ref_match:
        return 1 <= int(ref_match.group(1)) < task_id
    t = param.type
    if t == "array":
        return (isinstance(value, list) and len(value) >= (param.minItems or 0)
                and all(literal_fits(v, Param(type=param.items), enums, task_id) for v in value))
    if t in enums:
        return value in enums[t]
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not (math.isfinite(value) and (t == "number" or value.is_integer())):
        return False
    return ((param.minimum is None or value >= param.minimum)
            and (param.maximum is None or value <= param.maximum))


def assert_problems_name_their_task(plan: Plan, result: CheckResult) -> None:
    for problem in result.problems:
        assert problem.task is not None and 1 <= problem.task <= len(plan)
        assert problem.skill == plan.task(problem.task).skill
        assert problem.message


def assert_accepted_plan_is_sound(plan: Plan, result: CheckResult) -> None:
    assert len(result.plan) == len(plan)
    for task, checked in zip(plan.tasks, result.plan.tasks):
        skill = CATALOG.skill(task.skill)
        assert skill is not None, f"unknown skill {task.skill!r} accepted"
        assert set(task.args) <= set(skill.params), f"unknown argument accepted in {task}"
        assert set(checked.args) == set(skill.params), f"argument missing after the check in {checked}"
        for name, value in checked.args.items():
            assert literal_fits(value, skill.params[name], CATALOG.enums, task.id), (
                f"task {task.id} {task.skill}: {name}={value!r} accepted")
        for n in task.refs():
            assert 1 <= n < task.id, f"task {task.id} cites ${n}"


def assert_flawed_tasks_are_flagged(plan: Plan, result: CheckResult) -> None:
    """The other direction, per task: a task that breaks a rule is named in some problem."""
    flagged = {p.task for p in result.problems}
    for task in plan.tasks:
        skill = CATALOG.skill(task.skill)
        flawed = (skill is None
                  or not set(task.args) <= set(skill.params)
                  or any(p.required and n not in task.args for n, p in skill.params.items())
                  or any(not literal_fits(v, skill.params[k], CATALOG.enums, task.id)
                         for k, v in task.args.items() if k in skill.params)
                  or any(not 1 <= n < task.id for n in task.refs()))
        if flawed:
            assert task.id in flagged, f"{task} has a flaw but no problem"


@FUZZ
@given(random_plans)
def test_check_plan_is_sound_and_complete(plan: Plan) -> None:
    result = check_plan(plan, CATALOG)  # never raises
    assert isinstance(result, CheckResult)
    assert_problems_name_their_task(plan, result)
    assert_flawed_tasks_are_flagged(plan, result)
    if result.ok:
        assert_accepted_plan_is_sound(plan, result)
    if result.ok and text_writable(result.plan.model_dump()):
        # what the checker accepts (defaults filled) can be written and read back
        assert same(parse_plan_text(format_plan_text(result.plan)), result.plan)


@FUZZ
@given(st.lists(st.tuples(st.text(max_size=8), st.dictionaries(st.text(max_size=5), jsonish, max_size=3)),
                max_size=4))
def test_check_plan_on_arbitrary_tasks(calls: list[tuple[str, dict[str, Any]]]) -> None:
    plan = Plan(tasks=[Task(id=i, skill=s, args=a) for i, (s, a) in enumerate(calls, start=1)])
    result = check_plan(plan, CATALOG)
    assert_problems_name_their_task(plan, result)
    assert_flawed_tasks_are_flagged(plan, result)


# -- the text and JSON forms round-trip -------------------------------------------------

@FUZZ
@given(writable_plans, st.booleans())
def test_both_forms_round_trip(plan: Plan, join: bool) -> None:
    assert same(parse_plan_text(format_plan_text(plan, join=join)), plan)
    assert same(parse_plan_json(format_plan_json(plan)), plan)
    assert same(read_plan(format_plan_json(plan, indent=None)), plan)


def test_strategies_reach_accepted_plans() -> None:
    """Guard against a vacuous property: the plan strategy does produce valid plans."""
    accepted = []

    @settings(max_examples=100, deadline=None, database=None)
    @given(random_plans)
    def collect(plan: Plan) -> None:
        if plan.tasks and check_plan(plan, CATALOG).ok:
            accepted.append(plan)

    collect()
    assert accepted, "no non-empty random plan passed the check"
