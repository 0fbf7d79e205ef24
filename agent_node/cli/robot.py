"""``agent-robot``: a robot profile from a skill catalog, in one command.

    agent-robot build CATALOG.yaml --out DIR [--phrases FILE] [--budget-min 60]
    agent-robot check DIR
    agent-robot rehash DIR

``build`` writes everything the agent needs for one robot into ``DIR`` (see
:mod:`agent_node.profiles.profile`), in stages, each skipped when a earlier run
finished it with the same inputs (so an interrupted build resumes; training
resumes from its last checkpoint):

1. catalog: checked, copied with the phrases file (at most 5 templates per
   skill, :mod:`agent_node.language.phrases_file`), policy and bindings;
2. data: verified commands with plans for the catalog (the generic phrasings
   of the catalog, the phrases file's, the variations), as many as the budget
   lets the adapter train on;
3. toolrag: the skill classifier (used by the planner without an adapter);
4. bank: the example bank (the same);
5. adapter: the planner's LoRA adapter, trained within what is left of the budget;
6. report: held-out figures on commands generated with a seed the data never
   used, the time of every stage, and ``DIR/robot.yaml``.

Then: ``agent-plan --robot DIR "..."``, ``agent-eval --robot DIR SET.jsonl``,
``ros2 launch agent_node agent.launch.py robot:=DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.cli.evaluate import print_progress
from agent_node.cli.finetune import _commands, _progress
from agent_node.files.config_files import ConfigFileError
from agent_node.files.model_files import ModelFileError, sha256_of
from agent_node.profiles.profile import MANIFEST, ProfileError, load_profile, part_of

STAGES = ("catalog", "data", "toolrag", "bank", "adapter", "report")
#: Training seconds per example on 2 threads of this class of CPU (LoRA r=16 on the 0.5B
#: planner, bf16): 40.3 min for 4983 examples. Sizes the data to the budget.
SECONDS_PER_EXAMPLE = 0.49
#: Minutes the stages other than training take at most (data, ToolRAG, bank, report).
OTHER_STAGES_MIN = 9.0
MIN_EXAMPLES, MAX_EXAMPLES = 60, 5000
HELD_OUT = 60


def examples_for(budget_min: float, threads: int) -> int:
    """How many training commands fit the budget."""
    train_min = max(0.5, budget_min - OTHER_STAGES_MIN)
    n = int(train_min * 60 / (SECONDS_PER_EXAMPLE * 2 / max(1, threads)))
    return max(MIN_EXAMPLES, min(MAX_EXAMPLES, n))


class Build:
    """One build: the output directory, the stage stamps and the inputs they depend on."""

    def __init__(self, out: Path, key: dict[str, Any]):
        self.out, self.work = out, out / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.key = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        self.times: dict[str, float] = {}
        stamp = self.work / "times.json"
        if stamp.is_file():
            self.times = json.loads(stamp.read_text(encoding="utf-8"))

    def done(self, stage: str) -> bool:
        stamp = self.work / f"{stage}.done"
        return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == self.key

    def run(self, stage: str, work: Callable[[], None]) -> None:
        number = f"[{STAGES.index(stage) + 1}/{len(STAGES)}] {stage}"
        if self.done(stage):
            print(f"{number}: done before ({self.times.get(stage, 0) / 60:.1f} min), skipped", file=sys.stderr)
            return
        print(f"{number}...", file=sys.stderr)
        started = time.perf_counter()
        work()
        self.times[stage] = round(time.perf_counter() - started, 1)
        (self.work / "times.json").write_text(json.dumps(self.times), encoding="utf-8")
        (self.work / f"{stage}.done").write_text(self.key, encoding="utf-8")
        print(f"{number}: {self.times[stage] / 60:.1f} min", file=sys.stderr)


def _copy(src: str | None, dst: Path) -> Path | None:
    if not src:
        return None
    if Path(src).resolve() != dst.resolve():
        shutil.copyfile(src, dst)
    return dst


def _phrasebook(catalog: Catalog, phrases: Path | None):
    from agent_node.language.phrasebook import load_phrasebook
    from agent_node.language.phrases_file import phrasebook_with_phrases, read_phrases

    return phrasebook_with_phrases(catalog, read_phrases(phrases, catalog)) if phrases else load_phrasebook(catalog)


def build(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        catalog = load_catalog(args.catalog)
        phrases_src = Path(args.phrases) if args.phrases else None
        if phrases_src is not None:
            _phrasebook(catalog, phrases_src)  # checked before anything is written
        from agent_node.planning.llm import resolve_model

        base = resolve_model(args.model)
    except (ConfigFileError, ModelFileError) as e:
        print(f"agent-robot: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    n = args.n or examples_for(args.budget_min, args.threads)
    inputs = {"catalog": sha256_of(Path(args.catalog)), "phrases": sha256_of(phrases_src) if phrases_src else None,
              "model": base.name, "n": n, "seed": args.seed, "budget": args.budget_min, "threads": args.threads,
              "decline_scale": args.decline_scale}
    b = Build(out, inputs)
    name = args.name or out.resolve().name
    files: dict[str, Path | None] = {}
    deadline = started + args.budget_min * 60 - sum(b.times.get(s, 0) for s in STAGES if b.done(s))

    def stage_catalog() -> None:
        out.mkdir(parents=True, exist_ok=True)
        _copy(args.catalog, out / "skills.yaml")
        _copy(str(phrases_src) if phrases_src else None, out / "phrases.yaml")
        _copy(args.policy, out / "policy.yaml")
        _copy(args.bindings, out / "bindings.yaml")
    b.run("catalog", stage_catalog)
    files["catalog"] = out / "skills.yaml"
    files["phrases"] = out / "phrases.yaml" if phrases_src else None
    files["policy"] = out / "policy.yaml" if args.policy else None
    files["bindings"] = out / "bindings.yaml" if args.bindings else None
    pb = _phrasebook(catalog, files["phrases"])
    data = b.work / "train.jsonl"

    def stage_data() -> None:
        from agent_node.training import sft_data

        samples, by_source = sft_data.build(catalog, n, args.seed, pb, exclude=_commands(args.exclude),
                                            decline_scale=args.decline_scale)
        sft_data.write(samples, data)
        print(f"      {len(samples)} verified commands ({dict(by_source)})", file=sys.stderr)
    b.run("data", stage_data)
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]

    def stage_toolrag() -> None:
        from agent_node.datagen.toolrag_training import train_toolrag

        report = train_toolrag(catalog, [r["command"] for r in rows], [[t["skill"] for t in r["plan"]] for r in rows],
                               out / "toolrag", seed=args.seed)
        print(f"      held-out recall {report.heldout_recall:.3f}, threshold {report.threshold:.3g}", file=sys.stderr)
    b.run("toolrag", stage_toolrag)

    def stage_bank() -> None:
        from agent_node.datagen.bank import bank_of
        from agent_node.planning.encoder import SentenceEncoder

        bank = bank_of(catalog, [r for r in rows if r["plan"]][:1500], SentenceEncoder(threads=args.threads), pb)
        bank.save(out / "bank")
    b.run("bank", stage_bank)

    def stage_adapter() -> None:
        from agent_node.cli.finetune import export_adapter
        from agent_node.training import lora, sft_data
        from agent_node.training.lora import TrainConfig

        left = max(0.5, (deadline - time.perf_counter()) / 60 - 3)
        config = TrainConfig(seed=args.seed, threads=args.threads, max_minutes=left, max_steps=args.max_steps,
                             batch=args.batch, rank=args.rank, alpha=args.alpha, lr=args.lr)
        model, log = lora.train(base, sft_data.read_pairs(data), b.work, config, progress=_progress)
        export_adapter(model, log, base, out, config, str(data))
    b.run("adapter", stage_adapter)
    files["adapter"] = out / "adapter.gguf"

    def stage_report() -> None:
        figures = held_out(catalog, pb, out, args, {r["command"].lower() for r in rows}, base)
        manifest = write_manifest(out, name, files, args.model, b.times, figures, n)
        (out / "report.md").write_text(report_text(manifest), encoding="utf-8")
    b.run("report", stage_report)
    write_manifest(out, name, files, args.model, b.times, _read_report(out), n)
    (out / "report.md").write_text(report_text(yaml.safe_load((out / MANIFEST).read_text(encoding="utf-8"))),
                                   encoding="utf-8")
    print(f"profile {out} in {(time.perf_counter() - started) / 60:.1f} min: "
          f"agent-plan --robot {out} \"...\"", file=sys.stderr)
    return 0


def held_out(catalog: Catalog, pb, out: Path, args: argparse.Namespace, trained: set[str], base: Path) -> dict:
    """Success on commands generated with a seed the data never used, planned with the new adapter."""
    from agent_node.datagen.generate import generate
    from agent_node.datagen.metric import match_plans
    from agent_node.planning.planner import Planner

    samples = [s for s in generate(catalog, args.held_out * 2, seed=args.seed + 7919, phrasebook=pb)
               if s.command.lower() not in trained][:args.held_out]
    planner = Planner.load(catalog, model=str(base), adapter=str(out / "adapter.gguf"), threads=args.threads,
                           store_states=False)
    ok, latencies = 0, []
    for done, s in enumerate(samples, start=1):
        result = planner.plan(s.command)
        plan = [] if result.declined else result.plan
        ok += match_plans(plan, [c.model_dump() for c in s.plan], catalog).ok
        latencies.append(result.latency_s)
        print_progress(done, len(samples), f"{done}/{len(samples)}  success so far {ok}/{done}")
    latencies.sort()
    return {"held_out_commands": len(samples), "held_out_success": round(ok / max(1, len(samples)), 3),
            "p50_latency_s": round(latencies[len(latencies) // 2], 3) if latencies else None}


def _read_report(out: Path) -> dict:
    manifest = out / MANIFEST
    if not manifest.is_file():
        return {}
    report = (yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}).get("report", {})
    return {k: v for k, v in report.items() if k not in ("stage_minutes", "training_commands")}


def write_manifest(out: Path, name: str, files: dict[str, Path | None], model: str | None,
                   times: dict[str, float], figures: dict, n: int) -> dict:
    manifest: dict[str, Any] = {"name": name}
    for key in ("catalog", "phrases"):
        if files.get(key):
            manifest[key] = part_of(out, files[key])
    if model:
        manifest["model"] = model
    if files.get("adapter") and files["adapter"].is_file():
        manifest["adapter"] = part_of(out, files["adapter"])
    for key in ("toolrag", "bank"):
        if (out / key).is_dir():
            manifest[key] = key
    for key in ("policy", "bindings"):
        if files.get(key):
            manifest[key] = part_of(out, files[key])
    manifest["report"] = {**figures, "training_commands": n,
                          "stage_minutes": {s: round(times.get(s, 0) / 60, 1) for s in STAGES}}
    text = ("# A robot profile written by agent-robot build; parts relative to this file, each checked by "
            "its sha256.\n" + yaml.safe_dump(manifest, sort_keys=False, width=120))
    (out / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def report_text(manifest: dict) -> str:
    r = manifest.get("report", {})
    lines = [f"# Robot profile `{manifest['name']}`", "",
             f"- training commands: {r.get('training_commands')}",
             f"- held-out success: {r.get('held_out_success')} on {r.get('held_out_commands')} generated commands "
             "(a seed the training data never used)",
             f"- p50 planning latency: {r.get('p50_latency_s')} s", "", "| stage | minutes |", "|---|---|"]
    lines += [f"| {s} | {m} |" for s, m in r.get("stage_minutes", {}).items()]
    lines += [f"| total | {round(sum(r.get('stage_minutes', {}).values()), 1)} |", ""]
    return "\n".join(lines)


def check(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.robot)
        catalog = load_catalog(profile.catalog)
    except ConfigFileError as e:
        print(f"agent-robot: {e}", file=sys.stderr)
        return 2
    print(f"robot {profile.name} ({profile.directory}): {len(catalog.skills)} skills")
    for part, value in profile.parts().items():
        print(f"  {part:9s} {value or '-'}")
    return 0


def rehash(args: argparse.Namespace) -> int:
    """Write the current sha256 of every file part into the manifest (after a part was changed on
    purpose, such as the shipped profile's adapter after a retrain)."""
    from agent_node.profiles.profile import profile_dir

    directory = profile_dir(args.robot)
    path = directory / MANIFEST
    if not path.is_file():
        print(f"agent-robot: no {MANIFEST} in {directory}", file=sys.stderr)
        return 2
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    data = yaml.safe_load("".join(lines)) or {}
    for key, value in data.items():
        if isinstance(value, dict) and "file" in value and "sha256" in value:
            digest = sha256_of(directory / value["file"])
            if digest != value["sha256"]:
                print(f"{key}: {value['file']} {str(value['sha256'])[:12]}... -> {digest[:12]}...")
                lines = [line.replace(f"sha256: {value['sha256']}", f"sha256: {digest}")
                         if line.startswith(f"{key}:") else line for line in lines]
    path.write_text("".join(lines), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="agent-robot", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="action", required=True)
    bd = sub.add_parser("build", help="build a robot profile from a skill catalog")
    bd.add_argument("catalog", metavar="CATALOG.yaml")
    bd.add_argument("--out", required=True, metavar="DIR", help="profile directory to write")
    bd.add_argument("--phrases", metavar="FILE", help="at most 5 example templates per skill "
                                                     "(format: agent_node/language/phrases_file.py)")
    bd.add_argument("--budget-min", type=float, default=60.0, help="minutes the whole build may take (default 60)")
    bd.add_argument("--name", help="the robot's name (default: the directory's)")
    bd.add_argument("--policy", metavar="FILE", help="safety policy YAML to ship with the profile")
    bd.add_argument("--bindings", metavar="FILE", help="ROS bindings YAML to ship with the profile")
    bd.add_argument("--model", help="base planner: registry name or GGUF path (default: the registry's default)")
    bd.add_argument("--exclude", nargs="*", default=[], metavar="FILE",
                    help="JSONL sets whose commands are never trained on (your test sets)")
    bd.add_argument("-n", type=int, default=0, help="training commands (default: as many as the budget allows)")
    bd.add_argument("--held-out", type=int, default=HELD_OUT,
                    help=f"generated commands the report plans with the new adapter (default {HELD_OUT})")
    bd.add_argument("--seed", type=int, default=0)
    bd.add_argument("--threads", type=int, default=2)
    bd.add_argument("--decline-scale", type=float, default=1.0, help=argparse.SUPPRESS)
    bd.add_argument("--max-steps", type=int, default=0, help=argparse.SUPPRESS)
    bd.add_argument("--batch", type=int, default=8, help=argparse.SUPPRESS)
    bd.add_argument("--rank", type=int, default=16, help=argparse.SUPPRESS)
    bd.add_argument("--alpha", type=float, default=32.0, help=argparse.SUPPRESS)
    bd.add_argument("--lr", type=float, default=2e-4, help=argparse.SUPPRESS)
    ck = sub.add_parser("check", help="check a profile's parts and hashes")
    ck.add_argument("robot", metavar="DIR")
    rh = sub.add_parser("rehash", help="write the parts' current sha256 into the manifest (after changing a part "
                                       "on purpose)")
    rh.add_argument("robot", metavar="DIR")
    args = ap.parse_args(argv)
    try:
        return {"build": build, "check": check, "rehash": rehash}[args.action](args)
    except ProfileError as e:
        print(f"agent-robot: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
