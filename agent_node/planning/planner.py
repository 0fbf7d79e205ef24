"""Command -> checked plan: the model writes, the checker proves.

The model writes the LLMCompiler text form under a GBNF grammar generated from
the catalog, so a syntactically invalid plan cannot come out. Every plan is
checked; on a failed check the model gets one repair attempt that shows it the
problems; then the command is declined with them. An empty plan declines too
("no skill for that"). A sign or number that contradicts the command is mended
without the model (:mod:`agent_node.planning.repairs`).

With a LoRA adapter (``agent-finetune``, the default for the reference robot) the
model is shown the prompt it was trained with, the command alone, and writes under
the grammar of the whole catalog. Without one, ToolRAG picks the skills the
grammar allows (and declines when none fits), and a plan that leaves out a skill
ToolRAG is sure of, or the place the command names first, is written once more
(:class:`~agent_node.planning.settings.PlannerSettings` turns each on or off).
Whatever the model writes, a call that takes the robot to a place the command
never names and no look-up produced is not run.

Without an adapter, the example shown is a stand-in of the bank (see :mod:`agent_node.planning.example_bank`):
the static part and the stand-in are prompt segments whose KV cells llama.cpp
restores from stored states instead of evaluating them (``make setup`` stores them
for the default model and catalog; any other are stored at first use).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from agent_node.catalog.skills import Catalog
from agent_node.catalog.values import readable
from agent_node.execution.events import ExecutionResult
from agent_node.language.command_keys import CommandKeys
from agent_node.language.meaning import Mismatch, unnamed_places
from agent_node.language.number_words import words_to_digits
from agent_node.language.phrasebook import is_reference_catalog, load_phrasebook
from agent_node.language.said_numbers import clamped
from agent_node.plan.checker import check_plan
from agent_node.plan.model import Plan, PlanParseError
from agent_node.plan.text import parse_plan_text
from agent_node.planning.example_bank import ExampleBank
from agent_node.planning.grammar import MAX_REQUIRED, plan_grammar
from agent_node.planning.llm import LLM
from agent_node.planning.models import adapter_for
from agent_node.planning.prompt import (
    UserTurn,
    dynamic_part,
    fixed_part,
    static_part,
    trained_static_part,
    trained_turn,
)
from agent_node.planning.prompt_states import default_states_dir
from agent_node.planning.repairs import (
    attach_media,
    beyond_at_default,
    beyond_bounds,
    cite_the_look_up,
    drop_unasked,
    going_to,
    mend_signs_and_numbers,
    mismatches,
    unnamed_place_answer,
)
from agent_node.planning.settings import WIDEN_ALL_UP_TO, WIDEN_TOP, PlannerSettings, settings_with
from agent_node.planning.toolrag import SkillScore, ToolRAG

MAX_COMMAND_CHARS = 1000
NO_SKILL = "I have no skill for that."
CANCELLED = "I stopped as asked."
#: Where a plan's later calls start: after a line's end and the call's number.
LATER_CALL = r"\n\d+\. ?"


@dataclass
class PlanResult:
    command: str
    plan: Plan = field(default_factory=Plan)
    text: str = ""
    selected: list[SkillScore] = field(default_factory=list)
    declined: bool = False
    reason: str = ""
    prompt_tokens: int = 0
    latency_s: float = 0.0
    attempts: int = 0


def clean_command(command: object) -> str:
    """One line of printable text, at most MAX_COMMAND_CHARS characters."""
    text = command if isinstance(command, str) else ""
    text = "".join(c if c.isprintable() else " " for c in text)
    return re.sub(r"\s+", " ", text).strip()[:MAX_COMMAND_CHARS]


class Planner:
    def __init__(self, catalog: Catalog, llm: LLM, toolrag: ToolRAG | None = None,
                 settings: PlannerSettings | None = None, bank: ExampleBank | None = None,
                 keys: CommandKeys | None = None, **changes: Any):
        """A planner over a loaded model; ``settings`` (default: the defaults) with ``changes``
        (any :class:`PlannerSettings` field; SettingsError for an unknown or bad one)."""
        s = settings_with(settings, changes)
        self.catalog = catalog
        self.llm = llm
        self.toolrag = toolrag
        self.bank = bank
        self.examples = s.examples
        self.use_grammar = s.use_grammar
        self.max_tasks = s.max_tasks
        self.max_tokens = s.max_tokens
        self.decline_below, self.out_of_domain_below = s.decline_below, s.out_of_domain_below
        self.threshold = s.threshold
        self.prune_below = s.prune_below
        self.require_above = s.require_above
        #: Asked while the model writes; True abandons the plan (the agent sets it to its cancel flag).
        self.should_stop: Callable[[], bool] = lambda: False
        self.join_bias = s.join_bias
        self.unlikely_bias = s.unlikely_bias
        self._name_starts: dict[str, set[int]] = {}
        #: A model with an adapter is shown the prompt it was trained with: the command alone.
        self.trained = llm.adapter is not None
        #: Whether a checked plan that departs from the command is written again by the model
        #: (a place left out, a sure skill left out) and unasked calls are dropped. Signs and
        #: numbers that contradict the command are mended either way (no model needed).
        self.repairs = not self.trained if s.repairs is None else s.repairs
        # The fixed examples sit in the cached static part: free per command.
        fixed = bank.representative(s.fixed_examples) if bank is not None and s.fixed_examples else None
        self.static = trained_static_part() if self.trained else static_part(catalog, examples=fixed)
        #: The bank's stand-ins by plan shape ({} without a bank, or with ``stand_ins`` 0:
        #: the nearest example is shown as it is, and its cells are not stored).
        self.stand_ins = bank.stand_ins(s.stand_ins) if bank is not None and s.stand_ins else {}
        self._stored = {(bank.commands[i], bank.plans[i]) for members in self.stand_ins.values() for i in members}
        self.phrasebook = load_phrasebook(catalog)
        #: How the bank is searched: by the command's key, as it is embedded (``keys``: those of
        #: the catalog it was built for, when this one is narrowed to an allowlist).
        self.keys = keys or (CommandKeys(catalog, self.phrasebook, bank.plans) if bank is not None else None)

    @classmethod
    def load(cls, catalog: Catalog, settings: PlannerSettings | None = None, allowed: list[str] | None = None,
             **changes: Any) -> "Planner":
        """Load the models once (ModelFileError when one is missing or corrupt) and
        evaluate the static part of the prompt. ``settings`` (default: the defaults) with
        ``changes``: see :class:`PlannerSettings`. ``allowed`` (the policy's allowlist)
        restricts the skills the model is shown and may write. The adapter "" takes the
        registry's default adapter for the model and catalog (if any); a planner with an
        adapter shows the model the command alone (no skill list, no examples: it has
        learned them), without ToolRAG and repairs unless they are asked for."""
        s = settings_with(settings, changes)
        adapter = None if s.without_adapter else s.adapter or adapter_for(s.model, catalog)
        use_toolrag = not adapter if s.use_toolrag is None else s.use_toolrag
        s = s.but(adapter=adapter if adapter is not None else "none", use_toolrag=use_toolrag,
                  repairs=not adapter if s.repairs is None else s.repairs)
        toolrag = ToolRAG(s.toolrag_dir, catalog=catalog) if use_toolrag else None
        own_bank = s.bank_dir is not None or is_reference_catalog(catalog)  # never another robot's examples
        bank = (ExampleBank.load(s.bank_dir) if (s.examples or s.fixed_examples) and toolrag and not adapter
                and own_bank else None)
        keys = CommandKeys(catalog, load_phrasebook(catalog), bank.plans) if bank is not None else None
        catalog = catalog if allowed is None else catalog.subset(allowed)
        llm = LLM(s.model, threads=s.threads, states_dir=(s.states_dir or default_states_dir()) if s.store_states
                  else None, adapter=adapter)
        planner = cls(catalog, llm, toolrag, s, bank=bank, keys=keys)
        planner.warm_up()
        return planner

    def warm_up(self) -> None:
        """Evaluate (or restore) the static part now (it is cached for every later
        command), so that the first command is as fast as the rest."""
        self.llm.prefill(self.static)

    def store_states(self) -> int:
        """Store the KV cells of every stand-in's segment that are not stored yet (what
        ``make setup`` does for the default planner); how many were evaluated."""
        evaluated = 0
        for members in self.stand_ins.values():
            for i in members:
                example = fixed_part([(self.bank.commands[i], self.bank.plans[i])])
                evaluated += self.llm.prefill(self.static + example, [len(self.static)])
        return evaluated

    def select(self, command: str) -> tuple[list[SkillScore], list[tuple[str, str]]]:
        """The skills for a command and solved commands of the example bank that ask
        alike (by the command's key: names said one way)."""
        if self.toolrag is None:
            return [SkillScore(s, 1.0) for s in self.catalog.skill_names], []
        embedding = self.toolrag.encoder.encode_one(command)
        selected = [s for s in self.toolrag.select(command, self.threshold, embedding=embedding)
                    if self.catalog.skill(s.skill) is not None]  # ToolRAG knows the skills outside an allowlist
        if self.bank is None or not self.examples:
            return selected, []
        key = self.toolrag.encoder.encode_one(self.keys(command))
        return selected, self.bank.retrieve(key, self.examples, self.stand_ins)

    def _turn(self, command: str, retrieved: list[tuple[str, str]]) -> UserTurn:
        """The user turn; the retrieved example is a stored segment when it is a stand-in."""
        if self.trained:  # a retrieved example is an earlier turn of the conversation
            shots = "".join(f"{trained_turn(c)}{p.rstrip()}\n<|im_end|>\n" for c, p in retrieved)
            return UserTurn(shots + trained_turn(command))
        stored = len(retrieved) == 1 and retrieved[0] in self._stored
        return UserTurn(dynamic_part(command, retrieved), len(fixed_part(retrieved)) if stored else 0)

    def _starts_of(self, name: str) -> set[int]:
        """The tokens that can begin ``name`` where a call's name is written (with or without its space)."""
        if name not in self._name_starts:
            prefixes = [text[:k] for text in (name, " " + name) for k in range(1, len(text) + 1) if text[:k] != " "]
            self._name_starts[name] = {ids[0] for ids in map(self.llm.token_ids, prefixes) if len(ids) == 1}
        return self._name_starts[name]

    def _bias(self, skills: list[str], selected: list[SkillScore]) -> dict[int, float]:
        """The logit bias at the start of a plan's later calls: toward ``join`` by
        ``join_bias`` (a small model rarely knows when to stop), and by
        ``unlikely_bias`` toward the tokens that begin only skills ToolRAG gave less
        than ``prune_below`` (see UNLIKELY_BIAS)."""
        join = self.llm.token_ids(" join")[:1]
        bias = {join[0]: self.join_bias} if join and self.join_bias else {}
        if self.toolrag is None or not self.prune_below or not self.unlikely_bias:
            return bias
        probability = {s.skill: s.probability for s in selected}
        unlikely = {s for s in skills if probability.get(s, 0.0) < self.prune_below}
        others = set().union(*(self._starts_of(s) for s in [*skills, "join"] if s not in unlikely))
        for name in unlikely:
            bias |= {token: self.unlikely_bias for token in self._starts_of(name) - others}
        return bias

    def _write(self, turn: UserTurn, skills: list[str], selected: list[SkillScore], start: str = "",
               required: list[str] = ()) -> tuple[str, int]:
        """The model's plan text (beginning with ``start``, calling every skill of
        ``required``) and the prompt's length in tokens."""
        grammar = plan_grammar(self.catalog, skills, self.max_tasks, required) if self.use_grammar else None
        segments = [len(self.static)] + ([len(self.static) + turn.stored] if turn.stored else [])
        out = self.llm.complete(self.static + turn.text, grammar=grammar, max_tokens=self.max_tokens,
                                stop=None if grammar else ["join()", "<|im_end|>"], bias=self._bias(skills, selected),
                                bias_at=LATER_CALL, should_stop=self.should_stop, prefix=start, segments=segments)
        text = out.text if grammar else _close_plan(out.text)
        return text, out.prompt_tokens

    def _read(self, text: str, command: str = "") -> tuple[Plan | None, list[str]]:
        """The checked plan of ``text``, or None and the problems. A plan invalid only by
        a bound gets the number ``command`` says put back first ("half an hour" written
        as 0.5 for a parameter in minutes is 30)."""
        try:
            plan = parse_plan_text(text)
        except PlanParseError as e:
            return None, [str(e)]
        checked = check_plan(plan, self.catalog)
        if not checked.ok and command and all(p.breaks_a_bound for p in checked.problems):
            mended, _ = mend_signs_and_numbers(command, plan, self.catalog, self.phrasebook)
            checked = check_plan(mended, self.catalog) if mended is not plan else checked
        return (checked.plan, []) if checked.ok else (None, [str(p) for p in checked.problems])

    def plan(self, command: str) -> PlanResult:
        return self._plan(command, said=command)

    def _plan(self, command: str, said: str) -> PlanResult:
        """Plan ``command``; ``said`` is what the person said (the command without
        the notes of a replan), whose numbers the plan must not quietly change."""
        t0 = time.perf_counter()
        command = clean_command(command)
        result = PlanResult(command=command)
        if not command:
            result.declined, result.reason = True, "the command is empty"
            return result
        result.selected, retrieved = self.select(command)
        if self.toolrag is not None and max((s.probability for s in result.selected), default=0.0) < self.decline_below:
            # ToolRAG is unsure: decline only when sure it is out of domain, else widen the skills
            scores = [s for s in self.toolrag.scores(command) if self.catalog.skill(s.skill) is not None]
            if max((s.probability for s in scores), default=0.0) < self.out_of_domain_below:
                result.declined, result.reason = True, NO_SKILL
                result.latency_s = time.perf_counter() - t0
                return result
            result.selected = scores if len(scores) <= WIDEN_ALL_UP_TO else scores[:WIDEN_TOP]
        skills = [s.skill for s in result.selected] or self.catalog.skill_names
        turn = self._turn(command if self.trained else words_to_digits(command), retrieved)
        for attempt in (1, 2):
            result.attempts = attempt
            result.text, tokens = self._write(turn, skills, result.selected)
            result.prompt_tokens = max(result.prompt_tokens, tokens)
            if self.should_stop():
                result.declined, result.reason, result.plan = True, CANCELLED, Plan()
                break
            plan, problems = self._read(result.text, command if command == clean_command(said) else "")
            if plan is not None:
                plan = attach_media(command, plan, self.catalog, self.phrasebook)
                plan = cite_the_look_up(command, plan, self.catalog, self.phrasebook)
                result.plan = self._drop_unasked(plan, result.selected)
                if plan.is_empty:
                    result.declined, result.reason = True, NO_SKILL
                break
            result.declined, result.reason = True, "the model's plan is invalid: " + "; ".join(problems)
            turn = _repair_turn(turn, result.text, problems)
        else:
            result.plan = Plan()
        if result.plan.tasks and command == clean_command(said) and not self.should_stop():
            result.plan = self._mean_what_was_said(command, result, turn, skills)
        if self.repairs and result.plan.tasks and not self.should_stop():
            result.plan = self._call_the_likely(command, result, turn, skills)
        if result.plan.tasks:
            result.declined, result.reason = False, ""
            changed = clamped(said, result.plan, self.catalog) or beyond_bounds(
                said, result.plan, self.catalog, self.phrasebook) or beyond_at_default(
                said, result.plan, self.catalog, self.phrasebook)
            # (the whole command: a replan's notes name the places a failure told of)
            unnamed = unnamed_places(command, result.plan.tasks, self.catalog, self.phrasebook)
            if changed:  # the model moved a number the person said to a bound: say so instead
                result.declined, result.reason = True, f"I cannot do that: {changed[0]}."
            elif unnamed:  # never guess a place: the robot would drive somewhere it was not sent
                result.declined, result.reason = True, unnamed_place_answer(unnamed[0], self.catalog, self.phrasebook)
        result.latency_s = time.perf_counter() - t0
        return result

    def _mismatches(self, command: str, plan: Plan) -> list[Mismatch]:
        return mismatches(command, plan, self.catalog, self.phrasebook)

    def _mean_what_was_said(self, command: str, result: PlanResult, turn: UserTurn, skills: list[str]) -> Plan:
        """A checked plan that departs from the command gets its signs turned round and
        a number it made up put back (no model needed); a plan that never goes to the
        place the command names first is written again, starting there. The new plan is
        kept only when it passes the checker and departs less from the command."""
        plan, departs = mend_signs_and_numbers(command, result.plan, self.catalog, self.phrasebook)
        if not self.repairs:
            return plan
        left_out = next((m for m in departs if m.value), None)
        start = going_to(left_out.value, plan, self.catalog) if left_out else ""
        if not start:
            return plan
        goer = start[3:].split("(")[0]
        text, rewritten = self._write_again(result, turn, skills if goer in skills else [*skills, goer],
                                            [*result.selected, SkillScore(goer, 1.0)], start=start)  # the start is ours
        if rewritten is not None and len(self._mismatches(command, rewritten)) < len(departs):
            result.text = text
            return rewritten
        return plan

    def _call_the_likely(self, command: str, result: PlanResult, turn: UserTurn, skills: list[str]) -> Plan:
        """The plan written again when it leaves out skills ToolRAG is sure of (at
        least ``require_above``), with a grammar that lets the model place them where
        it likes but not leave them out. The new plan is kept only when it passes the
        checker, adds no more calls than the skills it was asked for, and departs no
        more from the command."""
        plan = result.plan
        used = {t.skill for t in plan.tasks}
        missing = [s.skill for s in result.selected
                   if s.probability >= self.require_above and s.skill not in used and s.skill in skills]
        missing = missing[:min(MAX_REQUIRED, self.max_tasks)]
        if not missing or not self.use_grammar:
            return plan
        text, rewritten = self._write_again(result, turn, skills, result.selected, required=missing)
        if rewritten is None or len(rewritten.tasks) > len(plan.tasks) + len(missing) or \
                len(self._mismatches(command, rewritten)) > len(self._mismatches(command, plan)):
            return plan
        result.text = text
        return rewritten

    def _write_again(self, result: PlanResult, turn: UserTurn, skills: list[str], selected: list[SkillScore],
                     start: str = "", required: list[str] = ()) -> tuple[str, Plan | None]:
        """One more attempt at the plan (counted in ``result``): its text and the checked
        plan without unasked calls, or None when it fails the checker or was stopped."""
        result.attempts += 1
        text, _ = self._write(turn, skills, selected, start, required)
        rewritten, _ = self._read(text)
        if rewritten is None or self.should_stop():
            return text, None
        return text, self._drop_unasked(rewritten, selected)

    def _drop_unasked(self, plan: Plan, selected: list[SkillScore]) -> Plan:
        if self.toolrag is None or not self.prune_below or not self.repairs:
            return plan
        return drop_unasked(plan, {s.skill: s.probability for s in selected}, self.prune_below)

    def replan(self, command: str, executed: ExecutionResult) -> PlanResult:
        """A new plan after a failure: the model sees what was done and what failed."""
        done = "; ".join(f"{t.skill} -> {readable(t.result)}" for t in executed.tasks if t.status == "succeeded")
        failed = next((t for t in executed.tasks if t.status == "failed"), None)
        note = f"{failed.skill}({_args_text(failed.args)}) failed: {failed.error}" if failed else "a step failed"
        return self._plan(f"{command} (Done so far: {done or 'nothing'}. But {note}. Plan only what is left.)",
                          said=command)


def _args_text(args: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def _close_plan(text: str) -> str:
    """Ungrammared output stops before ``join()``: finish the line it was on."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if lines and lines[-1].rstrip().endswith("."):
        lines[-1] = lines[-1].rstrip() + " join()"
    else:
        lines.append(f"{len(lines) + 1}. join()")
    return "\n".join(lines) + "\n"


def _repair_turn(turn: UserTurn, text: str, problems: list[str]) -> UserTurn:
    """The same request, with the failed plan and its problems shown."""
    head, _, _ = turn.text.rpartition("<|im_start|>assistant\n")
    shown = "\n".join(f"- {p}" for p in problems[:6])
    return UserTurn(f"{head}<|im_start|>assistant\nPlan:\n{text.strip()}<|im_end|>\n<|im_start|>user\n"
                    f"That plan is invalid:\n{shown}\nWrite a corrected plan.<|im_end|>\n<|im_start|>assistant\nPlan:\n",
                    turn.stored)
