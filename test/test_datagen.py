"""The verified synthetic data generator: phrasebook, generator, the three checks, CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.cli.datagen import main
from agent_node.datagen.arrange import Arrangement
from agent_node.datagen.compose import Infeasible, type_pairs
from agent_node.datagen.generate import generate, generate_report, kind_schedule
from agent_node.datagen.samples import KINDS, PlanCall, Sample, Setup, read_jsonl, write_jsonl
from agent_node.datagen.verify import check_execution, check_format, check_meaning, verify
from agent_node.language.phrasebook import (
    PhrasebookError,
    default_phrasebook_path,
    is_reference_catalog,
    load_phrasebook,
    mentions,
    normalize_text,
    number_forms,
    number_words,
)
from agent_node.language.skill_words import natural_templates, noun_forms
from tool_adapters.sim.world import load_world

CATALOG = load_catalog()
WORLD = load_world()
# a body of one call is a set phrase ("turn around")
SIZES = {"single": (1, 1), "parallel": (2, 3), "chain": (2, 4), "body": (1, 6), "mix": (4, 7), "none": (0, 0)}


def sample(command: str, *calls: tuple[str, dict[str, Any]], setup: Setup | None = None) -> Sample:
    plan = [PlanCall(skill=s, args=a) for s, a in calls]
    return Sample(id="t", command=command, plan=plan, kind="single" if plan else "none", setup=setup or Setup())


def tiny_catalog() -> Catalog:
    """A 3-skill warehouse cart with one enum: nothing like the reference robot."""
    return Catalog.from_dict({
        "zones": ["loading_bay", "shelf_a", "shelf_b"],
        "skills": [
            {"name": "move_to", "kind": "action", "description": "Move the cart to a zone.", "resources": ["base"],
             "params": {"zone": {"type": "zone"},
                        "speed": {"type": "number", "minimum": 0.1, "maximum": 2, "default": 1}},
             "returns": {"type": "zone"}},
            {"name": "scan_barcode", "kind": "service", "description": "Scan an item's barcode; tells its zone.",
             "params": {"item": {"type": "string"}}, "returns": {"type": "zone"}},
            {"name": "beep", "kind": "service", "description": "Beep the horn a number of times.",
             "params": {"times": {"type": "integer", "minimum": 1, "maximum": 5},
                        "loud": {"type": "boolean", "default": False}}},
        ]})


@pytest.fixture(scope="module")
def reports():
    return {seed: generate_report(CATALOG, 400, seed=seed) for seed in (0, 1, 2)}


@pytest.fixture(scope="module")
def thousand():
    return generate(CATALOG, 1000, seed=3)


# -- the reference phrasebook ----------------------------------------------------------------
def test_reference_phrasebook_covers_the_catalog():
    pb = load_phrasebook(CATALOG)
    assert is_reference_catalog(CATALOG)
    assert set(pb.skills) == set(CATALOG.skill_names)
    assert all(len(phrases.templates) >= 8 for phrases in pb.skills.values())
    for type_name, values in CATALOG.enums.items():
        assert all(pb.enum_forms(type_name, v) for v in values)
    assert "lounge" in pb.enum_forms("location", "living_room")
    assert {c.kind for c in pb.composites} == {"chain", "body"}


def test_numbers_are_said_in_digits_and_words():
    assert "one and a half" in number_words(1.5) and "one point five" in number_words(1.5)
    assert number_words(90) == ["ninety"]
    assert "three hundred and sixty" in number_words(360)
    assert "point two" in number_words(0.2)
    assert {"-3", "minus three", "negative 3"} <= set(number_forms(-3))
    assert number_forms(-3, signed=False)[0] == "3"


def test_text_normalisation_keeps_numbers_and_words_whole():
    text = normalize_text("Turn counter-clockwise 90°, give Alice's cup -3 m")
    assert mentions(text, "alice") and mentions(text, "-3") and mentions(text, "counter-clockwise")
    assert not mentions(text, "clockwise") and not mentions(text, "9")


# -- generated data ---------------------------------------------------------------------------
def test_generated_samples_pass_format_and_execution_everywhere(reports):
    for report in reports.values():
        assert len(report.samples) == 400
        for s in report.samples:
            assert check_format(s, CATALOG) is None, s
            assert check_execution(s, CATALOG, WORLD) is None, s
            assert check_meaning(s, CATALOG) is None, s


def test_every_kind_appears_in_a_sensible_mix(reports):
    for report in reports.values():
        kinds = report.kinds
        assert set(kinds) == set(KINDS)
        assert 0.05 <= kinds["none"] / 400 <= 0.11
        assert kinds["single"] == max(kinds.values())


def test_plan_sizes_match_kinds_and_out_of_domain_plans_are_empty(reports):
    for s in reports[0].samples:
        lo, hi = SIZES[s.kind]
        assert lo <= len(s.plan) <= hi, s
        assert (s.kind == "none") == (not s.plan)


def test_chains_cite_earlier_results(reports):
    chains = [s for s in reports[1].samples if s.kind == "chain"]
    assert chains and all(any("$" in json.dumps(c.args) for c in s.plan) for s in chains)


def test_a_light_is_switched_where_a_look_up_led():
    """ "switch off the light in the room you're in": the room is looked up, never guessed."""
    chains = generate_report(CATALOG, 600, seed=8, mix={"chain": 1.0}).samples
    lit = [s for s in chains if len(s.plan) == 2 and s.plan[1].skill == "set_light"]
    assert {s.plan[0].skill for s in lit} == {"find_person", "find_object", "get_location"}
    for s in lit:
        assert s.plan[1].args["room"] == "$1", s
        assert check_meaning(s, CATALOG) is None, s


def test_setups_arrange_what_plans_need(reports):
    samples = [s for r in reports.values() for s in r.samples]
    bodies = [s for s in samples if s.kind == "body" and len(s.plan) > 1 and s.plan[1].skill == "pick"
              and s.plan[0].skill == "navigate_to"]
    assert bodies
    for s in bodies:  # "bring X from A ...": X is in A
        assert s.setup.objects[s.plan[1].args["object"]] == s.plan[0].args["location"]
    handovers = [s for s in samples if s.kind == "single" and s.plan[0].skill == "hand_over"]
    assert handovers
    for s in handovers:  # "hand Dave the glass": holding it, next to Dave
        person = s.plan[0].args["person"]
        assert s.setup.held and s.setup.robot_at
        assert s.setup.people.get(person, WORLD.people.get(person) and WORLD.people[person].location) \
            == s.setup.robot_at


def test_arrangement_of_the_world():
    rng = random.Random(0)
    setup = Arrangement(WORLD, rng, ["glass"]).play([("hand_over", {"person": "dave"})])
    assert setup.held == "glass" and setup.robot_at == "garage"
    setup = Arrangement(WORLD, rng).play([("navigate_to", {"location": "office"}), ("pick", {"object": "banana"})])
    assert setup.objects == {"banana": "office"}
    setup = Arrangement(WORLD, rng).play([("pick", {"object": "ufo plushie"})])
    assert setup.robot_at == setup.objects["ufo plushie"]
    with pytest.raises(Infeasible):
        Arrangement(WORLD, rng).play([("pick", {"object": "apple"}), ("pick", {"object": "mug"})])


def test_deterministic_for_a_seed():
    first = [s.model_dump() for s in generate(CATALOG, 150, seed=7)]
    assert first == [s.model_dump() for s in generate(CATALOG, 150, seed=7)]
    assert first != [s.model_dump() for s in generate(CATALOG, 150, seed=8)]


def test_variety(thousand):
    commands = [s.command for s in thousand]
    assert len(set(commands)) >= 0.7 * len(commands)
    bigrams = set()
    for c in commands:
        words = normalize_text(c).split()
        bigrams.update(zip(words, words[1:]))
    assert len(bigrams) >= 2000


def test_every_enum_value_and_skill_is_used(thousand):
    used: dict[str, set[str]] = {t: set() for t in CATALOG.enums}
    for s in thousand:
        for call in s.plan:
            params = CATALOG.skill(call.skill).params
            for name, value in call.args.items():
                p = params[name]
                type_name = p.items if p.type == "array" else p.type
                if type_name in used:
                    used[type_name].update(value if isinstance(value, list) else [value])
    for type_name, values in CATALOG.enums.items():
        assert set(values) <= used[type_name], type_name
    assert {c.skill for s in thousand for c in s.plan} == set(CATALOG.skill_names)


def test_kind_schedule_follows_the_mix():
    schedule = kind_schedule(100, list(KINDS), {"single": 0.5, "none": 0.5}, random.Random(0))
    assert len(schedule) == 100 and schedule.count("single") == 50 and schedule.count("none") == 50


# -- the three checks reject crafted bad samples ------------------------------------------------
def test_format_check_rejects_an_unknown_skill():
    bad = sample("fly to the moon", ("fly", {"to": "moon"}))
    assert "unknown skill" in check_format(bad, CATALOG)
    assert [r.check for r in verify(bad, CATALOG)][0] == "format"


def test_execution_check_rejects_a_pick_of_an_object_that_is_elsewhere():
    calls = (("navigate_to", {"location": "office"}), ("pick", {"object": "banana"}))
    bad = sample("go to the office and pick up the banana", *calls)
    why = check_execution(bad, CATALOG)
    assert why.startswith("pick failed") and "kitchen" in why
    assert [r.key for r in verify(bad, CATALOG)] == [("execution", "pick failed")]
    good = sample(bad.command, *calls, setup=Setup(objects={"banana": "office"}))
    assert verify(good, CATALOG) == []


def test_execution_check_adds_unknown_names_from_the_setup():
    calls = (("find_person", {"person": "zoe"}), ("navigate_to", {"location": "$1"}))
    assert "failed" in check_execution(sample("go to Zoe", *calls), CATALOG)
    assert check_execution(sample("go to Zoe", *calls, setup=Setup(people={"zoe": "bedroom"})), CATALOG) is None


@pytest.mark.parametrize("command, call, reason", [
    ("go to the kitchen", ("navigate_to", {"location": "bedroom"}), "location not mentioned"),
    ("turn left 90 degrees", ("rotate", {"angle_deg": 45}), "number not mentioned"),
    ("turn right ninety degrees", ("rotate", {"angle_deg": 90}), "direction not mentioned"),
    ("turn off the lights in the study", ("set_light", {"room": "office", "on": True}), "on/off not mentioned"),
    ("pick up the mug", ("pick", {"object": "red cup"}), "name not mentioned"),
    ("is the back door open?", ("check_door", {"door": "front_door"}), "door not mentioned"),
])
def test_meaning_check_rejects_what_the_command_does_not_say(command, call, reason):
    bad = sample(command, call)
    assert check_meaning(bad, CATALOG).startswith(reason)


@pytest.mark.parametrize("command, call", [
    ("back up two and a half metres", ("drive", {"distance_m": -2.5})),
    ("drive 3 m at point two meters per second", ("drive", {"distance_m": 3, "speed_mps": 0.2})),
    ("turn clockwise 90 degrees", ("rotate", {"angle_deg": -90})),
    ("go to x minus 3, y 4.5", ("go_to_pose", {"x": -3, "y": 4.5})),
    ("kill the lights in the lounge", ("set_light", {"room": "living_room", "on": False})),
    ("patrol the hall and the garage twice", ("patrol", {"route": ["hallway", "garage"], "laps": 2})),
    ("Text Bob that I'm late", ("send_message", {"recipient": "bob", "text": "anything at all"})),
])
def test_meaning_check_accepts_what_the_command_says(command, call):
    assert check_meaning(sample(command, call), CATALOG) is None


def test_empty_plan_must_not_be_a_robot_request():
    assert check_meaning(sample("please go to the kitchen"), CATALOG).startswith("empty plan for a robot request")
    assert check_meaning(sample("set an alarm for 7 am"), CATALOG) is None


# -- any other catalog: the generic fallback ----------------------------------------------------
def test_a_custom_catalog_gets_generic_phrasings_and_verified_data():
    catalog = tiny_catalog()
    assert not is_reference_catalog(catalog)
    pb = load_phrasebook(catalog)
    assert all(len(phrases.templates) >= 2 for phrases in pb.skills.values())
    said = {name: [t.text for t in phrases.templates] for name, phrases in pb.skills.items()}
    assert "move to {zone}" in said["move_to"] and "go to {zone} at {speed}" in said["move_to"]
    assert "scan the barcode of {item}" in said["scan_barcode"]
    assert "beep {times:num} times" in said["beep"]
    assert pb.enum_forms("zone", "loading_bay") == ["loading bay"]
    report = generate_report(catalog, 150, seed=1)
    assert len(report.samples) == 150
    assert {"single", "parallel", "chain", "mix", "none"} <= set(report.kinds)
    assert "body" not in report.kinds
    for s in report.samples:
        assert verify(s, catalog, pb) == [], s
    chained = [c for s in report.samples if s.kind == "chain" for c in s.plan if c.args.get("zone") == "$1"]
    assert chained  # a zone result feeds a zone parameter


# -- files and the CLI ------------------------------------------------------------------------------
def test_jsonl_round_trip(tmp_path, reports):
    path = tmp_path / "data.jsonl"
    write_jsonl(reports[0].samples[:50], path)
    line = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert set(line) == {"id", "command", "plan", "kind", "setup"}
    assert all(set(call) == {"skill", "args"} for call in line["plan"])
    assert read_jsonl(path) == reports[0].samples[:50]


def test_cli_writes_jsonl_and_prints_counts(tmp_path, capsys):
    out = tmp_path / "data.jsonl"
    assert main(["--out", str(out), "-n", "80", "--seed", "4"]) == 0
    printed = capsys.readouterr().out
    assert "80/80 samples" in printed and "kinds: single" in printed and "rejected" in printed
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 80 and {r["kind"] for r in rows} == set(KINDS)


def test_cli_with_a_custom_catalog(tmp_path, capsys):
    catalog_file = tmp_path / "cart.yaml"
    catalog_file.write_text(yaml.safe_dump({"zones": ["dock_a", "dock_b"], "skills": [
        {"name": "go", "kind": "action", "description": "Go to a zone.", "params": {"zone": {"type": "zone"}},
         "returns": {"type": "zone"}},
        {"name": "honk", "kind": "service", "description": "Honk once."}]}), encoding="utf-8")
    out = tmp_path / "cart.jsonl"
    assert main(["--catalog", str(catalog_file), "--out", str(out), "-n", "30"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 30


def broken_phrasebook(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(default_phrasebook_path().read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "phrases.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_broken_phrasebook_gives_a_clear_error(tmp_path):
    def edit(data: dict) -> None:
        data["skills"]["fly"] = {"templates": ["fly away"]}
        data["skills"]["navigate_to"]["templates"].append("go to {place}")
        data["skills"]["pick"]["templates"].append("pick it up")
        data["params"]["drive.distance_m"]["values"].append(9)

    with pytest.raises(PhrasebookError) as e:
        load_phrasebook(CATALOG, broken_phrasebook(tmp_path, edit))
    message = str(e.value)
    assert "invalid phrasebook" in message and str(tmp_path) in message
    assert "skills.fly: no such skill" in message
    assert "unknown slot '{place}'" in message
    assert "does not say required '{object}'" in message
    assert "value 9 is outside the bounds" in message


@pytest.mark.parametrize("text, expected", [
    ("skills: [oops", "not valid YAML"),
    ("skills:\n  dock: {templates: dock}\n", "skills.dock.templates"),
    ("- just a list\n", "top level must be a mapping"),
])
def test_malformed_phrasebook_files(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PhrasebookError, match=expected):
        load_phrasebook(CATALOG, path)


def test_cli_reports_a_broken_phrasebook(tmp_path, capsys):
    path = broken_phrasebook(tmp_path, lambda data: data["skills"].update(fly={"templates": ["fly"]}))
    assert main(["--out", str(tmp_path / "x.jsonl"), "-n", "5", "--phrasebook", str(path)]) == 2
    assert "no such skill" in capsys.readouterr().err


def test_typed_chains_cite_only_a_look_up_and_may_fold_it_into_the_consumer():
    """A look-up's answer feeds the next skill, said in two steps or in one clause that
    names what was looked up ("go to wherever the box is"); a result of a skill that
    moved the robot is never cited: "move to shelf a, then ... there" means shelf a."""
    catalog = Catalog.from_dict({
        "zones": ["loading_bay", "shelf_a", "shelf_b"],
        "skills": [
            {"name": "move_to", "kind": "action", "description": "Move the cart to a zone.", "resources": ["base"],
             "params": {"zone": {"type": "zone"}}, "returns": {"type": "zone"}},
            {"name": "find_item", "kind": "service", "description": "Find which zone an item is in.",
             "params": {"item": {"type": "string"}}, "returns": {"type": "zone"}},
            {"name": "get_battery", "kind": "service", "description": "Read the battery charge.",
             "returns": {"type": "number"}},
            {"name": "send_note", "kind": "service", "description": "Send a note to a person.",
             "params": {"recipient": {"type": "string"}, "text": {"type": "string"}}},
        ]})
    pb = load_phrasebook(catalog)
    pairs = type_pairs(catalog, pb)
    assert ("find_item", "move_to", "zone") in pairs and ("get_battery", "send_note", "text") in pairs
    assert not [p for p in pairs if p[0] == "move_to"]
    report = generate_report(catalog, 120, seed=4, mix={"chain": 1.0})
    assert len(report.samples) == 120
    folded = [s for s in report.samples if " then " not in s.command.lower() and "after that" not in s.command.lower()]
    assert len(folded) >= 30
    for s in report.samples:
        assert s.plan[1].args.get("zone", s.plan[1].args.get("text", "")).count("$1") == 1, s
        assert verify(s, catalog, pb) == [], s
        if s.plan[0].skill == "find_item":
            assert s.plan[0].args["item"] in s.command.lower(), s


def test_a_skill_is_also_said_with_everyday_names_of_its_noun():
    catalog = Catalog.from_dict({"skills": [
        {"name": "ride_elevator", "kind": "action", "description": "Ride the elevator to a floor.",
         "resources": ["base"], "params": {"floor": {"type": "integer", "minimum": -1, "maximum": 6}}},
        {"name": "set_spotlight", "kind": "service", "description": "Switch the spotlight.",
         "params": {"on": {"type": "boolean"}}},
        {"name": "get_battery", "kind": "service", "description": "Read the battery.", "returns": {"type": "number"}},
    ]})
    said = {s.name: natural_templates(s) for s in catalog.skills}
    assert "take the lift to floor {floor:num}" in said["ride_elevator"]
    assert "ride the elevator to floor {floor:num}" in said["ride_elevator"]
    assert "turn the light {on}" in said["set_spotlight"] and "turn the spotlight {on}" in said["set_spotlight"]
    assert "what's the charge?" in said["get_battery"]
    assert noun_forms("") == [""] and noun_forms("landing spot") == ["landing spot"]


def test_a_ride_to_a_storey_is_also_said_as_going_there():
    catalog = Catalog.from_dict({"skills": [
        {"name": "ride_elevator", "kind": "action", "description": "Ride the elevator to a floor.",
         "resources": ["base"], "params": {"floor": {"type": "integer", "minimum": -1, "maximum": 6,
                                                     "description": "floor number, -1 is the basement"}}},
        {"name": "drive", "kind": "action", "description": "Drive a distance.", "resources": ["base"],
         "params": {"distance_m": {"type": "number", "minimum": -5, "maximum": 5}}},
    ]})
    said = natural_templates(catalog.skill("ride_elevator"))
    assert "go down to floor {floor:num}" in said and "head up to floor {floor:num}" in said
    assert not any(t.startswith("go down") for t in natural_templates(catalog.skill("drive")))  # no storey
    rides = generate_report(catalog, 150, seed=3, mix={"single": 1.0}).samples
    assert any(("go" in s.command.lower().split() or "head" in s.command.lower().split())
               and "the basement" in s.command.lower() and s.plan[0].args == {"floor": -1} for s in rides)


def test_a_setting_of_one_choice_is_also_said_by_the_choice():
    catalog = Catalog.from_dict({"modes": ["slow", "normal"], "skills": [
        {"name": "set_speed_mode", "kind": "service", "description": "Set the speed mode.",
         "params": {"mode": {"type": "mode"}}}]})
    said = natural_templates(catalog.skills[0])
    assert "set the speed mode to {mode}" in said
    assert "switch to {mode:bare} mode" in said and "go back to {mode:bare} speed" in said
    report = generate_report(catalog, 40, seed=2, mix={"single": 1.0})
    assert any(s.command.lower().startswith(("switch to slow", "switch to normal")) for s in report.samples)


def test_a_signed_distance_is_also_said_by_a_verb_of_its_direction():
    catalog = Catalog.from_dict({"skills": [
        {"name": "change_altitude", "kind": "action", "description": "Climb or descend.", "resources": ["airframe"],
         "params": {"delta_m": {"type": "number", "minimum": -50, "maximum": 50,
                                "description": "metres to climb, negative to descend"}}},
        {"name": "set_gimbal_pitch", "kind": "service", "description": "Tilt the camera.",
         "params": {"pitch_deg": {"type": "number", "minimum": -90, "maximum": 30,
                                  "description": "degrees up, negative tilts down"}}},
    ]})
    pb = load_phrasebook(catalog)
    said = {(t.text, tuple(t.when.items())) for t in pb.skills["change_altitude"].templates}
    assert ("descend {delta_m}", (("delta_m", "negative"),)) in said
    assert ("climb {delta_m}", (("delta_m", "positive"),)) in said
    assert not any(t.when for t in pb.skills["set_gimbal_pitch"].templates)  # nobody "climbs 5 degrees"
    report = generate_report(catalog, 60, seed=1, mix={"single": 1.0})
    descents = [s for s in report.samples if "descend" in s.command.lower()]
    assert descents and all(s.plan[0].args["delta_m"] < 0 for s in descents)
    assert check_meaning(sample("climb 5 meters", ("change_altitude", {"delta_m": -5})), catalog, pb)


def hospital_like() -> Catalog:
    """Numbered things whose descriptions name some values, a camera tilt, a speed setting."""
    return Catalog.from_dict({"places": ["lab", "ward"], "modes": ["slow", "normal"], "skills": [
        {"name": "ride_elevator", "kind": "action", "description": "Ride the elevator to a floor.",
         "resources": ["base"], "params": {"floor": {
             "type": "integer", "minimum": -1, "maximum": 6,
             "description": "floor number, -1 is the basement and 0 the ground floor"}}},
        {"name": "open_drawer", "kind": "action", "description": "Open a drawer.", "resources": ["base"],
         "params": {"drawer": {"type": "integer", "minimum": 1, "maximum": 4,
                               "description": "drawer number, 1 is the top drawer"}}},
        {"name": "set_gimbal_pitch", "kind": "service", "description": "Tilt the camera; 0 looks at the horizon.",
         "params": {"pitch_deg": {"type": "number", "minimum": -90, "maximum": 30,
                                  "description": "degrees, negative looks down"}}},
        {"name": "set_speed_mode", "kind": "service", "description": "Drive slowly or at normal speed.",
         "resources": ["base"], "params": {"mode": {"type": "mode"}}},
        {"name": "navigate_to", "kind": "action", "description": "Drive to a place.", "resources": ["base"],
         "params": {"place": {"type": "place"}}, "returns": {"type": "place"}},
        {"name": "find_staff", "kind": "service", "description": "Look up where a staff member is.",
         "params": {"name": {"type": "string"}}, "returns": {"type": "place"}},
        {"name": "announce", "kind": "service", "description": "Say a sentence out loud.", "resources": ["base"],
         "params": {"text": {"type": "string"}}},
    ]})


def test_values_a_description_names_are_said_by_name_and_ordinals_name_numbered_things():
    catalog = hospital_like()
    pb = load_phrasebook(catalog)
    floor, drawer = pb.spec("ride_elevator", "floor").named, pb.spec("open_drawer", "drawer").named
    assert floor[-1] == ["the basement"] and floor[0] == ["the ground floor"]
    assert "the fourth {n}" in floor[4] and "the 4th {n}" in floor[4]
    assert "the top drawer" in drawer[1] and "the bottom drawer" in drawer[4]  # the other end of the bounds
    assert pb.spec("set_gimbal_pitch", "pitch_deg").named == {0.0: ["the horizon"]}
    report = generate_report(catalog, 600, seed=3, mix={"single": 1.0})
    said = {s.command.lower().rstrip("?.!"): s.plan[0].args for s in report.samples}
    named = [(c, a) for c, a in said.items() if "basement" in c or "ground floor" in c]
    assert named and all(a == {"floor": -1 if "basement" in c else 0} for c, a in named)
    assert any("fourth floor" in c or "4th floor" in c for c in said)
    assert all(a == {"drawer": 4} for c, a in said.items() if "bottom" in c)
    assert any("horizon" in c for c in said)
    assert check_meaning(sample("take the lift to the basement", ("ride_elevator", {"floor": -1})), catalog, pb) is None
    assert check_meaning(sample("take the lift to the basement", ("ride_elevator", {"floor": 1})), catalog, pb)
    assert check_meaning(sample("open the 3rd drawer", ("open_drawer", {"drawer": 3})), catalog, pb) is None


def test_a_choice_is_also_said_by_a_set_phrase_and_a_place_looked_up_is_gone_to_before_acting_there():
    catalog = hospital_like()
    pb = load_phrasebook(catalog)
    said = {(t.text, tuple(t.when.items())) for t in pb.skills["set_speed_mode"].templates}
    assert ("slow down", (("mode", "slow"),)) in said
    report = generate_report(catalog, 300, seed=4, mix={"single": 1.0})
    slow = [s.plan for s in report.samples if s.command.lower().startswith(("slow down", "take it slow"))]
    assert slow and all(p == [PlanCall(skill="set_speed_mode", args={"mode": "slow"})] for p in slow)
    chains = generate_report(catalog, 200, seed=5, mix={"chain": 1.0}).samples
    at_place = [s for s in chains if [c.skill for c in s.plan][:1] == ["navigate_to"]]  # "announce ... at the lab"
    assert at_place and all(len(s.plan) == 2 and verify(s, catalog, pb) == [] for s in at_place)
    there = [s for s in chains if len(s.plan) == 3]
    assert there, "no look-up, go there and act there"
    for s in there:
        assert [c.skill for c in s.plan[:2]] == ["find_staff", "navigate_to"], s
        assert s.plan[1].args == {"place": "$1"} and s.plan[2].skill not in ("navigate_to", "find_staff"), s
        assert verify(s, catalog, pb) == [], s


def test_an_action_is_also_said_by_its_description_and_a_media_result_is_sent_as_what_it_is():
    catalog = Catalog.from_dict({"places": ["lab", "charging_bay"], "skills": [
        {"name": "disinfect_room", "kind": "action", "resources": ["base"],
         "description": "Switch on the UV lamps and disinfect the room; stops if someone walks in.",
         "params": {"duration_min": {"type": "number", "minimum": 1, "maximum": 30, "default": 10}}},
        {"name": "dock", "kind": "action", "resources": ["base"],
         "description": "Drive to the charging bay and charge."},
        {"name": "land", "kind": "action", "resources": ["base"], "description": "Descend straight down and land."},
        {"name": "take_photo", "kind": "service", "resources": ["camera"], "description": "Take a photo.",
         "returns": {"type": "string", "description": "id of the stored photo"}},
        {"name": "send_report", "kind": "service", "description": "Send a text report to a person's phone.",
         "params": {"recipient": {"type": "string"}, "text": {"type": "string"},
                    "attachment": {"type": "string", "default": ""}}},
    ]})
    pb = load_phrasebook(catalog)
    said = [t.text for t in pb.skills["disinfect_room"].templates]
    assert "switch on the uv lamps" in said and "switch on the uv lamps for {duration_min}" in said
    assert not any("charging bay" in t.text for t in pb.skills["dock"].templates)  # navigating there says that
    assert not any("straight down" in t.text for t in pb.skills["land"].templates)  # a distance to descend
    assert "send {attachment} to {recipient} saying {text}" in natural_templates(catalog.skill("send_report"))
    sent = [s for s in generate_report(catalog, 200, seed=6, mix={"chain": 1.0}).samples
            if s.plan[-1].args.get("attachment") == "$1"]
    assert any(" the photo " in f" {s.command.lower()} " or " the picture " in f" {s.command.lower()} "
               for s in sent)


def test_a_reason_said_around_a_command_changes_nothing_and_first_is_said_once():
    from agent_node.datagen.compose import REASONS

    samples = generate_report(hospital_like(), 500, seed=7).samples
    with_reason = [s for s in samples if any(r.lower() in s.command.lower() for r in REASONS)]
    assert with_reason and all(s.plan for s in with_reason)
    assert not any("first first" in s.command.lower() for s in samples)
