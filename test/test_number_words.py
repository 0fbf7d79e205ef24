"""Numbers said in words become digits for the planner; nothing else changes."""

from __future__ import annotations

import pytest

from agent_node.language.number_words import words_to_digits
from agent_node.language.phrasebook import number_words


@pytest.mark.parametrize("said, written", [
    ("drive forward three meters at point two meters per second", "drive forward 3 meters at 0.2 meters per second"),
    ("Turn right forty-five degrees", "Turn right 45 degrees"),
    ("patrol the garage three times", "patrol the garage 3 times"),
    ("patrol twice", "patrol 2 times"),
    ("wait one minute", "wait 1 minute"),
    ("go one hundred and twenty centimeters", "go 120 centimeters"),
    ("rotate minus ninety", "rotate -90"),
    ("one and a half meters", "1.5 meters"),
    ("drive zero point five m", "drive 0.5 m"),
    ("a hundred seconds", "100 seconds"),
])
def test_numbers_in_words_become_digits(said, written):
    assert words_to_digits(said) == written


@pytest.mark.parametrize("text", [
    "pick up the red one", "someone is here", "Oneida", "bring the tent", "give it to Bob, then go",
    "", "   ", "Go to the kitchen.", "one",
])
def test_text_without_a_number_is_kept_as_written(text):
    assert words_to_digits(text) == text


def test_every_wording_the_generator_uses_reads_back_as_its_number():
    for x in [0, 1, 2, 5, 9, 10, 13, 20, 21, 45, 90, 99, 100, 101, 120, 360, 999, 0.2, 0.25, 1.5, 2.75, 12.5]:
        for words in number_words(x):
            assert words_to_digits(f"go {words} meters") == f"go {x:g} meters", words


def test_a_comma_separates_numbers():
    assert words_to_digits("go to two, three") == "go to 2, 3"
