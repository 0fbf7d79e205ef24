"""The planner's mends that need no model (agent_node.planning.repairs), each on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_node.catalog.skills import Param, load_catalog
from agent_node.language.meaning import Mismatch
from agent_node.language.phrasebook import direction_words, load_phrasebook
from agent_node.plan.model import Plan
from agent_node.planning.repairs import (
    attach_media,
    beyond_at_default,
    beyond_bounds,
    cite_the_look_up,
    drop_unasked,
    fill_defaults_said,
    going_to,
    mend_signs_and_numbers,
    mismatches,
    put_number_back,
    signs_by_clause,
    turn_signs_round,
    unnamed_place_answer,
)

CATALOG = load_catalog()
PB = load_phrasebook(CATALOG)


def args(plan: Plan) -> list[dict]:
    return [t.args for t in plan.tasks]


def test_a_plan_that_says_what_was_said_has_no_mismatch():
    plan = Plan.of(("rotate", {"angle_deg": -45}), ("drive", {"distance_m": 2, "speed_mps": 0.3}))
    assert mismatches("turn right 45 degrees and drive 2 meters", plan, CATALOG, PB) == []


def test_a_sign_against_the_direction_words_is_turned_round():
    command = "turn right 45 degrees"
    plan = Plan.of(("rotate", {"angle_deg": 45}))
    found = mismatches(command, plan, CATALOG, PB)
    assert any(m.wrong_sign for m in found)
    assert args(turn_signs_round(command, plan, found, CATALOG, PB)) == [{"angle_deg": -45}]


@pytest.mark.parametrize("description, positive, negative", [
    ("degrees to turn, negative turns right", "left", "right"),
    ("degrees to turn, positive is clockwise", "right", "left"),
    ("metres north of the pad, negative is south", "north", "south"),
    ("metres, negative is backward", "forward", "back"),
    ("metres to climb, negative to descend", "up", "down"),
    ("camera tilt, negative looks down", "up", "down"),
    ("map x in metres", None, None),
])
def test_direction_words_follow_what_the_description_says_of_each_sign(description, positive, negative):
    words = direction_words("value", Param(type="number", minimum=-10, maximum=10, description=description))
    assert (words["positive"][0], words["negative"][0]) == (positive, negative) if positive else words == {}


def test_another_robots_signs_are_turned_round_from_its_descriptions():
    drone = load_catalog(Path(__file__).resolve().parents[1] / "examples" / "drone" / "skills.yaml")
    pb = load_phrasebook(drone)
    for command, call, mended in [
        ("rotate 45 to the right", ("rotate", {"angle_deg": 45}), {"angle_deg": -45}),
        ("fly to 200 metres south and 30 west at 40 m", ("fly_to_position", {"north_m": 200, "east_m": -30,
                                                                              "altitude_m": 40}),
         {"north_m": -200, "east_m": -30, "altitude_m": 40}),
    ]:
        assert args(mend_signs_and_numbers(command, Plan.of(call), drone, pb)[0]) == [mended]


def test_a_sign_is_not_turned_when_the_other_direction_is_not_said():
    command = "turn 45 degrees"
    plan = Plan.of(("rotate", {"angle_deg": 45}))
    assert turn_signs_round(command, plan, [Mismatch("direction not mentioned", 1, "rotate", "angle_deg")],
                            CATALOG, PB) == plan


def test_the_one_number_nobody_said_becomes_the_one_said_and_unused():
    command = "drive forward 3 meters"
    plan = Plan.of(("drive", {"distance_m": 3.5}))
    found = mismatches(command, plan, CATALOG, PB)
    assert args(put_number_back(command, plan, found, CATALOG, PB)) == [{"distance_m": 3}]


@pytest.mark.parametrize("command, seconds", [
    ("stay put for 2 minutes", 120), ("wait 3 min", 180), ("hold on for one and a half minutes", 90),
    ("wait a minute", 60), ("wait half an hour", 1800), ("wait for an hour", 3600)])
def test_seconds_said_in_minutes_or_hours_are_no_made_up_number(command, seconds):
    """The repair once put "2" back into wait(seconds=120) for "2 minutes"."""
    plan = Plan.of(("wait", {"seconds": seconds}))
    assert mismatches(command, plan, CATALOG, PB) == []
    assert args(mend_signs_and_numbers(command, plan, CATALOG, PB)[0]) == [{"seconds": seconds}]
    assert mismatches(command, Plan.of(("wait", {"seconds": seconds + 7})), CATALOG, PB)


def test_a_set_phrase_says_its_call_whole():
    """ "turn around" is rotate(angle_deg=180): the data's meaning check once refused
    every such command (no 180 said), so the model never learned it."""
    assert mismatches("turn around, then drive 2 meters", Plan.of(("rotate", {"angle_deg": 180}),
                                                                    ("drive", {"distance_m": 2})), CATALOG, PB) == []
    assert mismatches("turn around", Plan.of(("rotate", {"angle_deg": 360})), CATALOG, PB)
    assert mismatches("return around the corner", Plan.of(("rotate", {"angle_deg": 180})), CATALOG, PB)


def test_a_number_is_not_put_back_when_the_command_says_two_unused_ones():
    command = "drive forward 3 meters or 4 meters"
    plan = Plan.of(("drive", {"distance_m": 3.5}))
    assert put_number_back(command, plan, mismatches(command, plan, CATALOG, PB), CATALOG, PB) == plan


def test_a_number_put_back_must_pass_the_checker():
    command = "drive back 20 meters"  # -20 is beyond the catalog's bound: the plan stays as it was
    plan = Plan.of(("drive", {"distance_m": -2}))
    assert put_number_back(command, plan, mismatches(command, plan, CATALOG, PB), CATALOG, PB) == plan


def test_signs_and_numbers_are_mended_together_and_what_still_departs_is_returned():
    plan, left = mend_signs_and_numbers("turn right 30 degrees then go to the office",
                                        Plan.of(("rotate", {"angle_deg": 45})), CATALOG, PB)
    assert args(plan) == [{"angle_deg": -30}]
    assert [m.value for m in left if m.value] == ["office"]


def test_going_to_a_place_left_out_starts_with_the_one_skill_that_goes_there():
    plan = Plan.of(("pick", {"object": "cup"}))
    assert going_to("kitchen", plan, CATALOG) == '1. navigate_to(location="kitchen")\n'
    assert going_to("kitchen", Plan.of(("navigate_to", {"location": "office"})), CATALOG) == ""
    assert going_to("not_a_place", plan, CATALOG) == ""


def test_unlikely_calls_nothing_needs_are_dropped_and_cited_ones_kept():
    plan = Plan.of(("get_battery", {}), ("send_message", {"recipient": "bob", "text": "battery $1"}),
                   ("say", {"text": "hello"}))
    kept = drop_unasked(plan, {"send_message": 0.9, "get_battery": 0.01, "say": 0.01}, below=0.05)
    assert [t.skill for t in kept.tasks] == ["get_battery", "send_message"]
    assert drop_unasked(Plan.of(("say", {"text": "hi"})), {}, below=0.05).tasks  # never leaves nothing


def test_the_answer_for_an_unnamed_place_names_it_and_the_known_ones():
    answer = unnamed_place_answer(Mismatch("place not named", 1, "navigate_to", "location", "garage"), CATALOG, PB)
    assert answer.startswith("I don't know where that is: you did not name the garage")
    assert "kitchen" in answer


HOSPITAL = load_catalog(Path(__file__).resolve().parents[1] / "examples" / "hospital" / "skills.yaml")
HOSPITAL_PB = load_phrasebook(HOSPITAL)


def test_a_number_said_in_minutes_is_put_back_in_seconds():
    plan = Plan.of(("wait", {"duration_s": 30}))
    mended, left = mend_signs_and_numbers("Wait here for 30 minutes", plan, HOSPITAL, HOSPITAL_PB)
    assert args(mended) == [{"duration_s": 1800}] and left == []
    plan = Plan.of(("disinfect_room", {"duration_min": 3}))  # a parameter in minutes reads hours
    mended, _ = mend_signs_and_numbers("run the UV for half an hour", plan, HOSPITAL, HOSPITAL_PB)
    assert args(mended) == [{"duration_min": 30}]
    plan = Plan.of(("wait", {"duration_s": 120}), ("wait", {"duration_s": 3}))  # the 2 minutes are taken
    assert mend_signs_and_numbers("wait 2 minutes, then 30 seconds more", plan, HOSPITAL, HOSPITAL_PB)[0] == plan
    right = Plan.of(("wait", {"duration_s": 30}))
    assert mend_signs_and_numbers("wait 30 seconds", right, HOSPITAL, HOSPITAL_PB)[0] == right


def test_a_duration_beyond_bounds_in_a_larger_unit_is_declined_not_bent():
    assert beyond_bounds("Wait here for an hour", Plan.of(("wait", {"duration_s": 360})), HOSPITAL, HOSPITAL_PB) == [
        "an hour is beyond what wait allows for duration_s (0 to 1800 seconds)"]
    assert beyond_bounds("wait for 20 minutes", Plan.of(("wait", {"duration_s": 1200})), HOSPITAL, HOSPITAL_PB) == []
    # the plan's own number is said: the hour is about something else
    assert beyond_bounds("wait 10 seconds, the shift ends in an hour", Plan.of(("wait", {"duration_s": 10})),
                         HOSPITAL, HOSPITAL_PB) == []


@pytest.mark.parametrize("command, written, meant", [
    ("turn left a quarter turn", 180, 90),
    ("do a quarter turn to the right", -180, -90),
    ("turn clockwise a quarter turn", -120, -90),
    ("spin three quarters of a turn to the left", 90, 270),
    ("do one full turn to the left", -180, 360),
])
def test_an_angle_said_as_part_of_a_turn_is_put_back(command, written, meant):
    mended, left = mend_signs_and_numbers(command, Plan.of(("rotate", {"angle_deg": written})), CATALOG, PB)
    assert args(mended) == [{"angle_deg": meant}] and left == []


def test_turns_counted_are_read_in_degrees_and_beyond_bounds_declined():
    # "two full turns" is 720 degrees, beyond a turn of at most 360: the 2 the model wrote is no number said
    plan = Plan.of(("rotate", {"angle_deg": 2}))
    assert [m.param for m in mismatches("rotate two full turns to the left", plan, DRONE, DRONE_PB)] == ["angle_deg"]
    assert beyond_bounds("rotate two full turns to the left", plan, DRONE, DRONE_PB) == [
        "720 degrees is beyond what rotate allows for angle_deg (-360 to 360 degrees)"]
    assert beyond_bounds("spin 1.5 turns clockwise", Plan.of(("rotate", {"angle_deg": -180})), DRONE, DRONE_PB)
    # within the bounds there is nothing to decline; the plan's own number said is no made-up one
    assert beyond_bounds("turn left 90 degrees", Plan.of(("rotate", {"angle_deg": 90})), DRONE, DRONE_PB) == []
    assert mismatches("do 2 turns of the kitchen", Plan.of(("patrol", {"route": ["kitchen"], "laps": 2})),
                      CATALOG, PB) == []


@pytest.mark.parametrize("command", ["wait ten minuts and then take a photo", "wait 10 mintues, then take a photo"])
def test_a_slip_in_a_unit_name_is_read_as_that_unit(command):
    plan = Plan.of(("wait", {"seconds": 10}), ("take_photo", {}))
    mended, left = mend_signs_and_numbers(command, plan, CATALOG, PB)
    assert args(mended) == [{"seconds": 600}, {}] and left == []


def test_a_heading_is_no_turn_to_make():
    plan = Plan.of(("go_to_pose", {"x": 1, "y": 2, "yaw_deg": 180}))
    found = mismatches("go to x 1 y 2 facing a quarter turn", plan, CATALOG, PB)
    assert [m.param for m in found] == ["yaw_deg"]
    assert mend_signs_and_numbers("go to x 1 y 2 facing a quarter turn", plan, CATALOG, PB)[0] == plan


def test_a_number_said_with_a_parameters_unit_takes_the_place_of_its_default():
    plan = Plan.of(("drive", {"distance_m": 3, "speed_mps": 0.3}))
    filled = fill_defaults_said("Drive forward 3 m, slowly, like 0.1 metres a second", plan, CATALOG, PB)
    assert args(filled) == [{"distance_m": 3, "speed_mps": 0.1}]  # "metres a second" is a speed, not a distance
    route = ["kitchen", "hallway"]
    plan = Plan.of(("patrol", {"route": route}))  # laps left out: the default
    filled = fill_defaults_said("patrol the kitchen and the hallway, three laps", plan, CATALOG, PB)
    assert args(filled) == [{"route": route, "laps": 3}]
    assert mend_signs_and_numbers("patrol the kitchen and the hallway, three laps", plan, CATALOG, PB)[0] == filled


@pytest.mark.parametrize("command, plan", [
    # the number is used by a call
    ("drive 0.5 metres at 0.3 metres per second", Plan.of(("drive", {"distance_m": 0.5, "speed_mps": 0.3}))),
    # two calls of the skill: which one is not known
    ("drive 1 m, then 2 m at 0.5 m/s", Plan.of(("drive", {"distance_m": 1}), ("drive", {"distance_m": 2}))),
    # "times" may count calls, not laps
    ("check the front door 3 times and patrol the kitchen", Plan.of(
        ("check_door", {"door": "front_door"}), ("patrol", {"route": ["kitchen"]}))),
    # a value not at its default is the model's to write
    ("patrol the kitchen twice, three laps", Plan.of(("patrol", {"route": ["kitchen"], "laps": 2}))),
])
def test_a_number_with_a_unit_is_left_alone_where_its_parameter_is_not_plain(command, plan):
    assert fill_defaults_said(command, plan, CATALOG, PB) == plan


def test_a_number_with_a_unit_beyond_bounds_left_at_the_default_is_declined_not_bent():
    plan = Plan.of(("patrol", {"route": ["kitchen", "hallway"], "laps": 1}))
    command = "patrol the kitchen and the hallway twenty laps"
    assert fill_defaults_said(command, plan, CATALOG, PB) == plan
    assert beyond_at_default(command, plan, CATALOG, PB) == ["20 is beyond what patrol allows for laps (1 to 10 times)"]
    assert beyond_at_default("patrol the kitchen, 3 laps", Plan.of(("patrol", {"route": ["kitchen"], "laps": 3})),
                             CATALOG, PB) == []


def test_a_sign_is_turned_round_by_the_step_it_was_said_in():
    command = "Turn left 90, drive forward a metre, turn right 90, then drive forward two metres."
    plan = Plan.of(("rotate", {"angle_deg": 90}), ("drive", {"distance_m": 1}), ("rotate", {"angle_deg": 90}),
                   ("drive", {"distance_m": 2}))
    assert mismatches(command, plan, CATALOG, PB) == []  # the command as a whole says both directions
    assert [a.get("angle_deg") for a in args(signs_by_clause(command, plan, CATALOG, PB))] == [90, None, -90, None]
    assert args(mend_signs_and_numbers(command, plan, CATALOG, PB)[0])[2] == {"angle_deg": -90}


@pytest.mark.parametrize("command, plan", [
    # one call: a direction taken back is the command's to say, not a step's
    ("turn right, no wait, left, ninety degrees", Plan.of(("rotate", {"angle_deg": 90}))),
    # as many steps with a direction as calls, or nothing is matched
    ("turn left 90 and then right 45, then left again 30", Plan.of(("rotate", {"angle_deg": 90}),
                                                                    ("rotate", {"angle_deg": -45}))),
    # each step already says its call's sign
    ("drive back 2 m then forward 1 m", Plan.of(("drive", {"distance_m": -2}), ("drive", {"distance_m": 1}))),
])
def test_signs_are_left_alone_where_steps_and_calls_do_not_match(command, plan):
    assert signs_by_clause(command, plan, CATALOG, PB) == plan


DRONE = load_catalog(Path(__file__).resolve().parents[1] / "examples" / "drone" / "skills.yaml")
DRONE_PB = load_phrasebook(DRONE)


@pytest.mark.parametrize("command, text", [
    ("take a photo of the fence and send it to Tom", "The result is $1."),  # cited in the text
    ("film the silo for a minute and send the video to Priya", "The result is in the video."),  # named, as said
])
def test_a_photo_or_video_cited_in_a_message_is_attached(command, text):
    media = ("take_photo", {}) if "photo" in command else ("record_video", {"duration_s": 60})
    plan = Plan.of(media, ("send_report", {"recipient": "tom", "text": text}))
    told = "Here is the photo." if "$1" in text else text  # the text tells of the photo, not of its id
    assert args(attach_media(command, plan, DRONE, DRONE_PB))[1] == {"recipient": "tom", "text": told,
                                                                      "attachment": "$1"}


@pytest.mark.parametrize("command, plan", [
    # the text neither cites nor names the photo
    ("take a photo and text Tom that the battery is fine", Plan.of(
        ("take_photo", {}), ("send_report", {"recipient": "tom", "text": "the battery is fine"}))),
    # already attached
    ("take a photo and send it to Tom", Plan.of(
        ("take_photo", {}), ("send_report", {"recipient": "tom", "text": "The result is $1.", "attachment": "$1"}))),
    # two photos nothing attaches: which one is not known
    ("take two photos and send them to Tom", Plan.of(
        ("take_photo", {}), ("take_photo", {}), ("send_report", {"recipient": "tom", "text": "The result is $1."}))),
])
def test_a_message_is_left_alone_where_the_photo_it_sends_is_not_clear(command, plan):
    assert attach_media(command, plan, DRONE, DRONE_PB) == plan


@pytest.mark.parametrize("command, catalog, pb, written", [
    ("switch on the light in whichever room Noah is in", CATALOG, PB,
     Plan.of(("find_person", {"person": "noah"}), ("set_light", {"room": "living_room", "on": True}))),
    ("take the gauze to wherever Nurse Ali is", HOSPITAL, HOSPITAL_PB,
     Plan.of(("find_staff", {"name": "nurse ali"}), ("navigate_to", {"place": "ward_a"}))),
])
def test_a_place_nobody_named_after_a_look_up_nothing_cites_becomes_its_result(command, catalog, pb, written):
    mended = cite_the_look_up(command, written, catalog, pb)
    assert list(args(mended)[1].values())[0] == "$1" and args(mended)[0] == args(written)[0]


@pytest.mark.parametrize("command, plan", [
    # no word points at a place through something else: which room is not known
    ("find Noah and switch on the light", Plan.of(
        ("find_person", {"person": "noah"}), ("set_light", {"room": "living_room", "on": True}))),
    # the place is named: nothing to mend
    ("wherever Noah is, switch on the kitchen light", Plan.of(
        ("find_person", {"person": "noah"}), ("set_light", {"room": "kitchen", "on": True}))),
    # two results nothing cites could be meant (a drive's place reached, a person's place)
    ("go to the kitchen and switch on the light where Noah is", Plan.of(
        ("navigate_to", {"location": "kitchen"}), ("find_person", {"person": "noah"}),
        ("set_light", {"room": "office", "on": True}))),
    ("switch on the light wherever Noah or Ann is", Plan.of(
        ("find_person", {"person": "noah"}), ("find_person", {"person": "ann"}),
        ("set_light", {"room": "office", "on": True}))),
    # no look-up written, and no word that points at a place through something else
    ("switch off the light", Plan.of(("set_light", {"room": "living_room", "on": False}))),
])
def test_a_place_nobody_named_stays_unnamed_where_the_look_up_is_not_clear(command, plan):
    assert cite_the_look_up(command, plan, CATALOG, PB) == plan


def test_the_robots_own_place_is_looked_up_where_the_plan_names_none():
    # "the room you're in" with no look-up written: the one skill that tells the robot's place comes first
    plan = Plan.of(("say", {"text": "lights off"}), ("set_light", {"room": "living_room", "on": False}))
    mended = cite_the_look_up("say lights off and switch off the light in the room you're in", plan, CATALOG, PB)
    assert [(t.skill, t.args) for t in mended.tasks] == [
        ("get_location", {}), ("say", {"text": "lights off"}), ("set_light", {"room": "$1", "on": False})]
    # a look-up of its place already written is cited, even where another call cites it too
    plan = Plan.of(("get_location", {}), ("say", {"text": "I am in the $1"}),
                   ("set_light", {"room": "office", "on": True}))
    assert args(cite_the_look_up("say where you are and turn on the light here", plan, CATALOG, PB))[2] == {
        "room": "$1", "on": True}
    # after a drive, "here" is the place it reached, not where it started
    plan = Plan.of(("find_person", {"person": "bob"}), ("navigate_to", {"location": "$1"}),
                   ("set_light", {"room": "office", "on": True}))
    assert args(cite_the_look_up("go to Bob and turn on the light here", plan, CATALOG, PB))[2] == {
        "room": "$2", "on": True}
    # a catalog with no skill that tells the robot's place: nothing to cite
    plan = Plan.of(("navigate_to", {"place": "pharmacy"}))
    assert cite_the_look_up("go to the room you're in", plan, HOSPITAL, HOSPITAL_PB) == plan
