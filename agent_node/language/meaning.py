"""Does a plan mean what the command says? Checks by the catalog's phrasebook.

- :func:`unsaid`: what the plan uses that the command does not say: every enum
  value (in one of its surface forms, one word maybe typed with a slip: "the
  livng room", see :func:`names_value`), name, number (digits or words, the sign
  by direction words; seconds also in minutes or hours: "2 minutes" says 120)
  and on/off flag; free text and ``$N`` are exempt, and so is a call a set phrase
  of the phrasebook says whole ("turn around": ``rotate(angle_deg=180)``).
- :func:`unused_mentions`: the enum values (places, doors) the command names
  that no call uses and no called skill's description names either ("go to the
  charging dock" is met by ``dock()``, "Return to the charging dock ...").
- :func:`robot_request`: why a command given an empty plan reads as a plain
  robot request (a motion verb with a place), or None.

The data generator keeps only samples with nothing unsaid; the planner uses
both lists to repair a plan that drifted from its command (a sign turned
round, a place left out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Protocol

from agent_node.catalog.skills import Catalog, Param
from agent_node.catalog.values import normalize_name, whole_ref
from agent_node.language.number_words import words_to_digits
from agent_node.language.phrasebook import (
    FREE_DOMAINS,
    SIGNS,
    ParamSpec,
    Phrasebook,
    mentions,
    normalize_text,
    number_forms,
)


class Call(Protocol):
    skill: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Mismatch:
    """One way a plan and its command disagree. ``task`` is 1-based (0: no task)."""

    why: str
    task: int = 0
    skill: str = ""
    param: str = ""
    #: The enum value a command names but no call uses.
    value: str = ""

    @property
    def wrong_sign(self) -> bool:
        return self.why.startswith("direction not mentioned")

    @property
    def wrong_number(self) -> bool:
        return self.why.startswith("number not mentioned")

    def __str__(self) -> str:
        return f"{self.why} (task {self.task}, {self.skill}.{self.param})" if self.task else self.why


def _said_any(text: str, phrases: list[str]) -> bool:
    return any(mentions(text, p) for p in phrases)


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one letter dropped, added, changed or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])


def typed_with_a_slip(text: str, phrase: str, known: set[str]) -> bool:
    """Whether the normalised ``text`` says ``phrase`` with one word of five letters or more
    mistyped by one letter ("the livng room", "teh ofice"), the mistyped word being no
    word of ``known`` (the catalog's own names: "bedroom" is never a slip for another)."""
    words, said = normalize_text(phrase).split(), text.split()
    for start in range(len(said) - len(words) + 1):
        window = said[start:start + len(words)]
        slips = [(w, p) for w, p in zip(window, words) if w != p]
        if len(slips) == 1 and len(slips[0][1]) >= 5 and slips[0][0] not in known and one_edit(*slips[0]):
            return True
    return False


def names_value(text: str, pb: Phrasebook, type_name: str, value: str) -> bool:
    """Whether the normalised ``text`` names enum ``value`` by one of its forms, maybe with one slip."""
    forms = pb.enum_forms(type_name, value)
    if _said_any(text, forms):
        return True
    known = {w for values in pb.enums.values() for fs in values.values() for f in fs for w in normalize_text(f).split()}
    return any(typed_with_a_slip(text, f, known) for f in forms)


def number_unsaid(text: str, spec: ParamSpec, value: float) -> str | None:
    """Why the normalised ``text`` does not say ``value`` (with its direction), or None.
    A number said in a larger unit than the parameter's ("30 minutes" for seconds)
    says that many of the larger unit, not of the parameter's."""
    named = spec.special.get(float(abs(value) if spec.directional else value), []) + [
        f.replace("{n}", "").strip().removeprefix("the ") for f in spec.named.get(float(value), [])]
    plain = in_own_unit(text, spec)
    if spec.directional:
        forms = number_forms(abs(value), signed=False)
        sign = "negative" if value < 0 else "positive"
        other = SIGNS[1 - SIGNS.index(sign)]
        if sign == "negative" or _said_any(text, spec.accepted(other)):
            if not _said_any(text, spec.accepted(sign)):
                return f"direction not mentioned: {sign} {value}"
    else:
        forms = number_forms(value, signed=True)
    if _said_any(plain, forms) or _said_any(units_spelled(text), named + in_larger_units(spec, value)):
        return None
    if turns_by(spec) and float(abs(value)) in said_turns(text):  # "a quarter turn", "two full turns"
        return None
    return f"number not mentioned: {value}"


#: Angles said as parts of a turn ("a quarter turn": 90 degrees). Not "a full turn": trained with
#: it, the planner read "turn around" (180) as 360 (hand-written sets: 4 commands).
TURNS = {90.0: ["a quarter turn", "a quarter of a turn", "a quarter-turn"], 180.0: ["half a turn", "a half turn"],
         270.0: ["three quarters of a turn"]}
#: What the meaning check reads besides: a full turn, said, is read as 360 ("one full turn to the left"
#: written as -180 is put back).
SAID_TURNS = {**TURNS, 360.0: ["a full turn", "one full turn", "a whole turn", "a full circle"]}


def turns_by(spec: ParamSpec) -> bool:
    """Whether a parameter is an angle to turn by (in degrees, with direction words), which
    may be said as part of a turn; a heading to face is not."""
    return spec.directional and bool(spec.unit_words & {"degree", "degrees"})


#: Whole turns counted, in normalised text after words_to_digits ("2 full turns": 720 degrees).
_COUNTED_TURNS = re.compile(r"(?<= )(\d+(?:\.\d+)?) (?:full |whole |complete )?(?:turns|rotations|circles|spins)(?= )")


def said_turns(text: str) -> list[float]:
    """The angles ``text`` says as parts of a turn or as turns counted, in degrees ("turn
    left a quarter turn" -> [90], "two full turns" -> [720])."""
    text, out = normalize_text(text), []
    forms = sorted(((normalize_text(f), a) for a, fs in SAID_TURNS.items() for f in fs), key=lambda x: -len(x[0]))
    for form, angle in forms:  # "three quarters of a turn" before "a quarter of a turn"
        while form in text:
            out.append(angle)
            text = text.replace(form, " | ", 1)
    return out + [float(m.group(1)) * 360.0 for m in _COUNTED_TURNS.finditer(normalize_text(words_to_digits(text)))]


#: Larger units of a duration: (seconds in one, its names).
LARGER_UNITS = ((60.0, ("minutes", "minute", "mins", "min")), (3600.0, ("hours", "hour", "hrs", "hr")))
_SECONDS = {"second", "seconds", "sec", "secs"}
#: A duration said in minutes or hours, in normalised text after words_to_digits: "30 minutes",
#: "an hour", "half an hour", "1.5 hours", "a minute and a half", "10 minute video".
_DURATION = re.compile(r"(?<= )(?:(\d+(?:\.\d+)?)|(an?|one)|(half an?)) (minutes?|mins?|hours?|hrs?)"
                       r"( and a half)?(?= )")


#: Unit names long enough that a slip in typing one ("ten minuts") is still read as it.
_SLIPPED_UNITS = ("minutes", "minute", "seconds", "second")


def units_spelled(text: str) -> str:
    """The normalised ``text`` with each word one letter off a long unit name written as
    that name ("wait 10 minuts" -> "wait 10 minutes")."""
    return " ".join(w if w in _SLIPPED_UNITS else next((u for u in _SLIPPED_UNITS if one_edit(w, u)), w)
                    for w in text.split(" "))


def unit_seconds(spec: ParamSpec) -> float | None:
    """Seconds in one unit of a duration parameter (1 for seconds, 60 for minutes), or None."""
    words = spec.unit_words
    if words & _SECONDS:
        return 1.0
    return next((per for per, names in LARGER_UNITS if words & set(names)), None)


def said_durations(text: str) -> list[tuple[float, str]]:
    """The durations ``text`` says in minutes or hours, in seconds, each with its words
    ("wait half an hour" -> [(1800.0, "half an hour")])."""
    out = []
    for m in _DURATION.finditer(units_spelled(normalize_text(words_to_digits(text)))):
        count = float(m.group(1)) if m.group(1) else (0.5 if m.group(3) else 1.0)
        per = next(per for per, names in LARGER_UNITS if m.group(4) in names)
        out.append(((count + (0.5 if m.group(5) else 0.0)) * per, m.group(0)))
    return out


def in_own_unit(text: str, spec: ParamSpec) -> str:
    """The normalised ``text`` less what it says in a unit larger than the parameter's
    ("wait | " for "wait half an hour" and seconds; "rotate | " for "rotate two full turns"
    and an angle to turn by), numbers in digits."""
    if turns_by(spec):
        return _COUNTED_TURNS.sub("|", normalize_text(words_to_digits(text)))
    per = unit_seconds(spec)
    if per is None:
        return text
    larger = {n for p, names in LARGER_UNITS if p > per for n in names}
    return _DURATION.sub(lambda m: "|" if m.group(4) in larger else m.group(0),
                         units_spelled(normalize_text(words_to_digits(text))))


def in_larger_units(spec: ParamSpec, value: float) -> list[str]:
    """``value`` said in minutes or hours ("2 minutes", "one and a half hours", "a minute")
    for a duration parameter in a smaller unit (seconds, or minutes for hours); [] otherwise."""
    own = unit_seconds(spec)
    if value <= 0 or own is None:
        return []
    out = []
    for per, names in LARGER_UNITS:
        k = value * own / per
        if per > own and k >= 0.5 and (2 * k).is_integer():
            out += [f"{form} {name}" for form in number_forms(k) for name in names]
            out += {1.0: [f"a {names[1]}", f"an {names[1]}"], 0.5: [f"half a {names[1]}", f"half an {names[1]}"],
                    1.5: [f"a {names[1]} and a half", f"an {names[1]} and a half"]}.get(k, [])
    return out


def _value_unsaid(text: str, pb: Phrasebook, catalog: Catalog, skill: str, pname: str, p: Param,
                  value: Any) -> str | None:
    """Why ``value`` of parameter ``pname`` is not said in the normalised ``text``, or None."""
    if whole_ref(value) is not None:
        return None
    spec = pb.spec(skill, pname)
    if p.type == "array":
        item = Param(type=p.items or "string")
        return next((why for v in value if (why := _value_unsaid(text, pb, catalog, skill, pname, item, v))), None)
    if catalog.is_enum(p.type):
        return None if names_value(text, pb, p.type, value) else f"{p.type} not mentioned: '{value}'"
    if p.type in ("number", "integer"):
        return number_unsaid(text, spec, value)
    if p.type == "boolean":
        return None if _said_any(text, pb.bool_accepted(spec, value)) else f"on/off not mentioned: {value}"
    if spec.domain in FREE_DOMAINS or not isinstance(value, str) or not value:
        return None
    return None if mentions(text, normalize_name(value)) else f"name not mentioned: '{value}'"


def unsaid(command: str, calls: Iterable[Call], catalog: Catalog, pb: Phrasebook) -> list[Mismatch]:
    """Every argument value of ``calls`` that ``command`` does not say, in plan order."""
    text = normalize_text(command)
    whole = set_phrase_calls(text, pb)
    out = []
    for i, call in enumerate(calls, start=1):
        if (call.skill, call.args) in whole:
            continue  # "turn around" says rotate(angle_deg=180) whole
        skill = catalog.skill(call.skill)
        for pname, value in call.args.items():
            p = skill.params.get(pname) if skill else None
            why = p and _value_unsaid(text, pb, catalog, call.skill, pname, p, value)
            if why:
                out.append(Mismatch(why, i, call.skill, pname))
    return out


def set_phrase_calls(text: str, pb: Phrasebook) -> list[tuple[str, dict[str, Any]]]:
    """The calls of the phrasebook's set phrases (one-call composites: "turn around")
    that the normalised ``text`` says (normalised text is padded: a phrase matches whole words)."""
    out = []
    for comp in pb.composites:
        if len(comp.plan) == 1 and any(not t.slots() and normalize_text(t.text) in text for t in comp.templates):
            task = comp.skeleton().tasks[0]
            out.append((task.skill, task.args))
    return out


def _used_values(calls: Iterable[Call]) -> set[str]:
    used: set[str] = set()
    for call in calls:
        for value in call.args.values():
            used |= {v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)}
    return used


def unused_mentions(command: str, calls: list[Call], catalog: Catalog, pb: Phrasebook) -> list[Mismatch]:
    """The enum values ``command`` names that no call uses and no called skill's description
    names. A longer phrase is read first: "the garage door" names the door, not the garage."""
    text = normalize_text(command)
    used = _used_values(calls)
    described = " ".join(normalize_text(s.description) for c in calls if (s := catalog.skill(c.skill)))
    forms = sorted(((normalize_text(f), f, value) for type_name, values in catalog.enums.items()
                    for value in values for f in pb.enum_forms(type_name, value)), key=lambda x: -len(x[0]))
    out, seen = [], set()
    for words, form, value in forms:
        if not words.strip() or words not in text:
            continue
        text = text.replace(words, " | ")
        if value not in used and value not in seen and not mentions(described, form):
            seen.add(value)
            out.append(Mismatch(f"the command names the {form} ('{value}') but no call uses it", value=value))
    return out


def robot_request(command: str, pb: Phrasebook, catalog: Catalog) -> str | None:
    """Why a command with an empty plan reads as a plain robot request, or None."""
    text = normalize_text(command)
    verb = next((v for v in pb.lang.motion_verbs if mentions(text, v)), None)
    if verb is None:
        return None
    for type_name, values in catalog.enums.items():
        for value in values:
            place = next((f for f in pb.enum_forms(type_name, value) if mentions(text, f)), None)
            if place:
                return f"empty plan for a robot request: '{verb}' with '{place}'"
    return None


def unnamed_places(command: str, calls: Iterable[Call], catalog: Catalog, pb: Phrasebook) -> list[Mismatch]:
    """The places in calls that the command never names by any of their names and no
    look-up produced (``$N`` is exempt): the robot must never go where it was not sent,
    nor act on a place it was not asked about ("the basement lights" are not the
    bathroom's). Places are the values of the enum types that a skill acting with the
    robot's body (holding a resource) takes; they are checked in every call."""
    text = normalize_text(command)
    places = {p.value_type for s in catalog.skills if s.resources for p in s.params.values()
              if catalog.is_enum(p.value_type)}
    out = []
    for i, call in enumerate(calls, start=1):
        skill = catalog.skill(call.skill)
        if skill is None:
            continue
        for pname, value in call.args.items():
            p = skill.params.get(pname)
            type_name = p.value_type if p else None
            if type_name not in places:
                continue
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and whole_ref(v) is None and not names_value(text, pb, type_name, v):
                    out.append(Mismatch(f"{type_name} not named: '{v}'", i, call.skill, pname, value=v))
    return out
