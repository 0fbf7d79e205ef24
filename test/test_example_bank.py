"""The example bank: retrieval by meaning, the fixed examples for the cached prompt, corrupt files."""

from __future__ import annotations

import re

import numpy as np
import pytest

from agent_node.catalog import load_catalog
from agent_node.example_bank import ExampleBank
from agent_node.model_files import ModelFileError
from agent_node.plan_text import parse_plan_text

CATALOG = load_catalog()


@pytest.fixture(scope="module")
def bank() -> ExampleBank:
    return ExampleBank.load()


def test_the_committed_bank_loads_and_every_plan_parses(bank):
    assert len(bank) >= 1000
    for plan in bank.plans[:300]:
        parse_plan_text(plan)


def test_representative_examples_show_every_skill_a_flow_and_a_decline(bank):
    chosen = bank.representative(16)
    assert chosen == bank.representative(16)  # deterministic: the prompt cache stays valid
    assert 1 < len(chosen) <= 16
    skills = {s for _, p in chosen for s in re.findall(r"^\d+\. (\w+)\(", p, flags=re.M)} - {"join"}
    assert skills == set(CATALOG.skill_names)
    assert any(p.strip() == "1. join()" for _, p in chosen)
    assert any("$1" in p for _, p in chosen)
    assert all(len(c) <= 90 and p.count("\n") <= 5 for c, p in chosen)


def test_representative_stops_when_nothing_new_is_shown():
    plans = ['1. get_battery()\n2. join()', '1. get_battery()\n2. join()', '1. say(text="hi")\n2. join()']
    bank = ExampleBank(["battery?", "battery level?", "say hi"], plans, np.eye(3, dtype=np.float32))
    assert sorted(c for c, _ in bank.representative(10)) == ["battery?", "say hi"]


def test_retrieve_puts_the_closest_example_last():
    bank = ExampleBank(["a", "b", "c"], ["1. join()"] * 3, np.eye(3, dtype=np.float32))
    query = np.array([0.1, 0.2, 0.9], dtype=np.float32)
    assert [c for c, _ in bank.retrieve(query, 2)] == ["b", "c"]
    assert bank.retrieve(query, 0) == []


def test_a_corrupt_bank_is_a_clear_error(tmp_path, bank):
    small = ExampleBank(bank.commands[:5], bank.plans[:5], bank.embeddings[:5])
    small.save(tmp_path)
    assert len(ExampleBank.load(tmp_path)) == 5
    (tmp_path / "bank.jsonl").write_text("garbage\n", encoding="utf-8")
    with pytest.raises(ModelFileError, match="sha256|corrupt"):
        ExampleBank.load(tmp_path)
    with pytest.raises(ModelFileError, match="no example bank"):
        ExampleBank.load(tmp_path / "missing")
