"""Bindings files and generic message filling: checked at start-up, before any DDS traffic."""

from __future__ import annotations

import copy
import math

import pytest
import yaml

from agent_node.catalog.skills import load_catalog
from agent_node.execution.skill_runner import SkillFailed
from tool_adapters.ros.bindings import BindingsError, default_bindings_path, load_bindings
from tool_adapters.ros.messages import (
    FieldValueError,
    MessageTypeError,
    check_value,
    fill,
    message_class,
    parse_field_type,
    to_python,
)

CATALOG = load_catalog()
DEFAULT = yaml.safe_load(default_bindings_path().read_text())


def bindings_with(tmp_path, change):
    data = copy.deepcopy(DEFAULT)
    change(data["skills"])
    path = tmp_path / "bindings.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def errors(tmp_path, change) -> str:
    path = bindings_with(tmp_path, change)
    with pytest.raises(BindingsError) as e:
        load_bindings(path, CATALOG)
    assert path in str(e.value)
    return str(e.value)


def test_the_default_bindings_cover_every_skill_of_the_catalog():
    b = load_bindings(None, CATALOG)
    assert b.unbound == [] and sorted(b.skills) == sorted(CATALOG.skill_names)
    kinds = {s: x.kind for s, x in b.skills.items()}
    assert all(kinds[s.name] == "action" for s in CATALOG.skills if s.kind == "action")
    assert kinds["set_light"] == "service" and kinds["get_battery"] == "topic_read"
    nav = b.skills["navigate_to"]
    assert (nav.success_field, nav.message_field, nav.progress_field, nav.feedback_message_field) == \
        ("success", "message", "progress", "message")
    assert nav.timeout_s == 600 and nav.server_wait_s == 5


def test_an_unknown_type_fails_naming_the_skill_and_the_types_there_are(tmp_path):
    def change(skills):
        skills["navigate_to"]["type"] = "home_robot_interfaces/action/Teleport"
        skills["say"]["type"] = "no_such_pkg/srv/Say"
        skills["dock"]["type"] = "home_robot_interfaces/srv/FindObject"
    text = errors(tmp_path, change)
    assert "skill 'navigate_to': type 'home_robot_interfaces/action/Teleport': home_robot_interfaces.action" \
           " has no type 'Teleport'" in text and "NavigateTo" in text
    assert "skill 'say': type 'no_such_pkg/srv/Say': cannot import no_such_pkg.srv" in text
    assert "skill 'dock': type 'home_robot_interfaces/srv/FindObject' is a srv, not a action" in text


def test_unknown_fields_and_arguments_fail_naming_the_field(tmp_path):
    def change(skills):
        skills["navigate_to"]["fields"] = {"place": "location"}
        skills["find_person"]["result"] = "where"
        skills["set_light"]["fields"] = {"data": "room_on"}
        skills["get_battery"]["result"] = {"field": "header.stamp.seconds"}
    text = errors(tmp_path, change)
    assert "skill 'navigate_to': fields: NavigateTo goal field 'place': NavigateTo_Goal has no field 'place'" \
           " (fields: location)" in text
    assert "skill 'find_person': result: FindPerson field 'where'" in text
    assert "skill 'set_light': fields: 'data' comes from 'room_on', which is not a parameter of set_light" in text
    assert "header.stamp has no field 'seconds' (fields: sec, nanosec)" in text


def test_fields_whose_type_cannot_hold_the_value_fail(tmp_path):
    def change(skills):
        skills["drive"]["fields"] = {"distance_m": "speed_mps", "speed_mps": {"value": "fast"}}
        skills["navigate_to"]["result"] = "success"
        skills["patrol"]["fields"] = {"route": "laps"}
        skills["set_light"]["result"] = {"arg": "room"}
    text = errors(tmp_path, change)
    assert "skill 'drive': fields: 'speed_mps' must be a number, got 'fast'" in text
    assert "skill 'navigate_to': result: 'success' is a boolean field, which cannot hold a string" in text
    assert "skill 'patrol': fields: 'route' is a list of string, not a single integer" in text
    assert "skill 'set_light': result: parameter 'room' is a location, but set_light returns a boolean" in text


def test_names_kinds_and_skills_are_checked(tmp_path):
    def change(skills):
        skills["set_light"]["service"] = "/lights/{place}/set"
        skills["say"]["service"] = "/robot/say it"
        skills["dock"]["service"] = "/robot/dock"
        skills["teleport"] = {"service": "/t", "type": "std_srvs/srv/Trigger"}
        del skills["wait"]["result"]
    text = errors(tmp_path, change)
    assert "{place} is not a parameter of set_light" in text
    assert "'/robot/say it' is not a valid ROS name" in text
    assert "skill 'dock': Value error, give exactly one of service, action, topic_read, topic_publish" in text
    assert "skill 'teleport': not in the catalog" in text
    assert "skill 'wait': result: wait returns a number: say where it comes from" in text


def test_a_file_that_is_not_bindings_fails_clearly(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("skills: [1, 2]\n")
    with pytest.raises(BindingsError, match="skills: Input should be a valid dictionary"):
        load_bindings(path, CATALOG)
    with pytest.raises(BindingsError, match="cannot read file"):
        load_bindings(tmp_path / "missing.yaml", CATALOG)


def test_requests_are_filled_and_checked_before_anything_is_sent():
    b = load_bindings(None, CATALOG).skills
    goal = b["go_to_pose"].request({"x": 1, "y": -2.5, "yaw_deg": 90})
    assert (goal.x, goal.y, goal.yaw_deg) == (1.0, -2.5, 90.0) and isinstance(goal.x, float)
    assert b["set_light"].request({"room": "kitchen", "on": False}).data is False
    assert b["set_light"].render_name({"room": "Living Room"}) == "/lights/living_room/set"
    with pytest.raises(SkillFailed, match="set_light: room='kitchen/../x' cannot be part of the ROS name"):
        b["set_light"].render_name({"room": "kitchen/../x"})
    with pytest.raises(SkillFailed, match="drive: cannot send home_robot_interfaces/action/Drive: distance_m must"
                                          " be a number, got 'far'"):
        b["drive"].request({"distance_m": "far"})
    with pytest.raises(SkillFailed, match="laps is out of range for a int32"):
        b["patrol"].request({"route": ["kitchen"], "laps": 2**40})


def test_results_and_failures_come_from_the_response():
    b = load_bindings(None, CATALOG).skills
    battery_cls = message_class("sensor_msgs/msg/BatteryState")
    msg = fill(battery_cls(), {"percentage": 0.873})
    assert b["get_battery"].result_of(msg, {}) == 87.3
    assert b["set_light"].result_of(None, {"room": "office", "on": True}) is True
    find = b["find_object"]
    ok = fill(find.response_cls(), {"success": True, "location": "kitchen"})
    bad = fill(find.response_cls(), {"success": False, "message": "I don't know any object called 'moon'"})
    assert find.failure(ok) is None and find.result_of(ok, {}) == "kitchen"
    assert find.failure(bad) == "I don't know any object called 'moon'"
    assert b["find_object"].args_from(fill(find.request_cls(), {"object": "mug"})) == {"object": "mug"}
    assert b["get_battery"].response_values(87.3) == {"percentage": pytest.approx(0.873)}


def test_generic_message_filling_checks_types_before_rclpy_sees_them():
    imu = message_class("sensor_msgs/msg/Imu")
    msg = fill(imu(), {"header.frame_id": "base", "orientation": {"x": 1, "w": 0.5},
                       "orientation_covariance": [0] * 9})
    assert msg.orientation.x == 1.0 and msg.orientation_covariance.dtype.name == "float64"
    with pytest.raises(FieldValueError, match="orientation_covariance must have exactly 9 items"):
        fill(imu(), {"orientation_covariance": [0.0] * 3})
    with pytest.raises(FieldValueError, match="orientation.x must be a number, got True"):
        fill(imu(), {"orientation": {"x": True}})
    with pytest.raises(FieldValueError, match="header.frame_id must be text"):
        fill(imu(), {"header.frame_id": 5})
    with pytest.raises(FieldValueError, match="has no field 'colour'"):
        fill(imu(), {"colour": 1})
    with pytest.raises(FieldValueError, match="must not contain NUL"):
        check_value(parse_field_type("string"), "a\x00b")
    with pytest.raises(FieldValueError, match="at most 3 characters"):
        check_value(parse_field_type("string<=3"), "abcd")
    with pytest.raises(FieldValueError, match="at most 2 items"):
        check_value(parse_field_type("sequence<int32, 2>"), [1, 2, 3])
    assert check_value(parse_field_type("uint8"), 3.0) == 3
    assert list(check_value(parse_field_type("sequence<float>"), [1, 2.5])) == [1.0, 2.5]
    assert math.isinf(check_value(parse_field_type("double"), float("inf")))
    battery = fill(message_class("sensor_msgs/msg/BatteryState")(), {"percentage": 0.95, "cell_voltage": [3.7, 3.8]})
    data = to_python(battery)
    assert data["percentage"] == 0.95 and data["cell_voltage"] == [3.7, 3.8] and data["header"]["stamp"]["sec"] == 0


def test_message_class_names_what_is_wrong():
    with pytest.raises(MessageTypeError, match="is not a type name like"):
        message_class("just_a_name")
    assert message_class("std_msgs/String").__name__ == "String"
    with pytest.raises(MessageTypeError, match="std_msgs.msg has no type 'Strin' \\(it has: Bool, Byte"):
        message_class("std_msgs/msg/Strin")
