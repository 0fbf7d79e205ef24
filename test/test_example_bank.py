"""The example bank: retrieval by meaning, the fixed examples for the cached prompt, corrupt files."""

from __future__ import annotations

import re

import numpy as np
import pytest

from agent_node.catalog.skills import load_catalog
from agent_node.files.model_files import ModelFileError
from agent_node.plan.text import parse_plan_text
from agent_node.planning.example_bank import ExampleBank, plan_shape

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


def test_a_plan_shape_keeps_the_calls_and_the_results_they_cite():
    shape = plan_shape('1. find_person(person="bob")\n2. navigate_to(location="$1")\n'
                       '3. say(text="Bob is at $1, battery $2.", volume=0.5)\n4. join()')
    assert shape == "1. find_person()\n2. navigate_to($1)\n3. say($1,$2)\n4. join()"
    assert plan_shape('1. pick(object="cup")\n2. join()') == plan_shape('1. pick(object="the red mug")\n2. join()')
    assert plan_shape('1. take_photo()\n2. send_message(recipient="a", attachment="$1")\n3. join()') != \
        plan_shape('1. take_photo()\n2. send_message(recipient="a", text="hi")\n3. join()')


def _shaped_bank() -> ExampleBank:
    """Five 'go' examples (two alike, three alike) and two of a rarer shape."""
    go = '1. navigate_to(location="{}")\n2. join()'
    rows = [("go to the kitchen", go.format("kitchen"), [1, 0, 0]),
            ("head to the kitchen", go.format("kitchen"), [0.98, 0.2, 0]),
            ("drive to the garage", go.format("garage"), [0, 1, 0]),
            ("go over to the garage", go.format("garage"), [0.1, 0.99, 0]),
            ("the garage please", go.format("garage"), [0.2, 0.98, 0]),
            ("find bob and go to him", '1. find_person(person="bob")\n2. navigate_to(location="$1")\n3. join()',
             [0, 0, 1]),
            ("go to carol", '1. find_person(person="carol")\n2. navigate_to(location="$1")\n3. join()',
             [0.3, 0, 0.95])]
    emb = np.array([r[2] for r in rows], dtype=np.float32)
    return ExampleBank([r[0] for r in rows], [r[1] for r in rows], emb / np.linalg.norm(emb, axis=1, keepdims=True))


def test_stand_ins_are_few_of_each_common_shape_and_cover_it():
    bank = _shaped_bank()
    stand_ins = bank.stand_ins(per_shape=2, min_count=3)
    assert list(stand_ins) == [bank.shapes[0]]       # the rarer shape has too few examples
    chosen = stand_ins[bank.shapes[0]]
    assert len(chosen) == 2 and all(bank.shapes[i] == bank.shapes[0] for i in chosen)
    # one of each cluster: the kitchen pair and the garage trio (not two of the same)
    assert sorted("garage" in bank.commands[i] for i in chosen) == [False, True]
    assert bank.stand_ins(per_shape=2, min_count=3) == stand_ins  # deterministic: the stored states stay valid
    assert bank.stand_ins(per_shape=9, min_count=2)[bank.shapes[5]] != []
    assert bank.stand_ins(per_shape=0) == {}


def test_retrieval_shows_the_most_similar_stand_in_of_the_nearest_examples_shape():
    bank = _shaped_bank()
    stand_ins = bank.stand_ins(per_shape=2, min_count=3)
    chosen = stand_ins[bank.shapes[0]]
    query = np.array([0.15, 0.99, 0], dtype=np.float32)   # nearest: "go over to the garage"
    assert bank.retrieve(query, 1) == [(bank.commands[3], bank.plans[3])]
    garage = next(i for i in chosen if "garage" in bank.commands[i])
    assert bank.retrieve(query, 1, stand_ins) == [(bank.commands[garage], bank.plans[garage])]
    # a shape without stand-ins: the nearest example itself
    query = np.array([0, 0.05, 1], dtype=np.float32)
    assert bank.retrieve(query, 1, stand_ins) == [(bank.commands[5], bank.plans[5])]
    # two nearest of one shape: its stand-in once
    query = np.array([1, 0.1, 0], dtype=np.float32)
    assert len(bank.retrieve(query, 2, stand_ins)) == 1


def test_a_corrupt_bank_is_a_clear_error(tmp_path, bank):
    small = ExampleBank(bank.commands[:5], bank.plans[:5], bank.embeddings[:5])
    small.save(tmp_path)
    assert len(ExampleBank.load(tmp_path)) == 5
    (tmp_path / "bank.jsonl").write_text("garbage\n", encoding="utf-8")
    with pytest.raises(ModelFileError, match="sha256|corrupt"):
        ExampleBank.load(tmp_path)
    with pytest.raises(ModelFileError, match="no example bank"):
        ExampleBank.load(tmp_path / "missing")


def test_a_command_key_says_every_known_name_and_place_one_way(bank):
    from agent_node.language.command_keys import CommandKeys
    from agent_node.language.phrasebook import load_phrasebook

    keys = CommandKeys(CATALOG, load_phrasebook(CATALOG), bank.plans)
    assert keys("Bring the apple from the kitchen to Bob!") == keys("bring the red cup from the study to Carol") \
        == "bring the blue mug from the kitchen to emma" != keys("bring the apple to Bob")
    assert keys("check the garage door") == keys("check the back door") != keys("go to the garage")
    assert keys("go to the front door") == "go to the front door"  # a place and a door: left as it is
    assert keys("watch the hallway") == "watch the kitchen"  # a word of the templates is not a name
    assert keys("what is the weather") == "what is the weather"


def test_the_committed_bank_is_embedded_by_its_keys(bank):
    from agent_node.language.command_keys import CommandKeys
    from agent_node.language.phrasebook import load_phrasebook
    from agent_node.planning.encoder import SentenceEncoder

    keys = CommandKeys(CATALOG, load_phrasebook(CATALOG), bank.plans)
    rows = [0, 1, len(bank) // 2, len(bank) - 1]
    fresh = SentenceEncoder(threads=1).encode([keys(bank.commands[i]) for i in rows])
    assert np.allclose(fresh, bank.embeddings[rows], atol=2e-3)  # float16 on disk
