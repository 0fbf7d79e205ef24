"""The skill catalog (agent_node.catalog.skills): the reference file and every way a catalog can be wrong."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agent_node.catalog.skills import Catalog, CatalogError, enum_type_name, load_catalog

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AGENT_SHARED_DIR", REPO.parent / "shared"))
PROJECT_CATALOG = REPO / "config" / "home_robot_skills.yaml"
SPEC_CATALOG = SHARED / "spec" / "home_robot_skills.yaml"

LOCATIONS = ["kitchen", "living_room", "dining_room", "bedroom", "bathroom", "office",
             "hallway", "garage", "front_door", "charging_dock"]
DOORS = ["front_door", "back_door", "garage_door"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def skill(name: str = "s", kind: str = "service", **params: Any) -> dict[str, Any]:
    """A minimal skill entry; params are given as keyword arguments."""
    return {"name": name, "kind": kind, "description": f"the skill {name}", "params": params}


def problems_of(data: Any) -> list[str]:
    """The problems of a catalog that must be rejected."""
    with pytest.raises(CatalogError) as info:
        Catalog.from_dict(data)
    assert info.value.problems, "a CatalogError must list at least one problem"
    return info.value.problems


def load_yaml(tmp_path: Path, text: str) -> Catalog:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return load_catalog(path)


def yaml_problems(tmp_path: Path, text: str) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        load_yaml(tmp_path, text)
    return info.value


# -- the reference catalog ------------------------------------------------------

def test_default_catalog_has_20_skills_and_two_enums(catalog: Catalog) -> None:
    assert len(catalog.skills) == 20
    assert len(set(catalog.skill_names)) == 20
    assert catalog.enums == {"location": LOCATIONS, "door": DOORS}


def test_default_catalog_is_the_project_file(catalog: Catalog) -> None:
    assert load_catalog(PROJECT_CATALOG) == catalog


def test_set_light_has_room_and_on(catalog: Catalog) -> None:
    set_light = catalog.skill("set_light")
    assert set_light is not None
    assert list(set_light.params) == ["room", "on"]
    assert set_light.params["room"].type == "location"
    assert set_light.params["on"].type == "boolean"
    assert set_light.params["on"].required


@pytest.mark.parametrize("name, kind, resources, returns", [
    ("navigate_to", "action", ["base"], "location"),
    ("pick", "action", ["base", "arm"], "string"),
    ("detect_objects", "service", ["base", "camera"], "array"),
    ("find_person", "service", [], "location"),
    ("check_door", "service", [], "string"),
    ("get_battery", "service", [], "number"),
    ("patrol", "action", ["base"], "integer"),
])
def test_default_catalog_skill_contract(catalog: Catalog, name: str, kind: str,
                                        resources: list[str], returns: str) -> None:
    s = catalog.skill(name)
    assert s is not None
    assert (s.kind, s.resources, s.returns.type) == (kind, resources, returns)


def test_unknown_skill_lookup_is_none(catalog: Catalog) -> None:
    assert catalog.skill("fly") is None


def test_project_catalog_is_byte_identical_to_spec() -> None:
    if not SPEC_CATALOG.is_file():
        pytest.skip(f"spec catalog not found at {SPEC_CATALOG}")
    assert PROJECT_CATALOG.read_bytes() == SPEC_CATALOG.read_bytes()


@pytest.mark.parametrize("skill_name, param, fragment", [
    ("drive", "distance_m", "negative is backward"),
    ("go_to_pose", "yaw_deg", "heading in degrees"),
])
def test_reference_descriptions_are_whole(catalog: Catalog, skill_name: str, param: str, fragment: str) -> None:
    assert fragment in catalog.skill(skill_name).params[param].description


@pytest.mark.parametrize("name, expected", [
    ("drive", "drive(distance_m: number, speed_mps: number = 0.3)"),
    ("patrol", "patrol(route: list[location], laps: integer = 1)"),
    ("send_message", "send_message(recipient: string, text: string, attachment: string = '')"),
    ("set_light", "set_light(room: location, on: boolean)"),
    ("go_to_pose", "go_to_pose(x: number, y: number, yaw_deg: number = 0)"),
    ("dock", "dock()"),
])
def test_signature(catalog: Catalog, name: str, expected: str) -> None:
    assert catalog.skill(name).signature() == expected


def test_defaults_and_required(catalog: Catalog) -> None:
    drive = catalog.skill("drive").params
    assert drive["distance_m"].required and not drive["speed_mps"].required
    assert drive["speed_mps"].default == 0.3
    assert (drive["distance_m"].minimum, drive["distance_m"].maximum) == (-5, 5)
    attachment = catalog.skill("send_message").params["attachment"]
    assert not attachment.required and attachment.default == ""


def test_subset_keeps_catalog_order_and_enums(catalog: Catalog) -> None:
    sub = catalog.subset(["say", "navigate_to", "nonexistent"])
    assert sub.skill_names == ["navigate_to", "say"]
    assert sub.enums == catalog.enums


# -- YAML pitfalls read as meant -----------------------------------------------

def test_unquoted_on_key_is_a_param_named_on(tmp_path: Path) -> None:
    cat = load_yaml(tmp_path, """
skills:
  - name: lamp
    kind: service
    description: switch a lamp
    params:
      on: {type: boolean, description: true for on}
""")
    assert list(cat.skill("lamp").params) == ["on"]
    assert cat.skill("lamp").params["on"].type == "boolean"


def test_plural_enum_key_declares_singular_type(tmp_path: Path) -> None:
    cat = load_yaml(tmp_path, """
colors: [red, green]
categories: [tool, toy]
skills:
  - name: paint
    kind: action
    description: paint
    params:
      color: {type: color}
      category: {type: category, default: toy}
""")
    assert cat.enums == {"color": ["red", "green"], "category": ["tool", "toy"]}
    assert cat.is_enum("color") and not cat.is_enum("colors")


def test_plural_enum_key_is_not_itself_a_type() -> None:
    problems = problems_of({"colors": ["red"], "skills": [skill("paint", c={"type": "colors"})]})
    assert any("unknown type 'colors'" in p for p in problems)


@pytest.mark.parametrize("key, expected", [
    ("locations", "location"),
    ("doors", "door"),
    ("categories", "category"),
    ("glass", "glass"),
    ("mode", "mode"),
])
def test_enum_type_name(key: str, expected: str) -> None:
    assert enum_type_name(key) == expected


def test_description_split_by_commas_is_rejoined(tmp_path: Path) -> None:
    cat = load_yaml(tmp_path, """
skills:
  - name: move
    kind: action
    description: move
    params:
      d: {type: number, description: metres, negative is backward, zero is no-op}
    returns: {type: number, description: metres, as measured}
""")
    move = cat.skill("move")
    assert move.params["d"].description == "metres, negative is backward, zero is no-op"
    assert move.returns.description == "metres, as measured"


def test_value_less_typo_without_description_is_an_error(tmp_path: Path) -> None:
    error = yaml_problems(tmp_path, """
skills:
  - name: move
    kind: action
    description: move
    params:
      d: {type: number, minimun}
""")
    assert any("move" in p and "minimun" in p for p in error.problems)


# -- invalid catalogs: each a CatalogError naming skill and param ---------------

@pytest.mark.parametrize("data, fragments", [
    pytest.param({"skills": [skill("beep"), skill("beep")]},
                 ["duplicate skill", "beep"], id="duplicate-skill"),
    pytest.param({"skills": [skill("paint", shade={"type": "colour"})]},
                 ["paint", "shade", "unknown type 'colour'"], id="unknown-param-type"),
    pytest.param({"skills": [skill("visit", stops={"type": "array", "items": "planet"})]},
                 ["visit", "stops", "unknown item type 'planet'"], id="unknown-item-type"),
    pytest.param({"skills": [skill("visit", stops={"type": "array", "items": "array"})]},
                 ["visit", "stops", "unknown item type 'array'"], id="nested-array"),
    pytest.param({"skills": [skill("visit", stops={"type": "array"})]},
                 ["visit", "stops", "needs 'items'"], id="array-without-items"),
    pytest.param({"skills": [skill("spin", speed={"type": "number", "minimum": 0, "maximum": 5, "default": 9})]},
                 ["spin", "speed", "default 9", "maximum"], id="default-above-max"),
    pytest.param({"skills": [skill("spin", speed={"type": "integer", "minimum": 1, "default": 0})]},
                 ["spin", "speed", "default 0", "minimum"], id="default-below-min"),
    pytest.param({"colors": ["red"], "skills": [skill("paint", c={"type": "color", "default": "blue"})]},
                 ["paint", "'c'", "default 'blue'"], id="default-not-in-enum"),
    pytest.param({"skills": [skill("say", text={"type": "string", "default": 3})]},
                 ["say", "text", "default 3"], id="default-wrong-type"),
    pytest.param({"skills": [skill("spin", speed={"type": "number", "minimum": 5, "maximum": 1})]},
                 ["spin", "speed", "minimum 5", "maximum 1"], id="minimum-above-maximum"),
    pytest.param({"skills": [skill("say", text={"type": "string", "maximum": 3})]},
                 ["say", "text", "bounds only apply"], id="bounds-on-string"),
    pytest.param({"skills": [skill("spin", speed={"type": "number", "minimun": 3})]},
                 ["spin", "speed", "minimun"], id="unknown-param-key"),
    pytest.param({"skills": [{**skill("spin"), "kind": "topic"}]},
                 ["spin", "kind"], id="unknown-kind"),
    pytest.param({"skills": [{**skill("spin"), "returns": {"type": "colour"}}]},
                 ["spin", "returns", "colour"], id="unknown-return-type"),
    pytest.param({"skills": [{"kind": "service", "description": "no name"}]},
                 ["#1", "name"], id="missing-name"),
    pytest.param({"skills": [skill("two words")]},
                 ["two words", "name"], id="bad-skill-name"),
    pytest.param({"skills": [skill("s", **{"my-param": {"type": "string"}})]},
                 ["'s'", "my-param", "identifier"], id="bad-param-name"),
    pytest.param({"skills": [skill("move", **{"from": {"type": "string"}})]},
                 ["'move'", "'from'", "Python keyword"], id="keyword-param-name"),
    pytest.param({"colors": [], "skills": [skill()]}, ["color", "non-empty list"], id="empty-enum"),
    pytest.param({"colors": ["red", "red"], "skills": [skill()]}, ["color", "duplicate"], id="duplicate-enum-value"),
    pytest.param({"strings": ["a"], "skills": [skill()]}, ["string", "shadows"], id="enum-shadows-base-type"),
    pytest.param({"skills": []}, ["'skills' must be a non-empty list"], id="empty-skills"),
    pytest.param({"locations": ["kitchen"]}, ["'skills' must be a non-empty list"], id="no-skills"),
])
def test_invalid_catalog(data: dict[str, Any], fragments: list[str]) -> None:
    problems = problems_of(data)
    assert any(all(f in p for f in fragments) for p in problems), problems


def test_typo_key_with_a_value_is_rejected_from_yaml(tmp_path: Path) -> None:
    error = yaml_problems(tmp_path, """
skills:
  - name: spin
    kind: action
    description: spin round
    params:
      turns: {type: integer, minimun: 3, description: how many}
""")
    assert len(error.problems) == 1
    assert all(word in error.problems[0] for word in ("spin", "turns", "minimun"))


@pytest.mark.parametrize("text, fragment", [
    pytest.param("skills: [unclosed\n", "not valid YAML", id="invalid-yaml"),
    pytest.param("- name: a\n- name: b\n", "top level must be a mapping", id="top-level-list"),
    pytest.param("just a string\n", "top level must be a mapping", id="top-level-scalar"),
    pytest.param("", "top level must be a mapping", id="empty-file"),
    pytest.param("skills: []\n", "'skills' must be a non-empty list", id="empty-skills"),
    pytest.param("skills: {a: 1}\n", "'skills' must be a non-empty list", id="skills-mapping"),
])
def test_invalid_catalog_file(tmp_path: Path, text: str, fragment: str) -> None:
    error = yaml_problems(tmp_path, text)
    assert error.source == str(tmp_path / "catalog.yaml")
    assert any(fragment in p for p in error.problems), error.problems
    assert str(tmp_path / "catalog.yaml") in str(error)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(CatalogError) as info:
        load_catalog(missing)
    assert str(missing) in str(info.value)
    assert "cannot read" in info.value.problems[0]


@pytest.mark.parametrize("data", [[1, 2], "skills", None, 42])
def test_from_dict_rejects_non_mapping(data: Any) -> None:
    assert "top level must be a mapping" in problems_of(data)[0]


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "colors": ["red"],
        "skills": [
            skill("paint", shade={"type": "colour"}),
            skill("spin", speed={"type": "number", "minimum": 5, "maximum": 1}),
            skill("fill", c={"type": "color", "default": "blue"}),
            {**skill("zap"), "kind": "topic"},
            skill("paint"),
        ],
    }
    problems = problems_of(data)
    expected = [("paint", "shade"), ("spin", "speed"), ("fill", "'c'"), ("zap", "kind"), ("duplicate skill", "paint")]
    for words in expected:
        assert any(all(w in p for w in words) for p in problems), (words, problems)
    assert len(problems) == len(expected)
    with pytest.raises(CatalogError) as info:
        Catalog.from_dict(data, source="my.yaml")
    message = str(info.value)
    assert message.startswith("invalid catalog my.yaml")
    assert all(p in message for p in problems)


def test_catalog_error_is_a_value_error() -> None:
    assert issubclass(CatalogError, ValueError)
