"""Command-line tools: ``agent-check`` checks a plan, ``agent-run`` runs one.

Exit codes: 0 all good; 1 the plan ran but a task did not succeed (or, for
``agent-check``, the plan is invalid); 2 bad input (unreadable plan, catalog or
world file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from agent_node.catalog.policy import Policy, load_policy
from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.execution.events import ExecutionResult, TaskEvent
from agent_node.execution.executor import DEFAULT_TIMEOUT_S, Executor
from agent_node.files.config_files import ConfigFileError
from agent_node.language.phrasebook import is_reference_catalog
from agent_node.plan.checker import check_plan
from agent_node.plan.dag import build_dag, critical_path, to_dot, to_png
from agent_node.plan.json_form import format_plan_json
from agent_node.plan.model import Plan, PlanParseError
from agent_node.plan.reading import load_plan
from agent_node.plan.text import format_plan_text
from agent_node.profiles.profile import load_profile

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalog", metavar="FILE", help="skill catalog YAML (default: the reference home robot)")
    p.add_argument("--dot", metavar="FILE", help="write the plan's DAG as Graphviz DOT")
    p.add_argument("--png", metavar="FILE", help="write the plan's DAG as a PNG picture")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def _load(plan_file: str, catalog_file: str | None) -> tuple[Catalog, Plan]:
    return load_catalog(catalog_file), load_plan(plan_file)


def _write_graphs(args: argparse.Namespace, plan: Plan, catalog: Catalog) -> None:
    if not (args.dot or args.png):
        return
    g = build_dag(plan, catalog)
    if args.dot:
        Path(args.dot).write_text(to_dot(g), encoding="utf-8")
        print(f"wrote {args.dot}", file=sys.stderr)
    if args.png:
        to_png(g, args.png)
        print(f"wrote {args.png}", file=sys.stderr)


def _print_problems(problems: list, out=None) -> None:
    out = out or sys.stdout
    print(f"plan is invalid ({len(problems)} problem{'s' if len(problems) != 1 else ''}):", file=out)
    for p in problems:
        print(f"  - {p}", file=out)


def check_main(argv: list[str] | None = None) -> int:
    """``agent-check FILE``: parse and check a plan (text or JSON form)."""
    ap = argparse.ArgumentParser(prog="agent-check", description="Check a plan against the skill catalog.")
    ap.add_argument("plan", help="plan file, LLMCompiler text form or JSON form")
    _common_args(ap)
    args = ap.parse_args(argv)
    try:
        catalog, plan = _load(args.plan, args.catalog)
    except (PlanParseError, ConfigFileError) as e:
        print(f"agent-check: {args.plan}: {e}" if isinstance(e, PlanParseError) else f"agent-check: {e}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    result = check_plan(plan, catalog)
    if args.json:
        print(json.dumps({"ok": result.ok, "problems": [p.model_dump() for p in result.problems],
                          "plan": json.loads(format_plan_json(result.plan))}, indent=2))
    elif result.ok:
        length, path = critical_path(build_dag(result.plan, catalog))
        print(format_plan_text(result.plan), end="")
        print(f"OK: {len(plan)} task(s); longest chain {' -> '.join(map(str, path)) or '-'} ({length:g} steps)")
    else:
        _print_problems(result.problems)
    _write_graphs(args, result.plan, catalog)
    return EXIT_OK if result.ok else EXIT_FAILED


class ProgressPrinter:
    """Prints executor events as they happen, one line each (feedback throttled)."""

    ICONS = {"confirm": "?", "started": ">", "feedback": ".", "succeeded": "+", "failed": "x", "skipped": "-",
             "cancelled": "!"}

    def __init__(self, out=None, time_scale: float = 1.0):
        self.out = out or sys.stdout
        self.time_scale = time_scale
        self._last_progress: dict[int, float] = {}

    def __call__(self, ev: TaskEvent) -> None:
        if ev.kind == "feedback":
            p = ev.progress if ev.progress is not None else 0.0
            if p - self._last_progress.get(ev.task, -1.0) < 0.25 and p < 1.0:
                return
            self._last_progress[ev.task] = p
            detail = f"{p:4.0%} {ev.message}".rstrip()
        elif ev.kind == "succeeded":
            detail = f"-> {ev.result!r}"
        else:
            detail = ev.message
        sim_t = ev.t / self.time_scale if self.time_scale > 0 else ev.t
        print(f"[{sim_t:7.1f}s] {self.ICONS[ev.kind]} {ev.task}. {ev.skill:<14} {ev.kind:<9} {detail}",
              file=self.out, flush=True)


def _summary(result: ExecutionResult, time_scale: float) -> str:
    scale = time_scale if time_scale > 0 else 1.0
    lines = []
    for t in result.tasks:
        outcome = repr(t.result) if t.status == "succeeded" else t.error
        lines.append(f"  {t.task}. {t.skill:<14} {t.status:<9} {outcome}")
    done = sum(t.status == "succeeded" for t in result.tasks)
    head = "cancelled" if result.cancelled else ("done" if result.ok else "finished with failures")
    lines.insert(0, f"{head}: {done}/{len(result.tasks)} task(s) succeeded in {result.makespan / scale:.1f} s"
                    " of robot time")
    return "\n".join(lines)


async def _run_with_signals(executor: Executor, plan: Plan) -> ExecutionResult:
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, executor.cancel)
    except (NotImplementedError, RuntimeError):
        pass
    try:
        return await executor.run(plan)
    finally:
        try:
            loop.remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError):
            pass


def _execute(executor: Executor, plan: Plan, json_out: bool, time_scale: float) -> ExecutionResult:
    if not json_out:
        print("plan:")
        print("".join(f"  {line}\n" for line in format_plan_text(plan, join=False).splitlines()), end="")
    result = asyncio.run(_run_with_signals(executor, plan))
    if not json_out:
        print(_summary(result, time_scale))
    return result


def _hear(args: argparse.Namespace, catalog: Catalog, world: Any) -> int | None:
    """``--audio FILE.wav``: transcribe it into ``args.command`` and print what was heard
    (to stderr under --json); an exit code when there is nothing to act on."""
    from agent_node.files.model_files import ModelFileError
    from agent_node.speech import AudioError, Transcriber

    out = sys.stderr if args.json else sys.stdout
    try:
        names = [p.capitalize() for p in world.people] + [f"the {o}" for o in world.objects]
        transcriber = Transcriber.load(catalog, names=names, threads=args.threads)
        transcript = transcriber.transcribe_file(args.audio)
    except (ModelFileError, AudioError) as e:
        print(f"agent-run: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f'heard: "{transcript.text}" (confidence {transcript.confidence:.2f}, '
          f"{transcript.speech_s:.1f} s of speech, {transcript.status})", file=out)
    if not transcript.actionable:
        print(f"answer: {transcript.reply}", file=out)
        print("nothing was run.", file=sys.stderr)
        return EXIT_FAILED
    args.command = transcript.text
    return None


def run_main(argv: list[str] | None = None) -> int:
    """``agent-run "command"``, ``agent-run --audio FILE.wav`` (a spoken command) or
    ``agent-run --plan FILE``: plan (or read), check and run on the simulated house robot."""
    from tool_adapters.sim.robot import SimRobot
    from tool_adapters.sim.world import WorldError, load_world

    ap = argparse.ArgumentParser(prog="agent-run", description="Run a command or a plan on the simulated house robot.")
    ap.add_argument("command", nargs="?", help="what the robot should do, in plain language")
    ap.add_argument("--plan", metavar="FILE", help="run this plan file (text or JSON form) instead of planning")
    ap.add_argument("--audio", metavar="FILE.wav",
                    help="a spoken command: transcribe this WAV file on the robot (Whisper), then plan it")
    ap.add_argument("--world", metavar="FILE", help="simulated world YAML (default: config/house_world.yaml)")
    ap.add_argument("--time-scale", type=float, default=0.1,
                    help="real seconds per simulated second (default 0.1: ten times faster; 0: instant)")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                    help=f"per-call timeout in real seconds (default {DEFAULT_TIMEOUT_S:g})")
    ap.add_argument("--seed", type=int, default=0, help="simulator seed")
    ap.add_argument("--max-replans", type=int, default=2, help="new plans after a failure (default 2)")
    ap.add_argument("--robot", metavar="DIR",
                    help="robot profile (agent-robot build wrote it, or a shipped one's name): its catalog, policy, "
                         "model and adapter unless given here; a robot other than the house robot is run dry "
                         "(stand-in results, no simulator)")
    ap.add_argument("--model", help="planner: registry name or GGUF path (default: the registry's default)")
    ap.add_argument("--adapter", default="", help="planner LoRA adapter: registered name or GGUF path (default: "
                    "the registry's default for the model and catalog; 'none': the model without one)")
    ap.add_argument("--threads", type=int, default=2, help="threads for the model (default 2)")
    ap.add_argument("--policy", metavar="FILE",
                    help="safety policy YAML (default: config/home_robot_policy.yaml with the reference catalog,"
                         " none with --catalog)")
    ap.add_argument("--yes", action="store_true",
                    help="answer yes to every confirmation the policy asks for (default: ask on the terminal;"
                         " without one, the answer is no)")
    _common_args(ap)
    args = ap.parse_args(argv)
    if sum(a is not None for a in (args.command, args.plan, args.audio)) != 1:
        ap.error("give one of a command, --plan FILE or --audio FILE.wav")
    if args.time_scale < 0:
        ap.error("--time-scale must be >= 0")
    try:
        if args.robot:
            args = argparse.Namespace(**load_profile(args.robot).fill(vars(args), FROM_ROBOT))
        catalog = load_catalog(args.catalog)
        policy = _policy(args.policy, args.catalog, catalog)
        world = load_world(args.world)
        plan = load_plan(args.plan) if args.plan else None
    except (PlanParseError, ConfigFileError, WorldError) as e:
        print(f"agent-run: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.audio is not None and (code := _hear(args, catalog, world)) is not None:
        return code
    robot = SimRobot(world=world, time_scale=args.time_scale, seed=args.seed) if is_reference_catalog(catalog) \
        else _dry_runner(catalog)
    events: list[dict[str, Any]] = []
    printer = None if args.json else ProgressPrinter(time_scale=args.time_scale)

    def on_event(ev: TaskEvent) -> None:
        events.append(ev.model_dump())
        if printer:
            printer(ev)

    catalog = policy.allowed(catalog)
    ask = _terminal_ask(args.yes)
    executor = Executor(catalog, robot, timeout_s=args.timeout, on_event=on_event, policy=policy, ask=ask)
    if plan is not None:
        checked = check_plan(plan, catalog)
        if not checked.ok:
            _print_problems(checked.problems, out=sys.stderr)
            print("nothing was run.", file=sys.stderr)
            return EXIT_FAILED
        _write_graphs(args, checked.plan, catalog)
        result = _execute(executor, checked.plan, args.json, args.time_scale)
        if args.json:
            print(json.dumps({"plan": json.loads(format_plan_json(checked.plan)), "events": events,
                              "result": result.model_dump()}, indent=2, default=str))
        return EXIT_OK if result.ok else EXIT_FAILED
    return _run_command(args, catalog, executor, events)


def _run_command(args: argparse.Namespace, catalog: Catalog, executor: Executor, events: list) -> int:
    """Plan the command, run it, replan (bounded) after a failure a new plan may fix, answer.

    The loop is :class:`agent_node.agent.Agent`, the same the ROS 2 node runs."""
    from agent_node.agent import Agent
    from agent_node.files.model_files import ModelFileError
    from agent_node.language.control_words import control_word
    from agent_node.planning.planner import NO_SKILL, Planner

    control = control_word(args.command)
    if control:
        print(f"answer: There is nothing to {'stop' if control == 'stop' else 'confirm'}.")
        return EXIT_OK
    try:
        planner = Planner.load(catalog, model=args.model, threads=args.threads, adapter=args.adapter)
    except ModelFileError as e:
        print(f"agent-run: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def on_plan(plan: Plan, attempt: int) -> None:
        _write_graphs(args, plan, catalog)
        if not args.json:
            print("plan:" if attempt == 1 else f"new plan (attempt {attempt}):")
            print("".join(f"  {line}\n" for line in format_plan_text(plan, join=False).splitlines()), end="")

    def on_result(result: ExecutionResult) -> None:
        if not args.json:
            print(_summary(result, args.time_scale))

    agent = Agent(catalog, planner, executor.runner, timeout_s=executor.timeout_s, timeouts=executor.timeouts,
                  max_replans=args.max_replans, on_event=executor.on_event, on_plan=on_plan, on_result=on_result,
                  policy=executor.policy, ask=executor.ask)
    run = asyncio.run(_with_sigint(agent.handle(args.command), agent.cancel))
    if args.json:
        print(json.dumps({"command": args.command, "runs": [r.model_dump() for r in run.runs], "events": events,
                          "answer": run.answer}, indent=2, default=str))
    else:
        print(f"\nanswer: {run.answer}")
    if not run.runs:
        return EXIT_OK if run.reason == NO_SKILL and not run.error else EXIT_FAILED
    return EXIT_OK if run.ok else EXIT_FAILED


#: Options a robot profile fills when they are not given (option -> profile part).
FROM_ROBOT = {"catalog": "catalog", "policy": "policy", "model": "model", "adapter": "adapter"}


def _dry_runner(catalog: Catalog) -> Any:
    """For a robot the simulator does not model: every call succeeds at once with a
    stand-in result of its type (the first value of an enum), to see the plan run."""
    from tool_adapters.scripted import dry_runner

    print("note: no simulator for this robot: a dry run with stand-in results", file=sys.stderr)
    return dry_runner(catalog)


def _policy(path: str | None, catalog_path: str | None, catalog: Catalog) -> Policy:
    """The policy file given, else the reference robot's for the reference catalog, else none."""
    if path is None and catalog_path is not None:
        return Policy.permissive()
    return load_policy(path, catalog)


def _terminal_ask(always_yes: bool):
    """Confirmations: yes with ``--yes``; else asked on the terminal; no terminal, no."""
    from agent_node.language.control_words import control_word

    async def ask(question: str) -> bool:  # the progress printer has shown the question
        if always_yes:
            print("           yes (--yes)", flush=True)
            return True
        if not sys.stdin.isatty():
            print("           no (no terminal to ask on; --yes answers yes)", flush=True)
            return False
        reply = await asyncio.to_thread(input, "           yes or no? ")
        return control_word(reply) == "yes"
    return ask


async def _with_sigint(work: Any, cancel: Any) -> Any:
    """Await ``work`` with Ctrl-C calling ``cancel`` instead of raising."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, cancel)
    except (NotImplementedError, RuntimeError):
        pass
    try:
        return await work
    finally:
        try:
            loop.remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError):
            pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_main())
