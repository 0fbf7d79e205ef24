"""Value maps and unit conversions in bindings (config/nav2_bindings.yaml): named places to
poses and back, degrees to radians, seconds to Durations, Nav2's error codes and feedback,
and every start-up error named with file, skill and field. No DDS: messages only."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
import yaml
from geometry_msgs.msg import PoseWithCovarianceStamped
from nav2_msgs.action import DockRobot, NavigateToPose, Spin, Wait

from agent_node.catalog.skills import load_catalog
from agent_node.execution.skill_runner import SkillFailed
from tool_adapters.ros.bindings import BindingsError, load_bindings
from tool_adapters.ros.value_maps import CONVERSIONS, yaw_of

REPO = Path(__file__).resolve().parents[1]
NAV2 = REPO / "config" / "nav2_bindings.yaml"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def nav2(catalog):
    return load_bindings(NAV2, catalog)


def changed(tmp_path: Path, change) -> Path:
    """nav2_bindings.yaml with ``change(data)`` applied, written to a file of its own."""
    data = yaml.safe_load(NAV2.read_text())
    data = {k: v for k, v in data.items() if not k.startswith("x-")}
    change(data)
    path = tmp_path / "bindings.yaml"
    path.write_text(yaml.safe_dump(copy.deepcopy(data)))
    return path


def problems(tmp_path: Path, catalog, change) -> list[str]:
    path = changed(tmp_path, change)
    with pytest.raises(BindingsError) as e:
        load_bindings(path, catalog)
    assert str(path) in str(e.value)
    return e.value.problems


def test_the_nav2_bindings_cover_the_catalog_and_send_motion_to_nav2(nav2):
    assert nav2.unbound == []
    assert {s: nav2.get(s).type_name for s in ("navigate_to", "go_to_pose", "rotate", "drive", "wait", "dock")} == {
        "navigate_to": "nav2_msgs/action/NavigateToPose", "go_to_pose": "nav2_msgs/action/NavigateToPose",
        "rotate": "nav2_msgs/action/Spin", "drive": "nav2_msgs/action/DriveOnHeading",
        "wait": "nav2_msgs/action/Wait", "dock": "nav2_msgs/action/DockRobot"}


def test_a_named_place_becomes_a_pose_stamped_in_the_map_frame_and_comes_back(nav2):
    b = nav2.get("navigate_to")
    goal = b.request({"location": "living_room"})
    assert goal.pose.header.frame_id == "map"
    assert (goal.pose.pose.position.x, goal.pose.pose.position.y) == (6.0, 3.0)
    assert math.degrees(yaw_of(goal.pose.pose.orientation)) == pytest.approx(90)
    assert b.args_from(goal) == {"location": "living_room"}  # the robot side reads the place back


def test_a_reached_pose_is_read_back_as_the_nearest_named_place_within_the_tolerance(nav2):
    b = nav2.get("get_location")
    amcl = PoseWithCovarianceStamped()
    amcl.pose.pose.position.x, amcl.pose.pose.position.y = 9.4, -2.6  # 0.7 m from the kitchen
    assert b.result_of(amcl, {}) == "kitchen"
    amcl.pose.pose.position.x, amcl.pose.pose.position.y = 8.0, 0.0  # between rooms
    with pytest.raises(SkillFailed, match=r"m from the nearest named place \(.*\); not within 1 m"):
        b.result_of(amcl, {})


def test_degrees_become_radians_and_seconds_a_duration_both_ways(nav2):
    spin = nav2.get("rotate").request({"angle_deg": -90})
    assert spin.target_yaw == pytest.approx(-math.pi / 2)
    assert nav2.get("rotate").args_from(spin)["angle_deg"] == pytest.approx(-90, abs=1e-4)
    wait = nav2.get("wait")
    goal = wait.request({"seconds": 2.5})
    assert (goal.time.sec, goal.time.nanosec) == (2, 500_000_000)
    result = Wait.Result()
    result.total_elapsed_time.sec, result.total_elapsed_time.nanosec = 2, 540_000_000
    assert wait.result_of(result, {}) == 2.5  # duration_to_s, rounded to 1
    pose = nav2.get("go_to_pose").request({"x": 1.5, "y": -2, "yaw_deg": 180})
    assert math.degrees(abs(yaw_of(pose.pose.pose.orientation))) == pytest.approx(180)
    assert nav2.get("go_to_pose").result_of(None, {"x": 1.5, "y": -2.0, "yaw_deg": 180}) == "1.5,-2,180"


def test_centimetres_and_metres_convert_as_named():
    assert CONVERSIONS["cm_to_m"].forward(30) == pytest.approx(0.3)
    assert CONVERSIONS["cm_to_m"].back(0.3) == pytest.approx(30)
    assert CONVERSIONS["rad_to_deg"].forward(math.pi) == pytest.approx(180)


def test_nav2_error_codes_become_the_reason_a_person_reads(nav2):
    nav = nav2.get("navigate_to")
    assert nav.failure(NavigateToPose.Result(error_code=208, error_msg="no valid path found")) == \
        "I found no path there: no valid path found (error 208)"
    assert nav.failure(NavigateToPose.Result(error_code=9999)) == "it failed (error 9999)"  # a code no one named
    assert nav.failure(NavigateToPose.Result(error_code=0)) is None
    spin = nav2.get("rotate")
    collision = Spin.Result(error_code=Spin.Result.COLLISION_AHEAD, error_msg="")
    assert spin.failure(collision) == "collision ahead (error 703)"
    dock = nav2.get("dock")  # DockRobot says success and a code
    assert dock.failure(DockRobot.Result(success=False, error_code=901, error_msg="dock 'x' is not in the database")) \
        == "dock not in db: dock 'x' is not in the database (error 901)"


def test_nav2_feedback_becomes_progress_and_a_message(nav2):
    nav = nav2.get("navigate_to")
    read = nav.feedback_reader(nav.request({"location": "kitchen"}))
    assert read(NavigateToPose.Feedback(distance_remaining=8.0)) == (0.0, "8.0 m to go, 0 recoveries")
    assert read(NavigateToPose.Feedback(distance_remaining=2.0, number_of_recoveries=1)) == \
        (0.75, "2.0 m to go, 1 recoveries")
    spin = nav2.get("rotate")
    read = spin.feedback_reader(spin.request({"angle_deg": 180}))
    progress, _ = read(Spin.Feedback(angular_distance_traveled=math.pi / 4))
    assert progress == pytest.approx(0.25, abs=1e-3)


def test_a_place_with_no_pose_is_refused_at_start_up_naming_it(tmp_path, catalog):
    found = problems(tmp_path, catalog, lambda d: d["value_maps"]["places"]["values"].pop("garage"))
    assert any("skill 'navigate_to'" in p and "fields: 'pose'" in p and "no pose for 'garage'" in p
               for p in found), found


def test_a_pose_field_that_does_not_exist_is_refused(tmp_path, catalog):
    def change(d):
        d["skills"]["navigate_to"]["fields"] = {"goal_pose": {"arg": "location", "map": "places"}}
    found = problems(tmp_path, catalog, change)
    assert any("skill 'navigate_to'" in p and "field 'goal_pose'" in p and "has no field" in p for p in found), found


def test_a_unit_the_field_cannot_take_is_refused(tmp_path, catalog):
    def change(d):
        d["skills"]["rotate"]["fields"]["time_allowance"] = {"arg": "angle_deg", "convert": "deg_to_rad"}
        d["skills"]["wait"]["fields"]["time"] = {"arg": "seconds", "convert": "cm_to_m"}
        d["skills"]["drive"]["fields"]["speed"] = {"arg": "speed_mps", "convert": "furlongs_to_m"}
    found = problems(tmp_path, catalog, change)
    assert any("skill 'rotate'" in p and "'time_allowance'" in p and "deg_to_rad gives a number" in p
               and "builtin_interfaces/Duration" in p for p in found), found
    assert any("skill 'wait'" in p and "cm_to_m gives a number" in p for p in found), found
    assert any("skill 'drive'" in p and "unknown conversion 'furlongs_to_m'" in p for p in found), found


def test_a_pose_map_into_a_field_that_is_not_a_pose_is_refused(tmp_path, catalog):
    def change(d):
        d["skills"]["navigate_to"]["fields"] = {"behavior_tree": {"arg": "location", "map": "places"}}
    found = problems(tmp_path, catalog, change)
    assert any("'behavior_tree'" in p and "it is a string" in p and "geometry_msgs/PoseStamped" in p
               for p in found), found


def test_an_unknown_map_a_map_of_a_number_and_a_bad_pose_are_refused(tmp_path, catalog):
    def change(d):
        d["skills"]["navigate_to"]["fields"] = {"pose": {"arg": "location", "map": "rooms"}}
        d["skills"]["rotate"]["fields"]["target_yaw"] = {"arg": "angle_deg", "map": "places"}
        d["value_maps"]["places"]["values"]["kitchen"] = {"x": 1.0, "heading": 3}
    found = problems(tmp_path, catalog, change)
    assert any("value_maps.places.kitchen" in p and "not a pose" in p for p in found), found
    # with the map refused, the skills that use it say it is not there
    assert any("skill 'navigate_to'" in p and "'rooms', which is not in value_maps" in p for p in found), found


def test_a_value_map_fills_any_constant_and_reads_it_back(tmp_path, catalog):
    def change(d):
        d["value_maps"]["doors"] = {"kind": "value", "values": {"front_door": 1, "back_door": 2, "garage_door": 3}}
        d["skills"]["check_door"] = {"service": "/doors/state", "type": "std_srvs/srv/SetBool",
                                     "fields": {"data": {"arg": "door", "map": "doors"}}, "result": {"value": "open"}}
    path = changed(tmp_path, change)
    with pytest.raises(BindingsError) as e:  # a number cannot go into a boolean field
        load_bindings(path, catalog)
    assert any("value_maps.doors." in p and "must be true or false" in p for p in e.value.problems), e.value.problems

    def change_ok(d):
        change(d)
        d["value_maps"]["doors"]["values"] = {"front_door": True, "back_door": False, "garage_door": False}
    b = load_bindings(changed(tmp_path, change_ok), catalog).get("check_door")
    assert b.request({"door": "front_door"}).data is True


#: RIHS01 type hashes of test/nav2_msgs as built here (field names, types and order; comments,
#: constants and defaults are not hashed). A real Nav2 Jazzy's must be the same: change the
#: definitions only to follow Nav2's, and these with them.
NAV2_HASHES = {
    "NavigateToPose": "RIHS01_a56dba8a3234a1215e610180dc703ae25bbf406dded8b54887891c9732857eab",
    "Spin": "RIHS01_9fc4653cfb2982465e9ca4e2710f0532de8f6dce77d6a6eada55e4e22273b55c",
    "DriveOnHeading": "RIHS01_9eca8a3505f973b994ac18f4aaf76c0c4563cc7cde1ce7384be2f70e53479c11",
    "Wait": "RIHS01_0c5d418b19d8d009bb5bce6dca27687d9d43659016a70dc08307e38a032af2c3",
    "DockRobot": "RIHS01_d4398769495d327a0cba210e3cf1055ac742ec8a3eccc683f88b1c730b1d6405",
}


@pytest.mark.parametrize("name", sorted(NAV2_HASHES))
def test_the_nav2_actions_keep_their_type_hashes(name):
    import sys

    described = json.loads((Path(sys.prefix) / "share" / "nav2_msgs" / "action" / f"{name}.json").read_text())
    (found,) = [h["hash_string"] for h in described["type_hashes"] if h["type_name"] == f"nav2_msgs/action/{name}"]
    assert found == NAV2_HASHES[name]
