"""The two written forms of a plan: LLMCompiler text (plan_text) and JSON (plan_json), and plan_io."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from devset import dev_cases

from agent_node.plan.json_form import format_plan_json, parse_plan_json, plan_from_data, plan_to_data
from agent_node.plan.model import Plan, PlanParseError, Task
from agent_node.plan.reading import load_plan, read_plan
from agent_node.plan.text import format_plan_text, parse_plan_text


def same(a: Plan, b: Plan) -> bool:
    """Equal plans, also by JSON type (True is not 1, 1 is not 1.0)."""
    return a == b and format_plan_json(a) == format_plan_json(b)


def text_error(text: str) -> PlanParseError:
    with pytest.raises(PlanParseError) as info:
        parse_plan_text(text)
    return info.value


def json_error(text: str) -> PlanParseError:
    with pytest.raises(PlanParseError) as info:
        parse_plan_json(text)
    return info.value


def only_args(text: str) -> dict[str, Any]:
    """The args of the single task of a one-line plan."""
    plan = parse_plan_text(text)
    assert len(plan) == 1
    return plan.task(1).args


FETCH = Plan.of(("find_person", {"person": "bob"}), ("navigate_to", {"location": "$1"}),
                ("say", {"text": "Bob is in the $1"}))


# -- the dev set round-trips through both forms ---------------------------------

@pytest.mark.parametrize("record", dev_cases())
def test_dev_plan_round_trips_through_text(record: dict[str, Any]) -> None:
    plan = plan_from_data(record["plan"])
    assert len(plan) == len(record["plan"])
    for join in (True, False):
        assert same(parse_plan_text(format_plan_text(plan, join=join)), plan)


@pytest.mark.parametrize("record", dev_cases())
def test_dev_plan_round_trips_through_json(record: dict[str, Any]) -> None:
    plan = plan_from_data(record["plan"])
    assert same(parse_plan_json(format_plan_json(plan)), plan)
    assert same(parse_plan_json(format_plan_json(plan, indent=None)), plan)
    assert same(plan_from_data(record), plan)  # the whole record: id, command, plan
    assert same(read_plan(json.dumps(record)), plan)


@pytest.mark.parametrize("record", dev_cases())
def test_dev_plan_keeps_skills_and_args(record: dict[str, Any]) -> None:
    plan = plan_from_data(record["plan"])
    assert [(t.id, t.skill, t.args) for t in plan.tasks] == [
        (i, g["skill"], g["args"]) for i, g in enumerate(record["plan"], start=1)]


# -- text form: writing ---------------------------------------------------------

def test_format_plan_text() -> None:
    assert format_plan_text(FETCH) == (
        '1. find_person(person="bob")\n'
        '2. navigate_to(location="$1")\n'
        '3. say(text="Bob is in the $1")\n'
        '4. join()\n')
    assert format_plan_text(FETCH, join=False).splitlines()[-1] == '3. say(text="Bob is in the $1")'
    assert format_plan_text(Plan()) == "1. join()\n"


def test_format_plan_text_literals() -> None:
    plan = Plan.of(("f", {"b": True, "n": None, "i": -3, "x": 0.5, "l": ["a", 1], "d": {"k": False}}))
    assert format_plan_text(plan, join=False) == '1. f(b=True, n=None, i=-3, x=0.5, l=["a", 1], d={"k": False})\n'


# -- text form: reading ---------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("navigate_to(location=$1)", "$1"),
    ('navigate_to(location="$1")', "$1"),
    ("navigate_to(location='$1')", "$1"),
    ("navigate_to(location=$12)", "$12"),
])
def test_whole_reference_bare_or_quoted(source: str, expected: str) -> None:
    plan = parse_plan_text(f"1. find_person(person='x')\n2. {source}")
    assert plan.task(2).args == {"location": expected}


@pytest.mark.parametrize("value", ["I see $1", "$1 and $2", "costs $5", "$1$2", "'$1'", "a \"$1\" b"])
def test_reference_inside_string_is_kept(value: str) -> None:
    assert only_args(f"1. say(text={json.dumps(value)})") == {"text": value}


def test_bare_refs_in_a_list() -> None:
    assert only_args('1. patrol(route=[$1, "kitchen", $2])') == {"route": ["$1", "kitchen", "$2"]}


@pytest.mark.parametrize("literal, value", [
    ("(1, 2)", [1, 2]),
    ("((1, 'a'), [2, (3,)])", [[1, "a"], [2, [3]]]),
    ("()", []),
    ("-3", -3),
    ("-2.5", -2.5),
    ("+4", 4),
    ("1e3", 1000.0),
    ("True", True),
    ("False", False),
    ("None", None),
    ("'single'", "single"),
    ('"""triple"""', "triple"),
    ('"tab\\there"', "tab\there"),
    ("{'k': (1, None)}", {"k": [1, None]}),
    ('"日本 é"', "日本 é"),
])
def test_literal_values(literal: str, value: Any) -> None:
    args = only_args(f"1. f(x={literal})")
    assert args == {"x": value}
    assert type(args["x"]) is type(value)


def test_ignored_lines_and_join() -> None:
    text = """Thought: first find Bob.
thought : lower case too
THOUGHT: and upper case

# a comment
1. find_person(person="bob")
   # indented comment
2. navigate_to(location=$1)
3. say(text="Bob is in the $1")
4. join()
# trailing comment after join

"""
    assert same(parse_plan_text(text), FETCH)


def test_join_ends_the_plan() -> None:
    plan = parse_plan_text("1. find_person(person='bob')\n2. join()")
    assert [t.skill for t in plan.tasks] == ["find_person"]
    assert parse_plan_text("1. join()") == Plan()


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment", "Thought: nothing to do"])
def test_empty_plans(text: str) -> None:
    assert parse_plan_text(text).is_empty


def test_spacing_and_line_endings() -> None:
    text = '  1 .find_person( person = "bob" )\r\n2.navigate_to(location=$1)\r\n'
    assert parse_plan_text(text) == Plan.of(("find_person", {"person": "bob"}), ("navigate_to", {"location": "$1"}))


def test_task_ids_are_positions() -> None:
    plan = parse_plan_text("1. a()\n2. b()\n3. c()")
    assert [(t.id, t.skill, t.args) for t in plan.tasks] == [(1, "a", {}), (2, "b", {}), (3, "c", {})]


# -- text form: errors name line and column ---------------------------------------

@pytest.mark.parametrize("text, line, column, fragment", [
    pytest.param('1. say(text="hi"', 1, 7, "never closed", id="unclosed-paren"),
    pytest.param('1. say("hi")', 1, 8, "positional argument", id="positional"),
    pytest.param('1. navigate_to(location=foo)', 1, 25, "argument 'location'", id="non-literal"),
    pytest.param('1. say(text="éé", n=foo)', 1, 21, "argument 'n'", id="non-literal-after-unicode"),
    pytest.param('1. say(text="éé", x=)', 1, 21, "invalid syntax", id="syntax-after-unicode"),
    pytest.param('1. a()\n3. b()', 2, 1, "task number 3 out of order; expected 2", id="number-skipped"),
    pytest.param('2. a()', 1, 1, "expected 1", id="first-not-1"),
    pytest.param('1. a()\n  1. b()', 2, 3, "out of order", id="number-repeated"),
    pytest.param('1. a()\nnow go there', 2, 1, "expected a numbered task", id="not-a-task"),
    pytest.param('1. a()\n   hello', 2, 4, "expected a numbered task", id="indented-not-a-task"),
    pytest.param('1. a()\n2. join()\n3. b()', 3, 1, "task after join() on line 2", id="after-join"),
    pytest.param('1. say(**kw)', 1, 10, "**kwargs", id="double-star"),
    pytest.param('1. drive(distance_m=1e999)', 1, 21, "finite", id="overflow-literal"),
    pytest.param('1. drive(distance_m=-1e999)', 1, 21, "finite", id="negative-overflow"),
    pytest.param("1. f(x=float('nan'))", 1, 8, "not a literal", id="nan-call"),
    pytest.param('1. f(x=1+2)', 1, 8, "not a literal", id="arithmetic"),
    pytest.param('1. f(x={1, 2})', 1, 8, "set", id="set"),
    pytest.param('1. f(x=b"raw")', 1, 8, "bytes", id="bytes"),
    pytest.param('1. f(x=1j)', 1, 8, "complex", id="complex"),
    pytest.param('1. f(x={1: 2})', 1, 8, "keys must be strings", id="int-dict-key"),
    pytest.param('1. f(x=$1[0])', 1, 8, "not a literal", id="subscripted-ref"),
    pytest.param('1. a.b()', 1, 4, "expected a call", id="attribute-call"),
    pytest.param('1. a', 1, 4, "expected a call", id="not-a-call"),
    pytest.param('1. join(x=1)', 1, 11, "join() takes no arguments", id="join-with-args"),
    pytest.param('1. a(x=1)\n2. b(y="\x00")', 2, 9, "NUL", id="nul"),
    pytest.param('1.', 1, 3, "invalid syntax", id="empty-call"),
])
def test_text_error_position(text: str, line: int, column: int, fragment: str) -> None:
    error = text_error(text)
    assert (error.line, error.column) == (line, column), str(error)
    assert fragment in error.message
    assert str(error).startswith(f"line {line}, column {column}: ")


def test_overlong_line() -> None:
    error = text_error("1. say(text=\"" + "a" * 20_000 + "\")")
    assert (error.line, error.column) == (1, 1)


def test_deep_nesting_is_a_parse_error() -> None:
    error = text_error("1. f(x=" + "[" * 1000 + "]" * 1000 + ")")
    assert error.line == 1


@pytest.mark.parametrize("value", [None, 42, b"1. a()", ["1. a()"]])
def test_text_parser_rejects_non_text(value: Any) -> None:
    with pytest.raises(PlanParseError):
        parse_plan_text(value)  # type: ignore[arg-type]


# -- JSON form ------------------------------------------------------------------

TASKS = [{"skill": "find_person", "args": {"person": "bob"}},
         {"skill": "navigate_to", "args": {"location": "$1"}},
         {"skill": "say", "args": {"text": "Bob is in the $1"}}]


@pytest.mark.parametrize("data", [
    pytest.param({"tasks": [{"id": i, **t} for i, t in enumerate(TASKS, start=1)]}, id="tasks-with-ids"),
    pytest.param({"tasks": TASKS}, id="tasks-without-ids"),
    pytest.param({"plan": TASKS}, id="gold"),
    pytest.param({"id": "d999", "command": "tell me where Bob is", "plan": TASKS}, id="gold-record"),
    pytest.param(TASKS, id="bare-list"),
])
def test_json_forms(data: Any) -> None:
    text = json.dumps(data)
    assert same(parse_plan_json(text), FETCH)
    assert same(read_plan("\n  " + text), FETCH)


def test_json_args_default_to_empty() -> None:
    assert parse_plan_json('[{"skill": "dock"}]') == Plan.of(("dock", {}))


def test_format_plan_json() -> None:
    data = json.loads(format_plan_json(FETCH))
    assert data == {"tasks": [{"id": i, **t} for i, t in enumerate(TASKS, start=1)]}
    assert data == plan_to_data(FETCH)
    assert "\n" not in format_plan_json(FETCH, indent=None)
    assert json.loads(format_plan_json(Plan())) == {"tasks": []}


def test_format_plan_json_keeps_unicode() -> None:
    plan = Plan.of(("say", {"text": "très bien 日本"}))
    assert "très bien 日本" in format_plan_json(plan)


def test_invalid_json_names_line_and_column() -> None:
    error = json_error('{"tasks": [\n  {"skill": "say" "args": {}}\n]}')
    assert (error.line, error.column) == (2, 19)
    assert "invalid JSON" in error.message
    assert (json_error("").line, json_error("").column) == (1, 1)


@pytest.mark.parametrize("text, fragment", [
    pytest.param('{"tasks": [{"id": 2, "skill": "a"}]}', "1..n", id="id-not-1"),
    pytest.param('{"tasks": [{"id": 1, "skill": "a"}, {"id": 1, "skill": "b"}]}', "task 2 has id 1", id="id-repeated"),
    pytest.param('{"tasks": [{"id": 1, "skill": "a"}, {"id": 3, "skill": "b"}]}', "task 2 has id 3", id="id-skipped"),
    pytest.param('{"tasks": [{"id": 0, "skill": "a"}]}', "task 1 id", id="id-zero"),
    pytest.param('{"tasks": [{"skill": "a"}, 5]}', "task 2: expected an object", id="task-not-object"),
    pytest.param('{"plan": ["say"]}', "task 1: expected an object", id="task-is-string"),
    pytest.param('{"tasks": [], "steps": []}', "unknown key(s) ['steps']", id="unknown-top-key"),
    pytest.param('{"id": "d1", "command": "x"}', "must be a list of tasks", id="no-tasks"),
    pytest.param('{"tasks": {"skill": "a"}}', "must be a list of tasks", id="tasks-not-list"),
    pytest.param("42", "must be a list of tasks", id="number"),
    pytest.param('[{"args": {}}]', "task 1 skill", id="missing-skill"),
    pytest.param('[{"skill": "a", "args": []}]', "task 1 args", id="args-not-object"),
    pytest.param('[{"skill": "a", "when": 1}]', "task 1 when", id="unknown-task-key"),
    pytest.param('[{"skill": "a", "args": {"x": NaN}}]', "NaN", id="nan"),
    pytest.param('[{"skill": "a", "args": {"x": -Infinity}}]', "Infinity", id="infinity"),
])
def test_json_errors(text: str, fragment: str) -> None:
    assert fragment in json_error(text).message


@pytest.mark.parametrize("number", ["1e999", "-1e999"])
def test_json_rejects_overflowing_number(number: str) -> None:
    """Like the text form: a literal too large for a float is not read as infinity."""
    json_error(f'[{{"skill": "drive", "args": {{"distance_m": {number}}}}}]')


@pytest.mark.parametrize("value", [None, 42, ["[]"]])
def test_read_plan_rejects_non_text(value: Any) -> None:
    with pytest.raises(PlanParseError):
        read_plan(value)  # type: ignore[arg-type]


def test_read_plan_picks_the_form() -> None:
    assert same(read_plan(format_plan_text(FETCH)), FETCH)
    assert same(read_plan(format_plan_json(FETCH)), FETCH)
    assert read_plan("") == Plan()
    assert read_plan("[]") == Plan()


def test_load_plan(tmp_path: Path) -> None:
    for name, text in [("p.txt", format_plan_text(FETCH)), ("p.json", format_plan_json(FETCH))]:
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert same(load_plan(tmp_path / name), FETCH)
        assert same(load_plan(str(tmp_path / name)), FETCH)


@pytest.mark.parametrize("content", [None, b"\xff\xfe1. a()"])
def test_load_plan_unreadable(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "plan.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PlanParseError, match="cannot read"):
        load_plan(path)


# -- Plan model -----------------------------------------------------------------

def test_plan_model() -> None:
    assert len(FETCH) == 3 and not FETCH.is_empty and Plan().is_empty
    assert FETCH.task(2).skill == "navigate_to"
    assert FETCH.task(3).refs() == {1}
    assert Task(id=1, skill="a", args={"x": ["$2", {"k": "see $3 and $4"}]}).refs() == {2, 3, 4}
    with pytest.raises(ValueError, match="1..n"):
        Plan(tasks=[Task(id=2, skill="a")])


# -- strings with line breaks, and known limits of the text form -----------------

@pytest.mark.parametrize("text", ["line\u2028separator", "next\x85line", "para\u2029graph", "a\x0bb\x0cc\x1cd",
                                  "two\nlines", "cr\rlf\r\n"])
def test_text_with_line_breaks_round_trips(text: str) -> None:
    plan = Plan.of(("say", {"text": text}), ("say", {"text": [text]}))
    written = format_plan_text(plan)
    assert len(written.split("\n")) == 4  # two tasks, join(), final newline: nothing split a line
    assert same(parse_plan_text(written), plan)


def test_raw_unicode_line_separator_inside_a_string_is_read() -> None:
    assert only_args('1. say(text="a\u2028b")') == {"text": "a\u2028b"}


def test_keyword_param_name_cannot_be_written_and_says_so() -> None:
    # The catalog refuses such parameter names (test_catalog), so no valid plan has one.
    with pytest.raises(ValueError, match="'from' cannot be written"):
        format_plan_text(Plan.of(("move", {"from": "kitchen"})))


def test_dict_key_with_astral_character_round_trips() -> None:
    plan = Plan.of(("f", {"x": {"\U0001f916": 1}}))
    assert same(parse_plan_text(format_plan_text(plan)), plan)


def test_keep_renumbers_the_tasks_and_their_references():
    plan = Plan.of(("get_battery", {}), ("find_object", {"object": "cup"}),
                   ("send_message", {"recipient": "bob", "text": "cup in $2", "attachment": "$2"}))
    kept = plan.keep({2, 3})
    assert [(t.id, t.skill) for t in kept.tasks] == [(1, "find_object"), (2, "send_message")]
    assert kept.tasks[1].args == {"recipient": "bob", "text": "cup in $1", "attachment": "$1"}
    with pytest.raises(ValueError, match="cites task"):
        plan.keep({1, 3})
