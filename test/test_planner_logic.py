"""Planner control flow with a scripted language model: check, repair, decline; the answer sentence."""

from __future__ import annotations

import asyncio

import numpy as np

from agent_node.answer import answer
from agent_node.catalog import load_catalog
from agent_node.executor import Executor
from agent_node.llm import Completion
from agent_node.planner import NO_SKILL, Planner, clean_command
from agent_node.plan_io import read_plan
from agent_node.toolrag import SkillScore
from tool_adapters.sim.robot import SimRobot

CATALOG = load_catalog()


class ScriptedLLM:
    """Answers each completion with the next scripted text; records prompts and grammars."""

    def __init__(self, *texts: str):
        self.texts = list(texts)
        self.prompts: list[str] = []
        self.grammars: list[str | None] = []
        self.biases: list[dict | None] = []

    def token_ids(self, text):
        return [len(text)]

    def complete(self, prompt, grammar=None, max_tokens=400, stop=None, bias=None, bias_after="", should_stop=None) -> Completion:
        self.prompts.append(prompt)
        self.grammars.append(grammar)
        self.biases.append(bias)
        return Completion(self.texts.pop(0), prompt_tokens=len(prompt) // 4, completion_tokens=10)


class FixedSelector:
    """Stands in for ToolRAG: always the same skills."""

    class encoder:  # noqa: N801 - mirrors ToolRAG.encoder
        @staticmethod
        def encode_one(command):
            return np.zeros(384, dtype=np.float32)

    def __init__(self, *skills: str, probability: float = 0.9, **probabilities: float):
        self.probabilities = {s: probability for s in skills} | probabilities

    def select(self, command, threshold=None, embedding=None):
        return [SkillScore(s, p) for s, p in self.probabilities.items()]


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
    p = Planner(CATALOG, llm, FixedSelector("say", probability=0.2))
    result = p.plan("who won the football game last night?")
    assert result.declined and result.reason == NO_SKILL and result.plan.is_empty
    assert llm.prompts == []
    # with the rule off, the model is asked
    llm = ScriptedLLM("1. join()\n")
    Planner(CATALOG, llm, FixedSelector("say", probability=0.2), decline_below=0).plan("who won?")
    assert len(llm.prompts) == 1


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
    assert "I could not pick: the banana is in the kitchen" in said and "1 step undone" in said


def test_answer_for_lookups_and_an_empty_run():
    said = answer(run_on_sim('1. get_battery()\n2. check_door(door="front_door")\n3. detect_objects()'))
    assert said == "My battery is at 100%, the front door is closed and I see nothing."
    assert answer(run_on_sim("1. join()")) == "There was nothing to do."
