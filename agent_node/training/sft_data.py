"""Training data for a planner adapter: verified commands with gold plans, as the
prompt the planner shows and the plan text it must write.

The commands are the generator's (:mod:`agent_node.datagen.generate`, every kind) and its
variations (:mod:`agent_node.training.variations`: corrections, unknown places,
out-of-bounds numbers, other units, sequences, near misses, casual typing). Every sample with a plan has passed the
three checks (format, execution on the simulator, meaning); an empty plan is
either an out-of-domain request or a variation that says why it is empty.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Iterable

from agent_node.catalog.skills import Catalog
from agent_node.datagen.generate import default_world, generate_report
from agent_node.datagen.samples import Sample
from agent_node.datagen.verify import Verifier
from agent_node.language.phrasebook import Phrasebook, load_phrasebook
from agent_node.plan.text import format_plan_text
from agent_node.planning.prompt import trained_static_part, trained_turn
from agent_node.training.variations import variations

END = "<|im_end|>"
#: Shares of the data beyond the generator's own samples.
VARIATION_SHARE = {"correction": 0.08, "unknown_place": 0.06, "out_of_bounds": 0.06, "units": 0.10, "sequence": 0.07,
                   "near_miss": 0.03, "casual": 0.06}
#: Share of requests no skill serves drawn on top of the generator's own (its mix has 8 %):
#: a small model bends them into a nearby skill ("lock the front door" -> lights off).
EXTRA_DECLINES = 0.04
#: The variations whose plans are empty (the robot must decline).
DECLINING = ("unknown_place", "out_of_bounds", "near_miss")


def prompt_of(command: str) -> str:
    """What the planner with an adapter shows the model for ``command``."""
    return trained_static_part() + trained_turn(command)


def completion_of(sample: Sample) -> str:
    """The text the model must write for ``sample``: its plan, then the end of the turn."""
    return format_plan_text(sample.to_plan()) + END


def build(catalog: Catalog, n: int, seed: int = 0, phrasebook: Phrasebook | None = None,
          exclude: Iterable[str] = (), decline_scale: float = 1.0) -> tuple[list[Sample], Counter]:
    """About ``n`` verified samples (generator and variations), shuffled; ``exclude``
    are commands never to train on (an evaluation set's); ``decline_scale`` scales the
    shares of the variations that must be declined (the rest goes to the generator's
    own commands). Returns them and their counts by source."""
    pb = phrasebook or load_phrasebook(catalog)
    world = default_world(catalog)
    counts = {name: int(n * share * (decline_scale if name in DECLINING else 1.0))
              for name, share in VARIATION_SHARE.items()}
    declines = int(n * EXTRA_DECLINES * decline_scale)
    base = generate_report(catalog, n - sum(counts.values()) - declines, seed, pb, world).samples
    base += [s.model_copy(update={"id": s.id.replace("syn-", "decline-", 1)}) for s in
             generate_report(catalog, declines, seed + 2000, pb, world, mix={"none": 1.0}).samples]
    excluded = {c.strip().lower() for c in exclude}
    seen = {s.command.lower() for s in base} | excluded
    def verifier_for(changed: Phrasebook):
        checker = verifiers.enter_context(Verifier(catalog, changed, world))
        return lambda s: not checker.verify(s)

    with ExitStack() as verifiers:
        extra = list(variations(catalog, pb, world, counts, seed + 1000, seen, verifier_for(pb), verifier_for))
    samples = [s for s in base + extra if s.command.strip().lower() not in excluded]
    random.Random(seed).shuffle(samples)
    by_source = Counter(s.id.split("-")[0] for s in samples)
    return samples, by_source


def write(samples: list[Sample], path: str | Path) -> None:
    """JSONL with the sample and its prompt and completion."""
    with open(path, "w", encoding="utf-8") as f:
        for s in samples:
            f.write(json.dumps({**json.loads(s.to_json()), "prompt": prompt_of(s.command),
                                "completion": completion_of(s)}, ensure_ascii=False) + "\n")


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """(prompt, completion) pairs of a file :func:`write` wrote."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["prompt"], r["completion"]) for r in rows]
