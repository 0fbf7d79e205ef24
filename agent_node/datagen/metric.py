"""The benchmark metric: does a predicted plan match a gold plan?

Implements the plan success rate of ``shared/spec/README.md``. A prediction
succeeds when its tasks map one-to-one onto the gold tasks such that every
pair has the same skill and equal arguments (catalog defaults filled in on both
sides), the prediction has no unknown skill, unknown argument or missing
required argument, and every two gold tasks that share a resource keep their
order in the prediction.

Gold plans are lists of ``{"skill", "args"}`` and may hold placeholders:
``"$N"`` (the result of gold task N), ``"<text>"`` / ``"<text $1 $2>"`` (free
text citing exactly that set of results) and ``{"$any": [a, b]}`` (any of the
values, each compared by the same rules).

Decisions where the spec leaves room:

- A predicted ``$N`` must cite an earlier task (as the plan checker demands);
  otherwise the prediction fails, since it could not run.
- Free text: a gold ``"<text>"`` cites the empty set, so a prediction that
  cites a result there does not match. Predicted free text must be a string
  with a non-blank character. A parameter is free text when its gold value is
  a ``<text...>`` placeholder, or when it is a ``string`` parameter named
  ``text`` or ``message`` (a literal gold text is then compared by the set of
  results it cites, too).
- Names: lower-cased, ``_`` read as a space, runs of whitespace collapsed,
  then leading articles/possessives dropped one word at a time, repeatedly
  ("the my laptop" -> "laptop"), but never the last word ("the" stays "the").
- Numbers compare by value across int and float (3 == 3.0) but a bool is never
  a number and a numeric string is never a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from agent_node.catalog.skills import Catalog, Param, Skill
from agent_node.catalog.values import INLINE_REF, is_number, normalize_name, refs_in, whole_ref
from agent_node.plan.json_form import plan_from_data
from agent_node.plan.model import Plan, PlanParseError

#: Leading words dropped from names of objects, people and surfaces.
#: ``string`` parameters with these names are free text even without a placeholder.
FREE_TEXT_NAMES = frozenset({"text", "message"})
TEXT_PLACEHOLDER = re.compile(r"<text((?:\s+\$[0-9]+)*)\s*>")
ANY_KEY = "$any"

Args = dict[str, Any]
Call = tuple[str, Args]  # (skill, args)
PredictedPlan = Plan | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class MatchResult:
    """``ok``; else ``reason`` says why not. ``mapping``: predicted id -> gold id."""

    ok: bool
    reason: str = ""
    mapping: dict[int, int] | None = None

    def __bool__(self) -> bool:
        return self.ok


# -- reading plans ----------------------------------------------------------

def _calls(plan: PredictedPlan) -> list[Call]:
    """A predicted plan as (skill, args) in plan order. Raises PlanParseError."""
    if not isinstance(plan, Plan):
        plan = plan_from_data(list(plan))
    return [(t.skill, dict(t.args)) for t in plan.tasks]


def _gold_calls(gold: Sequence[Mapping[str, Any]]) -> list[Call]:
    return [(str(t["skill"]), dict(t.get("args") or {})) for t in gold]


def _with_defaults(args: Args, skill: Skill | None) -> Args:
    """``args`` with every catalog default the call leaves out filled in."""
    if skill is None:
        return dict(args)
    defaults = {name: p.default for name, p in skill.params.items() if p.has_default}
    return {**defaults, **args}


def _call_problem(task_id: int, skill_name: str, args: Args, catalog: Catalog) -> str | None:
    """Why a predicted call is malformed (rule 3, and references), or None."""
    skill = catalog.skill(skill_name)
    if skill is None:
        return f"predicted task {task_id}: unknown skill '{skill_name}'"
    unknown = sorted(set(args) - set(skill.params))
    if unknown:
        return f"predicted task {task_id}: unknown argument(s) {unknown} of {skill_name}"
    missing = sorted(n for n, p in skill.params.items() if p.required and n not in args)
    if missing:
        return f"predicted task {task_id}: missing required argument(s) {missing} of {skill_name}"
    bad = sorted(n for n in refs_in(args) if not 1 <= n < task_id)
    if bad:
        return f"predicted task {task_id}: cites ${bad[0]}, which is not an earlier task"
    return None


# -- comparing values -------------------------------------------------------

def text_placeholder_refs(value: Any) -> set[int] | None:
    """The results a ``"<text $1 $2>"`` placeholder cites, or None if not one."""
    if not isinstance(value, str):
        return None
    m = TEXT_PLACEHOLDER.fullmatch(value.strip())
    return None if m is None else {int(n) for n in INLINE_REF.findall(m.group(1))}


def _is_any(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {ANY_KEY} and isinstance(value[ANY_KEY], list)


def _options(value: Any) -> list[Any]:
    return list(value[ANY_KEY]) if _is_any(value) else [value]


def value_kind(name: str, param: Param | None, gold_value: Any, catalog: Catalog) -> str:
    """How an argument compares: text, number, boolean, enum, name or literal."""
    if any(text_placeholder_refs(v) is not None for v in _options(gold_value)):
        return "text"
    if param is None:
        return "literal"
    type_name = param.value_type
    if param.type == "string" and name in FREE_TEXT_NAMES:
        return "text"
    if type_name in ("number", "integer"):
        return "number"
    if type_name == "boolean":
        return "boolean"
    if catalog.is_enum(type_name):
        return "enum"
    return "name" if type_name == "string" else "literal"


def _mapped(refs: set[int], mapping: Mapping[int, int]) -> set[int] | None:
    """Predicted task numbers translated to gold ones; None if one is unmapped."""
    if not refs <= set(mapping):
        return None
    return {mapping[n] for n in refs}


def _text_matches(pred: Any, gold: Any, mapping: Mapping[int, int]) -> bool:
    """Free text: any non-blank string citing exactly the gold set of results."""
    if not isinstance(pred, str) or not pred.strip():
        return False
    wanted = text_placeholder_refs(gold)
    if wanted is None:
        wanted = refs_in(gold)
    return _mapped(refs_in(pred), mapping) == wanted


def _scalar_matches(pred: Any, gold: Any, kind: str) -> bool:
    """A literal (no reference) compared by its kind."""
    if kind == "number" or (kind == "literal" and is_number(gold)):
        return is_number(pred) and is_number(gold) and pred == gold
    if kind == "boolean" or isinstance(gold, bool) or isinstance(pred, bool):
        return isinstance(pred, bool) and isinstance(gold, bool) and pred == gold
    if kind == "name":
        return isinstance(pred, str) and isinstance(gold, str) and normalize_name(pred) == normalize_name(gold)
    return type(pred) is type(gold) and pred == gold  # enum (exact) and anything else


def values_match(pred: Any, gold: Any, kind: str, mapping: Mapping[int, int]) -> bool:
    """One argument value against a gold value (``$any``, ``$N``, lists, literals)."""
    if _is_any(gold):
        return any(values_match(pred, option, kind, mapping) for option in gold[ANY_KEY])
    if kind == "text":
        return _text_matches(pred, gold, mapping)
    gold_ref, pred_ref = whole_ref(gold), whole_ref(pred)
    if gold_ref is not None or pred_ref is not None:
        return pred_ref is not None and mapping.get(pred_ref) == gold_ref
    if isinstance(gold, list) or isinstance(pred, list):
        return (isinstance(gold, list) and isinstance(pred, list) and len(pred) == len(gold)
                and all(values_match(p, g, kind, mapping) for p, g in zip(pred, gold)))
    return _scalar_matches(pred, gold, kind)


def _args_mismatch(pred: Call, gold: Call, catalog: Catalog, mapping: Mapping[int, int]) -> str | None:
    """Why two calls differ (skill or an argument), or None when they match."""
    (pskill, pargs), (gskill, gargs) = pred, gold
    if pskill != gskill:
        return f"skill {pskill} is not {gskill}"
    skill = catalog.skill(gskill)
    pargs, gargs = _with_defaults(pargs, skill), _with_defaults(gargs, skill)
    for name in sorted(set(pargs) | set(gargs)):
        if name not in pargs or name not in gargs:
            return f"argument '{name}' is only on one side"
        param = skill.params.get(name) if skill else None
        kind = value_kind(name, param, gargs[name], catalog)
        if not values_match(pargs[name], gargs[name], kind, mapping):
            return f"{name}={pargs[name]!r} does not match {gargs[name]!r} ({kind})"
    return None


# -- order and search -------------------------------------------------------

def _resources(skill_name: str, catalog: Catalog) -> frozenset[str]:
    skill = catalog.skill(skill_name)
    return frozenset(skill.resources) if skill else frozenset()


def _order_problem(gold_a: int, gold_b: int, gold: list[Call], catalog: Catalog) -> str | None:
    """With gold task ``gold_a`` predicted before ``gold_b``: a broken resource order?"""
    shared = _resources(gold[gold_a - 1][0], catalog) & _resources(gold[gold_b - 1][0], catalog)
    if shared and gold_a > gold_b:
        return (f"gold tasks {gold_b} and {gold_a} share {sorted(shared)} but are predicted"
                " in the other order")
    return None


@dataclass
class _Search:
    """Backtracking over gold candidates for predicted tasks taken in plan order.

    Predicted references cite earlier tasks, so when task i is tried every task
    it cites is already mapped. The deepest failure is kept as the reason.
    """

    pred: list[Call]
    gold: list[Call]
    catalog: Catalog
    mapping: dict[int, int] = field(default_factory=dict)
    failure: tuple[int, str] = (0, "")

    def _fail(self, depth: int, reason: str) -> None:
        """Keep the reason of the deepest failure (the first one at that depth)."""
        if depth > self.failure[0]:
            self.failure = (depth, reason)

    def _candidate_problem(self, i: int, j: int) -> str | None:
        problem = _args_mismatch(self.pred[i - 1], self.gold[j - 1], self.catalog, self.mapping)
        if problem:
            return f"predicted task {i} does not match gold task {j}: {problem}"
        for earlier in range(1, i):
            problem = _order_problem(self.mapping[earlier], j, self.gold, self.catalog)
            if problem:
                return problem
        return None

    def run(self, i: int = 1) -> bool:
        if i > len(self.pred):
            return True
        used = set(self.mapping.values())
        for j in range(1, len(self.gold) + 1):
            if j in used or self.gold[j - 1][0] != self.pred[i - 1][0]:
                continue
            problem = self._candidate_problem(i, j)
            if problem:
                self._fail(i, problem)
                continue
            self.mapping[i] = j
            if self.run(i + 1):
                return True
            del self.mapping[i]
        self._fail(i, f"no gold task is left for predicted task {i} ({self.pred[i - 1][0]})")
        return False


def _skill_count_problem(pred: list[Call], gold: list[Call]) -> str | None:
    if len(pred) != len(gold):
        return f"predicted {len(pred)} task(s), gold has {len(gold)}"
    ps, gs = sorted(s for s, _ in pred), sorted(s for s, _ in gold)
    return None if ps == gs else f"skills {ps} are not the gold skills {gs}"


def match_plans(predicted: PredictedPlan, gold: Sequence[Mapping[str, Any]], catalog: Catalog) -> MatchResult:
    """Match a prediction against a gold plan; says why not when it fails."""
    try:
        pred = _calls(predicted)
    except PlanParseError as e:
        return MatchResult(False, f"unreadable prediction: {e}")
    gold_calls = _gold_calls(gold)
    for task_id, (skill_name, args) in enumerate(pred, start=1):
        problem = _call_problem(task_id, skill_name, args, catalog)
        if problem:
            return MatchResult(False, problem)
    problem = _skill_count_problem(pred, gold_calls)
    if problem:
        return MatchResult(False, problem)
    search = _Search(pred, gold_calls, catalog)
    if search.run():
        return MatchResult(True, "", dict(search.mapping))
    return MatchResult(False, search.failure[1])


def plan_matches(predicted: PredictedPlan, gold: Sequence[Mapping[str, Any]], catalog: Catalog) -> bool:
    """Whether a prediction succeeds against a gold plan (see :func:`match_plans`)."""
    return match_plans(predicted, gold, catalog).ok


# -- aggregate --------------------------------------------------------------

@dataclass(frozen=True)
class EvalSummary:
    """Results of many matches, in input order."""

    results: list[MatchResult]

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def matched(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def success_rate(self) -> float:
        """Fraction matched; 0.0 when there is nothing to score."""
        return self.matched / self.total if self.total else 0.0

    def failures(self) -> list[tuple[int, str]]:
        """(index, reason) of every mismatch."""
        return [(i, r.reason) for i, r in enumerate(self.results) if not r.ok]


def evaluate(pairs: Iterable[tuple[PredictedPlan, Sequence[Mapping[str, Any]]]], catalog: Catalog) -> EvalSummary:
    """Match every (prediction, gold) pair."""
    return EvalSummary([match_plans(pred, gold, catalog) for pred, gold in pairs])


def success_rate(pairs: Iterable[tuple[PredictedPlan, Sequence[Mapping[str, Any]]]], catalog: Catalog) -> float:
    """Plan success rate over (prediction, gold) pairs; 0.0 for none."""
    return evaluate(pairs, catalog).success_rate
