"""check_plan: proving a plan valid against the catalog, every problem reported at once."""

from __future__ import annotations

from typing import Any

import pytest
from devset import concrete, dev_cases

from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.plan.checker import CheckResult, PlanCheckError, Problem, check_plan
from agent_node.plan.json_form import plan_from_data
from agent_node.plan.model import Plan
from agent_node.plan.text import parse_plan_text

CATALOG = load_catalog()

Call = tuple[str, dict[str, Any]]






def check(*calls: Call, catalog: Catalog = CATALOG) -> CheckResult:
    return check_plan(Plan.of(*calls), catalog)


def where(problem: Problem) -> tuple[int | None, str | None, str | None]:
    return problem.task, problem.skill, problem.arg


def only_problem(*calls: Call) -> Problem:
    result = check(*calls)
    assert len(result.problems) == 1, [str(p) for p in result.problems]
    return result.problems[0]


@pytest.mark.parametrize("value, expected", [
    ("<text>", "Lunch is served"),
    ("<text $1>", "Here is what I found: $1"),
    ("<text $1 $2>", "Here is what I found: $1 and $2"),
    ({"$any": ["kitchen", "office"]}, "kitchen"),
    (["<text>", {"$any": [1, 2]}], ["Lunch is served", 1]),
    ("kitchen", "kitchen"),
    (3, 3),
])
def test_concrete_placeholders(value: Any, expected: Any) -> None:
    assert concrete(value) == expected
    assert concrete({"$any": ["kitchen", "office"]}, option=1) == "office"


# -- the dev set is valid -----------------------------------------------------------

@pytest.mark.parametrize("record", dev_cases())
def test_dev_gold_plan_is_valid(record: dict[str, Any]) -> None:
    plan = plan_from_data(concrete(record["plan"]))
    result = check_plan(plan, CATALOG)
    assert result.ok, [str(p) for p in result.problems]
    assert result.raise_for_problems(command=record["command"]) == result.plan
    for given, checked in zip(plan.tasks, result.plan.tasks):
        assert checked.skill == given.skill
        assert list(checked.args) == list(CATALOG.skill(given.skill).params)  # every param, catalog order
        assert {k: checked.args[k] for k in given.args} == given.args


# -- defaults and normalisation ----------------------------------------------------

@pytest.mark.parametrize("call, expected", [
    (("drive", {"distance_m": 1}), {"distance_m": 1, "speed_mps": 0.3}),
    (("drive", {"distance_m": 1, "speed_mps": 0.5}), {"distance_m": 1, "speed_mps": 0.5}),
    (("send_message", {"text": "hi", "recipient": "bob"}), {"recipient": "bob", "text": "hi", "attachment": ""}),
    (("patrol", {"route": ["kitchen"]}), {"route": ["kitchen"], "laps": 1}),
    (("go_to_pose", {"y": 2, "x": 1}), {"x": 1, "y": 2, "yaw_deg": 0}),
    (("dock", {}), {}),
])
def test_defaults_are_filled_in_catalog_order(call: Call, expected: dict[str, Any]) -> None:
    result = check(call)
    assert result.ok
    args = result.plan.task(1).args
    assert args == expected
    assert list(args) == list(expected)


def test_integer_given_as_whole_float_becomes_int() -> None:
    laps = check(("patrol", {"route": ["kitchen"], "laps": 3.0})).raise_for_problems().task(1).args["laps"]
    assert laps == 3 and type(laps) is int


def test_number_keeps_its_type() -> None:
    args = check(("drive", {"distance_m": 2, "speed_mps": 0.5})).plan.task(1).args
    assert type(args["distance_m"]) is int and type(args["speed_mps"]) is float


def test_check_does_not_change_the_given_plan() -> None:
    plan = Plan.of(("drive", {"distance_m": 1}))
    check_plan(plan, CATALOG)
    assert plan.task(1).args == {"distance_m": 1}


def test_empty_plan_is_valid() -> None:
    result = check_plan(Plan(), CATALOG)
    assert result.ok and result.problems == []
    assert result.raise_for_problems(command="what's the weather?") == Plan()


# -- one problem of each kind, naming task, skill and argument ---------------------

BATTERY: Call = ("get_battery", {})

PROBLEMS = [
    # (calls, task, skill, arg, message fragment)
    pytest.param([BATTERY, ("fly", {"to": "moon"})], 2, "fly", None, "unknown skill 'fly'", id="unknown-skill"),
    pytest.param([("navigate_to", {"location": "kitchen", "speed": 1})], 1, "navigate_to", "speed",
                 "unknown argument 'speed'", id="unknown-arg"),
    pytest.param([BATTERY, ("navigate_to", {})], 2, "navigate_to", "location",
                 "missing required argument 'location'", id="missing-arg"),
    pytest.param([("set_light", {"room": "office"})], 1, "set_light", "on",
                 "missing required argument 'on'", id="missing-on"),
    pytest.param([("drive", {"distance_m": "far"})], 1, "drive", "distance_m", "expected a number",
                 id="string-for-number"),
    pytest.param([("set_light", {"room": "office", "on": 1})], 1, "set_light", "on", "expected true or false",
                 id="number-for-boolean"),
    pytest.param([("set_light", {"room": "office", "on": "true"})], 1, "set_light", "on",
                 "expected true or false", id="string-for-boolean"),
    pytest.param([("drive", {"distance_m": True})], 1, "drive", "distance_m", "expected a number",
                 id="bool-for-number"),
    pytest.param([("patrol", {"route": ["kitchen"], "laps": True})], 1, "patrol", "laps",
                 "expected an integer", id="bool-for-integer"),
    pytest.param([("patrol", {"route": ["kitchen"], "laps": 2.5})], 1, "patrol", "laps",
                 "expected an integer", id="fraction-for-integer"),
    pytest.param([("drive", {"distance_m": float("nan")})], 1, "drive", "distance_m", "expected a number",
                 id="nan"),
    pytest.param([("rotate", {"angle_deg": float("-inf")})], 1, "rotate", "angle_deg", "expected a number",
                 id="infinity"),
    pytest.param([("say", {"text": ["hi"]})], 1, "say", "text", "expected a string", id="list-for-string"),
    pytest.param([("say", {"text": None})], 1, "say", "text", "expected a string", id="none-for-string"),
    pytest.param([("find_person", {"person": {"name": "bob"}})], 1, "find_person", "person",
                 "expected a string", id="dict-for-string"),
    pytest.param([("navigate_to", {"location": "moon"})], 1, "navigate_to", "location",
                 "'moon' is not a location", id="not-in-enum"),
    pytest.param([("navigate_to", {"location": "Kitchen"})], 1, "navigate_to", "location",
                 "is not a location", id="enum-is-case-sensitive"),
    pytest.param([("navigate_to", {"location": 3})], 1, "navigate_to", "location", "expected one of",
                 id="number-for-enum"),
    pytest.param([("check_door", {"door": "kitchen"})], 1, "check_door", "door", "'kitchen' is not a door",
                 id="location-for-door"),
    pytest.param([("drive", {"distance_m": 9})], 1, "drive", "distance_m", "9 is above the maximum 5",
                 id="drive-too-far"),
    pytest.param([("drive", {"distance_m": -5.5})], 1, "drive", "distance_m", "-5.5 is below the minimum -5",
                 id="drive-too-far-back"),
    pytest.param([("drive", {"distance_m": 1, "speed_mps": 0.01})], 1, "drive", "speed_mps",
                 "below the minimum 0.05", id="drive-too-slow"),
    pytest.param([("rotate", {"angle_deg": 400})], 1, "rotate", "angle_deg", "400 is above the maximum 360",
                 id="rotate-too-far"),
    pytest.param([("wait", {"seconds": -1})], 1, "wait", "seconds", "below the minimum 0", id="negative-wait"),
    pytest.param([("patrol", {"route": ["kitchen"], "laps": 11})], 1, "patrol", "laps", "above the maximum 10",
                 id="too-many-laps"),
    pytest.param([("patrol", {"route": []})], 1, "patrol", "route", "at least 1 item", id="min-items"),
    pytest.param([("patrol", {"route": ["kitchen", "moon"]})], 1, "patrol", "route", "item 2: 'moon'",
                 id="item-not-in-enum"),
    pytest.param([("patrol", {"route": ["kitchen", 7]})], 1, "patrol", "route", "item 2", id="item-not-string"),
    pytest.param([("patrol", {"route": "kitchen"})], 1, "patrol", "route", "expected a list of location",
                 id="string-for-array"),
    pytest.param([BATTERY, ("navigate_to", {"location": "$5"})], 2, "navigate_to", "location",
                 "cites $5, but there is no task 5", id="ref-missing-task"),
    pytest.param([BATTERY, ("navigate_to", {"location": "$0"})], 2, "navigate_to", "location",
                 "no task 0", id="ref-task-zero"),
    pytest.param([("find_person", {"person": "bob"}), ("navigate_to", {"location": "$2"})], 2, "navigate_to",
                 "location", "its own result", id="ref-itself"),
    pytest.param([("navigate_to", {"location": "$2"}), ("find_person", {"person": "bob"})], 1, "navigate_to",
                 "location", "comes later", id="ref-later"),
    pytest.param([("say", {"text": "I see $2"}), ("detect_objects", {})], 1, "say", "text", "comes later",
                 id="inline-ref-later"),
    pytest.param([("say", {"text": "I see $4"})], 1, "say", "text", "no task 4", id="inline-ref-missing"),
    pytest.param([("take_photo", {}), ("navigate_to", {"location": "$1"})], 2, "navigate_to", "location",
                 "$1 (take_photo) returns string, which cannot fill a location", id="string-result-for-enum"),
    pytest.param([("check_door", {"door": "front_door"}), ("set_light", {"room": "$1", "on": True})], 2,
                 "set_light", "room", "$1 (check_door) returns string", id="door-state-for-room"),
    pytest.param([("find_person", {"person": "bob"}), ("check_door", {"door": "$1"})], 2, "check_door", "door",
                 "returns location, which cannot fill a door", id="location-result-for-door"),
    pytest.param([BATTERY, ("set_light", {"room": "office", "on": "$1"})], 2, "set_light", "on",
                 "returns number, which cannot fill a boolean", id="number-result-for-boolean"),
    pytest.param([BATTERY, ("patrol", {"route": ["kitchen"], "laps": "$1"})], 2, "patrol", "laps",
                 "returns number, which cannot fill a integer", id="number-result-for-integer"),
    pytest.param([("take_photo", {}), ("patrol", {"route": ["kitchen", "$1"]})], 2, "patrol", "route",
                 "returns string", id="string-result-as-route-item"),
    pytest.param([("find_person", {"person": "bob"}), ("patrol", {"route": "$1"})], 2, "patrol", "route",
                 "not a list of location", id="location-result-for-array"),
    pytest.param([("detect_objects", {}), ("patrol", {"route": "$1"})], 2, "patrol", "route",
                 "returns string, which cannot fill a location", id="string-list-for-location-list"),
]


@pytest.mark.parametrize("calls, task, skill, arg, fragment", PROBLEMS)
def test_problem(calls: list[Call], task: int, skill: str, arg: str | None, fragment: str) -> None:
    problem = only_problem(*calls)
    assert where(problem) == (task, skill, arg)
    assert fragment in problem.message


@pytest.mark.parametrize("calls", [
    pytest.param([("find_person", {"person": "bob"}), ("navigate_to", {"location": "$1"})], id="location"),
    pytest.param([("get_location", {}), ("set_light", {"room": "$1", "on": False})], id="room-from-location"),
    pytest.param([BATTERY, ("drive", {"distance_m": "$1"})], id="number-for-number"),
    pytest.param([("patrol", {"route": ["kitchen"]}), ("wait", {"seconds": "$1"})], id="integer-for-number"),
    pytest.param([("dock", {}), ("set_light", {"room": "office", "on": "$1"})], id="boolean"),
    pytest.param([("find_object", {"object": "keys"}), ("patrol", {"route": ["$1", "kitchen"]})], id="route-item"),
    pytest.param([("take_photo", {}), ("send_message", {"recipient": "bob", "text": "look", "attachment": "$1"})],
                 id="photo-attachment"),
    pytest.param([("detect_objects", {}), ("say", {"text": "I see $1"})], id="list-in-text"),
    pytest.param([("detect_objects", {}), ("say", {"text": "$1"})], id="list-as-whole-text"),
    pytest.param([BATTERY, ("say", {"text": "$1"})], id="number-as-text"),
    pytest.param([("dock", {}), ("find_person", {"person": "$1"})], id="boolean-as-string"),
    pytest.param([("check_door", {"door": "front_door"}), ("check_door", {"door": "back_door"}),
                  ("send_message", {"recipient": "bob", "text": "front $1, back $2, again $1"})], id="two-in-text"),
    pytest.param([("say", {"text": "it costs 5$ or $ 3"})], id="dollar-without-number"),
])
def test_references_that_fit(calls: list[Call]) -> None:
    result = check(*calls)
    assert result.ok, [str(p) for p in result.problems]


def test_reference_values_are_kept() -> None:
    plan = check(("find_person", {"person": "bob"}), ("navigate_to", {"location": "$1"})).raise_for_problems()
    assert plan.task(2).args == {"location": "$1"}


def test_citing_an_unknown_skill() -> None:
    result = check(("fly", {}), ("navigate_to", {"location": "$1"}))
    assert [where(p) for p in result.problems] == [(1, "fly", None), (2, "navigate_to", "location")]
    assert "returns nothing" in result.problems[1].message


def test_citing_a_skill_without_result() -> None:
    catalog = Catalog.from_dict({"locations": ["here", "there"], "skills": [
        {"name": "beep", "kind": "service", "description": "beep"},
        {"name": "go", "kind": "action", "description": "go",
         "params": {"to": {"type": "location"}, "note": {"type": "string", "default": ""}}},
    ]})
    result = check(("beep", {}), ("go", {"to": "$1", "note": "after $1"}), catalog=catalog)
    assert [where(p) for p in result.problems] == [(2, "go", "to")]
    assert "$1 (beep) returns nothing" in result.problems[0].message


def test_each_bad_inline_ref_is_reported_once() -> None:
    result = check(("say", {"text": "$3 and $3 and $2 and $1"}))
    assert sorted(p.message for p in result.problems) == [
        "cites $1, its own result", "cites $2, but there is no task 2", "cites $3, but there is no task 3"]


# -- every problem at once ---------------------------------------------------------

def test_all_problems_are_reported_at_once() -> None:
    result = check(
        ("fly", {}),
        ("navigate_to", {"location": "moon", "speed": 2}),
        ("drive", {"distance_m": "$9"}),
        ("set_light", {"room": "kitchen"}),
        ("say", {"text": "fine"}),
    )
    assert not result.ok
    assert sorted((p.task, p.arg or "") for p in result.problems) == [
        (1, ""), (2, "location"), (2, "speed"), (3, "distance_m"), (4, "on")]
    assert len(result.plan) == 5  # the plan comes back whole, defaults filled where possible


def test_problems_in_several_args_of_one_task() -> None:
    result = check(("go_to_pose", {"x": 99, "y": "north", "yaw_deg": 200}))
    assert [p.arg for p in result.problems] == ["x", "y", "yaw_deg"]


# -- reporting ------------------------------------------------------------------------

def test_raise_for_problems_names_command_task_and_argument() -> None:
    result = check(("navigate_to", {"location": "kitchen"}), ("navigate_to", {"location": "moon"}))
    with pytest.raises(PlanCheckError) as info:
        result.raise_for_problems(command="go to the moon")
    error = info.value
    message = str(error)
    assert "go to the moon" in message
    assert "task 2 (navigate_to)" in message
    assert "argument 'location'" in message
    assert error.command == "go to the moon"
    assert error.problems == result.problems
    assert isinstance(error, ValueError)


def test_raise_for_problems_without_command() -> None:
    with pytest.raises(PlanCheckError, match=r"^plan is invalid:\n  - task 1 \(fly\): unknown skill"):
        check(("fly", {})).raise_for_problems()


@pytest.mark.parametrize("problem, text", [
    (Problem(task=2, skill="drive", arg="distance_m", message="too far"),
     "task 2 (drive), argument 'distance_m': too far"),
    (Problem(task=1, skill="fly", message="unknown skill"), "task 1 (fly): unknown skill"),
    (Problem(task=3, message="odd"), "task 3: odd"),
    (Problem(arg="x", message="odd"), "argument 'x': odd"),
    (Problem(message="plain"), "plain"),
])
def test_problem_str(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_problem_str_of_a_real_check() -> None:
    problem = only_problem(("drive", {"distance_m": 9}))
    assert str(problem) == "task 1 (drive), argument 'distance_m': 9 is above the maximum 5"


# -- edge cases and known bugs --------------------------------------------------------------------

def test_ref_with_trailing_newline_is_not_a_ref() -> None:
    result = check(("find_person", {"person": "bob"}), ("navigate_to", {"location": "$1\n"}))
    assert not result.ok


@pytest.mark.parametrize("text, arg", [
    ("1. drive(distance_m=1" + "0" * 400 + ")", "distance_m"),
    ("1. patrol(route=['kitchen'], laps=-1" + "0" * 400 + ")", "laps"),
    ("1. go_to_pose(x=-1" + "0" * 400 + ", y=0)", "x"),
])
def test_huge_number_is_a_problem_not_a_crash(text: str, arg: str) -> None:
    """An int too large for a float is out of bounds, not an OverflowError."""
    problems = check_plan(parse_plan_text(text), CATALOG).problems
    assert [p.arg for p in problems] == [arg]
