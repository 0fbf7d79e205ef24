"""The plan grammar (agent_node.planning.grammar): what it accepts and rejects, and its syntax.

llama.cpp is not needed: :class:`GbnfMatcher` recognises GBNF in Python. The
gold dev plans, rendered by format_plan_text, must be accepted; random plans
rendered the same way must be accepted; random texts sampled from the grammar
must parse, cite only earlier tasks and (without ``\\u`` escapes) be canonical.
"""

from __future__ import annotations

import functools
import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from devset import concrete, dev_cases

from agent_node.catalog.skills import Catalog, Param, load_catalog
from agent_node.catalog.values import refs_in, scalar_problem, whole_ref
from agent_node.plan.checker import check_plan
from agent_node.plan.model import Plan, Task
from agent_node.plan.text import format_plan_text, parse_plan_text
from agent_node.planning.grammar import RULE_NAME, GbnfMatcher, GrammarSyntaxError, Node, numbers_up_to, plan_grammar

REPO = Path(__file__).resolve().parents[1]
CATALOG = load_catalog(REPO / "config" / "home_robot_skills.yaml")


@functools.lru_cache(maxsize=None)
def matcher(skills: tuple[str, ...] | None = None, max_tasks: int = 12, odd: bool = False) -> GbnfMatcher:
    """The parsed grammar of the reference (or the odd) catalog narrowed to ``skills`` (None: all)."""
    return GbnfMatcher(plan_grammar(ODD if odd else CATALOG, None if skills is None else list(skills), max_tasks))


def accepts(text: str, skills: tuple[str, ...] | None = None, max_tasks: int = 12) -> bool:
    return matcher(skills, max_tasks).matches(text)


def text_of(*calls: tuple[str, dict[str, Any]]) -> str:
    return format_plan_text(Plan.of(*calls))


# -- the gold dev plans ------------------------------------------------------------




@pytest.mark.parametrize("record", dev_cases())
def test_dev_plans_are_accepted(record: dict[str, Any]) -> None:
    plan = Plan.of(*[(t["skill"], concrete(t["args"])) for t in record["plan"]])
    checked = check_plan(plan, CATALOG)
    assert not checked.problems
    own_skills = tuple(sorted({t["skill"] for t in record["plan"]}))
    for rendering in (plan, checked.plan):  # as written, and with defaults filled
        text = format_plan_text(rendering)
        assert accepts(text), text
        assert accepts(text, own_skills), text


# -- accepted and rejected texts ------------------------------------------------------
def test_empty_plan_is_accepted_by_every_grammar() -> None:
    assert accepts("1. join()\n")
    assert accepts("1. join()\n", ())
    assert accepts("1. join()\n", max_tasks=0)
    assert plan_grammar(CATALOG, []) == 'root ::= "1. join()\\n"\n'


ACCEPTED = {
    "escapes and unicode": text_of(("say", {"text": 'He said "hi" \\ \n\t\x00\x7f\x85\u2028 é 🙂'})),
    "text citing earlier tasks": text_of(("get_battery", {}), ("get_location", {}),
                                         ("say", {"text": "$1% in the $2, $1!"})),
    "text ending in a reference": text_of(("get_battery", {}), ("say", {"text": "$1"})),
    "enum array with a reference": text_of(("find_person", {"person": "al"}),
                                           ("patrol", {"route": ["$1", "kitchen"], "laps": 2})),
    "whole array cited": text_of(("detect_objects", {}), ("patrol", {"route": "$1"})),
    "number cited": text_of(("get_battery", {}), ("wait", {"seconds": "$1"})),
    "boolean cited": text_of(("dock", {}), ("set_light", {"room": "garage", "on": "$1"})),
    "number forms": text_of(*[("drive", {"distance_m": x}) for x in (0, -0.5, 1.0, -0.0, 12.25, 3)]),
    "optional arguments given": text_of(("go_to_pose", {"x": 1, "y": -2.5, "yaw_deg": 90}),
                                        ("send_message", {"recipient": "bob", "text": "hi", "attachment": ""})),
    "empty string": text_of(("say", {"text": ""})),
    "twelve tasks": text_of(*[("dock", {})] * 11, ("say", {"text": "$11 then $10"})),
}


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepted(text: str) -> None:
    assert accepts(text), text


def two_lines(first: str, second: str) -> str:
    return f"1. {first}\n2. {second}\n3. join()\n"


REJECTED = {
    "unknown skill": '1. fly_to(location="kitchen")\n2. join()\n',
    "unknown argument": '1. navigate_to(place="kitchen")\n2. join()\n',
    "extra argument": '1. navigate_to(location="kitchen", speed=1)\n2. join()\n',
    "misspelt enum value": '1. navigate_to(location="kitchn")\n2. join()\n',
    "unquoted enum value": "1. navigate_to(location=kitchen)\n2. join()\n",
    "missing required argument": "1. go_to_pose(x=1)\n2. join()\n",
    "arguments out of order": "1. go_to_pose(y=5, x=2)\n2. join()\n",
    "positional argument": '1. navigate_to("kitchen")\n2. join()\n',
    "reference to itself": '1. navigate_to(location="$1")\n2. join()\n',
    "reference to a later task": two_lines('find_person(person="bob")', 'navigate_to(location="$3")'),
    "reference to task 0": two_lines('find_person(person="bob")', 'navigate_to(location="$0")'),
    "bare reference": two_lines('find_person(person="bob")', "navigate_to(location=$1)"),
    "text citing itself": two_lines("get_battery()", 'say(text="at $2")'),
    "text citing $12 in task 2": two_lines("get_battery()", 'say(text="$12")'),
    "text citing in task 1": '1. say(text="$1")\n2. join()\n',
    "dollar that is no reference": '1. say(text="costs $ 5")\n2. join()\n',
    "raw newline in a string": '1. say(text="a\nb")\n2. join()\n',
    "raw tab in a string": '1. say(text="a\tb")\n2. join()\n',
    "unknown escape": '1. say(text="a\\qb")\n2. join()\n',
    "single quotes": "1. say(text='hi')\n2. join()\n",
    "missing join": "1. dock()\n",
    "no final newline": "1. dock()\n2. join()",
    "wrong numbering": "1. dock()\n3. join()\n",
    "numbering from 0": "0. join()\n",
    "task after join": "1. join()\n2. dock()\n",
    "join with an argument": "1. join(x=1)\n",
    "False for a number": "1. drive(distance_m=False)\n2. join()\n",
    "number for a boolean": '1. set_light(room="garage", on=1)\n2. join()\n',
    "lower-case boolean": '1. set_light(room="garage", on=true)\n2. join()\n',
    "string for a number": '1. drive(distance_m="1")\n2. join()\n',
    "float for an integer": '1. patrol(route=["garage"], laps=2.0)\n2. join()\n',
    "exponent": "1. drive(distance_m=1e3)\n2. join()\n",
    "leading zero": "1. drive(distance_m=01)\n2. join()\n",
    "trailing zero": "1. drive(distance_m=1.50)\n2. join()\n",
    "minus zero": "1. patrol(route=[\"garage\"], laps=-0)\n2. join()\n",
    "too few items": "1. patrol(route=[])\n2. join()\n",
    "misspelt enum item": '1. patrol(route=["garage", "atic"])\n2. join()\n',
    "extra space after the number": "1.  dock()\n2. join()\n",
    "space around =": '1. navigate_to(location = "kitchen")\n2. join()\n',
    "no space after a comma": "1. go_to_pose(x=1,y=2)\n2. join()\n",
    "trailing space": "1. dock() \n2. join()\n",
    "blank line": "1. dock()\n\n2. join()\n",
    "thought line": "Thought: easy\n1. join()\n",
    "thirteen tasks": text_of(*[("dock", {})] * 13),
}


@pytest.mark.parametrize("text", REJECTED.values(), ids=REJECTED.keys())
def test_rejected(text: str) -> None:
    assert not accepts(text), text


def test_narrowed_grammar_allows_only_its_skills() -> None:
    chosen = ("find_person", "navigate_to")
    assert accepts(two_lines('find_person(person="bob")', 'navigate_to(location="$1")'), chosen)
    assert not accepts("1. dock()\n2. join()\n", chosen)
    assert not accepts('1. say(text="hi")\n2. join()\n', chosen)
    assert accepts("1. dock()\n2. dock()\n3. join()\n", ("dock",))
    assert not accepts('1. find_person(person="bob")\n2. join()\n', ("dock",))


def test_max_tasks_caps_the_plan() -> None:
    assert accepts(text_of(*[("dock", {})] * 2), max_tasks=2)
    assert not accepts(text_of(*[("dock", {})] * 3), max_tasks=2)
    assert not accepts("1. dock()\n2. join()\n", max_tasks=0)
    with pytest.raises(ValueError):
        plan_grammar(CATALOG, max_tasks=-1)


def test_references_past_nine() -> None:
    docks = [("dock", {})] * 10
    assert accepts(text_of(*docks, ("wait", {"seconds": "$10"})))
    assert not accepts(text_of(*docks, ("wait", {"seconds": "$11"})))
    assert accepts(text_of(*docks, ("say", {"text": "$10$9"})))
    assert not accepts(text_of(*docks[:1], ("say", {"text": "$10"})))


def test_unknown_skill_names_are_an_error() -> None:
    with pytest.raises(ValueError, match="fly_to"):
        plan_grammar(CATALOG, ["navigate_to", "fly_to"])


def test_numbers_up_to_matches_exactly_1_to_n() -> None:
    for n in (1, 9, 10, 11, 19, 20, 35, 100, 121):
        m = GbnfMatcher(f"root ::= {numbers_up_to(n)}\n")
        assert [i for i in range(0, 140) if m.matches(str(i))] == list(range(1, n + 1))
        assert not m.matches("01")


# -- a catalog with the odd cases -----------------------------------------------------
ODD = Catalog.from_dict({
    "room_types": ["a", 'say "hi" \\ there'],
    "room-types": ["b"],  # the same slug as room_types: the rule names must still differ
    "skills": [
        {"name": "opt_only", "kind": "service", "description": "d", "params": {
            "a": {"type": "integer", "default": 1},
            "b": {"type": "boolean", "default": False},
            "c": {"type": "room_type", "default": "a"}}},
        {"name": "opt_first", "kind": "service", "description": "d", "params": {
            "speed": {"type": "number", "default": 1},
            "target": {"type": "room-type"},
            "tags": {"type": "array", "items": "string", "minItems": 2, "default": ["x", "y"]}}},
        {"name": "nums", "kind": "service", "description": "d", "params": {
            "values": {"type": "array", "items": "number"}}},
    ],
})


def odd_accepts(text: str) -> bool:
    return matcher(None, 3, odd=True).matches(text)


def subsets(params: dict[str, Any], required: set[str]) -> list[dict[str, Any]]:
    """Every choice of the optional arguments, in catalog order."""
    optional = [n for n in params if n not in required]
    chosen = [set(c) for r in range(len(optional) + 1) for c in itertools.combinations(optional, r)]
    return [{n: v for n, v in params.items() if n in required or n in c} for c in chosen]


def test_odd_catalog_optional_arguments_in_any_subset() -> None:
    for args in subsets({"a": -3, "b": True, "c": 'say "hi" \\ there'}, set()):
        assert odd_accepts(text_of(("opt_only", args))), args
    for args in subsets({"speed": 0.5, "target": "b", "tags": ["x", "$1"]}, {"target"}):
        assert odd_accepts(text_of(("nums", {"values": []}), ("opt_first", args))), args


def test_odd_catalog_rejections() -> None:
    assert not odd_accepts('1. opt_only(b=True, a=1)\n2. join()\n')
    assert not odd_accepts('1. opt_only(, a=1)\n2. join()\n')
    assert not odd_accepts('1. opt_first(target="a")\n2. join()\n')  # a is a room_type, not a room-type
    assert not odd_accepts('1. opt_first(target="b", tags=["x"])\n2. join()\n')
    assert not odd_accepts('1. opt_first(speed=1)\n2. join()\n')
    assert odd_accepts("1. opt_only()\n2. nums(values=[1, -2.5, \"$1\"])\n3. join()\n")


# -- random plans in, random texts out -------------------------------------------------
NASTY = ['"', "\\", "\n", "\t", "\x00", "\x7f", "\x85", "\u2028", "é", "🙂", " ", "a", "Z", "7", ",", ")", "="]


def random_scalar(rng: random.Random, type_name: str, k: int) -> Any:
    """A random value of a scalar type for task k, sometimes a reference."""
    if type_name != "string" and k > 1 and rng.random() < 0.2:
        return f"${rng.randint(1, k - 1)}"
    if type_name == "string":
        pieces = ["".join(rng.choices(NASTY, k=rng.randint(0, 4))) for _ in range(rng.randint(1, 3))]
        refs = [f"${rng.randint(1, k - 1)} " for _ in pieces] if k > 1 else [""] * len(pieces)
        return "".join(p + (r if rng.random() < 0.3 else "") for p, r in zip(pieces, refs))
    if type_name == "boolean":
        return rng.random() < 0.5
    if type_name == "integer":
        return rng.randint(-20, 20)
    if type_name == "number":
        return rng.choice([rng.randint(-50, 50), round(rng.uniform(-50, 50), rng.randint(0, 4))])
    return rng.choice(CATALOG.enums[type_name])


def random_value(rng: random.Random, param: Param, k: int) -> Any:
    if param.type != "array":
        return random_scalar(rng, param.type, k)
    if k > 1 and rng.random() < 0.1:
        return f"${rng.randint(1, k - 1)}"
    count = rng.randint(param.minItems or 0, (param.minItems or 0) + 3)
    return [random_scalar(rng, param.items or "string", k) for _ in range(count)]


def random_plan(rng: random.Random) -> Plan:
    tasks = []
    for k in range(1, rng.randint(0, 12) + 1):
        skill = rng.choice(CATALOG.skills)
        args = {n: random_value(rng, p, k) for n, p in skill.params.items() if p.required or rng.random() < 0.5}
        tasks.append(Task(id=k, skill=skill.name, args=args))
    return Plan(tasks=tasks)


def test_random_plans_are_accepted() -> None:
    rng = random.Random(7)
    for _ in range(150):
        text = format_plan_text(random_plan(rng))
        assert accepts(text), text


POOL = [chr(c) for c in range(0x20, 0x7f)] + NASTY + ["\x1f", "\u2029", "\u00e9"]


def sample(rng: random.Random, rules: dict[str, Node], node: Node) -> str:
    """A random text derived from ``node`` (repetitions kept short, plans long)."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        body = rules[node[1]]
        if node[1].endswith("-step") and rng.random() < 0.85:
            body = body[1][1]  # "K. " call "\n" next: write a task rather than join()
        return sample(rng, rules, body)
    if kind == "cls":
        fits = [c for c in POOL if any(lo <= ord(c) <= hi for lo, hi in node[2]) != node[1]]
        return rng.choice(fits)
    if kind == "seq":
        return "".join(sample(rng, rules, n) for n in node[1])
    if kind == "alt":
        return sample(rng, rules, rng.choice(node[1]))
    assert kind == "rep", kind
    count = rng.randint(node[2], node[3] if node[3] is not None else node[2] + 3)
    return "".join(sample(rng, rules, node[1]) for _ in range(count))


def shape_problems(task: Task, allowed: set[str]) -> list[str]:
    """What the grammar promises about a task: skill, argument order, types, references."""
    skill = CATALOG.skill(task.skill)
    if skill is None or task.skill not in allowed:
        return [f"skill {task.skill}"]
    names = list(task.args)
    problems = [] if names == [n for n in skill.params if n in task.args] else [f"order {names}"]
    problems += [f"missing {n}" for n, p in skill.params.items() if p.required and n not in task.args]
    problems += [f"cites {n}" for n in refs_in(task.args) if not 1 <= n < task.id]
    for name, value in task.args.items():
        param = skill.params[name]
        items = value if param.type == "array" and isinstance(value, list) else [value]
        type_name = param.items if param.type == "array" and isinstance(value, list) else param.type
        problems += [f"{name}: {scalar_problem(v, type_name or 'string', CATALOG.enums)}" for v in items
                     if whole_ref(v) is None and scalar_problem(v, type_name or "string", CATALOG.enums)]
        if param.type == "array" and isinstance(value, list) and len(value) < (param.minItems or 0):
            problems.append(f"{name}: too few items")
    return problems


@pytest.mark.parametrize("skills", [None, ("patrol", "say", "set_light", "drive", "dock")], ids=["all", "narrowed"])
def test_texts_sampled_from_the_grammar_are_canonical_plans(skills: tuple[str, ...] | None) -> None:
    rng = random.Random(11)
    m = matcher(skills)
    allowed = set(skills or CATALOG.skill_names)
    exact = 0
    for _ in range(300):
        text = sample(rng, m.rules, ("ref", "root"))
        assert m.matches(text), text
        plan = parse_plan_text(text)
        assert [p for t in plan.tasks for p in shape_problems(t, allowed)] == [], text
        if "\\u" not in text:  # a \uXXXX escape of a plain character is the one other spelling
            assert format_plan_text(plan) == text
            exact += 1
    assert exact >= 50


# -- the grammar's own syntax ------------------------------------------------------------
GRAMMARS = {
    "full": plan_grammar(CATALOG),
    "narrowed": plan_grammar(CATALOG, ["say", "get_battery"]),
    "bare skills only": plan_grammar(CATALOG, ["dock"], max_tasks=3),
    "requiring skills": plan_grammar(CATALOG, ["dock", "say", "find_person"], max_tasks=5, required=["dock", "say"]),
    "odd catalog": plan_grammar(ODD, max_tasks=20),
}


@pytest.mark.parametrize("grammar", GRAMMARS.values(), ids=GRAMMARS.keys())
def test_grammar_syntax(grammar: str) -> None:
    names = [line.split(" ::= ", 1)[0] for line in grammar.splitlines()]
    assert all(" ::= " in line for line in grammar.splitlines())
    assert names[0] == "root" and len(names) == len(set(names))
    assert all(RULE_NAME.fullmatch(n) for n in names)
    m = GbnfMatcher(grammar)  # raises on undefined rules, duplicates, bad syntax
    assert m.reachable() == set(m.rules), "every rule is used"


def test_reference_grammar_is_compact() -> None:
    grammar = GRAMMARS["full"]
    assert len(grammar) < 16_000 and grammar.count("\n") < 130
    assert len(plan_grammar(CATALOG, ["navigate_to", "find_person"])) < 5_000


BROKEN = {
    "undefined rule": "root ::= a\n",
    "defined twice": 'root ::= "a"\nroot ::= "b"\n',
    "no root": 'a ::= "a"\n',
    "bad name": 'root ::= "a"\nmy_rule ::= "b"\n',
    "unknown escape": 'root ::= "\\q"\n',
    "unterminated literal": 'root ::= "abc\n',
    "unclosed group": 'root ::= ("a"\n',
    "bounded repetition": 'root ::= "a"{2}\n',
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_matcher_rejects_broken_grammars(text: str) -> None:
    with pytest.raises(GrammarSyntaxError):
        GbnfMatcher(text)


def test_matcher_reads_llama_cpp_syntax() -> None:
    m = GbnfMatcher('# a comment\nroot ::=\n  word ("," word)* |\n  "-" .  # trailing\nword ::= [a-c]+ [^a-z\\x00]?\n')
    assert m.matches("ab,c1,a") and m.matches("-z") and m.matches("a")
    assert not m.matches("ab,,") and not m.matches("a\x00") and not m.matches("-")
    with pytest.raises(GrammarSyntaxError, match="left-recursive"):
        GbnfMatcher('root ::= root "a" | "a"\n').matches("aa")


def test_llama_cpp_parses_the_grammars() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    for grammar in GRAMMARS.values():
        assert llama_cpp.LlamaGrammar.from_string(grammar, verbose=False) is not None


def test_enum_rule_names_stay_distinct() -> None:
    rules = GbnfMatcher(GRAMMARS["odd catalog"]).rules
    assert {"enum-room-type", "enum-room-type-2", "p19-enum-room-type-2"} <= set(rules)


# -- skills a plan must call ---------------------------------------------------------------
def numbered(*calls: str) -> str:
    return "".join(f"{k}. {call}\n" for k, call in enumerate(calls, 1)) + f"{len(calls) + 1}. join()\n"


def requiring(skills: tuple[str, ...], required: tuple[str, ...], max_tasks: int = 12) -> GbnfMatcher:
    return GbnfMatcher(plan_grammar(CATALOG, list(skills), max_tasks, required=list(required)))


def test_a_required_skill_may_come_anywhere_but_must_come() -> None:
    m = requiring(("check_door", "get_battery", "say"), ("get_battery",))
    door, battery, say = 'check_door(door="front_door")', "get_battery()", 'say(text="$1")'
    for lines in [(battery,), (door, battery), (battery, door), (door, say, battery), (battery, battery)]:
        assert m.matches(numbered(*lines)), lines
    for lines in [(), (door,), (door, say), (say, door, say)]:
        assert not m.matches(numbered(*lines)), lines


def test_required_skills_leave_no_room_for_others_when_the_plan_is_full() -> None:
    find, go, give = 'find_person(person="dave")', 'navigate_to(location="$1")', 'hand_over(person="dave")'
    skills, required = ("find_person", "navigate_to", "hand_over"), ("find_person", "navigate_to")
    two, three = requiring(skills, required, max_tasks=2), requiring(skills, required, max_tasks=3)
    assert two.matches(numbered(find, go)) and two.matches(numbered('navigate_to(location="kitchen")', find))
    assert not two.matches(numbered(find, give)) and not two.matches(numbered(find))
    assert three.matches(numbered(find, go, give)) and three.matches(numbered(give, find, go))
    assert not three.matches(numbered(find, give, give))
    assert plan_grammar(CATALOG, list(skills), required=[]) == plan_grammar(CATALOG, list(skills))


@pytest.mark.parametrize("required", [["fly_to"], ["say"], ["dock", "say", "wait", "drive"]],
                         ids=["unknown", "not among the skills", "too many"])
def test_impossible_requirements_are_an_error(required: list[str]) -> None:
    with pytest.raises(ValueError, match="required"):
        plan_grammar(CATALOG, ["dock", "wait", "drive", "set_light"] + (["say"] if len(required) > 1 else []),
                     required=required)


def test_texts_sampled_from_a_requiring_grammar_call_every_required_skill() -> None:
    grammar = plan_grammar(CATALOG, ["dock", "say", "wait", "take_photo"], max_tasks=4, required=["say", "dock"])
    m, rng = GbnfMatcher(grammar), random.Random(3)
    assert m.reachable() == set(m.rules)
    for _ in range(200):
        text = sample(rng, m.rules, ("ref", "root"))
        skills = [t.skill for t in parse_plan_text(text).tasks]
        assert m.matches(text) and {"say", "dock"} <= set(skills) and len(skills) <= 4, text
