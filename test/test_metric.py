"""The benchmark metric (agent_node.datagen.metric): gold plans against predictions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from devset import DEV_PLANS, concrete, dev_records

from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.datagen.metric import (
    EvalSummary,
    evaluate,
    match_plans,
    normalize_name,
    plan_matches,
    success_rate,
    text_placeholder_refs,
)
from agent_node.plan.model import Plan

CATALOG = load_catalog()

Gold = list[dict[str, Any]]


DEV: dict[str, Gold] = {row["id"]: row["plan"] for row in dev_records()}
needs_dev = pytest.mark.skipif(not DEV, reason=f"dev set not found at {DEV_PLANS}")


def gold(plan_id: str) -> Gold:
    if plan_id not in DEV:
        pytest.skip(f"dev set not found at {DEV_PLANS}")
    return copy.deepcopy(DEV[plan_id])




def with_defaults(args: dict[str, Any], skill_name: str, catalog: Catalog = CATALOG) -> dict[str, Any]:
    skill = catalog.skill(skill_name)
    assert skill is not None
    return {**{n: p.default for n, p in skill.params.items() if p.has_default}, **args}


def predict(plan: Gold, option: int = 0, fill_defaults: bool = False) -> Gold:
    """A gold plan as a model would write it: concrete values, defaults optional."""
    out = []
    for task in plan:
        args = {k: concrete(v, option) for k, v in task["args"].items()}
        out.append({"skill": task["skill"], "args": with_defaults(args, task["skill"]) if fill_defaults else args})
    return out


def swapped(plan: Gold, a: int, b: int) -> Gold:
    """Tasks a and b (1-based) exchanged, without renumbering references."""
    plan = copy.deepcopy(plan)
    plan[a - 1], plan[b - 1] = plan[b - 1], plan[a - 1]
    return plan


def assert_fails(pred: Any, gold_plan: Gold, *words: str) -> None:
    result = match_plans(pred, gold_plan, CATALOG)
    assert not result.ok and result.mapping is None
    for word in words:
        assert word in result.reason, result.reason


# -- every dev plan matches itself -------------------------------------------

DATA = Path(__file__).parent / "data"
#: The reference robot's sets, then other robots' (``robots/<name>[_<set>].jsonl``, catalog
#: ``examples/<name>/skills.yaml``).
EVAL_SETS = sorted(DATA.glob("*.jsonl")) + sorted((DATA / "robots").glob("*.jsonl"))


def catalog_of(path: Path) -> Catalog:
    if path.parent.name != "robots":
        return CATALOG
    return load_catalog(Path(__file__).parents[1] / "examples" / path.stem.split("_")[0] / "skills.yaml")


@pytest.mark.parametrize("path", EVAL_SETS, ids=lambda p: p.name)
def test_every_evaluation_set_plan_is_valid_and_matches_itself(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len({r["id"] for r in rows}) == len(rows) and len({r["command"].lower() for r in rows}) == len(rows)
    catalog = catalog_of(path)
    for row in rows:
        result = match_plans(predict(row["plan"]), row["plan"], catalog)
        assert result.ok, f"{row['id']}: {result.reason}"


@needs_dev
@pytest.mark.parametrize("plan_id", sorted(DEV))
@pytest.mark.parametrize("fill_defaults", [False, True])
def test_every_dev_plan_matches_itself_made_concrete(plan_id: str, fill_defaults: bool) -> None:
    plan = gold(plan_id)
    result = match_plans(predict(plan, fill_defaults=fill_defaults), plan, CATALOG)
    assert result.ok, result.reason
    assert result.mapping == {i: i for i in range(1, len(plan) + 1)}


@needs_dev
def test_a_plan_object_is_accepted_as_the_prediction() -> None:
    plan = gold("d032")
    pred = Plan.of(*((t["skill"], t["args"]) for t in predict(plan)))
    assert plan_matches(pred, plan, CATALOG)


# -- order -------------------------------------------------------------------

@needs_dev
@pytest.mark.parametrize("plan_id", ["d018", "d019", "d021"])
def test_independent_tasks_may_come_in_any_order(plan_id: str) -> None:
    plan = gold(plan_id)
    result = match_plans(swapped(predict(plan), 1, 2), plan, CATALOG)
    assert result.ok, result.reason
    assert result.mapping == {1: 2, 2: 1}


@needs_dev
def test_tasks_sharing_the_base_keep_their_order() -> None:
    plan = gold("d027")
    assert_fails(swapped(predict(plan), 1, 3), plan, "share", "base")
    assert_fails(swapped(predict(plan), 2, 4), plan)


@needs_dev
def test_references_are_compared_through_the_mapping() -> None:
    plan = gold("d033")
    pred = swapped(predict(plan), 1, 2)
    pred[2]["args"]["text"] = "garage door $2, front door $1"
    assert match_plans(pred, plan, CATALOG).mapping == {1: 2, 2: 1, 3: 3}
    pred[2]["args"]["text"] = "garage door $2"
    assert_fails(pred, plan, "text")


@needs_dev
def test_a_lookup_moved_earlier_is_renumbered() -> None:
    plan = gold("d032")  # find_object, navigate_to($1), pick, find_person, navigate_to($4), hand_over
    pred = predict(plan)
    pred = [pred[3], pred[0], {"skill": "navigate_to", "args": {"location": "$2"}}, pred[2],
            {"skill": "navigate_to", "args": {"location": "$1"}}, pred[5]]
    assert match_plans(pred, plan, CATALOG).mapping == {1: 4, 2: 1, 3: 2, 4: 3, 5: 5, 6: 6}
    pred[2]["args"]["location"], pred[4]["args"]["location"] = "$1", "$2"
    assert_fails(pred, plan)


@needs_dev
def test_a_reference_must_cite_an_earlier_task() -> None:
    plan = gold("d022")
    pred = [{"skill": "navigate_to", "args": {"location": "$2"}}, predict(plan)[0]]
    assert_fails(pred, plan, "earlier")


@needs_dev
def test_a_literal_does_not_match_a_reference() -> None:
    plan = gold("d022")
    pred = predict(plan)
    pred[1]["args"]["location"] = "kitchen"
    assert_fails(pred, plan, "location")


# -- argument values ---------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("The Vacuum_Cleaner", "vacuum cleaner"), ("my laptop", "laptop"), ("  the  my  keys ", "keys"),
    ("Her", "her"), ("an apple", "apple"), ("theatre ticket", "theatre ticket"), ("Alice", "alice"),
])
def test_names_are_normalised(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@needs_dev
@pytest.mark.parametrize("plan_id, arg, value", [
    ("d022", "object", "The Vacuum_Cleaner"), ("d011", "object", "my laptop"),
    ("d005", "person", "Alice"), ("d027", "surface", "the Nightstand"), ("d032", "object", "a toy_car"),
])
def test_names_match_after_normalisation(plan_id: str, arg: str, value: str) -> None:
    plan = gold(plan_id)
    pred = predict(plan)
    task = next(t for t in pred if arg in t["args"])
    task["args"][arg] = value
    assert plan_matches(pred, plan, CATALOG)
    task["args"][arg] = value + " box"
    assert not plan_matches(pred, plan, CATALOG)


@needs_dev
@pytest.mark.parametrize("plan_id, arg, value, ok", [
    ("d010", "distance_m", 1.5, True), ("d010", "distance_m", "1.5", False), ("d010", "distance_m", 1.6, False),
    ("d041", "distance_m", 3.0, True), ("d041", "distance_m", "3", False), ("d016", "seconds", True, False),
    ("d003", "on", True, True), ("d003", "on", 1, False), ("d003", "on", "true", False), ("d035", "on", True, False),
])
def test_numbers_and_booleans_compare_by_typed_value(plan_id: str, arg: str, value: Any, ok: bool) -> None:
    plan = gold(plan_id)
    pred = predict(plan)
    pred[0]["args"][arg] = value
    assert plan_matches(pred, plan, CATALOG) is ok


@needs_dev
@pytest.mark.parametrize("plan_id, arg, value", [
    ("d026", "location", "Kitchen"), ("d002", "location", "the bathroom"), ("d004", "door", "back door"),
    ("d019", "room", "Office"),
])
def test_enum_values_must_be_exact(plan_id: str, arg: str, value: str) -> None:
    plan = gold(plan_id)
    pred = predict(plan)
    pred[0]["args"][arg] = value
    assert_fails(pred, plan, arg)


@needs_dev
def test_defaults_are_filled_in_on_both_sides() -> None:
    plan = gold("d010")
    pred = predict(plan)
    pred[0]["args"]["speed_mps"] = 0.3
    assert plan_matches(pred, plan, CATALOG)
    pred[0]["args"]["speed_mps"] = 0.5
    assert not plan_matches(pred, plan, CATALOG)
    explicit = gold("d041")
    pred = predict(explicit)
    del pred[0]["args"]["speed_mps"]
    assert_fails(pred, explicit, "speed_mps")


@needs_dev
def test_a_left_out_attachment_is_the_empty_default() -> None:
    plan = gold("d034")
    pred = predict(plan)
    del pred[2]["args"]["attachment"]
    assert_fails(pred, plan, "attachment")


# -- free text ---------------------------------------------------------------

@needs_dev
@pytest.mark.parametrize("plan_id, text, ok", [
    ("d006", "Lunch is served!", True), ("d006", "", False), ("d006", "   ", False), ("d006", 42, False),
    ("d024", "Bob is in the $1", True), ("d024", "$1", True), ("d024", "Bob is somewhere", False),
    ("d025", "Battery: $1 percent", True), ("d029", "I see $1", False), ("d029", "I see $2 near $1", False),
    ("d029", "I see $2", True), ("d023", "Here is $1", False),
])
def test_free_text_is_compared_by_the_results_it_cites(plan_id: str, text: Any, ok: bool) -> None:
    plan = gold(plan_id)
    pred = predict(plan)
    pred[-1]["args"]["text"] = text
    assert plan_matches(pred, plan, CATALOG) is ok


def test_text_placeholders_are_read() -> None:
    assert text_placeholder_refs("<text>") == set()
    assert text_placeholder_refs("<text $1 $2>") == {1, 2}
    assert text_placeholder_refs("text $1") is None
    assert text_placeholder_refs(3) is None


def test_a_literal_gold_text_compares_by_citations_too() -> None:
    plan = [{"skill": "get_battery", "args": {}}, {"skill": "say", "args": {"text": "battery at $1"}}]
    pred = [{"skill": "get_battery", "args": {}}, {"skill": "say", "args": {"text": "I have $1 percent"}}]
    assert plan_matches(pred, plan, CATALOG)


# -- $any --------------------------------------------------------------------

ANY_GOLD: Gold = [
    {"skill": "navigate_to", "args": {"location": {"$any": ["kitchen", "dining_room"]}}},
    {"skill": "pick", "args": {"object": {"$any": ["mug", "coffee cup"]}}},
    {"skill": "drive", "args": {"distance_m": {"$any": [1, -1]}}},
    {"skill": "say", "args": {"text": {"$any": ["<text>", "<text $3>"]}}},
]


@pytest.mark.parametrize("option", [0, 1])
def test_any_accepts_each_option(option: int) -> None:
    result = match_plans(predict(ANY_GOLD, option), ANY_GOLD, CATALOG)
    assert result.ok, result.reason


@pytest.mark.parametrize("task, arg, value", [
    (0, "location", "office"), (1, "object", "glass"), (2, "distance_m", 2), (3, "text", "moved $2"),
])
def test_any_rejects_other_values(task: int, arg: str, value: Any) -> None:
    pred = predict(ANY_GOLD)
    pred[task]["args"][arg] = value
    assert_fails(pred, ANY_GOLD, arg)


def test_any_in_an_array_and_names_inside_it() -> None:
    plan = [{"skill": "patrol", "args": {"route": [{"$any": ["front_door", "hallway"]}, "garage"]}}]
    assert plan_matches([{"skill": "patrol", "args": {"route": ["hallway", "garage"], "laps": 1}}], plan, CATALOG)
    assert not plan_matches([{"skill": "patrol", "args": {"route": ["garage", "hallway"]}}], plan, CATALOG)
    assert not plan_matches([{"skill": "patrol", "args": {"route": ["hallway"]}}], plan, CATALOG)


# -- shape and validity ------------------------------------------------------

@needs_dev
def test_an_extra_or_missing_task_fails() -> None:
    plan = gold("d031")
    assert_fails(predict(plan) + [{"skill": "get_battery", "args": {}}], plan, "4 task(s)")
    assert_fails(predict(plan)[:2], plan, "2 task(s)")
    assert_fails(predict(plan)[:2] + [{"skill": "get_battery", "args": {}}], plan, "skills")


@needs_dev
@pytest.mark.parametrize("task, words", [
    ({"skill": "fly_to", "args": {"location": "office"}}, ["unknown skill", "fly_to"]),
    ({"skill": "navigate_to", "args": {"location": "office", "speed": 1}}, ["unknown argument", "speed"]),
    ({"skill": "navigate_to", "args": {}}, ["missing required", "location"]),
])
def test_unknown_skill_argument_or_missing_required_argument_fails(task: dict[str, Any], words: list[str]) -> None:
    plan = gold("d031")
    pred = predict(plan)
    pred[0] = task
    assert_fails(pred, plan, *words)


@needs_dev
def test_an_empty_gold_plan_matches_only_an_empty_prediction() -> None:
    plan = gold("d036")
    assert plan == []
    assert plan_matches([], plan, CATALOG) and plan_matches(Plan(), plan, CATALOG)
    assert_fails([{"skill": "say", "args": {"text": "I cannot do that"}}], plan, "1 task(s)")
    assert not plan_matches([], gold("d001"), CATALOG)


def test_an_unreadable_prediction_fails_with_a_reason() -> None:
    assert_fails([{"skill": "dock", "args": {}, "id": 3}], [{"skill": "dock", "args": {}}], "unreadable")
    assert_fails(["dock"], [{"skill": "dock", "args": {}}], "unreadable")


# -- aggregates --------------------------------------------------------------

def test_success_rate_and_summary() -> None:
    dock = [{"skill": "dock", "args": {}}]
    pairs = [(dock, dock), ([], dock), ([], []), ([{"skill": "get_battery", "args": {}}], dock)]
    summary = evaluate(pairs, CATALOG)
    assert isinstance(summary, EvalSummary)
    assert (summary.total, summary.matched, summary.success_rate) == (4, 2, 0.5)
    assert [i for i, _ in summary.failures()] == [1, 3]
    assert success_rate(pairs, CATALOG) == 0.5
    assert success_rate([], CATALOG) == 0.0
