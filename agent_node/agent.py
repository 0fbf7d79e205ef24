"""One command from start to end: check the text, plan, run, replan after a failure, answer.

:class:`Agent` is what ``agent-run "command"`` and the ROS 2 node share. It takes
a catalog, a plan source (the model :class:`~agent_node.planning.planner.Planner`, or
:class:`~agent_node.planning.recorded_plans.RecordedPlans`) and a
:class:`~agent_node.execution.skill_runner.SkillRunner`, and handles one command at a time:
planning runs in a worker thread so the event loop stays free for progress and
cancel; after a run that failed (not cancelled) the source is asked for a new
plan for what is left, at most ``max_replans`` times. Nothing raises out of
:meth:`Agent.handle`: bad input and internal faults end as an :class:`AgentRun`
with ``error`` set and an answer that says so.

Safety: plans may use only the skills the :class:`~agent_node.catalog.policy.Policy`
allows (others fail the check, nothing runs); a call the policy wants
confirmed pauses the plan and asks (``on_question``), and :meth:`Agent.confirm`
gives the person's yes or no; :meth:`Agent.cancel` stops everything, also a
plan being written and a question being asked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from agent_node.catalog.policy import Policy
from agent_node.catalog.skills import Catalog
from agent_node.execution.answer import answer as answer_sentence
from agent_node.execution.events import ExecutionResult, TaskEvent
from agent_node.execution.executor import DEFAULT_TIMEOUT_S, AskFn, Executor
from agent_node.execution.skill_runner import SkillRunner
from agent_node.plan.checker import PlanCheckError
from agent_node.plan.json_form import plan_to_data
from agent_node.plan.model import Plan
from agent_node.planning.planner import CANCELLED, MAX_COMMAND_CHARS, PlanResult

log = logging.getLogger(__name__)


class PlanSource(Protocol):
    """Where plans come from: the model planner, or recorded plans."""

    def plan(self, command: str) -> PlanResult: ...

    def replan(self, command: str, executed: ExecutionResult) -> PlanResult: ...


def command_problem(command: object) -> str:
    """Why a command cannot be planned ("" when it can): not text, empty, too long,
    or not plain text (control characters, undecodable bytes)."""
    if not isinstance(command, str):
        return f"the command is not text (got {type(command).__name__})"
    if len(command) > MAX_COMMAND_CHARS:
        return f"the command is too long ({len(command)} characters; at most {MAX_COMMAND_CHARS})"
    odd = sum(1 for c in command if c == "\ufffd" or (unicodedata.category(c)[0] == "C" and c not in "\t\n\r"))
    if odd:
        return f"the command is not plain text ({odd} control or undecodable character{'s' * (odd != 1)})"
    if not command.strip():
        return "the command is empty"
    return ""


@dataclass
class AgentRun:
    """What happened to one command."""

    command: str
    plans: list[Plan] = field(default_factory=list)
    runs: list[ExecutionResult] = field(default_factory=list)
    answer: str = ""
    #: The source declined (no skill for that, an invalid plan, no recorded plan).
    declined: bool = False
    reason: str = ""
    #: Bad input or a fault of the agent; the answer says so.
    error: str = ""
    cancelled: bool = False
    planning_s: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.runs) and self.runs[-1].ok and not self.error

    def to_data(self) -> dict[str, Any]:
        return {"command": self.command, "plans": [plan_to_data(p)["tasks"] for p in self.plans],
                "runs": [r.model_dump() for r in self.runs], "answer": self.answer, "ok": self.ok,
                "declined": self.declined, "reason": self.reason, "error": self.error,
                "cancelled": self.cancelled, "planning_s": round(self.planning_s, 3)}


class Agent:
    """Handles commands one at a time on one robot.

    ``on_event`` gets every :class:`TaskEvent`; ``on_plan(plan, attempt)`` each
    plan before it runs (attempt 1, then replans); ``on_result`` each run's
    :class:`ExecutionResult`; ``on_question(text)`` each question that waits for
    :meth:`confirm` (unless ``ask`` is given: then ``ask(question)`` answers
    them, e.g. from a terminal). Listener faults are logged, never raised.
    """

    def __init__(self, catalog: Catalog, plans: PlanSource, runner: SkillRunner, *,
                 timeout_s: float = DEFAULT_TIMEOUT_S, timeouts: dict[str, float] | None = None,
                 max_replans: int = 2, on_event: Callable[[TaskEvent], None] | None = None,
                 on_plan: Callable[[Plan, int], None] | None = None,
                 on_result: Callable[[ExecutionResult], None] | None = None,
                 policy: Policy | None = None, on_question: Callable[[str], None] | None = None,
                 ask: AskFn | None = None):
        if max_replans < 0:
            raise ValueError(f"max_replans must be >= 0, got {max_replans}")
        self.policy = policy or Policy.permissive()
        self.catalog = self.policy.allowed(catalog)
        self.plans = plans
        self.runner = runner
        self.max_replans = max_replans
        self.on_plan = on_plan
        self.on_result = on_result
        self.on_question = on_question
        self.executor = Executor(self.catalog, runner, timeout_s=timeout_s, timeouts=timeouts, on_event=on_event,
                                 policy=self.policy, ask=ask or self._ask_person)
        self._busy = False
        self._cancel_requested = False
        self._question: asyncio.Future[bool] | None = None
        if hasattr(plans, "should_stop"):  # the model stops writing a plan once cancelled
            plans.should_stop = lambda: self._cancel_requested

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def asking(self) -> bool:
        """True while a question waits for :meth:`confirm`."""
        return self._question is not None and not self._question.done()

    def confirm(self, yes: bool) -> bool:
        """The person's answer to the open question (call on the agent's event
        loop); False when no question is open."""
        if not self.asking:
            return False
        self._question.set_result(yes)
        return True

    def cancel(self) -> bool:
        """Stop the command being handled: calls in flight are cancelled, the rest
        skipped, an open question is answered no, and a plan being written is
        abandoned at the next token. False when idle."""
        if not self._busy:
            return False
        self._cancel_requested = True
        self.executor.cancel()
        if self.asking:
            self._question.set_result(False)
        return True

    async def handle(self, command: object) -> AgentRun:
        """Plan and run one command; never raises (except CancelledError of the caller)."""
        if self._busy:
            raise RuntimeError("Agent.handle: a command is already being handled")
        self._busy, self._cancel_requested = True, False
        text = command if isinstance(command, str) else repr(command)
        run = AgentRun(command=text)
        try:
            problem = command_problem(command)
            if problem:
                run.error = problem
            else:
                await self._plan_and_run(text, run)
        except asyncio.CancelledError:
            self.executor.cancel()
            raise
        except Exception as e:  # a fault of the planner, the runner or a listener: say it, keep serving
            log.exception("handling %r failed", text[:200])
            run.error = f"internal error: {type(e).__name__}: {e}"
        finally:
            self._busy = False
        run.answer = self._answer(run)
        return run

    # -- internals --------------------------------------------------------
    async def _ask_person(self, question: str) -> bool:
        self._question = asyncio.get_running_loop().create_future()
        try:
            self._notify(self.on_question, question)
            try:
                async with asyncio.timeout(self.policy.confirm_timeout_s):
                    return await self._question
            except TimeoutError:
                raise TimeoutError(f"no answer within {self.policy.confirm_timeout_s:g} s") from None
        finally:
            self._question = None

    async def _plan_and_run(self, command: str, run: AgentRun) -> None:
        outcome = await self._ask(self.plans.plan, command, run)
        for attempt in range(1, self.max_replans + 2):
            if self._cancel_requested:
                run.cancelled = True
                return
            if outcome.declined or outcome.plan.is_empty:
                run.declined, run.reason = True, outcome.reason
                return
            run.declined, run.reason = False, ""
            self._notify(self.on_plan, outcome.plan, attempt)
            try:
                result = await self.executor.run(outcome.plan)
            except PlanCheckError as e:  # only a source that does not check its plans gets here
                run.declined, run.reason = True, f"the plan is invalid: {'; '.join(map(str, e.problems))}"
                return
            run.plans.append(outcome.plan)
            run.runs.append(result)
            self._notify(self.on_result, result)
            if result.ok or result.cancelled or self._cancel_requested:
                run.cancelled = result.cancelled or self._cancel_requested
                return
            if attempt > self.max_replans:
                return
            outcome = await self._ask(self.plans.replan, command, run, result)
            if outcome.declined or outcome.plan.is_empty:
                run.reason = outcome.reason
                return
            if any(_calls(outcome.plan) == _calls(tried) for tried in run.plans):
                run.reason = "A new plan would only repeat the one that failed, so I stopped."
                return

    async def _ask(self, method: Callable[..., PlanResult], command: str, run: AgentRun, *args: Any) -> PlanResult:
        t0 = time.perf_counter()
        try:
            return await asyncio.to_thread(method, command, *args)
        finally:
            run.planning_s += time.perf_counter() - t0

    def _notify(self, listener: Callable[..., None] | None, *args: Any) -> None:
        if listener is None:
            return
        try:
            listener(*args)
        except Exception:
            log.exception("agent listener failed")

    @staticmethod
    def _answer(run: AgentRun) -> str:
        if run.error:
            return f"I cannot do that: {run.error}."
        if not run.runs:
            if run.cancelled:
                return CANCELLED
            return run.reason or "There was nothing to do."
        last = run.runs[-1]
        earlier = [t for r in run.runs[:-1] for t in r.tasks if t.status == "succeeded"]
        said = answer_sentence(last.model_copy(update={"tasks": earlier + last.tasks}) if earlier else last)
        if run.cancelled and not run.runs[-1].cancelled:  # cancelled between two runs
            said += " " + CANCELLED
        if run.reason and not run.runs[-1].ok:
            said += " " + run.reason
        return said


def _calls(plan: Plan) -> list[tuple[str, str]]:
    """What a plan would do, for comparing plans."""
    return [(t.skill, json.dumps(t.args, sort_keys=True, default=str)) for t in plan.tasks]
