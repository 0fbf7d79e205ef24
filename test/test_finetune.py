"""Fine-tuning the planner: training data and its variations, the GGUF adapter's
tensor names, the registry entry, and a smoke test that trains LoRA matrices on a
tiny model built here, exports them and has llama.cpp load them (seconds)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.cli.finetune import register
from agent_node.datagen.generate import default_world
from agent_node.datagen.verify import Verifier
from agent_node.language.phrasebook import load_phrasebook, mentions, normalize_text
from agent_node.plan.checker import check_plan
from agent_node.plan.text import parse_plan_text
from agent_node.planning.models import resolve_adapter
from agent_node.training import sft_data, variations
from agent_node.training.gguf_lora import gguf_tensor_name

CATALOG = load_catalog()
PB = load_phrasebook(CATALOG)
WORLD = default_world(CATALOG)
REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def test_tensor_names_follow_llama_cpp():
    assert gguf_tensor_name("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight") == \
        "blk.3.attn_q.weight.lora_a"
    assert gguf_tensor_name("base_model.model.model.layers.11.mlp.down_proj.lora_B.weight") == \
        "blk.11.ffn_down.weight.lora_b"
    with pytest.raises(ValueError, match="not a LoRA matrix"):
        gguf_tensor_name("base_model.model.lm_head.lora_A.weight")


def test_unknown_places_are_declined_and_name_no_known_place():
    samples = variations.unknown_place(CATALOG, PB, WORLD, 12, seed=3, seen=set())
    assert len(samples) == 12
    names = variations.UNKNOWN_PLACES + variations.UNKNOWN_DOORS
    for s in samples:
        assert s.plan == [] and s.kind == "none"
        assert any(mentions(normalize_text(s.command), n) for n in names), s.command


def test_unknown_names_skip_what_the_catalog_calls_its_places_anyway():
    assert "garage" not in variations.unknown_names("location", CATALOG, PB)
    assert "basement" in variations.unknown_names("location", CATALOG, PB)
    assert "side door" in variations.unknown_names("door", CATALOG, PB)


def test_out_of_bounds_numbers_are_declined_for_the_bound_they_break():
    samples = variations.out_of_bounds(CATALOG, PB, WORLD, 10, seed=3, seen=set())
    assert len(samples) == 10
    assert all(s.plan == [] for s in samples)
    assert any("hour" in s.command or "minutes" in s.command or "seconds" in s.command for s in
               variations.out_of_bounds(CATALOG, PB, WORLD, 40, seed=4, seen=set()))


def test_corrections_keep_the_corrected_value_and_pass_the_three_checks():
    with Verifier(CATALOG, PB, WORLD) as verifier:
        samples = variations.correction(CATALOG, PB, WORLD, 15, seed=3, seen=set(),
                                        verify=lambda s: not verifier.verify(s))
        assert len(samples) == 15
        for s in samples:
            assert not verifier.verify(s), s.command
            assert s.plan


def test_a_direction_taken_back_gives_the_other_sign():
    with Verifier(CATALOG, PB, WORLD) as verifier:
        samples = variations.correction(CATALOG, PB, WORLD, 300, seed=7, seen=set(),
                                        verify=lambda s: not verifier.verify(s))
    turned = [s for s in samples if "right" in s.command.lower() and "left" in s.command.lower()]
    assert turned, "no direction correction among 300 corrections"
    for s in turned:
        text = s.command.lower()
        angles = [c.args["angle_deg"] for c in s.plan if c.skill == "rotate"]
        if len(angles) == 1:  # the word said last is the one meant
            assert (angles[0] > 0) == (text.rfind("left") > text.rfind("right")), s.command


def test_sequences_repeat_a_skill_with_its_own_values_and_pass_the_three_checks():
    with Verifier(CATALOG, PB, WORLD) as verifier:
        samples = variations.sequence(CATALOG, PB, WORLD, 40, seed=3, seen=set(),
                                      verify=lambda s: not verifier.verify(s))
        assert len(samples) == 40
        for s in samples:
            skills = [c.skill for c in s.plan]
            assert len(skills) > len(set(skills)), s.command  # a skill comes back
            assert not verifier.verify(s), s.command
    mixed = [s for s in samples if len({c.args["angle_deg"] > 0 for c in s.plan if c.skill == "rotate"}) == 2]
    assert mixed, "no sequence turns both ways"
    phrases = ("turn around", "turn round", "spin around", "u-turn", "other way", "about face")
    set_phrase = [s for s in samples if any(p in s.command.lower() for p in phrases)]
    assert set_phrase and all({"skill": "rotate", "args": {"angle_deg": 180}} in [c.model_dump() for c in s.plan]
                              for s in set_phrase), "no sequence with a set phrase ('turn around')"


def test_near_misses_ask_an_unserved_action_of_a_known_thing_and_are_declined():
    requests = variations.near_miss_requests(CATALOG, PB)
    assert "lock the front door" in requests and "dim the kitchen" in requests
    assert not any(r.split()[0] in ("turn", "switch", "check", "go") for r in requests)  # served verbs stay out
    samples = variations.near_miss(CATALOG, PB, WORLD, 20, seed=2, seen=set())
    assert len(samples) == 20 and all(s.plan == [] and s.kind == "none" for s in samples)
    drawers = Catalog.from_dict({"drawers": ["top", "bottom"], "skills": [
        {"name": "open_drawer", "kind": "action", "description": "Open a drawer.", "resources": ["base"],
         "params": {"drawer": {"type": "drawer"}}}]})
    served = variations.near_miss_requests(drawers, load_phrasebook(drawers))
    assert served and not any(r.startswith("open ") for r in served)  # this robot opens drawers


def test_casual_typing_keeps_values_and_passes_the_three_checks():
    import random

    rng = random.Random(0)
    typed = {variations.casual_spelling("Go to the bathroom and check what's on the sink, please", rng, {"bathroom"})
             for _ in range(30)}
    assert any(" n " in t or " & " in t for t in typed) and any("whats" in t for t in typed)
    assert all("bathroom" in t for t in typed)  # a protected word is never garbled
    with Verifier(CATALOG, PB, WORLD) as verifier:
        samples = variations.casual(CATALOG, PB, WORLD, 30, seed=4, seen=set(), verify=lambda s: not verifier.verify(s))
        assert len(samples) == 30
        for s in samples:
            assert not verifier.verify(s), s.command


def test_variations_work_for_a_catalog_without_a_phrasebook():
    catalog = Catalog.from_dict({
        "locations": ["bay_1", "bay_2", "loading_dock"],
        "skills": [
            {"name": "go_to", "kind": "action", "description": "Drive to a bay.", "resources": ["base"],
             "params": {"place": {"type": "location", "description": "where"}}},
            {"name": "lift", "kind": "action", "description": "Raise the fork by a height.", "resources": ["base"],
             "params": {"height_m": {"type": "number", "minimum": 0, "maximum": 2, "description": "metres"}}},
        ]})
    pb = load_phrasebook(catalog)
    assert all(s.plan == [] for s in variations.unknown_place(catalog, pb, None, 4, seed=1, seen=set()))
    assert all(s.plan == [] for s in variations.out_of_bounds(catalog, pb, None, 4, seed=1, seen=set()))
    lifts = variations.sequence(catalog, pb, None, 4, seed=1, seen=set(), verify=lambda s: True)
    assert len(lifts) == 4 and all([c.skill for c in s.plan].count("lift") >= 2 for s in lifts)


def test_training_pairs_are_the_trained_prompt_and_the_plan_text():
    samples, by_source = sft_data.build(CATALOG, 60, seed=5, exclude=[])
    assert by_source["syn"] and len(samples) >= 55
    declines = [s for s in samples if s.id.startswith("decline-")]
    assert len(declines) == by_source["decline"] >= 2 and all(s.plan == [] for s in declines)
    sample = next(s for s in samples if s.plan)
    assert sft_data.prompt_of(sample.command).endswith(f"{sample.command}<|im_end|>\n<|im_start|>assistant\n")
    completion = sft_data.completion_of(sample)
    assert completion.endswith("join()\n<|im_end|>")
    assert check_plan(parse_plan_text(completion.removesuffix("<|im_end|>")), CATALOG).ok


def test_excluded_commands_are_never_trained_on():
    samples, _ = sft_data.build(CATALOG, 40, seed=5, exclude=[])
    excluded = [samples[0].command.upper(), samples[1].command]
    again, _ = sft_data.build(CATALOG, 40, seed=5, exclude=excluded)
    assert {s.command.lower() for s in again}.isdisjoint({c.lower() for c in excluded})


def test_register_writes_the_adapters_section_and_keeps_the_rest(tmp_path):
    registry = tmp_path / "registry.yaml"
    registry.write_text("# comment kept\nplanners:\n  a: {file: a.gguf}\n", encoding="utf-8")
    register("one", {"base": "a", "file": "x.gguf", "bytes": 1, "sha256": "0" * 64, "default": True}, registry)
    register("two", {"base": "a", "file": "y.gguf", "bytes": 2, "sha256": "1" * 64, "default": True}, registry)
    text = registry.read_text(encoding="utf-8")
    assert text.startswith("# comment kept\nplanners:")
    data = yaml.safe_load(text)
    assert data["planners"] == {"a": {"file": "a.gguf"}}
    assert [n for n, a in data["adapters"].items() if a["default"]] == ["two"]


def test_a_bad_adapter_is_refused_with_a_clear_error(tmp_path):
    from agent_node.files.model_files import ModelFileError

    with pytest.raises(ModelFileError, match="does not exist"):
        resolve_adapter(tmp_path / "missing.gguf")
    not_gguf = tmp_path / "adapter.gguf"
    not_gguf.write_bytes(b"PK\x03\x04 not a gguf file")
    with pytest.raises(ModelFileError, match="not a GGUF adapter"):
        resolve_adapter(not_gguf)
    if BASE.is_file() and importlib.util.find_spec("llama_cpp"):  # llama.cpp itself would load this one
        from agent_node.planning.llm import LLM

        empty = tmp_path / "empty.gguf"
        empty.write_bytes(b"GGUF" + bytes(60))
        with pytest.raises(ModelFileError, match="is not a LoRA adapter"):
            LLM(None, adapter=empty)


def test_a_registered_adapter_is_checked_by_sha256(tmp_path, monkeypatch):
    from agent_node.files.model_files import ModelFileError
    from agent_node.planning.models import AdapterSpec

    adapter = tmp_path / "adapter.gguf"
    adapter.write_bytes(b"GGUF" + bytes(60))
    spec = AdapterSpec(base="qwen2.5-coder-0.5b", file=str(adapter), bytes=64, sha256="0" * 64)
    monkeypatch.setattr("agent_node.planning.models.adapter_specs", lambda: {"mine": spec})
    with pytest.raises(ModelFileError, match="corrupt"):
        resolve_adapter("mine")
    monkeypatch.setattr("agent_node.planning.models.adapter_specs",
                        lambda: {"mine": spec.model_copy(update={"bytes": 65})})
    with pytest.raises(ModelFileError, match="truncated"):
        resolve_adapter("mine")


def test_the_default_adapter_is_only_for_its_model_and_catalog():
    from agent_node.planning.models import adapter_for, adapter_specs

    if not adapter_specs():
        pytest.skip("no adapter registered")
    assert adapter_for(None, CATALOG) == "home-robot-lora"
    assert adapter_for("qwen2.5-coder-1.5b", CATALOG) is None
    assert adapter_for(None, CATALOG.subset(["navigate_to", "say"])) is None


# -- the smoke test: a tiny model, a few steps, an adapter llama.cpp loads ---------------------------
@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    pytest.importorskip("gguf")
    if not BASE.is_file():
        pytest.skip(f"{BASE} is not assembled (make setup)")
    from tiny_gguf import write_tiny_qwen2

    return write_tiny_qwen2(BASE, tmp_path_factory.mktemp("tiny") / "tiny.gguf")


def test_finetune_trains_exports_and_llama_cpp_loads_the_adapter(tiny_base, tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    llama_cpp = pytest.importorskip("llama_cpp")
    from agent_node.cli.finetune import main

    out = tmp_path / "out"
    assert main(["--model", str(tiny_base), "--out", str(out), "-n", "40", "--seed", "1", "--max-steps", "3",
                 "--batch", "4", "--rank", "4", "--alpha", "8", "--lr", "1e-2", "--max-len", "128",
                 "--exclude"]) == 0
    log = json.loads((out / "train_log.json").read_text(encoding="utf-8"))
    assert log["steps"] == 3 and len(log["losses"]) == 3 and all(math.isfinite(x) for x in log["losses"])
    assert (out / "loss.png").stat().st_size > 1000
    adapter = out / "adapter.gguf"
    import gguf

    reader = gguf.GGUFReader(str(adapter))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    names = {t.name for t in reader.tensors}
    assert len(names) == 2 * 7 * 2 and "blk.1.ffn_down.weight.lora_b" in names
    trained_b = next(t for t in reader.tensors if t.name == "blk.0.attn_q.weight.lora_b")
    assert np.abs(np.asarray(trained_b.data, dtype=np.float32)).max() > 0  # B starts at 0: it was trained

    # llama.cpp runs the base with the adapter, and the adapter changes what the base computes
    def logits(lora_path):
        llm = llama_cpp.Llama(model_path=str(tiny_base), lora_path=lora_path, n_ctx=128, verbose=False,
                              logits_all=False)
        llm.eval(llm.tokenize(b"Plan the robot's skill calls.", add_bos=False))
        last = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(last, shape=(llm.n_vocab(),)).copy()
    assert not np.allclose(logits(None), logits(str(adapter)))

    # an adapter of another model is refused with the file named, before any command (llama.cpp would run it)
    if BASE.is_file():
        from agent_node.files.model_files import ModelFileError
        from agent_node.planning.llm import LLM

        with pytest.raises(ModelFileError, match="adapter .*adapter.gguf was trained on another model"):
            LLM(BASE, adapter=adapter)

    # a second run resumes from the checkpoint: no step is trained again
    assert main(["--model", str(tiny_base), "--out", str(out), "-n", "40", "--seed", "1", "--max-steps", "3",
                 "--batch", "4", "--rank", "4", "--alpha", "8", "--lr", "1e-2", "--max-len", "128",
                 "--exclude"]) == 0
    assert json.loads((out / "train_log.json").read_text(encoding="utf-8"))["losses"] == log["losses"]

    # training goes on from an adapter: with no learning rate its matrices come out as they went in
    tiny = ["--model", str(tiny_base), "-n", "40", "--seed", "1", "--max-steps", "1", "--batch", "4",
            "--max-len", "128", "--exclude", "--init-adapter", str(adapter)]
    assert main(tiny + ["--out", str(tmp_path / "more"), "--rank", "4", "--alpha", "8", "--lr", "0"]) == 0
    again = {t.name: np.asarray(t.data, dtype=np.float32)
             for t in gguf.GGUFReader(str(tmp_path / "more" / "adapter.gguf")).tensors}
    assert all(np.array_equal(again[t.name], np.asarray(t.data, dtype=np.float32)) for t in reader.tensors)
    # an adapter of another rank is refused with what does not fit, and nothing is written
    assert main(tiny + ["--out", str(tmp_path / "other"), "--rank", "8", "--alpha", "8"]) == 2
    assert not (tmp_path / "other" / "adapter.gguf").exists()
    assert "does not fit this model at rank 8" in capsys.readouterr().err


def test_a_time_limit_sets_the_steps_by_the_latest_pace():
    from agent_node.training.lora import steps_that_fit

    # 3 steps in 60 s after a 30 s first step: 15 s a step, 10 minutes hold 38 more
    assert steps_that_fit(3, 60.0, (1, 30.0), 500, 10) == 3 + int((600 - 60) / 15)
    # a slow start measured again later gives the steps back (at most the epochs' steps)
    assert steps_that_fit(50, 200.0, (25, 150.0), 500, 60) == 500
    assert steps_that_fit(50, 200.0, (25, 150.0), 5000, 60) == 50 + int((3600 - 200) / 2)
    # past the limit: the steps done, no more
    assert steps_that_fit(40, 700.0, (25, 500.0), 500, 10) == 40



def test_units_say_angles_to_turn_by_as_parts_of_a_turn_and_pass_the_three_checks():
    from contextlib import ExitStack

    with ExitStack() as stack:
        def verifier_for(pb):
            checker = stack.enter_context(Verifier(CATALOG, pb, WORLD))
            return lambda s: not checker.verify(s)
        samples = variations.units(CATALOG, PB, WORLD, 120, seed=5, seen=set(), verifier_for=verifier_for)
    assert len(samples) >= 100
    turns = {form: angle for angle, forms in variations.TURNS.items() for form in forms}
    turns = dict(sorted(turns.items(), key=lambda item: -len(item[0])))  # "three quarters of a turn" first
    said = [(s, next(f for f in turns if f in s.command.lower())) for s in samples
            if any(f in s.command.lower() for f in turns)]
    assert said, "no angle said as part of a turn"
    for s, form in said:
        assert turns[form] in [abs(c.args["angle_deg"]) for c in s.plan if c.skill == "rotate"], s.command
    assert any("minute" in s.command.lower() for s in samples)  # minutes stay
    # a heading to face (go_to_pose's yaw_deg) is no turn to make
    assert variations._unit_forms({"degrees"}, 90.0) == [] and variations._unit_forms({"degrees"}, 90.0, turns=True)


def test_casual_typing_may_slip_on_a_place_name_and_still_means_that_place():
    from agent_node.language.meaning import one_edit

    with Verifier(CATALOG, PB, WORLD) as verifier:
        samples = variations.casual(CATALOG, PB, WORLD, 80, seed=6, seen=set(), verify=lambda s: not verifier.verify(s))
    names = {w for t, values in CATALOG.enums.items() for v in values for f in PB.enum_forms(t, v)
             for w in normalize_text(f).split() if len(w) >= 5}
    slipped = [s for s in samples if any(w not in names and any(one_edit(w, n) for n in names)
                                         for w in normalize_text(s.command).split())]
    assert slipped, "no place name typed with a slip"


def test_a_name_a_description_gives_a_numbered_thing_is_no_unknown_place():
    catalog = Catalog.from_dict({"places": ["lab", "ward"], "skills": [
        {"name": "go_to", "kind": "action", "description": "Go to a place.", "resources": ["base"],
         "params": {"place": {"type": "place"}}},
        {"name": "ride_elevator", "kind": "action", "description": "Ride the elevator.", "resources": ["base"],
         "params": {"floor": {"type": "integer", "minimum": -1, "maximum": 6,
                              "description": "floor number, -1 is the basement"}}}]})
    names = variations.unknown_names("place", catalog, load_phrasebook(catalog))
    assert "basement" not in names and "attic" in names


def test_durations_beyond_bounds_said_in_minutes_or_hours_are_declined_as_such():
    catalog = Catalog.from_dict({"skills": [
        {"name": "wait", "kind": "action", "description": "Wait.", "resources": ["base"],
         "params": {"duration_s": {"type": "number", "minimum": 0, "maximum": 1800}}},
        {"name": "disinfect", "kind": "action", "description": "Run the UV lamps.", "resources": ["base"],
         "params": {"duration_min": {"type": "number", "minimum": 1, "maximum": 30}}}]})
    pb = load_phrasebook(catalog)
    samples = variations.out_of_bounds(catalog, pb, None, 40, seed=2, seen=set())
    assert any("hour" in s.command for s in samples) and all(s.plan == [] for s in samples)
    assert variations._unit_forms({"minute", "minutes"}, 30.0) == ["half an hour"]
