"""Planner control flow with a scripted language model: check, repair, decline; the answer sentence."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest

from agent_node.catalog.skills import load_catalog
from agent_node.execution.answer import answer
from agent_node.execution.executor import Executor
from agent_node.plan.reading import read_plan
from agent_node.planning.example_bank import ExampleBank
from agent_node.planning.grammar import GbnfMatcher
from agent_node.planning.llm import Completion
from agent_node.planning.planner import LATER_CALL, NO_SKILL, Planner, clean_command
from agent_node.planning.prompt import fixed_part
from agent_node.planning.settings import UNLIKELY_BIAS, WIDEN_ALL_UP_TO, PlannerSettings
from agent_node.planning.toolrag import SkillScore
from tool_adapters.sim.robot import SimRobot

CATALOG = load_catalog()


class ScriptedLLM:
    """Answers each completion with the next scripted text; records prompts and grammars."""

    adapter = None  # or a path: the planner then shows the prompt an adapter is trained with

    def __init__(self, *texts: str):
        self.texts = list(texts)
        self.prompts: list[str] = []
        self.grammars: list[str | None] = []
        self.biases: list[dict | None] = []
        self.prefixes: list[str] = []
        self.segments: list[list[int]] = []

    def token_ids(self, text):
        return [len(text)]

    def complete(self, prompt, grammar=None, max_tokens=400, stop=None, bias=None, bias_at="", should_stop=None,
                 prefix="", segments=()) -> Completion:
        self.prompts.append(prompt)
        self.segments.append(list(segments))
        self.grammars.append(grammar)
        self.biases.append(bias)
        self.prefixes.append(prefix)
        text = self.texts.pop(0)
        assert text.startswith(prefix), "a scripted answer must begin with the prefix it was given"
        return Completion(text, prompt_tokens=len(prompt) // 4, completion_tokens=10)


class FixedSelector:
    """Stands in for ToolRAG: always the same skills (likely, not sure: below REQUIRE_ABOVE)."""

    class encoder:  # noqa: N801 - mirrors ToolRAG.encoder
        @staticmethod
        def encode_one(command):
            return np.zeros(384, dtype=np.float32)

    def __init__(self, *skills: str, probability: float = 0.8, **probabilities: float):
        self.probabilities = {s: probability for s in skills} | probabilities

    def select(self, command, threshold=None, embedding=None):
        return [SkillScore(s, p) for s, p in self.probabilities.items()]

    def scores(self, command, embedding=None):
        """Every skill: the fixed ones, the rest at 0.01."""
        rest = [SkillScore(s, 0.01) for s in CATALOG.skill_names if s not in self.probabilities]
        return sorted(self.select(command) + rest, key=lambda s: -s.probability)


def planner(llm, *skills, **kw) -> Planner:
    return Planner(CATALOG, llm, FixedSelector(*skills) if skills else None, **kw)


def test_a_valid_plan_is_checked_and_defaults_filled():
    llm = ScriptedLLM('1. find_person(person="bob")\n2. navigate_to(location="$1")\n3. join()\n')
    result = planner(llm, "find_person", "navigate_to").plan("go to Bob")
    assert not result.declined and result.attempts == 1
    assert [t.skill for t in result.plan.tasks] == ["find_person", "navigate_to"]
    assert [s.skill for s in result.selected] == ["find_person", "navigate_to"]
    # the grammar is narrowed to the selected skills
    assert "navigate_to" in llm.grammars[0] and "hand_over" not in llm.grammars[0]
    # static part first, command last
    assert llm.prompts[0].index("Skills:") < llm.prompts[0].index("Command: go to Bob")


def test_an_invalid_plan_gets_one_repair_that_shows_the_problems():
    llm = ScriptedLLM('1. drive(distance_m=3, speed_mps=3)\n2. join()\n', '1. drive(distance_m=3)\n2. join()\n')
    result = planner(llm, "drive").plan("drive forward three metres")
    assert not result.declined and result.attempts == 2
    assert result.plan.tasks[0].args == {"distance_m": 3, "speed_mps": 0.3}
    assert "above the maximum 1" in llm.prompts[1] and "Write a corrected plan" in llm.prompts[1]


def test_a_repair_that_clips_the_number_said_is_declined_with_the_limit():
    llm = ScriptedLLM('1. drive(distance_m=9)\n2. join()\n', '1. drive(distance_m=5)\n2. join()\n')
    result = planner(llm, "drive").plan("drive forward nine metres")
    assert result.declined and result.attempts == 2
    assert result.reason == "I cannot do that: 9 is beyond what drive allows for distance_m (-5 to 5)."
    llm = ScriptedLLM('1. rotate(angle_deg=-360)\n2. join()\n')
    result = planner(llm, "rotate").plan("turn right 1000 degrees")
    assert result.declined and "1000 is beyond what rotate allows for angle_deg (-360 to 360)" in result.reason
    llm = ScriptedLLM('1. rotate(angle_deg=360)\n2. join()\n')
    assert not planner(llm, "rotate").plan("turn around 360 degrees").declined  # at the bound, as said
    llm = ScriptedLLM('1. patrol(route=["kitchen"])\n2. join()\n')  # laps left at the default
    result = planner(llm, "patrol").plan("patrol the kitchen fifteen laps")
    assert result.declined and result.reason == (
        "I cannot do that: 15 is beyond what patrol allows for laps (1 to 10 times).")


def test_two_invalid_plans_decline_with_the_error_and_run_nothing():
    llm = ScriptedLLM('1. drive(distance_m=9)\n2. join()\n', '1. drive(distance_m=-8)\n2. join()\n')
    result = planner(llm, "drive").plan("drive nine metres")
    assert result.declined and result.plan.is_empty
    assert "below the minimum -5" in result.reason


def test_an_empty_plan_declines_with_a_short_reason():
    result = planner(ScriptedLLM("1. join()\n"), "say").plan("what's the weather tomorrow")
    assert result.declined and result.reason == NO_SKILL and result.plan.is_empty


def test_a_command_no_skill_fits_is_declined_without_the_model():
    llm = ScriptedLLM()
    p = Planner(CATALOG, llm, FixedSelector("say", probability=0.05))
    result = p.plan("who won the football game last night?")
    assert result.declined and result.reason == NO_SKILL and result.plan.is_empty
    assert llm.prompts == []
    # with the rule off, the model is asked
    llm = ScriptedLLM("1. join()\n")
    Planner(CATALOG, llm, FixedSelector("say", probability=0.05), out_of_domain_below=0).plan("who won?")
    assert len(llm.prompts) == 1


def test_when_toolrag_is_unsure_the_model_sees_every_skill_of_a_small_catalog():
    # an untrained phrasing: no skill reaches decline_below, but it is not surely out of domain
    llm = ScriptedLLM('1. navigate_to(location="kitchen")\n2. join()\n')
    result = Planner(CATALOG, llm, FixedSelector("navigate_to", probability=0.3)).plan("pop over to the kitchen")
    assert not result.declined and [t.skill for t in result.plan.tasks] == ["navigate_to"]
    assert len(result.selected) == len(CATALOG.skills) <= WIDEN_ALL_UP_TO
    assert all(f'"{name}"' in llm.grammars[0] or name in llm.grammars[0] for name in CATALOG.skill_names)


def _drive_bank() -> tuple[ExampleBank, np.ndarray]:
    """Three drive examples (one shape, so stand-ins) and one battery look-up; a query nearest the first."""
    plans = ['1. drive(distance_m={})\n2. join()'.format(d) for d in (1, 2, 3)] + ['1. get_battery()\n2. join()']
    emb = np.eye(4, 384, dtype=np.float32)
    return ExampleBank(["drive 1 m", "drive 2 m", "drive 3 m", "battery?"], plans, emb), emb[0]


def test_a_stand_in_example_is_a_stored_segment_of_the_prompt_also_in_a_repair():
    bank, query = _drive_bank()
    selector = FixedSelector("drive")
    selector.encoder = type("Encoder", (), {"encode_one": staticmethod(lambda command: query)})
    llm = ScriptedLLM('1. drive(distance_m=9)\n2. join()\n', '1. drive(distance_m=2)\n2. join()\n')
    p = Planner(CATALOG, llm, selector, bank=bank, fixed_examples=0, stand_ins=2)
    p.plan("drive two metres")
    shown = next((c, pl) for c, pl in zip(bank.commands, bank.plans) if f"Command: {c}\n" in llm.prompts[0])
    assert shown in p._stored and shown[0] != "battery?"
    head = p.static + fixed_part([shown])
    for prompt, segments in zip(llm.prompts, llm.segments):  # the first attempt and its repair
        assert segments == [len(p.static), len(head)] and prompt.startswith(head)
        assert head.endswith("\n\nCommand:") and prompt[len(head):].startswith(" drive 2 metres<|im_end|>")
    # without stand-ins the nearest example is shown as it is, and only the static part is stored
    llm = ScriptedLLM('1. drive(distance_m=2)\n2. join()\n')
    p = Planner(CATALOG, llm, selector, bank=bank, fixed_examples=0, stand_ins=0)
    p.plan("drive two metres")
    assert "Command: drive 1 m\n" in llm.prompts[0] and llm.segments == [[len(p.static)]]


def test_numbers_in_words_reach_the_model_as_digits():
    llm = ScriptedLLM('1. drive(distance_m=3, speed_mps=0.2)\n2. join()\n')
    planner(llm, "drive").plan("drive three meters at point two meters per second")
    assert llm.prompts[0].endswith("Command: drive 3 meters at 0.2 meters per second<|im_end|>\n"
                                   "<|im_start|>assistant\nPlan:\n")


def test_the_join_bias_favours_ending_the_plan():
    llm = ScriptedLLM("1. get_battery()\n2. join()\n", "1. get_battery()\n2. join()\n")
    planner(llm, "get_battery", join_bias=3.0).plan("battery?")
    planner(llm, "get_battery", join_bias=0.0).plan("battery?")
    assert llm.biases == [{len(" join"): 3.0}, {}]


class TokenizingLLM(ScriptedLLM):
    """A ScriptedLLM whose tokenizer knows a few words as single tokens (the rest: one per character)."""

    VOCAB = {" join": 1, " get": 2, " get_location": 3, " s": 4, " say": 5, "say": 6, " nav": 7}

    def token_ids(self, text):
        return [self.VOCAB[text]] if text in self.VOCAB else [100 + ord(c) for c in text]


def test_later_calls_of_unlikely_skills_are_biased_against_at_their_start():
    llm = TokenizingLLM("1. get_battery()\n2. join()\n", "1. get_battery()\n2. join()\n")
    selector = FixedSelector("get_battery", "navigate_to", get_location=0.02, say=0.01)
    Planner(CATALOG, llm, selector, join_bias=2.0).plan("battery?")
    # tokens only unlikely skills begin with ("s" is one character: one token); " get" and "g" also
    # begin get_battery, " nav" and "n" navigate_to
    unlikely = {3, 4, 5, 6, 100 + ord("s")}
    assert llm.biases[0] == {1: 2.0} | {token: UNLIKELY_BIAS for token in unlikely}
    Planner(CATALOG, llm, selector, unlikely_bias=0.0).plan("battery?")
    assert llm.biases[1] == {}
    later = re.compile(f"(?:{LATER_CALL})$")
    assert later.search("1. get_battery()\n2.") and later.search("1. get_battery()\n12. ")
    assert not later.search("1.") and not later.search("1. get_battery()\n")


def test_unlikely_calls_nothing_needs_are_dropped():
    text = ('1. find_object(object="laptop")\n2. say(text="It is in the $1.")\n3. get_location()\n'
            '4. navigate_to(location="$1")\n5. join()\n')
    selector = FixedSelector("find_object", "navigate_to", say=0.01, get_location=0.02)
    result = Planner(CATALOG, ScriptedLLM(text), selector).plan("go to my laptop")
    assert [(t.skill, t.args) for t in result.plan.tasks] == [("find_object", {"object": "laptop"}),
                                                             ("navigate_to", {"location": "$1"})]
    # an unlikely call another call needs stays; so does everything when pruning is off
    text = '1. get_location()\n2. navigate_to(location="$1")\n3. join()\n'
    kept = Planner(CATALOG, ScriptedLLM(text), FixedSelector("navigate_to", get_location=0.01)).plan("x")
    assert [t.skill for t in kept.plan.tasks] == ["get_location", "navigate_to"]
    result = Planner(CATALOG, ScriptedLLM('1. get_battery()\n2. say(text="hi")\n3. join()\n'),
                     FixedSelector("get_battery", say=0.01), prune_below=0).plan("battery and say hi")
    assert [t.skill for t in result.plan.tasks] == ["get_battery", "say"]


def test_a_plan_of_only_unlikely_calls_is_kept_whole():
    result = Planner(CATALOG, ScriptedLLM('1. say(text="hi")\n2. join()\n'),
                     FixedSelector("get_battery", say=0.01)).plan("say hi")
    assert [t.skill for t in result.plan.tasks] == ["say"]


def test_a_plan_that_leaves_out_a_skill_toolrag_is_sure_of_is_written_again_requiring_it():
    first = '1. check_door(door="front_door")\n2. join()\n'
    second = '1. check_door(door="front_door")\n2. get_battery()\n3. join()\n'
    llm = ScriptedLLM(first, second)
    selector = FixedSelector("check_door", get_battery=0.95, say=0.3)
    result = Planner(CATALOG, llm, selector).plan("is the front door open, and how is your battery?")
    assert [t.skill for t in result.plan.tasks] == ["check_door", "get_battery"] and result.attempts == 2
    assert result.text == second and "-need-" not in llm.grammars[0]
    assert GbnfMatcher(llm.grammars[1]).matches(second) and not GbnfMatcher(llm.grammars[1]).matches(first)
    # no second writing when the sure skill is there, when the plan is empty, or below the threshold
    for text, kw in [(second, {}), ("1. join()\n", {}), (first, {"require_above": 0.99})]:
        llm = ScriptedLLM(text)
        Planner(CATALOG, llm, selector, **kw).plan("battery and door?")
        assert len(llm.prompts) == 1


def test_a_rewritten_plan_that_fails_the_checker_leaves_the_first_one():
    first = '1. check_door(door="front_door")\n2. join()\n'
    llm = ScriptedLLM(first, '1. check_door(door="front_door")\n2. drive(distance_m=99)\n3. join()\n')
    result = Planner(CATALOG, llm, FixedSelector("check_door", drive=0.97)).plan("check the front door")
    assert [t.skill for t in result.plan.tasks] == ["check_door"] and result.text == first


def test_empty_and_garbage_commands_are_declined_without_the_model():
    llm = ScriptedLLM()
    for command in ["", "   ", "\x00\x01\x02", None]:
        result = planner(llm, "say").plan(command)
        assert result.declined and "empty" in result.reason
    assert llm.prompts == []


def test_long_commands_are_cut_and_made_one_line():
    assert len(clean_command("go " * 5000)) == 1000
    assert clean_command("go\nto\tthe\x00kitchen ") == "go to the kitchen"


def test_without_grammar_the_output_is_closed_and_parsed():
    llm = ScriptedLLM('1. get_battery()\n2. ')
    result = planner(llm, "get_battery", use_grammar=False).plan("battery?")
    assert llm.grammars == [None]
    assert [t.skill for t in result.plan.tasks] == ["get_battery"]


def test_replan_shows_what_failed():
    llm = ScriptedLLM('1. pick(object="banana")\n2. join()\n',
                      '1. find_object(object="banana")\n2. navigate_to(location="$1")\n'
                      '3. pick(object="banana")\n4. join()\n')
    p = planner(llm, "pick", "find_object", "navigate_to")
    first = p.plan("pick up the banana")
    robot = SimRobot(time_scale=0)
    executed = asyncio.run(Executor(CATALOG, robot).run(first.plan))
    assert executed.tasks[0].status == "failed"
    second = p.replan("pick up the banana", executed)
    assert "failed: the banana is in the kitchen" in llm.prompts[1]
    assert asyncio.run(Executor(CATALOG, robot).run(second.plan)).ok
    assert robot.held == "banana"


def run_on_sim(text: str):
    return asyncio.run(Executor(CATALOG, SimRobot(time_scale=0)).run(read_plan(text)))


def test_answer_tells_what_was_done():
    result = run_on_sim('1. find_object(object="toy car")\n2. navigate_to(location="$1")\n'
                        '3. pick(object="toy car")\n4. find_person(person="bob")\n'
                        '5. navigate_to(location="$4")\n6. hand_over(person="bob")')
    said = answer(result)
    assert said.startswith("The toy car is in the living room")
    assert "I gave the toy car to Bob in the living room." in said


def test_answer_tells_what_failed_and_what_was_left():
    said = answer(run_on_sim('1. navigate_to(location="office")\n2. pick(object="banana")\n'
                             '3. navigate_to(location="kitchen")'))
    assert said.startswith("I went to the office.")
    assert "I could not pick up the banana: the banana is in the kitchen" in said and "1 step undone" in said


def test_answer_for_lookups_and_an_empty_run():
    said = answer(run_on_sim('1. get_battery()\n2. check_door(door="front_door")\n3. detect_objects()'))
    assert said == "My battery is at 100%, the front door is closed and I see nothing."
    assert answer(run_on_sim("1. join()")) == "There was nothing to do."


# -- plans that depart from what was said ----------------------------------------------
def test_a_sign_against_the_direction_said_is_turned_round_without_the_model():
    llm = ScriptedLLM('1. rotate(angle_deg=45)\n2. drive(distance_m=1)\n3. join()\n')
    result = planner(llm, "rotate", "drive").plan("Turn right 45 degrees, then drive back 1 meter")
    assert [t.args for t in result.plan.tasks] == [{"angle_deg": -45}, {"distance_m": -1, "speed_mps": 0.3}]
    assert result.attempts == 1 and len(llm.prompts) == 1


def test_a_sign_that_agrees_with_the_words_said_is_left_alone():
    llm = ScriptedLLM('1. rotate(angle_deg=90)\n2. drive(distance_m=2)\n3. join()\n')
    result = planner(llm, "rotate", "drive").plan("turn left 90 degrees and drive forward 2 meters")
    assert [t.args["angle_deg" if t.skill == "rotate" else "distance_m"] for t in result.plan.tasks] == [90, 2]


def test_a_number_not_said_becomes_the_one_said_that_no_call_uses():
    llm = ScriptedLLM('1. drive(distance_m=3.5, speed_mps=0.2)\n2. join()\n')
    result = planner(llm, "drive").plan("drive forward three meters at point two meters per second")
    assert result.plan.tasks[0].args == {"distance_m": 3, "speed_mps": 0.2}
    assert result.attempts == 1 and len(llm.prompts) == 1
    llm = ScriptedLLM('1. rotate(angle_deg=90)\n2. drive(distance_m=1.5)\n3. join()\n')  # the sign from the words
    result = planner(llm, "rotate", "drive").plan("turn left 90 degrees and then back up 2 meters")
    assert [t.args["angle_deg" if t.skill == "rotate" else "distance_m"] for t in result.plan.tasks] == [90, -2]
    llm = ScriptedLLM('1. patrol(route=["garage"], laps=2)\n2. join()\n')  # a count, for a count
    assert planner(llm, "patrol").plan("patrol the garage 3 times").plan.tasks[0].args["laps"] == 3


@pytest.mark.parametrize("command, plan, numbers", [
    ("drive forward 2 meters and wait 5 seconds", "1. drive(distance_m=2.5)\n2. wait(seconds=3)\n3. join()\n",
     [2.5, 3]),
    ("drive forward 2 meters and then 4 more", "1. drive(distance_m=3)\n2. join()\n", [3]),
    ("drive forward 3 times", "1. drive(distance_m=1)\n2. join()\n", [1]),
])
def test_a_number_not_said_is_left_alone_without_exactly_one_said_number_to_put_back(command, plan, numbers):
    """Two wrong numbers, two unused said numbers, or only a count ("3 times") for a distance."""
    result = planner(ScriptedLLM(plan), "drive", "wait").plan(command)
    assert [t.args.get("distance_m", t.args.get("seconds")) for t in result.plan.tasks] == numbers


def test_a_plan_that_never_goes_to_the_place_said_is_written_again_starting_there():
    llm = ScriptedLLM('1. wait(seconds=20)\n2. dock()\n3. join()\n',
                      '1. navigate_to(location="office")\n2. wait(seconds=20)\n3. dock()\n4. join()\n')
    result = planner(llm, "wait", "dock").plan("Go to the office, wait 20 seconds, then dock")
    assert [t.skill for t in result.plan.tasks] == ["navigate_to", "wait", "dock"]
    assert llm.prefixes == ["", '1. navigate_to(location="office")\n'] and result.attempts == 2
    assert "navigate_to" in llm.grammars[1]  # offered for the rewrite though ToolRAG had not picked it


def test_a_rewrite_that_departs_as_much_is_not_taken():
    llm = ScriptedLLM('1. take_photo()\n2. join()\n', '1. navigate_to(location="bedroom")\n'
                      '2. navigate_to(location="garage")\n3. take_photo()\n4. join()\n')  # now the garage is unsaid
    result = planner(llm, "take_photo", "navigate_to").plan("take a photo in the bedroom")
    assert [t.skill for t in result.plan.tasks] == ["take_photo"]


def test_places_met_by_the_plan_or_by_a_skill_that_goes_there_need_no_rewrite():
    # set_light uses the kitchen; dock() is how one goes to the charging dock
    llm = ScriptedLLM('1. set_light(room="kitchen", on=False)\n2. dock()\n3. join()\n')
    result = planner(llm, "set_light", "dock").plan("turn off the kitchen lights and go to the charging dock")
    assert len(llm.prompts) == 1 and [t.skill for t in result.plan.tasks] == ["set_light", "dock"]
    # a plan that already goes somewhere is not given another start
    llm = ScriptedLLM('1. find_object(object="cup")\n2. navigate_to(location="$1")\n3. join()\n')
    planner(llm, "find_object", "navigate_to").plan("go to the cup, it is in the kitchen")
    assert len(llm.prompts) == 1


# -- never go where the command did not send the robot ----------------------------------------------------
@pytest.mark.parametrize("command, plan", [
    ("go to the basement", '1. navigate_to(location="garage")\n2. join()\n'),
    ("patrol the kitchen and the attic", '1. patrol(route=["kitchen", "garage"])\n2. join()\n'),
    # a place acted on from afar is checked too: the basement's lights are not the garage's
    ("turn on the basement lights", '1. set_light(room="garage", on=True)\n2. join()\n'),
    ("turn on the lights", '1. set_light(room="garage", on=True)\n2. join()\n'),   # which room? never a guess
])
def test_a_place_the_command_never_names_is_not_run(command, plan):
    result = planner(ScriptedLLM(plan), repairs=False).plan(command)
    assert result.declined and result.reason.startswith("I don't know where that is")
    assert "garage" in result.reason


@pytest.mark.parametrize("command, plan", [
    ("go to the kitchen", '1. navigate_to(location="kitchen")\n2. join()\n'),
    ("go where Bob is", '1. find_person(person="bob")\n2. navigate_to(location="$1")\n3. join()\n'),
    ("head to the lounge", '1. navigate_to(location="living_room")\n2. join()\n'),       # another of its names
    ("turn the garage lights off", '1. set_light(room="garage", on=False)\n2. join()\n'),
    ("light up wherever Ann is", '1. find_person(person="ann")\n2. set_light(room="$1", on=True)\n3. join()\n'),
])
def test_a_place_named_or_looked_up_or_not_visited_is_run(command, plan):
    result = planner(ScriptedLLM(plan), repairs=False).plan(command)
    assert not result.declined, result.reason


def test_a_planner_with_an_adapter_shows_the_command_alone():
    llm = ScriptedLLM('1. navigate_to(location="kitchen")\n2. join()\n')
    llm.adapter = "adapter.gguf"
    p = planner(llm, "navigate_to")
    result = p.plan("go to the kitchen")
    assert not result.declined
    assert llm.prompts[0] == ("<|im_start|>system\nPlan the robot's skill calls.<|im_end|>\n"
                              "<|im_start|>user\ngo to the kitchen<|im_end|>\n<|im_start|>assistant\n")
    assert "Skills:" not in llm.prompts[0]


def test_a_declined_plan_is_scored_as_what_runs_nothing():
    from agent_node.cli.evaluate import ran_plan

    result = planner(ScriptedLLM('1. navigate_to(location="garage")\n2. join()\n'), repairs=False).plan(
        "go to the basement")
    assert result.declined and result.plan.tasks  # the plan is kept for the record ...
    assert ran_plan(result).is_empty             # ... but nothing of it runs, so nothing is scored


def test_one_settings_model_names_every_knob_and_refuses_unknown_or_bad_ones():
    from agent_node.planning.settings import PlannerSettings, SettingsError, settings_of

    s = PlannerSettings()
    assert s.but(decline_below=0.2).decline_below == 0.2 and s.decline_below == 0.5
    with pytest.raises(SettingsError, match="decline_bellow"):
        s.but(decline_bellow=0.2)
    with pytest.raises(SettingsError, match="threads"):
        settings_of({"threads": 0})
    with pytest.raises(SettingsError, match="prune_below"):
        Planner(CATALOG, ScriptedLLM("1. join()\n"), prune_below=2)


def test_the_evaluation_options_fill_the_settings():
    import argparse

    from agent_node.cli.evaluate import _planner_args, planner_settings

    ap = argparse.ArgumentParser()
    _planner_args(ap)
    s = planner_settings(ap.parse_args(["--no-toolrag", "--decline-below", "0.3", "--adapter", "none",
                                        "--no-states", "--stand-ins", "0"]))
    assert (s.use_toolrag, s.decline_below, s.adapter, s.store_states, s.stand_ins) == (False, 0.3, "none", False, 0)
    assert planner_settings(ap.parse_args([])).model_dump(exclude={"threads"}) == \
        PlannerSettings().model_dump(exclude={"threads"})


def test_a_duration_written_in_the_unit_said_gets_its_number_put_back_or_is_declined_with_the_limit():
    from pathlib import Path

    hospital = load_catalog(Path(__file__).resolve().parents[1] / "examples" / "hospital" / "skills.yaml")
    llm = ScriptedLLM("1. disinfect_room(duration_min=0.5)\n2. join()\n")  # "half an hour" as 0.5 (of an hour)
    result = Planner(hospital, llm, FixedSelector("disinfect_room")).plan("run the UV in here for half an hour")
    assert result.plan.tasks[0].args == {"duration_min": 30} and result.attempts == 1
    llm = ScriptedLLM("1. wait(duration_s=30)\n2. join()\n")
    assert Planner(hospital, llm, FixedSelector("wait")).plan("wait here for 30 minutes").plan.tasks[0].args == {
        "duration_s": 1800}
    llm = ScriptedLLM("1. wait(duration_s=360)\n2. join()\n")  # an hour is beyond the bound: never bent
    result = Planner(hospital, llm, FixedSelector("wait")).plan("wait here for an hour")
    assert result.declined and result.reason == (
        "I cannot do that: an hour is beyond what wait allows for duration_s (0 to 1800 seconds).")
    llm = ScriptedLLM("1. ride_elevator(floor=6)\n2. join()\n")  # "the ninth floor" clipped to the top floor
    result = Planner(hospital, llm, FixedSelector("ride_elevator")).plan("Take the elevator up to the ninth floor")
    assert result.declined and "9 is beyond what ride elevator allows for floor (-1 to 6)" in result.reason
