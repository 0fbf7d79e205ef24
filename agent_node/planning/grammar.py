"""GBNF grammars that let a model write only a well-formed plan, and a matcher.

:func:`plan_grammar` turns a catalog (optionally narrowed to the skills ToolRAG
selected for a command) into a llama.cpp GBNF grammar whose language is the
canonical LLMCompiler text that :func:`~agent_node.plan.text.format_plan_text`
writes::

    1. find_person(person="bob")
    2. navigate_to(location="$1")
    3. join()

What the grammar enforces:

* lines ``K. skill(name=value, ...)`` numbered 1, 2, 3, ... then ``K. join()``
  and a final newline (an empty plan is ``1. join()\\n``); at most
  ``max_tasks`` tasks; no extra spaces, no comments, no ``Thought:`` lines;
* only the given skills; keyword arguments in catalog order, separated by
  ``", "``; required ones always present, optional ones (with a default) may
  be left out;
* values by type: strings are JSON-style double-quoted (escapes ``\\" \\\\ \\b
  \\f \\n \\r \\t \\uXXXX``, no raw control or line-break character, as
  ``format_plan_text`` escapes them); enums only their values; numbers as
  Python's ``repr`` writes them without exponent (``3``, ``-1.5``, ``2.0``; no
  leading or trailing zeros, no ``-0``); integers ``-?[1-9][0-9]*`` or ``0``;
  booleans ``True``/``False``; arrays ``[item, item]`` with at least
  ``minItems`` items;
* references: any non-string value (and an array item) may instead be a whole
  reference ``"$N"``; inside a string ``$`` may only start a reference ``$N``
  (not followed by another digit). In task K, N is always one of 1..K-1, so task
  1 cites nothing and no task cites itself or a later task;
* with ``required`` skills, each of them is called at least once, anywhere in
  the plan, before ``join()``.

Left to :mod:`agent_node.plan.checker`: numeric bounds, whether a cited result's
type fits the parameter, and a ``$`` or digit written as a ``\\uXXXX`` escape.
A ``$`` that is not a reference (``"$ sign"``) cannot be written at all.

:class:`GbnfMatcher` parses GBNF (the subset llama.cpp reads, without ``{m,n}``
repetition), checks that it is well formed and tells whether a text is in its
language; tests use it where llama.cpp is not installed.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Union

from agent_node.catalog.skills import Catalog, Param, Skill
from agent_node.plan.text import _literal_text as python_literal  # the writer's own quoting

#: A valid GBNF rule name (llama.cpp: letters, digits and ``-``).
RULE_NAME = re.compile(r"[A-Za-z0-9-]+")
_SCALARS = ("number", "integer", "boolean")
#: The most skills a grammar can require (its step rules grow as 2 ** required).
MAX_REQUIRED = 3
#: Shared rules: name -> (body, rules it uses). Raw characters exclude what
#: format_plan_text escapes: quote, backslash, controls and line breaks.
_SHARED: dict[str, tuple[str, tuple[str, ...]]] = {
    "number": (r'"-"? ([1-9] [0-9]* fraction? | "0" fraction) | "0"', ("fraction",)),
    "fraction": (r'"." ("0" | [0-9]* [1-9])', ()),
    "integer": (r'"-"? [1-9] [0-9]* | "0"', ()),
    "boolean": (r'"True" | "False"', ()),
    "string": (r'"\"" char* "\""', ("char",)),
    "char": (r'[^"\\$\x00-\x1f\x85\u2028\u2029] | esc', ("esc",)),
    "char-nd": (r'[^"\\$0-9\x00-\x1f\x85\u2028\u2029] | esc', ("esc",)),
    "esc": (r'"\\" (["\\bfnrt] | "u" hex hex hex hex)', ("hex",)),
    "hex": (r"[0-9a-fA-F]", ()),
}


# -- building a plan grammar -------------------------------------------------------
def gbnf_literal(text: str) -> str:
    """``text`` as a GBNF string literal."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else
                       f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def numbers_up_to(n: int) -> str:
    """GBNF alternatives matching the decimal numbers 1..n (no leading zeros)."""
    alts = []
    for tens in range(n // 10 + 1):
        lo, hi = (1 if tens == 0 else 0), min(9, n - 10 * tens)
        if hi < lo:
            continue
        digit = f"[{lo}-{hi}]" if hi > lo else f'"{lo}"'
        alts.append(digit if tens == 0 else f'"{tens}" {digit}')
    return " | ".join(alts)


def _enum_rule_names(enums: dict[str, list[str]]) -> dict[str, str]:
    """A distinct rule name ``enum-<slug>`` for every enum type."""
    names: dict[str, str] = {}
    for type_name in enums:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", type_name).strip("-") or "x"
        name, i = f"enum-{slug}", 1
        while name in names.values():
            i += 1
            name = f"enum-{slug}-{i}"
        names[type_name] = name
    return names


@dataclass(frozen=True)
class _Lit:
    """Literal text among the parts of a sequence (see :func:`_seq`)."""

    text: str


_Part = Union[str, _Lit]  # a GBNF expression, or literal text


def _seq(*parts: _Part) -> str:
    """The GBNF sequence of ``parts``; neighbouring literal texts become one literal."""
    out: list[_Part] = []
    for part in parts:
        if isinstance(part, _Lit) and out and isinstance(out[-1], _Lit):
            out[-1] = _Lit(out[-1].text + part.text)
        else:
            out.append(part)
    return " ".join(gbnf_literal(p.text) if isinstance(p, _Lit) else p for p in out)


def _opt(*parts: _Part) -> str:
    return f"({_seq(*parts)})?"


@dataclass
class _Builder:
    """Collects rules; per-position rules are named ``p<K>-...``, so never clash."""

    catalog: Catalog
    rules: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.enum_names = _enum_rule_names(self.catalog.enums)

    def add(self, name: str, body: str) -> str:
        if self.rules.setdefault(name, body) != body:
            raise AssertionError(f"rule {name} built twice with different bodies")
        return name

    def shared(self, name: str) -> str:
        body, uses = _SHARED[name]
        for dep in uses:
            self.shared(dep)
        return self.add(name, body)

    # -- references and values at task position k --------------------------------
    def ref(self, k: int) -> str:
        """Task numbers task k may cite: 1..k-1 (k >= 2)."""
        return self.add(f"p{k}-ref", numbers_up_to(k - 1))

    def whole_ref(self, k: int) -> str:
        return self.add(f"p{k}-wref", f'"\\"$" {self.ref(k)} "\\""')

    def text(self, k: int) -> str:
        """A string; ``$`` only as a reference to an earlier task."""
        if k == 1:
            return self.shared("string")
        char, char_nd = self.shared("char"), self.shared("char-nd")
        body = f'"\\"" {char}* ("$" {self.ref(k)} ({char_nd} {char}*)?)* "\\""'
        return self.add(f"p{k}-string", body)

    def scalar(self, type_name: str, k: int) -> str:
        """The rule for one non-array value of ``type_name`` in task k."""
        if type_name == "string":
            return self.text(k)
        if type_name in _SCALARS:
            base = self.shared(type_name)
        else:
            values = " | ".join(gbnf_literal(python_literal(v)) for v in self.catalog.enums[type_name])
            base = self.add(self.enum_names[type_name], values)
        return base if k == 1 else self.add(f"p{k}-{base}", f"{base} | {self.whole_ref(k)}")

    def value(self, param: Param, k: int) -> str:
        """A GBNF expression for a value of ``param`` in task k."""
        if param.type != "array":
            return self.scalar(param.type, k)
        item = self.scalar(param.items or "string", k)
        more = f'(", " {item})*'
        if param.minItems:
            listed = " ".join(['"["', item, *[f'", " {item}'] * (param.minItems - 1), more, '"]"'])
        else:
            listed = f'"[" ({item} {more})? "]"'
        return listed if k == 1 else f"({listed} | {self.whole_ref(k)})"

    # -- calls and steps ---------------------------------------------------------
    def arguments(self, skill: Skill, k: int) -> list[_Part]:
        """``name=value, ...`` in catalog order; optional ones may be left out."""
        args = [(name, self.value(p, k), p.required) for name, p in skill.params.items()]
        first = next((i for i, (_, _, required) in enumerate(args) if required), None)
        if first is None:  # all optional: any ordered subset, the empty one included
            starts = [_seq(_Lit(f"{name}="), value, *[_opt(_Lit(f", {n}="), v) for n, v, _ in args[i + 1:]])
                      for i, (name, value, _) in enumerate(args)]
            return ["(" + " | ".join(starts) + ")?"]
        parts: list[_Part] = [_opt(_Lit(f"{n}="), v, _Lit(", ")) for n, v, _ in args[:first]]
        parts += [_Lit(f"{args[first][0]}="), args[first][1]]
        for name, value, required in args[first + 1:]:
            parts += [_Lit(f", {name}="), value] if required else [_opt(_Lit(f", {name}="), value)]
        return parts

    def call(self, skills: list[Skill], k: int, tag: str = "") -> str:
        """The rule for one call of any of ``skills`` in task k; ``tag`` names the
        subset when it is not the plan's whole set of skills."""
        bare = [gbnf_literal(f"{s.name}()") for s in skills if not s.params]
        alts = [self.add(f"call-bare{tag}", " | ".join(bare))] if bare else []
        alts += [_seq(_Lit(f"{s.name}("), *self.arguments(s, k), _Lit(")")) for s in skills if s.params]
        if len(alts) == 1 and (bare or tag):
            return alts[0]
        return self.add(f"p{k}-call{tag}", " | ".join(alts))

    def steps(self, skills: list[Skill], max_tasks: int, required: list[Skill] = ()) -> str:
        """Task lines 1..max_tasks, each either ``K. join()`` or a call; returns the first.
        Every skill of ``required`` must be called before ``join()``: a step's rule
        also says which of them are still to come (``p<K>-step-need-<i>-<j>``, by their
        place in ``skills``), and only those are allowed once no room is left for others."""
        def tag(left: tuple[Skill, ...]) -> str:
            return "-need" + "".join(f"-{skills.index(s)}" for s in left) if left else ""

        def step(k: int, left: tuple[Skill, ...]) -> str:
            return f"p{k}-step{tag(left)}" if k <= max_tasks else gbnf_literal(f"{k}. join()\n")

        for k in range(1, max_tasks + 1):
            number = gbnf_literal(f"{k}. ")
            for size in range(max(0, len(required) - k + 1), min(len(required), max_tasks - k + 1) + 1):
                for left in itertools.combinations(required, size):
                    alts = [] if left else [gbnf_literal(f"{k}. join()\n")]
                    others = [s for s in skills if s not in left]
                    if others and size < max_tasks - k + 1:
                        alts.append(f'{number} {self.call(others, k, tag(left))} "\\n" {step(k + 1, left)}')
                    for s in left:
                        rest = tuple(r for r in left if r is not s)
                        alts.append(f'{number} {self.call([s], k, f"-{skills.index(s)}")} "\\n" {step(k + 1, rest)}')
                    self.add(step(k, left), " | ".join(alts))
        return step(1, tuple(required)) if max_tasks else gbnf_literal("1. join()\n")


def _selected(catalog: Catalog, names: list[str] | None) -> list[Skill]:
    """The skills to allow, in catalog order; unknown names are an error."""
    if names is None:
        return list(catalog.skills)
    unknown = sorted(set(names) - set(catalog.skill_names))
    if unknown:
        raise ValueError(f"unknown skill(s) {unknown}; the catalog has: {', '.join(catalog.skill_names)}")
    return [s for s in catalog.skills if s.name in set(names)]


def plan_grammar(catalog: Catalog, skills: list[str] | None = None, max_tasks: int = 12,
                 required: list[str] = ()) -> str:
    """A GBNF grammar for plans over ``skills`` (default: all) of ``catalog``.

    The grammar's language is the canonical plan text of ``format_plan_text``
    with at most ``max_tasks`` tasks; see the module docstring for what it
    enforces and what it leaves to the checker. With ``required`` (at most
    MAX_REQUIRED of the skills), only plans that call each of them are in it.
    """
    if max_tasks < 0:
        raise ValueError("max_tasks must be >= 0")
    chosen = _selected(catalog, skills)
    needed = [s for s in chosen if s.name in set(required)]
    if len(needed) != len(set(required)) or len(needed) > min(MAX_REQUIRED, max_tasks):
        raise ValueError(f"required skills {sorted(set(required))} must be at most {min(MAX_REQUIRED, max_tasks)} "
                         f"of the plan's skills {[s.name for s in chosen]}")
    builder = _Builder(catalog)
    rules = {"root": builder.steps(chosen, max_tasks if chosen else 0, needed), **builder.rules}
    return "".join(f"{name} ::= {body}\n" for name, body in rules.items())


# -- reading GBNF and matching text against it ---------------------------------------
class GrammarSyntaxError(ValueError):
    """GBNF text that is not a well-formed grammar."""


#: A parsed GBNF expression: ("lit", text) | ("ref", rule) | ("cls", negated, ranges)
#: | ("any",) | ("seq", nodes) | ("alt", nodes) | ("rep", node, least, most or None).
Node = tuple[Any, ...]
_SIMPLE_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "\\": "\\", '"': '"', "[": "[", "]": "]"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_POSTFIX = {"?": (0, 1), "*": (0, None), "+": (1, None)}


class _GbnfParser:
    """A recursive-descent reader of GBNF, following llama.cpp's grammar parser."""

    def __init__(self, src: str):
        self.src = src
        self.i = 0

    def fail(self, message: str) -> GrammarSyntaxError:
        line = self.src.count("\n", 0, self.i) + 1
        return GrammarSyntaxError(f"line {line}: {message}")

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.src[j] if j < len(self.src) else ""

    def space(self, newlines: bool) -> None:
        while self.peek() in (" ", "\t", "#") or (newlines and self.peek() in ("\r", "\n")):
            if self.peek() == "#":
                while self.peek() not in ("", "\r", "\n"):
                    self.i += 1
            else:
                self.i += 1

    def name(self) -> str:
        m = RULE_NAME.match(self.src, self.i)
        if not m:
            raise self.fail(f"expected a rule name at {self.src[self.i:self.i + 20]!r}")
        self.i = m.end()
        return m.group(0)

    def char(self) -> str:
        """One (possibly escaped) character of a literal or class."""
        c = self.peek()
        if c == "":
            raise self.fail("unexpected end of grammar")
        if c != "\\":
            self.i += 1
            return c
        e = self.peek(1)
        if e in _SIMPLE_ESCAPES:
            self.i += 2
            return _SIMPLE_ESCAPES[e]
        if e in _HEX_ESCAPES:
            digits = self.src[self.i + 2:self.i + 2 + _HEX_ESCAPES[e]]
            if len(digits) != _HEX_ESCAPES[e] or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise self.fail(f"bad \\{e} escape")
            self.i += 2 + len(digits)
            return chr(int(digits, 16))
        raise self.fail(f"unknown escape \\{e}")

    def literal(self) -> Node:
        self.i += 1
        chars = []
        while self.peek() != '"':
            if self.peek() in ("", "\n"):
                raise self.fail("unterminated string literal")
            chars.append(self.char())
        self.i += 1
        return ("lit", "".join(chars))

    def char_class(self) -> Node:
        self.i += 1
        negated = self.peek() == "^"
        self.i += negated
        ranges = []
        while self.peek() != "]":
            if self.peek() == "":
                raise self.fail("unterminated character class")
            lo = self.char()
            hi = lo
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi = self.char()
            ranges.append((ord(lo), ord(hi)))
        self.i += 1
        return ("cls", negated, tuple(ranges))

    def element(self) -> Node | None:
        c = self.peek()
        if c == '"':
            return self.literal()
        if c == "[":
            return self.char_class()
        if c == ".":
            self.i += 1
            return ("any",)
        if c == "(":
            self.i += 1
            self.space(True)
            node = self.alternates(nested=True)
            self.space(True)
            if self.peek() != ")":
                raise self.fail("expected ')'")
            self.i += 1
            return node
        if c and RULE_NAME.match(c):
            return ("ref", self.name())
        return None

    def sequence(self, nested: bool) -> Node:
        items: list[Node] = []
        while True:
            self.space(nested)
            node = self.element()
            if node is None:
                break
            while self.peek() in _POSTFIX and self.peek():
                node = ("rep", node, *_POSTFIX[self.peek()])
                self.i += 1
            if self.peek() == "{":
                raise self.fail("{m,n} repetition is not supported here")
            items.append(node)
        return ("seq", tuple(items))

    def alternates(self, nested: bool) -> Node:
        alts = [self.sequence(nested)]
        while self.peek() == "|":
            self.i += 1
            self.space(True)
            alts.append(self.sequence(nested))
        return alts[0] if len(alts) == 1 else ("alt", tuple(alts))

    def grammar(self) -> dict[str, Node]:
        rules: dict[str, Node] = {}
        self.space(True)
        while self.i < len(self.src):
            name = self.name()
            self.space(False)
            if not self.src.startswith("::=", self.i):
                raise self.fail(f"expected '::=' after {name}")
            self.i += 3
            self.space(True)
            if name in rules:
                raise self.fail(f"rule {name} is defined twice")
            rules[name] = self.alternates(nested=False)
            self.space(False)
            if self.peek() not in ("", "\r", "\n"):
                raise self.fail(f"unexpected {self.peek()!r} in rule {name}")
            self.space(True)
        return rules


def _references(node: Node) -> set[str]:
    """The rule names a node uses."""
    kind = node[0]
    if kind == "ref":
        return {node[1]}
    if kind in ("seq", "alt"):
        return set().union(*(_references(n) for n in node[1])) if node[1] else set()
    if kind == "rep":
        return _references(node[1])
    return set()


class GbnfMatcher:
    """A parsed GBNF grammar that tells whether a whole text is in its language.

    Raises :class:`GrammarSyntaxError` for malformed text, a rule defined twice,
    a reference to an undefined rule or a missing ``root``. Matching computes,
    per rule and position, every position where the rule can end (memoised), so
    ambiguity is fine; left recursion is reported as an error.
    """

    def __init__(self, gbnf: str):
        self.rules = _GbnfParser(gbnf).grammar()
        if "root" not in self.rules:
            raise GrammarSyntaxError("no root rule")
        for name, node in self.rules.items():
            missing = sorted(_references(node) - set(self.rules))
            if missing:
                raise GrammarSyntaxError(f"rule {name} uses undefined rule(s) {missing}")

    def reachable(self, start: str = "root") -> set[str]:
        """The rules ``start`` uses, directly or not (``start`` included)."""
        seen, todo = {start}, [start]
        while todo:
            for used in _references(self.rules[todo.pop()]) - seen:
                seen.add(used)
                todo.append(used)
        return seen

    def matches(self, text: str, rule: str = "root") -> bool:
        """Whether the whole of ``text`` is derived from ``rule``."""
        return len(text) in _Match(self.rules, text).ends(("ref", rule), 0)


class _Match:
    """One matching run: the text and the memo of (rule, position) -> end positions."""

    def __init__(self, rules: dict[str, Node], text: str):
        self.rules = rules
        self.text = text
        self.memo: dict[tuple[str, int], frozenset[int] | None] = {}

    def ends(self, node: Node, pos: int) -> frozenset[int]:
        """Every position where ``node`` can end when it starts at ``pos``."""
        kind, text = node[0], self.text
        if kind == "lit":
            return frozenset([pos + len(node[1])]) if text.startswith(node[1], pos) else frozenset()
        if kind in ("cls", "any"):
            if pos >= len(text):
                return frozenset()
            inside = kind == "any" or any(lo <= ord(text[pos]) <= hi for lo, hi in node[2]) != node[1]
            return frozenset([pos + 1]) if inside else frozenset()
        if kind == "ref":
            return self.rule_ends(node[1], pos)
        if kind == "seq":
            here = frozenset([pos])
            for item in node[1]:
                here = frozenset().union(*(self.ends(item, p) for p in here))
            return here
        if kind == "alt":
            return frozenset().union(*(self.ends(alt, pos) for alt in node[1]))
        return self.repeat_ends(node[1], node[2], node[3], pos)

    def rule_ends(self, name: str, pos: int) -> frozenset[int]:
        key = (name, pos)
        if key in self.memo:
            done = self.memo[key]
            if done is None:
                raise GrammarSyntaxError(f"rule {name} is left-recursive")
            return done
        self.memo[key] = None
        self.memo[key] = result = self.ends(self.rules[name], pos)
        return result

    def repeat_ends(self, node: Node, least: int, most: int | None, pos: int) -> frozenset[int]:
        """``node`` repeated; ``least`` is 0 or 1 (``?``, ``*``, ``+``)."""
        reached: set[int] = {pos} if least == 0 else set()
        frontier, count = {pos}, 0
        while frontier and (most is None or count < most):
            count += 1
            step = set().union(*(self.ends(node, p) for p in frontier))
            frontier = step - reached
            reached |= step
        return frozenset(reached)
