"""Numbers said in words, both ways: ``0.2 -> "point two"`` for generated
commands, ``"drive three meters at point two" -> "drive 3 meters at 0.2"`` for
the planner, which copies digits far more reliably than it converts words.
"""

from __future__ import annotations

import re

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen").split()
ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

_ONE_VALUE = {w: i for i, w in enumerate(ONES)}
_TEN_VALUE = {w: 10 * i for i, w in enumerate(TENS) if w}
_SIGN = {"minus", "negative"}
_TIMES = {"twice": "2 times", "thrice": "3 times"}
#: After these words a lone "one" is a quantity ("one meter"), elsewhere it is
#: usually a pronoun ("the red one") and stays a word.
_UNITS = re.compile(r"(meters?|metres?|m|degrees?|deg|seconds?|secs?|s|minutes?|mins?|times?|laps?|"
                    r"rounds?|percent|meters?/s|hours?|cm|centimet(er|re)s?)$")
_TOKEN = re.compile(r"[A-Za-z]+|[^A-Za-z]+")


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


class _Reader:
    """Reads one number phrase from a list of word tokens (separators skipped)."""

    def __init__(self, words: list[str]):
        self.words = words
        self.i = 0

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.words[j].lower() if j < len(self.words) else ""

    def integer(self) -> int | None:
        w = self.peek()
        if w == "a" and self.peek(1) == "hundred":
            self.i += 2
            return 100 + (self._below_hundred(after_and=True) or 0)
        value = self._below_hundred()
        if value is None:
            return None
        if 0 < value < 10 and self.peek() == "hundred":
            self.i += 1
            return value * 100 + (self._below_hundred(after_and=True) or 0)
        return value

    def _below_hundred(self, after_and: bool = False) -> int | None:
        start = self.i
        if after_and and self.peek() == "and" and (self.peek(1) in _ONE_VALUE or self.peek(1) in _TEN_VALUE):
            self.i += 1
        w = self.peek()
        if w in _TEN_VALUE:
            self.i += 1
            ones = _ONE_VALUE.get(self.peek())
            if ones is not None and 0 < ones < 10:
                self.i += 1
                return _TEN_VALUE[w] + ones
            return _TEN_VALUE[w]
        if w in _ONE_VALUE:
            self.i += 1
            return _ONE_VALUE[w]
        self.i = start
        return None

    def fraction(self) -> str:
        """``point two five`` -> ``25`` (empty when there is none)."""
        if self.peek() != "point" or self.peek(1) not in _ONE_VALUE or _ONE_VALUE[self.peek(1)] > 9:
            return ""
        self.i += 1
        out = ""
        while self.peek() in _ONE_VALUE and _ONE_VALUE[self.peek()] <= 9:
            out += str(_ONE_VALUE[self.peek()])
            self.i += 1
        return out


def words_to_digits(text: str) -> str:
    """Every number said in words becomes digits; everything else is kept as written."""
    tokens = _TOKEN.findall(text)
    word_at = [i for i, t in enumerate(tokens) if t[0].isalpha()]
    words = [tokens[i] for i in word_at]
    out: list[str] = []
    last = 0  # tokens[:last] are in out
    reader = _Reader(words)
    while reader.i < len(words):
        start = reader.i
        w = reader.peek()
        if w in _TIMES:
            out += tokens[last:word_at[start]] + [_TIMES[w]]
            last = word_at[start] + 1
            reader.i += 1
            continue
        sign = ""
        if w in _SIGN:
            sign = "-"
            reader.i += 1
        value = reader.integer()
        frac = reader.fraction() if value is not None or reader.peek() == "point" else ""
        if value is None and not frac:
            reader.i = start + 1
            continue
        if value is not None and not frac and reader.peek() == "and" and reader.peek(1) == "a" \
                and reader.peek(2) == "half":
            reader.i += 3
            frac = "5"
        span = reader.i - start
        lone_one = value == 1 and not frac and span == 1
        if lone_one and not _UNITS.match(reader.peek()):
            continue
        if not _same_phrase(tokens, word_at, start, reader.i):
            reader.i = start + 1
            continue
        number = f"{sign}{value or 0}{'.' + frac if frac else ''}"
        out += tokens[last:word_at[start]] + [_fmt(float(number))]
        last = word_at[reader.i - 1] + 1
    out += tokens[last:]
    return "".join(out)


def _same_phrase(tokens: list[str], word_at: list[int], start: int, end: int) -> bool:
    """The words start..end are separated only by spaces or hyphens (not by a comma)."""
    for a, b in zip(word_at[start:end], word_at[start + 1:end]):
        if tokens[a + 1:b] and not re.fullmatch(r"[\s-]+", "".join(tokens[a + 1:b])):
            return False
    return True
