"""Plan -> plan mends that need no model: pure functions of the command, the plan,
the catalog and its phrasebook.

A checked plan may still depart from what was said (see
:mod:`agent_node.language.meaning`): a sign against the command's direction words,
a number nobody said, a call nobody asked for, a place nobody named. These
functions find and mend what can be mended without asking the model again; each
returns the plan unchanged when the mend would not pass the checker.
"""

from __future__ import annotations

import re

from agent_node.catalog.skills import Catalog
from agent_node.catalog.values import bounds_problem, is_number, renumber_refs
from agent_node.language.meaning import (
    Mismatch,
    number_unsaid,
    said_durations,
    said_turns,
    turns_by,
    unit_seconds,
    unnamed_places,
    unsaid,
    unused_mentions,
)
from agent_node.language.number_words import words_to_digits
from agent_node.language.phrasebook import SIGNS, ParamSpec, Phrasebook, digits, mentions, normalize_text
from agent_node.language.said_numbers import beyond, unused_said_numbers, used_numbers
from agent_node.language.skill_words import MEDIA_WORDS, makes_media, media_word
from agent_node.plan.checker import check_plan
from agent_node.plan.model import Plan, Task


def mismatches(command: str, plan: Plan, catalog: Catalog, phrasebook: Phrasebook) -> list[Mismatch]:
    """How ``plan`` departs from ``command``; a default value written out is not held against it."""
    calls = []
    for task in plan.tasks:
        params = catalog.skill(task.skill).params
        calls.append(Task(id=task.id, skill=task.skill, args={
            k: v for k, v in task.args.items() if not (params[k].has_default and v == params[k].default)}))
    return unsaid(command, calls, catalog, phrasebook) + unused_mentions(command, calls, catalog, phrasebook)


def turn_signs_round(command: str, plan: Plan, found: list[Mismatch], catalog: Catalog,
                     phrasebook: Phrasebook) -> Plan:
    """``plan`` with every number whose sign contradicts the command's direction words
    ("turn right 45 degrees" written as +45) turned round, where the other sign is said."""
    text = normalize_text(command)
    tasks = [t.model_copy(deep=True) for t in plan.tasks]
    for m in found:
        value = tasks[m.task - 1].args.get(m.param)
        if m.wrong_sign and isinstance(value, (int, float)) and not number_unsaid(
                text, phrasebook.spec(m.skill, m.param), -value):
            tasks[m.task - 1].args[m.param] = -value
    turned = Plan(tasks=tasks)
    return turned if check_plan(turned, catalog).ok else plan


#: Where a command's steps part: punctuation and the words that join them.
_CLAUSE = re.compile(r"[,;.!?]|\b(?:then|and|after that|afterwards|next)\b", re.IGNORECASE)


def signs_by_clause(command: str, plan: Plan, catalog: Catalog, phrasebook: Phrasebook) -> Plan:
    """``plan`` with a signed number turned round where the step it was said in says the
    other direction ("turn left 90, drive a metre, turn right 90" written with both turns
    left: the command as a whole says both directions). The calls of one parameter
    (two or more) are matched in order with the steps that say an amount and one
    direction of it, when there are as many of each; a call is turned only where its
    step says its number with the other sign."""
    steps = [normalize_text(words_to_digits(c)) for c in _CLAUSE.split(command) if c and c.strip()]
    tasks = [t.model_copy(deep=True) for t in plan.tasks]
    for skill, name in {(t.skill, k) for t in tasks for k, v in t.args.items() if is_number(v)}:
        spec = phrasebook.spec(skill, name)
        if not spec.directional:
            continue
        amounts = [f for forms in spec.special.values() for f in forms]
        directed = [c for c in steps if (re.search(r"\d", c) or any(mentions(c, f) for f in amounts) or said_turns(c))
                    and sum(any(mentions(c, w) for w in spec.accepted(sign)) for sign in SIGNS) == 1]
        calls = [t for t in tasks if t.skill == skill and is_number(t.args.get(name))]
        if len(calls) < 2 or len(calls) != len(directed):
            continue
        for task, step in zip(calls, directed):
            value = task.args[name]
            if value and number_unsaid(step, spec, value) and not number_unsaid(step, spec, -value):
                task.args[name] = -value
    turned = Plan(tasks=tasks)
    return turned if turned != plan and check_plan(turned, catalog).ok else plan


def put_number_back(command: str, plan: Plan, found: list[Mismatch], catalog: Catalog,
                    phrasebook: Phrasebook) -> Plan:
    """``plan`` with its one number the command does not say ("3 meters" written as
    3.5) replaced by the one number the command says that no call uses, signed as
    the command's direction words say; unchanged unless there is exactly one of each."""
    wrong = [m for m in found if m.wrong_number or m.wrong_sign]  # a sign not turned: the number too
    if len(wrong) != 1:
        return plan
    m = wrong[0]
    param = catalog.skill(m.skill).params[m.param]
    spec = phrasebook.spec(m.skill, m.param)
    per = unit_seconds(spec)
    # "30 minutes" for a parameter in seconds is 1800 (unless a call has it); else a number said, as said
    used = {float(v) for t in plan.tasks for v in t.args.values() if is_number(v)}
    unused = {d / per for d, _ in said_durations(command) if d > per and d / per not in used} if per else set()
    if turns_by(spec):  # "a quarter turn" is 90 degrees
        unused |= set(said_turns(command)) - used_numbers(plan)
    unused = unused or {abs(n) for n, count in unused_said_numbers(command, plan)
                        if param.type == "integer" or not count}  # "3 times" counts
    if len(unused) != 1:
        return plan
    n = unused.pop()
    if param.type == "integer" and not n.is_integer():
        return plan
    tasks = [t.model_copy(deep=True) for t in plan.tasks]
    old = tasks[m.task - 1].args[m.param]
    text = normalize_text(command)
    for value in sorted((n, -n), key=lambda v: (v < 0) != (old < 0)):  # the model's sign first
        if not number_unsaid(text, spec, value):
            tasks[m.task - 1].args[m.param] = int(value) if value.is_integer() else value
            put_back = Plan(tasks=tasks)
            return put_back if check_plan(put_back, catalog).ok else plan
    return plan


#: Unit words that may count calls as well as a parameter ("check it 3 times"): they bind no number.
COUNTING_UNITS = {"time", "times"}


def _unit_words(spec: ParamSpec) -> list[str]:
    """The normalised unit words of a parameter, a rate also with "a" for "per" ("metres a second")."""
    out = []
    for word in spec.unit_words - COUNTING_UNITS:
        out.append(normalize_text(word))
        if " per " in word:
            out += [normalize_text(word.replace(" per ", f" {a} ")) for a in ("a", "an")]
    return out


def left_at_default(command: str, plan: Plan, catalog: Catalog, phrasebook: Phrasebook) -> list[tuple[float, int, str]]:
    """The numbers ``command`` says with a parameter's unit that no call uses ("three
    laps", "like 0.1 metres a second"), where the plan's one call of that parameter's
    skill leaves it at its default: each with the call's index (0-based) and the
    parameter. A number goes with the longest unit said after it ("metres a second" is
    a speed, not a distance); "times" binds none (it may count calls)."""
    text = normalize_text(words_to_digits(command))
    used = used_numbers(plan)
    skills = [t.skill for t in plan.tasks]
    forms = [(form, i, name) for i, task in enumerate(plan.tasks) if skills.count(task.skill) == 1
             for name, p in catalog.skill(task.skill).params.items() if p.type in ("number", "integer")
             for form in _unit_words(phrasebook.spec(task.skill, name))]
    out = []
    for m in re.finditer(r"(?<= )(\d+(?:\.\d+)?)(?= )", text):
        after = text[m.end():]
        units = [(form, i, name) for form, i, name in forms if after.startswith(form)]
        if not units or float(m.group(1)) in used:
            continue
        _, i, name = max(units, key=lambda u: len(u[0]))
        p, args = catalog.skill(plan.tasks[i].skill).params[name], plan.tasks[i].args
        if p.has_default and args.get(name, p.default) == p.default:
            out.append((float(m.group(1)), i, name))
    return out


def fill_defaults_said(command: str, plan: Plan, catalog: Catalog, phrasebook: Phrasebook) -> Plan:
    """``plan`` with each number of :func:`left_at_default` in its parameter (signed as
    the command's direction words say, within its bounds); unchanged when that would
    not pass the checker."""
    found = left_at_default(command, plan, catalog, phrasebook)
    if not found:
        return plan
    text = normalize_text(command)
    tasks = [t.model_copy(deep=True) for t in plan.tasks]
    for n, i, name in found:
        spec, p = phrasebook.spec(tasks[i].skill, name), catalog.skill(tasks[i].skill).params[name]
        value = next((v for v in (n, -n) if not number_unsaid(text, spec, v) and not bounds_problem(v, p)), None)
        if value is not None:  # beyond the bounds: see beyond_at_default
            tasks[i].args[name] = int(value) if value.is_integer() else value
    filled = Plan(tasks=tasks)
    return filled if check_plan(filled, catalog).ok else plan


def mend_signs_and_numbers(command: str, plan: Plan, catalog: Catalog,
                           phrasebook: Phrasebook) -> tuple[Plan, list[Mismatch]]:
    """A number said with a parameter's unit put in place of its default, signs turned
    round (step by step, then by the whole command), then a made-up number put back;
    the plan and how it still departs."""
    plan = signs_by_clause(command, fill_defaults_said(command, plan, catalog, phrasebook), catalog, phrasebook)
    found = mismatches(command, plan, catalog, phrasebook)
    if any(m.wrong_sign for m in found):
        plan = turn_signs_round(command, plan, found, catalog, phrasebook)
        found = mismatches(command, plan, catalog, phrasebook)
    if any(m.wrong_number or m.wrong_sign for m in found):
        plan = put_number_back(command, plan, found, catalog, phrasebook)
        found = mismatches(command, plan, catalog, phrasebook)
    return plan, found


def beyond_bounds(command: str, plan: Plan, catalog: Catalog, phrasebook: Phrasebook) -> list[str]:
    """One sentence per amount the command says in a larger unit ("an hour", "a ten
    minute video", "two full turns") beyond the bounds of a parameter the plan filled
    with a number the command does not say: the model wrote some other number instead
    of declining."""
    said = said_durations(command)
    text = normalize_text(command)
    out = []
    for task in plan.tasks:
        skill = catalog.skill(task.skill)
        for name, value in task.args.items():
            spec, p = phrasebook.spec(task.skill, name), skill.params.get(name)
            per = unit_seconds(spec)
            if p is None or not is_number(value) or not (per or turns_by(spec)) or not number_unsaid(text, spec, value):
                continue
            amounts = [(seconds / per, words) for seconds, words in said] if per else [
                (angle, f"{digits(angle)} degrees") for angle in said_turns(command)]
            for amount, words in amounts:
                if bounds_problem(amount, p) and (not spec.directional or bounds_problem(-amount, p)):
                    out.append(beyond(words, task.skill, name, p.minimum, p.maximum, spec.units[0][1]))
                    break
    return out


def beyond_at_default(command: str, plan: Plan, catalog: Catalog, phrasebook: Phrasebook) -> list[str]:
    """One sentence per number said with a parameter's unit beyond its bounds that the
    plan left at the default ("patrol the hallway, fifty laps" written with laps=1):
    the model wrote the default instead of declining."""
    out = []
    for n, i, name in left_at_default(command, plan, catalog, phrasebook):
        skill = plan.tasks[i].skill
        p = catalog.skill(skill).params[name]
        if bounds_problem(n, p) and bounds_problem(-n, p):
            out.append(beyond(digits(n), skill, name, p.minimum, p.maximum, phrasebook.spec(skill, name).units[0][1]))
    return out


def attach_media(command: str, plan: Plan, catalog: Catalog, phrasebook: Phrasebook) -> Plan:
    """``plan`` with a photo or video it takes attached to the message that sends it,
    where the model cited it in the text instead ("send it to Tom" written as
    ``text="The result is $3."`` with no attachment: the text becomes "Here is the
    photo.") or named it there ("The result is in the video.") as the command does:
    the message's attachment (a parameter of domain ``ref``) is empty, the media call
    before it is the only one nothing attaches, and the checker passes the result."""
    said = set(normalize_text(command).split())
    tasks = [t.model_copy(deep=True) for t in plan.tasks]
    attached = {v for t in tasks for k, v in t.args.items() if phrasebook.spec(t.skill, k).domain == "ref" and v}
    for task in tasks:
        skill = catalog.skill(task.skill)
        slot = next((k for k in skill.params if phrasebook.spec(task.skill, k).domain == "ref"), None)
        if slot is None or task.args.get(slot):
            continue
        media = [t for t in tasks if t.id < task.id and makes_media(catalog.skill(t.skill))
                 and f"${t.id}" not in attached]
        if len(media) != 1:
            continue
        ref = f"${media[0].id}"
        texts = {k: str(v) for k, v in task.args.items() if phrasebook.spec(task.skill, k).domain == "text"}
        citing = [k for k, v in texts.items() if re.search(rf"\{ref}(?!\d)", v)]
        if citing or said & set(MEDIA_WORDS) & set(normalize_text(" ".join(texts.values())).split()):
            task.args[slot] = ref
            attached.add(ref)
            for k in citing:  # the text tells of the file, not of its id
                task.args[k] = f"Here is the {media_word(catalog.skill(media[0].skill))}."
    mended = Plan(tasks=tasks)
    return mended if mended != plan and check_plan(mended, catalog).ok else plan


#: Words by which a command points at a place through something else ("the room wherever Bob is",
#: "whichever room the keys are in", "turn on the light there").
RELATIVE_PLACE_WORDS = ("where", "wherever", "whichever", "whatever", "there")
#: Words by which a command points at the robot's own place ("the light in the room you're in").
OWN_PLACE_WORDS = ("you're in", "you are in", "where you are", "you're at", "you are at", "here", "this room")


def _own_place_look_up(catalog: Catalog, type_name: str) -> str:
    """The one skill that tells the robot's own place of ``type_name`` (it needs no
    argument: ``get_location``), or ""."""
    found = [s.name for s in catalog.skills if s.returns is not None and s.returns.type == type_name
             and not any(p.required for p in s.params.values())]
    return found[0] if len(found) == 1 else ""


def cite_the_look_up(command: str, plan: Plan, catalog: Catalog, phrasebook: Phrasebook) -> Plan:
    """``plan`` with a place the command never names replaced by the result of a look-up
    ("turn on the lights in whatever room Bob is in" written as ``find_person(person="bob")``
    then ``set_light(room="bathroom")``), where the command points at a place through
    something else and there is exactly one such place:

    - the robot's own place ("the room you're in") before any call moves it: the result
      of the one skill that tells it (``get_location``), called first where the plan does
      not call it;
    - else ("wherever", "whichever", "there", or "here" after a drive): the result of the
      one earlier call whose result nothing cites and is of the place's type (a look-up, or
      the place a drive reached).

    Otherwise, or when the checker refuses the mended plan, ``plan`` unchanged (the place
    check then declines it)."""
    text = normalize_text(command)
    own = any(mentions(text, w) for w in OWN_PLACE_WORDS)
    if not own and not any(mentions(text, w) for w in RELATIVE_PLACE_WORDS):
        return plan
    unnamed = unnamed_places(command, plan.tasks, catalog, phrasebook)
    if len(unnamed) != 1 or not isinstance(plan.task(unnamed[0].task).args.get(unnamed[0].param), str):
        return plan
    m = unnamed[0]
    type_name = catalog.skill(m.skill).params[m.param].value_type
    before = plan.tasks[:m.task - 1]
    tasks = [t.model_copy(deep=True) for t in plan.tasks]
    goers = {s.name for s in catalog.skills if s.resources and any(p.value_type == type_name
                                                                    for p in s.params.values())}
    if own and not any(t.skill in goers for t in before):  # it is where it started
        look_up = _own_place_look_up(catalog, type_name)
        sources = [t for t in before if t.skill == look_up]
        if look_up and not sources:  # called first: every $N moves up by one
            tasks = [Task(id=1, skill=look_up, args={})] + [
                Task(id=t.id + 1, skill=t.skill, args=renumber_refs(t.args, lambda n: n + 1)) for t in tasks]
            sources, m = [tasks[0]], Mismatch(m.why, m.task + 1, m.skill, m.param, m.value)
    else:
        cited = {n for t in plan.tasks for n in t.refs()}
        sources = [t for t in before if t.id not in cited
                   and (returns := catalog.skill(t.skill).returns) is not None and returns.type == type_name]
    if len(sources) != 1:
        return plan
    tasks[m.task - 1].args[m.param] = f"${sources[0].id}"
    mended = Plan(tasks=tasks)
    return mended if check_plan(mended, catalog).ok else plan


def going_to(value: str, plan: Plan, catalog: Catalog) -> str:
    """``1. skill(param="value")`` for the one skill that only needs a value of
    ``value``'s enum type (``navigate_to`` for a location), when no call of ``plan``
    takes that type at all; "" when there is no such skill or the plan does."""
    kind = next((t for t, values in catalog.enums.items() if value in values), None)
    takes = {p.value_type for t in plan.tasks
             for p in catalog.skill(t.skill).params.values()}
    if kind is None or kind in takes:
        return ""
    goers = []
    for skill in catalog.skills:
        required = [name for name, p in skill.params.items() if p.required]
        if len(required) == 1 and skill.params[required[0]].type == kind:
            goers.append(f'1. {skill.name}({required[0]}="{value}")\n')
    return goers[0] if len(goers) == 1 else ""


def drop_unasked(plan: Plan, probability: dict[str, float], below: float) -> Plan:
    """``plan`` without the calls of skills given less than ``below`` that no other call
    needs (the whole plan if that would leave nothing)."""
    keep = {t.id for t in plan.tasks}
    for task in reversed(plan.tasks):
        cited = any(task.id in plan.task(k).refs() for k in keep)
        if probability.get(task.skill, 0.0) < below and not cited:
            keep.discard(task.id)
    return plan.keep(keep) if keep else plan


def unnamed_place_answer(unnamed: Mismatch, catalog: Catalog, phrasebook: Phrasebook) -> str:
    """Why a plan that goes to a place the command never named is not run."""
    type_name = next(t for t, values in catalog.enums.items() if unnamed.value in values)
    known = ", ".join(phrasebook.enum_forms(type_name, v)[0] for v in catalog.enums[type_name])
    return (f"I don't know where that is: you did not name the "
            f"{phrasebook.enum_forms(type_name, unnamed.value)[0]} and I know only these: {known}.")
