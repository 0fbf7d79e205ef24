"""Verified synthetic commands and plans (APIGen-style), for ToolRAG and planners.

:func:`generate` draws commands from a phrasebook (see
:mod:`agent_node.language.phrasebook`) with the plan each one means, arranges the world
each plan needs (:class:`Setup`), and keeps only samples that pass the three
checks of :mod:`agent_node.datagen.verify` (format, execution, meaning). Kinds:

- ``single``: one call; ``parallel``: 2-3 independent calls joined by
  connectors, or one phrase for a skill called with several values;
- ``chain``: results flow through ``$N`` (from the phrasebook's chain
  composites, or for any catalog, producer/consumer pairs by type);
- ``body``: the robot carries things (go, pick, go, place / hand over);
- ``mix``: 4-7 calls combining the above; ``none``: out-of-domain requests,
  whose plan is empty.

Deterministic for a seed. ``agent-datagen`` (:mod:`agent_node.cli.datagen`) writes JSONL: one
``{"id", "command", "plan": [{"skill", "args"}], "kind", "setup"}`` per line.
"""


from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from agent_node.catalog.skills import Catalog
from agent_node.language.phrasebook import (
    Phrasebook,
    is_reference_catalog,
    load_phrasebook,
)

if TYPE_CHECKING:
    from tool_adapters.sim.world import World
from agent_node.datagen.arrange import Arrangement
from agent_node.datagen.compose import Composer, Infeasible, join_calls
from agent_node.datagen.samples import KINDS, GenerationReport, Kind, PlanCall, Sample, Setup

#: The default share of each kind.
DEFAULT_MIX: dict[Kind, float] = {"single": 0.30, "parallel": 0.16, "chain": 0.20, "body": 0.14, "mix": 0.12,
                                  "none": 0.08}


# -- generation -------------------------------------------------------------------------------
def kind_schedule(n: int, kinds: list[Kind], mix: dict[Kind, float], rng: random.Random) -> list[Kind]:
    """``n`` kinds in the proportions of ``mix`` (renormalised over ``kinds``), shuffled."""
    weights = {k: mix.get(k, 0.0) for k in kinds}
    total = sum(weights.values()) or 1.0
    counts = {k: int(n * w / total) for k, w in weights.items()}
    by_remainder = sorted(kinds, key=lambda k: -(n * weights[k] / total - counts[k]))
    for k in by_remainder[: n - sum(counts.values())]:
        counts[k] += 1
    schedule = [k for k in kinds for _ in range(counts[k])]
    rng.shuffle(schedule)
    return schedule


def default_world(catalog: Catalog) -> World | None:
    """The simulated house for the reference catalog (None for any other: no execution world)."""
    if not is_reference_catalog(catalog):
        return None
    from tool_adapters.sim.world import load_world

    return load_world()


def generate_report(catalog: Catalog, n: int, seed: int = 0, phrasebook: Phrasebook | None = None,
                    world: World | None = None, mix: dict[Kind, float] | None = None,
                    max_attempts: int | None = None) -> GenerationReport:
    """Generate until ``n`` samples pass verification (or ``max_attempts`` drafts,
    default ``5n + 200``); returns them with the counts."""
    from agent_node.datagen.verify import Verifier

    started = time.perf_counter()
    rng = random.Random(seed)
    pb = phrasebook or load_phrasebook(catalog)
    world = world if world is not None else default_world(catalog)
    composer = Composer(catalog, pb, rng, world)
    report = GenerationReport(samples=[])
    seen: set[str] = set()
    schedule = kind_schedule(n, composer.available(), mix or DEFAULT_MIX, rng)
    limit = max_attempts if max_attempts is not None else 5 * n + 200
    with Verifier(catalog, pb, world) as verifier:
        for kind in schedule:
            while report.attempts < limit:
                report.attempts += 1
                sample, why = draft(composer, kind, f"syn-{seed}-{len(report.samples) + 1:05d}", world, seen)
                rejections = verifier.verify(sample) if sample is not None else []
                if why or rejections:
                    report.rejections[("compose", why) if why else rejections[0].key] += 1
                    continue
                seen.add(sample.command.lower())  # type: ignore[union-attr]
                report.samples.append(sample)  # type: ignore[arg-type]
                break
    report.seconds = time.perf_counter() - started
    return report


def draft(composer: Composer, kind: Kind, sample_id: str, world: World | None,
           seen: set[str]) -> tuple[Sample | None, str]:
    """One unverified sample of ``kind``, or None and why none could be made."""
    try:
        segments = composer.builders[kind]()
        calls = join_calls(segments)
        hints = [h for s in segments for h in s.held]
        setup = Arrangement(world, composer.rng, hints).play(calls) if world is not None else Setup()
    except Infeasible as e:
        return None, f"infeasible: {e}"
    command = composer.command(segments)
    if command.lower() in seen:
        return None, "duplicate command"
    plan = [PlanCall(skill=s, args=a) for s, a in calls]
    return Sample(id=sample_id, command=command, plan=plan, kind=kind, setup=setup), ""


def generate(catalog: Catalog, n: int, seed: int = 0, phrasebook: Phrasebook | None = None,
             world: World | None = None) -> list[Sample]:
    """``n`` verified samples (fewer only if the attempt cap is hit); see :func:`generate_report`."""
    return generate_report(catalog, n, seed, phrasebook, world).samples



# -- CLI -------------------------------------------------------------------------------------------
def format_report(report: GenerationReport, n: int) -> str:
    """Counts per kind and rejections by check and reason, as printed by the CLI."""
    lines = [f"{len(report.samples)}/{n} samples from {report.attempts} drafts in {report.seconds:.1f} s"]
    lines.append("kinds: " + ", ".join(f"{k} {report.kinds.get(k, 0)}" for k in KINDS))
    rejected = sum(report.rejections.values())
    lines.append(f"rejected: {rejected}" + ("" if rejected else " (none)"))
    for (check, reason), count in sorted(report.rejections.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:6d}  {check:<9}  {reason}")
    return "\n".join(lines)
