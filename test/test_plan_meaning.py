"""What a plan uses that the command does not say, and what the command names that the plan does not use."""

from __future__ import annotations

from agent_node.catalog.skills import load_catalog
from agent_node.language.meaning import one_edit, unnamed_places, unsaid, unused_mentions
from agent_node.language.phrasebook import load_phrasebook
from agent_node.plan.model import Plan

CATALOG = load_catalog()
PB = load_phrasebook(CATALOG)


def mismatches(command, *calls):
    tasks = Plan.of(*calls).tasks
    return [str(m) for m in unsaid(command, tasks, CATALOG, PB) + unused_mentions(command, tasks, CATALOG, PB)]


def test_a_sign_against_the_direction_words_is_named_with_its_task():
    assert mismatches("turn right 45 degrees", ("rotate", {"angle_deg": 45})) == [
        "direction not mentioned: positive 45 (task 1, rotate.angle_deg)"]
    assert mismatches("turn right 45 degrees", ("rotate", {"angle_deg": -45})) == []


def test_a_place_named_but_never_used_is_found_and_the_longer_phrase_is_read_first():
    found = unused_mentions("take a photo in the bedroom", Plan.of(("take_photo", {})).tasks, CATALOG, PB)
    assert [(m.value, m.task) for m in found] == [("bedroom", 0)]
    # "the garage door" names the door, not the garage
    assert mismatches("is the garage door open?", ("check_door", {"door": "garage_door"})) == []
    assert mismatches("go to the garage", ("navigate_to", {"location": "garage"})) == []


def test_a_place_a_called_skill_goes_to_by_its_description_counts_as_used():
    assert mismatches("go back to the charging dock", ("dock", {})) == []
    assert [m.value for m in unused_mentions("wait in the kitchen", Plan.of(("wait", {"seconds": 5})).tasks,
                                             CATALOG, PB)] == ["kitchen"]


def test_results_cited_and_free_text_are_never_unsaid():
    assert mismatches("find Bob and tell him hi", ("find_person", {"person": "bob"}),
                      ("navigate_to", {"location": "$1"}), ("say", {"text": "Hello there"})) == []


def test_a_place_typed_with_one_slip_is_still_named_but_another_place_is_not():
    def unnamed(command, *calls):
        return [m.value for m in unnamed_places(command, Plan.of(*calls).tasks, CATALOG, PB)]
    assert unnamed("uhh go to the livng room", ("navigate_to", {"location": "living_room"})) == []
    assert unnamed("go to teh ofice", ("navigate_to", {"location": "office"})) == []
    assert unnamed("go to the bathrom", ("navigate_to", {"location": "bathroom"})) == []
    assert mismatches("go to the kitchn", ("navigate_to", {"location": "kitchen"})) == []  # the data's check agrees
    # a real name of another place, or a word two letters away, is no slip
    assert unnamed("go to the bedroom", ("navigate_to", {"location": "bathroom"})) == ["bathroom"]
    assert unnamed("go to the garden", ("navigate_to", {"location": "garage"})) == ["garage"]
    assert unnamed("go to the basement", ("navigate_to", {"location": "bathroom"})) == ["bathroom"]


def test_one_edit_is_one_letter_dropped_added_changed_or_two_swapped():
    assert one_edit("office", "ofice") and one_edit("living", "livnig") and one_edit("garage", "garagge")
    assert one_edit("kitchen", "kitchan")
    assert not one_edit("garage", "garden") and not one_edit("office", "office") and not one_edit("ab", "abcd")


def test_durations_are_read_in_the_unit_they_are_said_in():
    from agent_node.language.meaning import number_unsaid, said_durations
    from agent_node.language.phrasebook import ParamSpec, normalize_text

    assert said_durations("wait half an hour, then a minute and a half") == [(1800.0, "half an hour"),
                                                                             (90.0, "a minute and a half")]
    assert said_durations("record a ten minute video") == [(600.0, "10 minute")]
    seconds, minutes = ParamSpec(units=[("second", "seconds")]), ParamSpec(units=[("minute", "minutes")])
    text = normalize_text("wait here for 30 minutes")
    assert number_unsaid(text, seconds, 30) and number_unsaid(text, seconds, 1800) is None
    assert number_unsaid(normalize_text("run it for an hour"), minutes, 60) is None
    assert number_unsaid(normalize_text("run it for 20 minutes"), minutes, 20) is None
