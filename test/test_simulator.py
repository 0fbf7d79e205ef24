"""The simulated house robot (tool_adapters.sim): world file and all 20 skills."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from typing import Any

import pytest

from agent_node.catalog.skills import load_catalog
from agent_node.execution.skill_runner import SkillFailed
from tool_adapters.sim import SimRobot, World, WorldError, load_world, match_names, normalize_name

ROOT = Path(__file__).resolve().parents[1]
CATALOG = load_catalog(ROOT / "config" / "home_robot_skills.yaml")
WORLD = load_world()


def robot(**kwargs: Any) -> SimRobot:
    kwargs.setdefault("time_scale", 0)
    return SimRobot(WORLD, **kwargs)


def call(r: SimRobot, skill: str, args: dict[str, Any] | None = None, feedback: Any = None) -> Any:
    return asyncio.run(r.call(skill, args or {}, feedback or (lambda p, m: None)))


def fails(r: SimRobot, skill: str, args: dict[str, Any] | None, match: str) -> None:
    with pytest.raises(SkillFailed, match=match):
        call(r, skill, args)


def at(location: str, **kwargs: Any) -> SimRobot:
    r = robot(**kwargs)
    call(r, "navigate_to", {"location": location})
    return r


# -- world file ---------------------------------------------------------------------
def test_world_matches_catalog() -> None:
    assert list(WORLD.rooms) == CATALOG.enums["location"]
    assert set(WORLD.doors) == set(CATALOG.enums["door"])
    assert set(WORLD.lights) == set(WORLD.rooms)
    assert all(abs(r.x) <= 15 and abs(r.y) <= 15 for r in WORLD.rooms.values())


def test_world_contents() -> None:
    required = (
        "banana|apple|red cup|book|laptop|shoes|jacket|glasses|vacuum cleaner|toy car|remote control|keys|"
        "glass|mug|plate|towel|toothbrush|pillow|wallet|phone|umbrella|bottle of water|newspaper|scissors|"
        "charger|plant|teddy bear|backpack|bowl|toolbox"
    ).split("|")
    assert set(required) <= set(WORLD.objects)
    assert 30 <= len(WORLD.objects) <= 40
    assert set(WORLD.people) == {"alice", "bob", "carol", "dave"}
    assert len({p.location for p in WORLD.people.values()}) > 1
    r = WORLD.robot
    assert (r.location, r.battery, r.held) == ("charging_dock", 100.0, None)
    assert (r.x, r.y) == (WORLD.rooms["charging_dock"].x, WORLD.rooms["charging_dock"].y)
    assert WORLD.physics.drive_speed_mps == 0.5 and WORLD.physics.turn_speed_dps == 90


def test_simulator_implements_every_catalog_skill() -> None:
    assert sorted(SimRobot.skill_names()) == sorted(CATALOG.skill_names)


def test_missing_world_file(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match="cannot read file"):
        load_world(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("rooms: [unclosed", "not valid YAML"),
        ("- just a list", "top level must be a mapping"),
        ("rooms: {a: {x: 0, y: 0}}\nrobot: {location: a}\nobjects: {cup: attic}", "unknown room 'attic'"),
        ("rooms: {a: {x: 0, y: 0}}\nrobot: {location: attic}", "robot: unknown room 'attic'"),
        ("rooms: {a: {x: 0, y: 0}}\nrobot: {location: a, held: cup}", "unknown object 'cup'"),
        ("rooms: {a: {x: 0, y: 0}}\nrobot: {location: a, battery: 150}", "battery"),
        ("rooms: {a: {x: 0, y: 0}}\nrobot: {location: a}\ndoors: {d: ajar}", "doors"),
    ],
)
def test_broken_world_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(text)
    with pytest.raises(WorldError, match=problem) as info:
        load_world(path)
    assert isinstance(info.value, ValueError)


def test_each_robot_has_its_own_state() -> None:
    a, b = robot(), robot()
    call(a, "navigate_to", {"location": "kitchen"})
    call(a, "pick", {"object": "banana"})
    assert (b.location, b.held) == ("charging_dock", None)
    assert WORLD.objects["banana"].held_by is None and WORLD.robot.location == "charging_dock"


# -- names --------------------------------------------------------------------------
def test_name_matching() -> None:
    assert normalize_name("the Red_Cup") == "red cup"
    assert normalize_name("My  keys") == "keys"
    assert match_names("the Red_Cup", WORLD.objects) == ["red cup"]
    assert match_names("cup", WORLD.objects) == ["red cup"]
    assert match_names("water", WORLD.objects) == ["bottle of water"]
    assert match_names("glass", WORLD.objects) == ["glass"]
    assert match_names("spaceship", WORLD.objects) == []


def test_ambiguous_object_name_fails() -> None:
    world = WORLD.clone()
    world.objects["blue cup"] = world.objects["red cup"].model_copy()
    r = SimRobot(world, time_scale=0)
    fails(r, "find_object", {"object": "cup"}, "blue cup, red cup")


# -- motion -------------------------------------------------------------------------
def test_navigate_to_moves_drains_and_reports_progress() -> None:
    r = robot()
    reports: list[tuple[float | None, str]] = []
    assert call(r, "navigate_to", {"location": "kitchen"}, lambda p, m: reports.append((p, m))) == "kitchen"
    kitchen, dock = WORLD.rooms["kitchen"], WORLD.rooms["charging_dock"]
    distance = math.hypot(kitchen.x - dock.x, kitchen.y - dock.y)
    assert r.location == "kitchen" and r.pose[:2] == (kitchen.x, kitchen.y)
    assert r.battery == pytest.approx(100 - 0.2 * distance)
    assert r.sim_time == pytest.approx(distance / 0.5)
    progress = [p for p, _ in reports]
    assert 3 <= len(reports) <= 21 and progress == sorted(progress)
    assert progress[0] == 0.0 and progress[-1] == 1.0
    assert reports[0][1] == f"{distance:.1f} m to the kitchen"


def test_navigate_to_failures() -> None:
    fails(robot(), "navigate_to", {"location": "attic"}, "unknown location 'attic'")
    world = WORLD.clone()
    world.robot.battery = 0.0
    fails(SimRobot(world, time_scale=0), "navigate_to", {"location": "kitchen"}, "battery is empty")


def test_battery_runs_out_on_the_way() -> None:
    world = WORLD.clone()
    world.robot.battery = 1.0  # 5 m at 0.2 %/m; the kitchen is 9.4 m away
    r = SimRobot(world, time_scale=0)
    fails(r, "navigate_to", {"location": "kitchen"}, "battery ran out 4.4 m short of the kitchen")
    assert r.battery == 0.0
    assert math.hypot(r.pose[0] - 2.0, r.pose[1] - 2.0) == pytest.approx(5.0)


def test_cancel_mid_navigate_stops_between_rooms() -> None:
    r = robot(time_scale=0.01)  # the kitchen is 18.9 sim s = 0.19 s away

    async def go_and_cancel() -> None:
        task = asyncio.ensure_future(r.call("navigate_to", {"location": "kitchen"}, lambda p, m: None))
        await asyncio.sleep(0.08)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(go_and_cancel())
    x, y, _ = r.pose
    assert 2.0 < x < 10.0 and -3.0 < y < 2.0
    assert r.location == WORLD.nearest_room(x, y) != "kitchen"
    assert 100 - 0.2 * math.hypot(8, 5) < r.battery < 100
    assert r.log[-1].outcome == "cancelled"


def test_go_to_pose() -> None:
    r = robot()
    assert call(r, "go_to_pose", {"x": 2.0, "y": 5.0, "yaw_deg": 0}) == "2.0,5.0,0.0"
    assert r.pose == (2.0, 5.0, 0.0) and r.location == WORLD.nearest_room(2.0, 5.0)
    assert r.battery == pytest.approx(100 - 0.2 * 3)
    assert call(r, "go_to_pose", {"x": 6, "y": 3, "yaw_deg": 180}) == "6.0,3.0,180.0"
    assert r.location == "living_room"
    fails(r, "go_to_pose", {"x": 40, "y": 40, "yaw_deg": 0}, "outside the map")


def test_drive_forward_backward_and_into_a_wall() -> None:
    r = robot()  # at (2, 2) facing +x
    assert call(r, "drive", {"distance_m": 1.5, "speed_mps": 0.3}) == 1.5
    assert r.pose[:2] == pytest.approx((3.5, 2.0))
    assert r.sim_time == pytest.approx(5.0)
    assert call(r, "drive", {"distance_m": -1.0, "speed_mps": 0.5}) == -1.0
    assert r.pose == pytest.approx((2.5, 2.0, 0.0))
    call(r, "rotate", {"angle_deg": 180})
    assert call(r, "drive", {"distance_m": 5, "speed_mps": 1.0}) == 5.0
    assert call(r, "drive", {"distance_m": 5, "speed_mps": 1.0}) == pytest.approx(3.5)  # map edge x = -6
    assert r.pose[:2] == pytest.approx((-6.0, 2.0))
    assert r.location in ("front_door", "garage")  # equally near


def test_rotate() -> None:
    r = robot()
    assert call(r, "rotate", {"angle_deg": 90}) == 90
    assert r.pose[2] == 90 and r.sim_time == pytest.approx(1.0)
    assert call(r, "rotate", {"angle_deg": 180}) == 180
    assert r.pose[2] == -90
    assert call(r, "rotate", {"angle_deg": -360}) == -360
    assert r.pose[2] == -90


def test_dock_and_charge_while_waiting() -> None:
    r = at("kitchen")
    assert not r.charging
    assert call(r, "dock") is True
    assert r.location == "charging_dock" and r.charging
    before = r.battery
    assert call(r, "wait", {"seconds": 20}) == 20
    assert r.battery == pytest.approx(before + 20 * 0.05)
    call(r, "drive", {"distance_m": 0.5, "speed_mps": 0.5})
    assert not r.charging


def test_patrol() -> None:
    r = robot()
    reports: list[tuple[float | None, str]] = []
    route = {"route": ["kitchen", "office"], "laps": 2}
    assert call(r, "patrol", route, lambda p, m: reports.append((p, m))) == 2
    assert r.location == "office"
    assert [p for p, _ in reports] == [0.25, 0.5, 0.75, 1.0]
    assert reports[0][1] == "lap 1/2: reached the kitchen"
    fails(r, "patrol", {"route": ["kitchen", "attic"], "laps": 1}, "unknown location 'attic'")
    fails(r, "patrol", {"route": [], "laps": 1}, "non-empty list")


def test_wait() -> None:
    r = robot()
    assert call(r, "wait", {"seconds": 7.5}) == 7.5
    assert r.sim_time == pytest.approx(7.5) and r.location == "charging_dock"
    fails(r, "wait", {"seconds": -1}, "must not be negative")


# -- manipulation ------------------------------------------------------------------
def test_pick_and_place() -> None:
    r = at("kitchen")
    assert call(r, "pick", {"object": "the Red_Cup"}) == "red cup"
    assert r.held == "red cup" and "red cup" not in call(r, "detect_objects")
    call(r, "navigate_to", {"location": "office"})
    assert call(r, "find_object", {"object": "red cup"}) == "office"
    assert call(r, "place", {"surface": "desk"}) == "desk"
    assert r.held is None
    assert (WORLD.objects["red cup"].location, r.state.objects["red cup"].location) == ("kitchen", "office")
    assert r.state.objects["red cup"].surface == "desk"


def test_pick_failures() -> None:
    r = at("office")
    fails(r, "pick", {"object": "banana"}, "the banana is in the kitchen, not in the office")
    fails(r, "pick", {"object": "unicorn"}, "don't know any object called 'unicorn'")
    call(r, "pick", {"object": "laptop"})
    fails(r, "pick", {"object": "scissors"}, "already holding the laptop")


def test_place_with_empty_hand_fails() -> None:
    fails(robot(), "place", {"surface": "table"}, "hand is empty")


def test_hand_over() -> None:
    r = at("kitchen")
    call(r, "pick", {"object": "banana"})
    fails(r, "hand_over", {"person": "bob"}, "bob is in the living room, not in the kitchen")
    fails(r, "hand_over", {"person": "zed"}, "don't know any person called 'zed'")
    assert call(r, "hand_over", {"person": "Alice"}) is True
    assert r.held is None and r.state.objects["banana"].held_by == "alice"
    fails(r, "hand_over", {"person": "alice"}, "hand is empty")
    fails(r, "pick", {"object": "banana"}, "alice has the banana")


# -- sensing and look-ups -------------------------------------------------------------
def test_detect_objects() -> None:
    assert call(robot(), "detect_objects") == []
    r = at("bathroom")
    assert call(r, "detect_objects") == ["soap", "toothbrush", "towel"]


def test_take_photo() -> None:
    r = at("living_room")
    assert [call(r, "take_photo") for _ in range(2)] == ["photo_0001", "photo_0002"]
    assert r.photos[0].location == "living_room" and "book" in r.photos[0].objects


def test_find_object() -> None:
    r = robot()
    assert call(r, "find_object", {"object": "my keys"}) == "hallway"
    assert call(r, "find_object", {"object": "Vacuum_Cleaner"}) == "garage"
    fails(r, "find_object", {"object": "unicorn"}, "don't know any object called 'unicorn'")


def test_find_person() -> None:
    r = robot()
    assert call(r, "find_person", {"person": "Carol"}) == "office"
    fails(r, "find_person", {"person": "zed"}, "don't know any person called 'zed'")


def test_check_door() -> None:
    r = robot()
    assert call(r, "check_door", {"door": "front_door"}) == "closed"
    assert call(r, "check_door", {"door": "garage_door"}) == "open"
    fails(r, "check_door", {"door": "trapdoor"}, "unknown door")


def test_set_light() -> None:
    r = robot()
    assert call(r, "set_light", {"room": "bedroom", "on": True}) is True
    assert r.state.lights["bedroom"] is True
    assert call(r, "set_light", {"room": "kitchen", "on": False}) is False
    assert r.state.lights["kitchen"] is False
    fails(r, "set_light", {"room": "kitchen", "on": "yes"}, "'on' must be true or false")


def test_get_battery_and_location() -> None:
    r = robot()
    assert call(r, "get_battery") == 100.0 and call(r, "get_location") == "charging_dock"
    call(r, "navigate_to", {"location": "kitchen"})
    assert call(r, "get_battery") == round(100 - 0.2 * math.hypot(8, 5), 1)
    assert call(r, "get_location") == "kitchen"


def test_say() -> None:
    r = robot()
    assert call(r, "say", {"text": "Dinner is ready, everyone"}) is True
    assert r.spoken == ("Dinner is ready, everyone",)
    assert r.sim_time == pytest.approx(4 * 0.4)


def test_send_message() -> None:
    r = robot()
    assert call(r, "send_message", {"recipient": "BOB", "text": "hi", "attachment": ""}) is True
    fails(r, "send_message", {"recipient": "zed", "text": "hi", "attachment": ""}, "person called 'zed'")
    fails(r, "send_message", {"recipient": "bob", "text": "look", "attachment": "photo_0001"}, "no photo")
    photo = call(r, "take_photo")
    assert call(r, "send_message", {"recipient": "alice", "text": "look", "attachment": photo}) is True
    assert [(m.recipient, m.attachment) for m in r.messages] == [("bob", ""), ("alice", "photo_0001")]


# -- robustness, faults, determinism, time ---------------------------------------------
@pytest.mark.parametrize(
    "skill, args, problem",
    [
        ("fly", {}, "unknown skill 'fly'"),
        ("navigate_to", {}, "missing argument 'location'"),
        ("navigate_to", {"location": 3}, "must be a non-empty string"),
        ("drive", {"distance_m": "far", "speed_mps": 0.3}, "must be a number"),
        ("drive", {"distance_m": 1, "speed_mps": 0}, "speed must be positive"),
        ("rotate", {"angle_deg": math.nan}, "must be a number"),
        ("patrol", {"route": "kitchen", "laps": 1}, "non-empty list"),
        ("patrol", {"route": ["kitchen"], "laps": 1.5}, "must be an integer"),
        ("say", {"text": "   "}, "non-empty string"),
        ("get_battery", None, "arguments must be a mapping"),
    ],
)
def test_odd_arguments_fail_cleanly(skill: str, args: Any, problem: str) -> None:
    r = robot()
    with pytest.raises(SkillFailed, match=problem):
        asyncio.run(r.call(skill, args, lambda p, m: None))
    assert r.log[-1].outcome == "failed"


def test_fail_rate_injects_faults_only_into_body_skills() -> None:
    r = robot(fail_rate=1.0)
    fails(r, "navigate_to", {"location": "kitchen"}, "simulated fault")
    fails(r, "rotate", {"angle_deg": 10}, "simulated fault")
    assert call(r, "find_object", {"object": "banana"}) == "kitchen"
    assert r.location == "charging_dock"


def _scripted_log(seed: int) -> list[Any]:
    r = robot(seed=seed, fail_rate=0.3)
    for location in ["kitchen", "office", "bedroom", "garage", "hallway", "kitchen"] * 2:
        for skill, args in [("navigate_to", {"location": location}), ("detect_objects", {})]:
            try:
                call(r, skill, args)
            except SkillFailed:
                pass
    return [(e.skill, e.args, e.outcome, e.detail) for e in r.log] + [r.pose, r.battery]


def test_same_seed_same_log() -> None:
    first = _scripted_log(7)
    assert first == _scripted_log(7)
    assert any(entry[2] == "failed" for entry in first[:-2])


def test_log_records_calls() -> None:
    r = robot()
    call(r, "get_location")
    assert r.log == [("get_location", {}, "ok", "charging_dock")]


def test_time_scale() -> None:
    slow = robot(time_scale=0.01)
    start = time.monotonic()
    call(slow, "go_to_pose", {"x": 12.0, "y": 2.0, "yaw_deg": 0})  # 10 m = 20 sim s = 0.2 real s
    assert time.monotonic() - start > 0.1
    assert slow.sim_time > 10

    fast = robot(time_scale=0)
    start = time.monotonic()
    call(fast, "patrol", {"route": ["garage", "bedroom"], "laps": 10})
    assert time.monotonic() - start < 1.0
    assert fast.sim_time > 600


def test_time_scale_must_be_non_negative() -> None:
    with pytest.raises(ValueError):
        SimRobot(WORLD, time_scale=-1)
    with pytest.raises(ValueError):
        SimRobot(WORLD, fail_rate=2)


def test_world_is_a_pydantic_model() -> None:
    assert isinstance(WORLD, World)
    assert WORLD.clone() == WORLD and WORLD.clone() is not WORLD
