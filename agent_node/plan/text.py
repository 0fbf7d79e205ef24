"""The LLMCompiler text form of a plan, as a model writes it::

    1. find_person(person="bob")
    2. navigate_to(location="$1")
    3. join()

Keyword arguments only, Python literal values, ``$N`` as a whole value (quoted
or bare) or inside a string. Blank lines, ``# comments`` and ``Thought:`` lines
are ignored; ``join()`` ends the plan. Anything else is a
:class:`~agent_node.plan.model.PlanParseError` naming line and column.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
import re
import warnings
from typing import Any

from agent_node.plan.model import Plan, PlanParseError, Task

_TASK_LINE = re.compile(r"^(\s*)([0-9]+)\s*\.\s*")
_IGNORED = re.compile(r"^\s*(#|thought\s*:|$)", re.IGNORECASE)
_MAX_LINE = 10_000
_BARE_REF = re.compile(r"\$[0-9]+")
#: Characters str.splitlines() treats as line breaks; written escaped so a plan line stays one line.
_ESCAPE_LINE_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def _quote_bare_refs(src: str) -> tuple[str, list[int]]:
    """Put quotes around ``$N`` written outside string literals.

    Returns the new text and, for each of its characters, the index of the
    original character it came from (to report columns in the original).
    """
    out: list[str] = []
    origin: list[int] = []

    def emit(text: str, at: int) -> None:
        out.append(text)
        origin.extend([at] * len(text))

    quote: str | None = None
    i = 0
    while i < len(src):
        if quote:
            if src[i] == "\\" and i + 1 < len(src):
                emit(src[i:i + 2], i)
                i += 2
            elif src.startswith(quote, i):
                emit(quote, i)
                i += len(quote)
                quote = None
            else:
                emit(src[i], i)
                i += 1
            continue
        if src[i] in "'\"":
            quote = src[i] * 3 if src.startswith(src[i] * 3, i) else src[i]
            emit(quote, i)
            i += len(quote)
            continue
        m = _BARE_REF.match(src, i)
        if m:
            emit('"' + m.group(0) + '"', i)
            i = m.end()
            continue
        emit(src[i], i)
        i += 1
    origin.append(len(src))
    return "".join(out), origin


def _literal(node: ast.AST) -> Any:
    value = ast.literal_eval(node)
    return _plain(value)


def _plain(value: Any) -> Any:
    """Python literal -> JSON-like value (tuples become lists)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("dictionary keys must be strings")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, int) and value.bit_length() > 10_000:  # hex/octal/binary literals may be huge
        try:
            str(value)
        except ValueError:
            raise ValueError("integer is too large to write in decimal") from None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise ValueError(f"{type(value).__name__} values are not allowed")


def _parse_call(body: str, line_no: int, col0: int, expected_id: int) -> Task | None:
    """Parse ``skill(k=v, ...)``; returns None for ``join()``."""
    quoted, origin = _quote_bare_refs(body)

    def err(msg: str, col: int) -> PlanParseError:
        return PlanParseError(msg, line_no, col0 + origin[min(max(col, 0), len(origin) - 1)] + 1)

    try:
        with warnings.catch_warnings():  # odd literals ("\d", 0x1fand) warn on stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(quoted.strip(), mode="eval")
    except SyntaxError as e:
        lead = len(quoted) - len(quoted.lstrip())
        raise err(f"invalid syntax: {e.msg}", lead + max((e.offset or 1) - 1, 0)) from None
    except (ValueError, RecursionError, MemoryError) as e:
        raise err(f"cannot read this call: {e}", 0) from None
    lead = len(quoted) - len(quoted.lstrip())
    code = quoted.strip().encode("utf-8")

    def col_of(node: ast.AST) -> int:  # ast offsets count UTF-8 bytes
        return lead + len(code[:node.col_offset].decode("utf-8", errors="ignore"))

    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise err("expected a call like skill_name(arg=value)", lead)
    name = call.func.id
    if call.args:
        raise err(f"positional argument in {name}(); write name=value", col_of(call.args[0]))
    if name == "join":
        if call.keywords:
            raise err("join() takes no arguments", col_of(call.keywords[0].value))
        return None
    args: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise err("**kwargs are not allowed; write name=value", col_of(kw.value))
        if kw.arg in args:  # ast.parse lets it through; Python's compiler would not
            raise err(f"argument '{kw.arg}' given twice", col_of(kw.value))
        try:
            args[kw.arg] = _literal(kw.value)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError) as e:
            msg = str(e) if isinstance(e, ValueError) and "malformed" not in str(e) else "not a literal value"
            raise err(f"argument '{kw.arg}': {msg}", col_of(kw.value)) from None
    return Task(id=expected_id, skill=name, args=args)


def parse_plan_text(text: str) -> Plan:
    """Read the LLMCompiler text form. Raises PlanParseError, nothing else."""
    if not isinstance(text, str):
        raise PlanParseError("plan text must be a string")
    tasks: list[Task] = []
    joined_at: int | None = None
    # Only \n ends a line (as in Python source): str.splitlines() would also
    # break at U+2028 and friends, which may stand inside a string value.
    for line_no, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if _IGNORED.match(line):
            continue
        if len(line) > _MAX_LINE:
            raise PlanParseError(f"line is longer than {_MAX_LINE} characters", line_no, 1)
        if "\x00" in line:
            raise PlanParseError("NUL character", line_no, line.index("\x00") + 1)
        m = _TASK_LINE.match(line)
        if not m:
            col = len(line) - len(line.lstrip()) + 1
            raise PlanParseError("expected a numbered task like '1. skill(arg=value)'", line_no, col)
        if joined_at is not None:
            raise PlanParseError(f"task after join() on line {joined_at}", line_no, len(m.group(1)) + 1)
        number = int(m.group(2)) if len(m.group(2)) < 10 else -1
        expected = len(tasks) + 1
        if number != expected:
            raise PlanParseError(f"task number {m.group(2)} out of order; expected {expected}",
                                 line_no, len(m.group(1)) + 1)
        task = _parse_call(line[m.end():], line_no, m.end(), expected)
        if task is None:
            joined_at = line_no
        else:
            tasks.append(task)
    return Plan(tasks=tasks)


def _literal_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPE_LINE_BREAKS)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal_text(k)}: {_literal_text(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} in a plan")


def format_task_text(task: Task) -> str:
    for name in task.args:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"task {task.id}: argument name {name!r} cannot be written as name=value")
    args = ", ".join(f"{k}={_literal_text(v)}" for k, v in task.args.items())
    return f"{task.id}. {task.skill}({args})"


def format_plan_text(plan: Plan, join: bool = True) -> str:
    """Write the LLMCompiler text form (ending in ``join()`` by default)."""
    lines = [format_task_text(t) for t in plan.tasks]
    if join:
        lines.append(f"{len(plan.tasks) + 1}. join()")
    return "\n".join(lines) + "\n"
