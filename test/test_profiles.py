"""Robot profiles: the shipped one, refusals of a changed or incomplete one, the phrases
file, ``--robot`` on the command-line tools, and ``agent-robot build`` end to end on a
3-skill catalog with a tiny model built here (tiny budget)."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
import yaml

from agent_node.catalog.skills import Catalog, load_catalog
from agent_node.cli.evaluate import with_robot
from agent_node.cli.robot import examples_for
from agent_node.cli.robot import main as robot_main
from agent_node.datagen.generate import generate_report
from agent_node.language.phrasebook import PhrasebookError
from agent_node.language.phrases_file import phrasebook_with_phrases, read_phrases
from agent_node.profiles.profile import ProfileError, load_profile

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
CART = {
    "zones": ["loading_bay", "shelf_a", "shelf_b"],
    "skills": [
        {"name": "move_to", "kind": "action", "description": "Move the cart to a zone.", "resources": ["base"],
         "params": {"zone": {"type": "zone"}}, "returns": {"type": "zone"}},
        {"name": "find_item", "kind": "service", "description": "Look up the zone an item is in.",
         "params": {"item": {"type": "string"}}, "returns": {"type": "zone"}},
        {"name": "beep", "kind": "service", "description": "Beep the horn a number of times.",
         "params": {"times": {"type": "integer", "minimum": 1, "maximum": 5}}},
    ]}


def _cart(tmp_path: Path) -> Path:
    path = tmp_path / "cart.yaml"
    path.write_text(yaml.safe_dump(CART), encoding="utf-8")
    return path


def test_the_home_robot_ships_as_a_profile():
    profile = load_profile("home_robot")
    assert profile.name == "home_robot"
    assert load_catalog(profile.catalog).skill_names == load_catalog().skill_names
    assert profile.adapter is not None and profile.adapter.name == "adapter.gguf"
    changes = profile.planner_changes()
    assert changes["adapter"] == str(profile.adapter) and changes["toolrag_dir"] == str(profile.toolrag)


def _copy_profile(tmp_path: Path) -> Path:
    """The shipped profile with its parts copied beside it (so they can be changed)."""
    src = load_profile("home_robot")
    out = tmp_path / "robot"
    out.mkdir()
    for part in ("catalog", "adapter", "policy", "bindings"):
        shutil.copyfile(getattr(src, part), out / getattr(src, part).name)
    manifest = yaml.safe_load((src.directory / "robot.yaml").read_text(encoding="utf-8"))
    for part in ("catalog", "adapter", "policy", "bindings"):
        manifest[part]["file"] = Path(manifest[part]["file"]).name
    del manifest["toolrag"]
    (out / "robot.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    assert load_profile(out).catalog == (out / "home_robot_skills.yaml").resolve()
    return out


def test_a_profile_whose_catalog_changed_is_refused_naming_the_file(tmp_path):
    out = _copy_profile(tmp_path)
    catalog = out / "home_robot_skills.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace("maximum: 5,", "maximum: 50,", 1), encoding="utf-8")
    with pytest.raises(ProfileError) as e:
        load_profile(out)
    assert "catalog: home_robot_skills.yaml does not match its sha256" in str(e.value)
    assert str(out / "robot.yaml") in str(e.value)


def test_a_profile_with_a_missing_part_is_refused(tmp_path):
    out = _copy_profile(tmp_path)
    (out / "adapter.gguf").unlink()
    with pytest.raises(ProfileError, match="adapter: adapter.gguf is missing"):
        load_profile(out)
    with pytest.raises(ProfileError, match="no robot.yaml here"):
        load_profile(tmp_path)
    (out / "robot.yaml").write_text("name: x\ncatalog: skills.yaml\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="catalog"):
        load_profile(out)


def test_robot_fills_only_what_is_not_given():
    args = argparse.Namespace(robot="home_robot", catalog=None, model=None, adapter="none", toolrag=None)
    filled = with_robot(args)
    profile = load_profile("home_robot")
    assert filled.catalog == str(profile.catalog) and filled.toolrag == str(profile.toolrag)
    assert filled.adapter == "none"  # given explicitly: kept
    assert filled.model == "qwen2.5-coder-0.5b"


# -- the phrases file ----------------------------------------------------------------------------
def _phrases(tmp_path: Path, skills: dict) -> Path:
    path = tmp_path / "phrases.yaml"
    path.write_text(yaml.safe_dump({"skills": skills}), encoding="utf-8")
    return path


def test_a_phrases_file_adds_its_templates_with_bare_slots(tmp_path):
    catalog = Catalog.from_dict(CART)
    phrases = read_phrases(_phrases(tmp_path, {"move_to": ["roll over to {zone}", "{zone}, go"],
                                               "beep": ["honk {times} times"]}), catalog)
    pb = phrasebook_with_phrases(catalog, phrases)
    texts = [t.text for t in pb.skills["move_to"].templates]
    assert texts.count("roll over to {zone:bare}") == 2 and "move to {zone}" in texts
    assert "honk {times:num} times" in [t.text for t in pb.skills["beep"].templates]
    report = generate_report(catalog, 80, seed=2, phrasebook=pb)
    assert any(s.command.lower().startswith("roll over to") for s in report.samples)


@pytest.mark.parametrize("phrases, catalog", [
    ("config/robot_phrases_example.yaml", "config/home_robot_skills.yaml"),
    ("examples/drone/phrases.yaml", "examples/drone/skills.yaml"),
])
def test_the_shipped_phrases_files_are_read_and_used(phrases, catalog):
    catalog = load_catalog(REPO / catalog)
    read = read_phrases(REPO / phrases, catalog)
    assert read and all(1 <= len(templates) <= 5 for templates in read.values())
    report = generate_report(catalog, 120, seed=1, phrasebook=phrasebook_with_phrases(catalog, read))
    assert len(report.samples) >= 100


@pytest.mark.parametrize("skills, problem", [
    ({"fly": ["fly"]}, "skills.fly: no such skill"),
    ({"move_to": ["go to {place}"]}, "uses {place}, not a parameter of move_to (zone)"),
    ({"move_to": [f"go to {{zone}} {i}" for i in range(6)]}, "6 templates, at most 5"),
    ({"move_to": ["just move"]}, "no template says every required parameter (zone)"),
    ({"move_to": ["go to {zone:bare}"]}, "without a modifier"),
])
def test_a_bad_phrases_file_is_refused_with_every_problem(tmp_path, skills, problem):
    with pytest.raises(PhrasebookError) as e:
        read_phrases(_phrases(tmp_path, skills), Catalog.from_dict(CART))
    assert problem in str(e.value)


def test_the_budget_sizes_the_training_data():
    assert examples_for(60, 2) > examples_for(30, 2) > examples_for(15, 2) >= 60
    assert examples_for(600, 2) == 5000


def test_a_bad_catalog_is_refused_before_anything_is_built(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("skills:\n  - name: go\n    kind: teleport\n", encoding="utf-8")
    assert robot_main(["build", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "invalid catalog" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# -- agent-robot build, end to end (a tiny model: seconds per stage) ------------------------------
@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    pytest.importorskip("gguf")
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    if not BASE.is_file():
        pytest.skip(f"{BASE} is not assembled (make setup)")
    from tiny_gguf import write_tiny_qwen2

    return write_tiny_qwen2(BASE, tmp_path_factory.mktemp("tiny") / "tiny.gguf")


def test_a_three_skill_catalog_builds_a_profile_end_to_end(tiny_base, tmp_path, capsys):
    catalog = _cart(tmp_path)
    phrases = _phrases(tmp_path, {"move_to": ["roll over to {zone}"]})
    out = tmp_path / "cart"
    argv = ["build", str(catalog), "--out", str(out), "--phrases", str(phrases), "--model", str(tiny_base),
            "-n", "60", "--held-out", "2", "--max-steps", "2", "--batch", "4", "--rank", "4", "--alpha", "8",
            "--budget-min", "5"]
    assert robot_main(argv) == 0
    profile = load_profile(out)
    assert profile.name == "cart" and profile.adapter is not None and profile.toolrag is not None
    assert load_catalog(profile.catalog).skill_names == ["move_to", "find_item", "beep"]
    report = yaml.safe_load((out / "robot.yaml").read_text(encoding="utf-8"))["report"]
    assert set(report["stage_minutes"]) == {"catalog", "data", "toolrag", "bank", "adapter", "report"}
    assert 0 <= report["held_out_success"] <= 1 and report["held_out_commands"] > 0
    assert "| adapter |" in (out / "report.md").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in (out / "work" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(r["command"].lower().startswith("roll over to") for r in rows)
    capsys.readouterr()
    # a second run finds every stage done and redoes nothing
    assert robot_main(argv) == 0
    assert capsys.readouterr().err.count("skipped") == 6
    assert robot_main(["check", str(out)]) == 0


def test_agent_run_runs_a_plan_dry_for_a_robot_without_a_simulator(tmp_path, capsys):
    from agent_node.cli.run import run_main
    from agent_node.profiles.profile import part_of

    out = tmp_path / "cart"
    out.mkdir()
    catalog = _cart(out)
    (out / "robot.yaml").write_text(yaml.safe_dump({"name": "cart", "catalog": part_of(out, catalog)}),
                                    encoding="utf-8")
    plan = tmp_path / "plan.txt"
    plan.write_text('1. find_item(item="box")\n2. move_to(zone="$1")\n3. join()\n', encoding="utf-8")
    assert run_main(["--robot", str(out), "--plan", str(plan), "--time-scale", "0", "--json"]) == 0
    captured = capsys.readouterr()
    assert "dry run" in captured.err
    tasks = json.loads(captured.out)["result"]["tasks"]
    assert [t["status"] for t in tasks] == ["succeeded", "succeeded"]
