"""Building the planner's example bank (:mod:`agent_node.planning.example_bank`) from
verified synthetic commands."""

from __future__ import annotations

from typing import Any, Sequence

from agent_node.catalog.skills import Catalog
from agent_node.datagen.generate import generate
from agent_node.datagen.samples import Sample
from agent_node.datagen.verify import sample_plan
from agent_node.language.command_keys import CommandKeys
from agent_node.language.phrasebook import Phrasebook, load_phrasebook
from agent_node.plan.text import format_plan_text
from agent_node.planning.encoder import SentenceEncoder
from agent_node.planning.example_bank import ExampleBank


def build_bank(catalog: Catalog, n: int, encoder: SentenceEncoder, seed: int = 7) -> ExampleBank:
    """``n`` verified commands of ``catalog`` with their plans, embedded by their keys."""
    return bank_of(catalog, generate(catalog, n, seed=seed), encoder)


def bank_of(catalog: Catalog, samples: Sequence[Sample | dict[str, Any]], encoder: SentenceEncoder,
            phrasebook: Phrasebook | None = None) -> ExampleBank:
    """A bank of verified samples (or their JSON rows), embedded by their keys."""
    samples = [s if isinstance(s, Sample) else Sample.model_validate({k: v for k, v in s.items()
                                                                      if k in Sample.model_fields})
               for s in samples]
    plans = [format_plan_text(sample_plan(s)).strip() for s in samples]
    commands = [s.command for s in samples]
    keys = CommandKeys(catalog, phrasebook or load_phrasebook(catalog), plans)
    return ExampleBank(commands, plans, encoder.encode([keys(c) for c in commands]))
