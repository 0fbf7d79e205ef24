"""Run a checked plan: in parallel where data and the robot's body allow.

A task starts once every task it cites (``$N``) has succeeded and every earlier
task holding one of its resources is done, so independent look-ups overlap
while the body acts one step at a time, in plan order. When a task fails, its
dependents and every later task sharing a resource with it are skipped with a
reason; independent branches finish. :meth:`Executor.cancel` cancels every call
in flight and skips the rest.

Every value is checked once more right before the call, after ``$N`` results
are put in: a result that lands outside the consuming parameter's type, enum or
bounds fails that task (never clipped). With a :class:`~agent_node.catalog.policy.Policy`
and an ``ask`` function, a call the policy wants confirmed pauses the plan (no
further task starts) until ``ask`` answers; "no" (or no answer) cancels the
plan from there on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from agent_node.catalog.policy import Policy
from agent_node.catalog.skills import Catalog, Param
from agent_node.catalog.values import INLINE_REF, readable, value_problem, whole_ref
from agent_node.execution.answer import NOT_CONFIRMED
from agent_node.execution.events import EventKind, ExecutionResult, TaskEvent, TaskResult
from agent_node.execution.skill_runner import SkillFailed, SkillRunner
from agent_node.plan.checker import check_plan
from agent_node.plan.dag import build_dag
from agent_node.plan.model import Plan, Task

log = logging.getLogger(__name__)

EventSink = Callable[[TaskEvent], None]
#: ``ask(question)``: True to go ahead, False (or an exception) not to.
AskFn = Callable[[str], Awaitable[bool]]
DEFAULT_TIMEOUT_S = 300.0


class Executor:
    """Executes plans on a :class:`SkillRunner`; one run at a time per instance."""

    def __init__(self, catalog: Catalog, runner: SkillRunner, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 timeouts: dict[str, float] | None = None, on_event: EventSink | None = None,
                 policy: Policy | None = None, ask: AskFn | None = None):
        self.catalog = catalog
        self.runner = runner
        self.timeout_s = timeout_s
        self.timeouts = dict(timeouts or {})
        self.on_event = on_event
        self.policy = policy
        self.ask = ask
        self._calls: dict[int, asyncio.Task] = {}
        self._cancelled = False
        self._t0 = 0.0
        self._resume: asyncio.Event | None = None
        self._asking: asyncio.Lock | None = None

    # -- public -----------------------------------------------------------
    async def run(self, plan: Plan) -> ExecutionResult:
        """Check ``plan`` (PlanCheckError if invalid: nothing runs) and execute it."""
        plan = check_plan(plan, self.catalog).raise_for_problems()
        dag = build_dag(plan, self.catalog)
        loop = asyncio.get_running_loop()
        self._t0 = loop.time()
        self._cancelled = False
        self._calls = {}
        self._resume, self._asking = asyncio.Event(), asyncio.Lock()
        self._resume.set()
        results = {t.id: TaskResult(task=t.id, skill=t.skill) for t in plan.tasks}
        done = {t.id: asyncio.Event() for t in plan.tasks}

        async def one(task: Task) -> None:
            try:
                for pred in dag.predecessors(task.id):
                    await done[pred].wait()
                await self._resume.wait()  # a question to the person pauses the plan
                reason = self._blocked_reason(task, dag, results)
                if reason:
                    results[task.id].status = "skipped"
                    results[task.id].error = reason
                    self._emit("skipped", task, message=reason)
                else:
                    await self._execute(task, results)
            finally:
                done[task.id].set()

        workers = [asyncio.create_task(one(t)) for t in plan.tasks]
        try:
            await asyncio.gather(*workers)
        except asyncio.CancelledError:
            self.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        return ExecutionResult(tasks=[results[t.id] for t in plan.tasks],
                               makespan=loop.time() - self._t0, cancelled=self._cancelled)

    def cancel(self) -> None:
        """Cancel every call in flight; tasks not started yet are skipped."""
        self._cancelled = True
        for call in list(self._calls.values()):
            call.cancel()
        if self._resume is not None:
            self._resume.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    # -- internals --------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time() - self._t0

    def _emit(self, kind: EventKind, task: Task, **fields: Any) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(TaskEvent(kind=kind, task=task.id, skill=task.skill, t=self._now(), **fields))
        except Exception:  # a broken listener must not break the robot
            log.exception("event listener failed on %s of task %d", kind, task.id)

    def _blocked_reason(self, task: Task, dag, results: dict[int, TaskResult]) -> str:
        if self._cancelled:
            return "the plan was cancelled"
        for pred in sorted(dag.predecessors(task.id)):
            r = results[pred]
            if r.status == "succeeded":
                continue
            edge = dag.edges[pred, task.id]
            what = "failed" if r.status == "failed" else f"was {r.status}"
            if edge["data"]:
                return f"needs the result of task {pred} ({r.skill}), which {what}"
            return f"follows task {pred} ({r.skill}) on the {', '.join(edge['resources'])}, which {what}"
        return ""

    async def _execute(self, task: Task, results: dict[int, TaskResult]) -> None:
        skill = self.catalog.skill(task.skill)
        assert skill is not None  # the plan was checked
        res = results[task.id]
        res.args = {name: self._substitute(value, skill.params[name], results)
                    for name, value in task.args.items()}
        for name, value in res.args.items():
            problem = value_problem(value, skill.params[name], self.catalog.enums)
            if problem:  # a $N result that does not fit: never sent, never clipped
                self._finish(task, res, "failed", error=f"argument '{name}' = {readable(value)}: {problem}")
                return
        why = self.policy.confirmation(task.skill, res.args) if self.policy is not None else None
        if why is not None and not await self._confirmed(task, res, why):
            return
        res.status = "running"
        res.started_at = self._now()
        self._emit("started", task, message=_call_text(task.skill, res.args))

        def feedback(progress: float | None, message: str = "") -> None:
            if res.status == "running":
                self._emit("feedback", task, progress=progress, message=message)

        timeout = self.timeouts.get(task.skill, self.timeout_s)
        call = asyncio.ensure_future(self.runner.call(task.skill, dict(res.args), feedback))
        self._calls[task.id] = call
        try:
            value = await asyncio.wait_for(call, timeout)
        except asyncio.CancelledError:
            if not self._cancelled:
                raise
            self._finish(task, res, "cancelled", error="cancelled while running")
            return
        except TimeoutError:
            self._finish(task, res, "failed", error=f"timed out after {timeout:g} s")
            return
        except SkillFailed as e:
            self._finish(task, res, "failed", error=str(e) or "failed")
            return
        except Exception as e:  # a fault of the adapter, not of the plan
            self._finish(task, res, "failed", error=f"{type(e).__name__}: {e}")
            return
        finally:
            self._calls.pop(task.id, None)
        problem = None
        if skill.returns is not None:
            expected = Param(type=skill.returns.type, items=skill.returns.items)
            problem = value_problem(value, expected, self.catalog.enums)
        if problem:
            self._finish(task, res, "failed", error=f"the robot answered garbage: {problem}")
        else:
            res.result = value
            self._finish(task, res, "succeeded", result=value)

    async def _confirmed(self, task: Task, res: TaskResult, why: str) -> bool:
        """Ask before ``task``; the plan pauses meanwhile. False: the task is
        cancelled and so is the rest of the plan."""
        async with self._asking:
            if self._cancelled:
                self._finish(task, res, "cancelled", error="the plan was cancelled")
                return False
            self._resume.clear()
            args = ", ".join(f"{k}={readable(v)}" for k, v in res.args.items())
            question = f"Shall I {task.skill.replace('_', ' ')}{f' ({args})' if args else ''}? {why} Say yes or no."
            self._emit("confirm", task, message=question)
            try:
                if self.ask is None:
                    yes, refusal = False, "there is nobody to ask"
                else:
                    yes, refusal = await self.ask(question), "the answer was no"
            except asyncio.CancelledError:
                raise
            except Exception as e:  # no answer in time, or a broken ask: a no
                yes, refusal = False, str(e) or type(e).__name__
            finally:
                self._resume.set()
            if yes and not self._cancelled:
                return True
            self._finish(task, res, "cancelled",
                         error="the plan was cancelled" if self._cancelled else f"{NOT_CONFIRMED}: {refusal}")
            self.cancel()
            return False

    def _finish(self, task: Task, res: TaskResult, status: str, error: str = "", result: Any = None) -> None:
        res.status = status  # type: ignore[assignment]
        res.error = error
        res.ended_at = self._now()
        self._emit(status, task, message=error, result=result)  # type: ignore[arg-type]

    def _result_text(self, n: int, results: dict[int, TaskResult]) -> str:
        returns = (skill := self.catalog.skill(results[n].skill)) and skill.returns
        enum_like = bool(returns) and (self.catalog.is_enum(returns.type) or self.catalog.is_enum(returns.items))
        return readable(results[n].result, enum_like)

    def _substitute(self, value: Any, param: Param, results: dict[int, TaskResult]) -> Any:
        """Whole-value ``$N`` keeps its type (text for a string parameter);
        ``$N`` inside a string becomes readable text."""
        n = whole_ref(value)
        if n is not None:
            result = results[n].result
            return result if param.type != "string" or isinstance(result, str) else self._result_text(n, results)
        if isinstance(value, list):
            item = Param(type=param.items or "string")
            return [self._substitute(v, item, results) for v in value]
        if isinstance(value, str) and param.type == "string":
            return INLINE_REF.sub(lambda m: self._result_text(int(m.group(1)), results), value)
        return value


def _call_text(skill: str, args: dict[str, Any]) -> str:
    return f"{skill}(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")"
