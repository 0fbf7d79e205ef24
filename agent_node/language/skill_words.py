"""How people ask any robot for a skill, from the skill's name and parameters alone.

A catalog nobody wrote a phrasebook for still has names that say what a skill
does: ``fly_to(waypoint)``, ``take_photo()``, ``get_battery()``,
``find_staff(name)``, ``set_gimbal_pitch(pitch_deg)``. This module turns them
into phrasings a person would say ("head to the orchard", "snap a photo",
"how's the battery?", "where's dr. patel?", "tilt the gimbal pitch to -45
degrees") with a catalog-independent language layer:

- verbs and their everyday synonyms (``VERBS``), keyed by the first word of a
  skill's name;
- the role of a parameter, read from its name and type (``param_phrase``): a
  place is gone *to*, a duration lasts *for*, a change is *by*, a speed is *at*,
  a count is *N times*, a numbered thing is *drawer 3*, free text is *saying ...*;
- questions for look-ups (a skill that holds no resource and returns
  something): "what's the battery?", "where is {item}?".

The templates use the phrasebook's slots (``{param}`` says the value with its
unit, ``{param:num}`` the bare number); :mod:`agent_node.language.phrasebook`
adds them to its generic phrasings, and every generated command is still
verified (format, execution, meaning) before it is kept.
"""

from __future__ import annotations

from agent_node.catalog.skills import BASE_TYPES, Param, Skill

#: Words of a skill's name or result that make the result a file to attach.
MEDIA_WORDS = ("photo", "picture", "image", "snapshot", "video", "clip", "recording", "scan", "file")


def media_word(skill: Skill) -> str:
    """What a skill's result is when it is a file to attach ("photo", "video"), else ""."""
    said = f"{skill.name} {skill.returns.description if skill.returns else ''}".lower().replace("_", " ").split()
    return next((w for w in said if w in MEDIA_WORDS), "")


def makes_media(skill: Skill) -> bool:
    """Whether a skill's result is a file to attach (a photo, a video, a recording)."""
    return bool(media_word(skill))


#: A skill name's first word -> everyday verbs for it ("" keeps the name's own verb).
VERBS: dict[str, list[str]] = {
    "navigate": ["go", "head", "drive", "move", "navigate"],
    "go": ["go", "head", "move"],
    "fly": ["fly", "head", "go"],
    "drive": ["drive", "go", "move"],
    "move": ["move", "go"],
    "return": ["return", "go back", "come back", "head back"],
    "take": ["take", "snap", "grab", "get"],
    "capture": ["capture", "take", "grab"],
    "record": ["record", "film", "shoot"],
    "send": ["send"],
    "set": ["set", "put", "change"],
    "change": ["change", "adjust"],
    "adjust": ["adjust", "change"],
    "hover": ["hover", "hold", "stay", "hang"],
    "wait": ["wait", "hold on", "stay put"],
    "rotate": ["rotate", "turn", "spin"],
    "turn": ["turn", "rotate"],
    "open": ["open"],
    "close": ["close", "shut"],
    "load": ["load", "put", "stow"],
    "unload": ["unload", "take out"],
    "drop": ["drop", "release"],
    "release": ["release", "drop"],
    "pick": ["pick up", "grab"],
    "place": ["put", "place", "set down"],
    "page": ["page", "ping", "call"],
    "call": ["call", "summon"],
    "announce": ["announce", "broadcast", "read out"],
    "say": ["say"],
    "report": ["report", "log", "file"],
    "request": ["request", "ask for"],
    "ride": ["ride", "take"],
    "dock": ["dock", "go charge", "go back to the dock"],
    "land": ["land", "touch down", "put down"],
    "takeoff": ["take off", "launch", "lift off"],
    "disinfect": ["disinfect", "sanitize"],
    "clean": ["clean", "tidy"],
    "start": ["start", "begin"],
    "stop": ["stop", "halt"],
    "scan": ["scan", "sweep"],
    "survey": ["survey", "fly over", "sweep"],
    "patrol": ["patrol", "do rounds of"],
    "deliver": ["deliver", "bring", "take"],
    "inspect": ["inspect", "check out", "look at"],
    "measure": ["measure", "check"],
    "spray": ["spray"],
    "follow": ["follow"],
    "charge": ["charge", "recharge"],
}
#: Words of a parameter's name that make it a storey of a building: a skill that takes only
#: one is said as going there ("go down to the basement" rides the elevator to floor -1).
LEVEL_WORDS = {"floor", "level", "storey", "story", "deck"}
#: Verbs of going somewhere: a place after them takes "to".
MOTION = {"navigate", "go", "fly", "drive", "move", "return", "head", "travel"}
#: Nouns said without an article after the verb ("return home").
BARE_OBJECTS = {"home", "base", "back", "up", "down", "here", "there", "away", "off", "on"}
#: Verbs that set a value: their parameters are said with "to" ("set the speed mode to slow").
SETTING = {"set", "change", "adjust", "put", "switch"}
#: The preposition before a numbered thing or a person after these verbs ("load x into drawer 2").
PREPOSITIONS = {"load": "into", "stow": "into", "put": "into", "unload": "from", "take out": "from",
                "ride": "to", "take": "to", "request": "from", "ask for": "from", "deliver": "to", "bring": "to",
                "give": "to", "hand": "to"}
#: Verbs whose object is said with "a" ("take a photo", "send a report").
INDEFINITE = {"take", "capture", "record", "send", "report", "request", "find", "make", "start", "file"}
#: First words of a look-up's name, and its questions ({x}: the thing, {p}: the parameter's slot).
LOOKUP_QUESTIONS: dict[str, tuple[list[str], list[str]]] = {
    # name word: (questions without a parameter, with one)
    "get": (["what's the {x}?", "how's the {x}?", "{x}?", "check the {x}", "what's the {x} at?", "tell me the {x}"],
            ["what's the {x} of {p}?", "check the {x} of {p}", "tell me the {x} of {p}"]),
    "read": (["what's the {x}?", "read the {x}", "{x}?", "tell me the {x}"],
             ["read the {x} of {p}", "what's the {x} of {p}?"]),
    "find": (["find a {x}", "look for a {x}", "find me a {x}", "where's a good {x}?"],
             ["where is {p}?", "where's {p}?", "find {p}", "look up where {p} is", "where can i find {p}?"]),
    "locate": (["locate the {x}", "where is the {x}?"],
               ["where is {p}?", "where's {p}?", "locate {p}", "find {p}", "where did you last see {p}?"]),
    "where": (["where is the {x}?", "where's the {x}?"], ["where is {p}?", "where's {p}?"]),
    "check": (["check the {x}", "what's the {x}?", "how's the {x}?"],
              ["check {x} {p}", "what's in {x} {p}?", "look in {x} {p}", "check what's in {x} {p}"]),
    "count": (["how many {x} are there?", "count the {x}"], ["how many {p} are there?", "count {p}"]),
    "list": (["list the {x}", "what {x} are there?"], ["list {p}", "what's in {p}?"]),
    "is": (["is the {x}?"], ["is {p} {x}?"]),
}
#: Words of a parameter's name that make it a place, a duration, a count... (first match wins).
ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("text", ("text", "message", "note", "content", "sentence", "speech", "caption")),
    ("attachment", ("attachment", "attach", "file", "photo", "image", "picture", "video")),
    ("person", ("person", "recipient", "who", "staff", "contact", "user", "name")),
    ("count", ("laps", "times", "count", "repeat", "rounds", "passes")),
    ("duration", ("duration", "seconds", "minutes", "time", "_s", "_min")),
    ("speed", ("speed", "velocity", "_mps")),
    ("change", ("delta", "offset", "by", "change")),
    ("angle", ("angle", "yaw", "turn")),
    ("level", ("altitude", "height", "pitch", "heading", "level", "percent", "pct", "brightness", "volume")),
    ("place", ("place", "location", "waypoint", "destination", "room", "station", "route", "where", "goal")),
)
#: Everyday names of things a skill's name may call otherwise ("ride_elevator": "take the lift").
NOUNS: dict[str, list[str]] = {
    "elevator": ["lift"],
    "photo": ["picture", "pic"],
    "picture": ["photo", "pic"],
    "image": ["picture", "photo"],
    "video": ["clip"],
    "battery": ["battery level", "charge"],
    "spotlight": ["light", "lamp"],
    "lamp": ["light"],
    "payload": ["package", "cargo", "load"],
    "incident": ["problem", "issue"],
    "drawer": ["compartment"],
    "altitude": ["height"],
    "gimbal": ["camera"],
    "report": ["update", "note"],
    "message": ["note", "text"],
    "alarm": ["siren", "alert"],
    "door": ["doorway"],
    "gripper": ["hand", "claw"],
}
#: Words for the thing a skill acts on that stand for its one parameter ("find_item(item)": "find {item}").
ENTITY_NOUNS = {"item", "object", "target", "thing", "person", "staff", "name", "place", "location", "waypoint",
                "destination", "room", "recipient", "people", "patient"}


def _words(name: str) -> list[str]:
    return [w for w in name.lower().split("_") if w]


def role(pname: str, p: Param) -> str:
    """What a parameter is to a person: text, person, duration, speed, count, change,
    angle, level, place, number (numbered thing), flag, list or thing."""
    lowered = pname.lower()
    if p.type == "boolean":
        return "flag"
    if p.type == "array":
        return "list"
    for name, hints in ROLES:
        if any(h in lowered if h.startswith("_") else h in _words(lowered) or lowered.startswith(h)
               for h in hints):
            if name in ("duration", "speed", "count", "change", "angle", "level") and p.type not in ("number",
                                                                                                        "integer"):
                continue
            return name
    if p.type in ("number", "integer"):
        return "number"
    return "thing"


def param_phrase(pname: str, p: Param, motion: bool, verb: str = "", directional: bool = False,
                 after_noun: bool = False) -> str:
    """How a parameter is said after the verb phrase ("for {duration_s}", "to {waypoint}");
    ``directional``: the value is said with a direction word ("left 90 degrees");
    ``after_noun``: it follows the thing the skill acts on ("the barcode of {item}")."""
    r, label = role(pname, p), " ".join(w for w in _words(pname) if w not in UNIT_WORDS)
    if directional:
        return "{%s:dir} {%s}" % (pname, pname)
    if r == "thing" and p.type not in BASE_TYPES:
        r = "place"  # a value of an enum: gone to, or where something happens
    if r == "thing" and after_noun:
        return "of {%s}" % pname
    if r == "flag":
        return "with %s {%s}" % (label, pname)
    prep = PREPOSITIONS.get(verb, "")
    if not prep and verb.split()[0] in SETTING and r in ("thing", "number", "level", "place"):
        return "to {%s}" % pname if r != "number" else "to {%s:num}" % pname
    if r == "number":
        said = "{%s} %s" % (pname, label) if has_unit(pname) else "%s {%s:num}" % (label, pname)
        return f"{prep} {said}".strip()
    if r == "person" and prep:
        return "%s {%s}" % (prep, pname)
    return {
        "text": "saying {%s}" % pname,
        "attachment": "with {%s} attached" % pname,
        "person": "{%s}" % pname,
        "duration": "for {%s}" % pname,
        "speed": "at {%s}" % pname,
        "count": "{%s:num} times" % pname,
        "change": "by {%s}" % pname,
        "angle": "by {%s}" % pname,
        "level": "to {%s}" % pname,
        "place": ("to {%s}" if motion else "at {%s}") % pname,
        "number": "%s {%s:num}" % (label, pname),
        "flag": "{%s}" % pname,
        "list": "over {%s}" % pname,
        "thing": "{%s}" % pname,
    }[r]


#: Unit endings of parameter names (``north_m``): said by the value's slot, not as a word.
UNIT_WORDS = ("m", "s", "deg", "min", "mps", "pct", "cm", "kg")


def has_unit(pname: str) -> bool:
    return _words(pname)[-1] in UNIT_WORDS if _words(pname) else False


def is_lookup(skill: Skill) -> bool:
    """A skill that only finds something out: it holds no resource and returns a value."""
    return not skill.resources and skill.returns is not None and _words(skill.name)[0] in LOOKUP_QUESTIONS


def noun_forms(thing: str) -> list[str]:
    """``thing`` and its everyday names, a word at a time ("ride elevator" -> "lift")."""
    forms = [thing]
    for i, word in enumerate(words := thing.split()):
        forms += [" ".join(words[:i] + [other] + words[i + 1:]) for other in NOUNS.get(word, [])]
    return _dedupe(forms) or [thing]


def natural_templates(skill: Skill, directional: frozenset[str] = frozenset()) -> list[str]:
    """Everyday phrasings of ``skill`` for any catalog, with every required parameter
    in each (optional ones in some); ``directional`` names the parameters said with
    a direction word. The thing it acts on is said by its name's noun or an everyday
    name for it (:data:`NOUNS`)."""
    words = _words(skill.name) or [skill.name]
    rest = " ".join(w for w in words[1:] if w not in ("to", "at"))
    return _dedupe([t for said in noun_forms(rest) for t in _templates(skill, directional, said)])


def _templates(skill: Skill, directional: frozenset[str], said_thing: str) -> list[str]:
    words = _words(skill.name) or [skill.name]
    head, rest = words[0], [w for w in words[1:] if w not in ("to", "at")]
    required = [n for n, p in skill.params.items() if p.required]
    optional = [n for n, p in skill.params.items() if not p.required]
    if is_lookup(skill):
        return _questions(skill, head, said_thing.split() if rest else rest, required, optional)
    verbs = VERBS.get(head, [head])
    motion = head in MOTION
    thing = " ".join(rest)

    def phrase(n: str, verb: str, after_noun: bool = False) -> str:
        return param_phrase(n, skill.params[n], motion, verb, n in directional, after_noun)

    def tail(names: list[str], verb: str) -> str:
        return "".join(" " + phrase(n, verb) for n in names)
    roles = {n: role(n, skill.params[n]) for n in required}
    persons = [n for n in required if roles[n] == "person"]
    texts = [n for n in required if roles[n] == "text"]
    flags = [n for n in required if roles[n] == "flag"]
    out: list[str] = []
    if texts:  # a message: "send bob a report saying ...", "page dr. lee: ...", "announce that ..."
        what = texts[0]
        who = persons[0] if persons else None
        others = [n for n in required if n not in (who, what)]
        noun = f" {_article(said_thing, head)}{said_thing}" if thing and thing not in ENTITY_NOUNS else ""
        for v in verbs:
            t = tail(others, v)
            if who:
                out += [f"{v} {{{who}}}{noun}{t} saying {{{what}}}", f"{v} {{{who}}}{t}: {{{what}}}",
                        f"{v} {{{who}}}{t} that {{{what}}}"]
                out += [f"{v} {{{who}}}{noun}{t} saying {{{what}}} {phrase(n, v)}" for n in optional]
                for att in (n for n in optional if role(n, skill.params[n]) == "attachment"):
                    # "send it to Emma with a note saying the gate is open", "send Jake the video: ..."
                    out += [f"{v} {{{att}}} to {{{who}}}{t} saying {{{what}}}",
                            f"{v} {{{att}}} to {{{who}}}{t} with a note saying {{{what}}}",
                            f"{v} {{{who}}} {{{att}}}{t}: {{{what}}}"]
            else:
                out += [f"{v}{noun}{t}: {{{what}}}", f"{v} that {{{what}}}{t}", f"{v}{noun}{t} saying {{{what}}}"]
        if who:
            out += [f"tell {{{who}}} {{{what}}}{tail(others, 'tell')}",
                    f"let {{{who}}} know that {{{what}}}{tail(others, 'let')}"]
        return _dedupe(out)
    if flags:  # "turn the spotlight on"
        flag = flags[0]
        t = tail([n for n in required if n != flag], "turn")
        noun = f"the {said_thing}" if thing else "it"
        out += [f"turn {noun} {{{flag}}}{t}", f"switch {noun} {{{flag}}}{t}", f"switch {{{flag}}} {noun}{t}",
                f"{noun} {{{flag}}}{t}"]
        return _dedupe(out)
    # the object: a parameter when the name's noun stands for it ("find_item(item)", "open_drawer(drawer)"),
    # a list when there is no noun ("survey(route)"), else the noun ("take a photo")
    entity = [n for n in required if roles[n] in ("thing", "person", "place", "list")]
    named = [n for n in required if " ".join(w for w in _words(n) if w not in UNIT_WORDS) == thing]
    if named:
        obj_param, obj = named[0], None
    elif thing and set(rest) <= ENTITY_NOUNS and len(entity) == 1:
        obj_param, obj = entity[0], "{%s}" % entity[0]
    elif not thing and entity and roles[entity[0]] == "list":
        obj_param, obj = entity[0], "{%s}" % entity[0]
    else:
        to = "to " if motion and thing not in BARE_OBJECTS else ""
        obj_param, obj = None, (f"{to}{_article(said_thing, head)}{said_thing}" if thing else "")
    said = [n for n in required if n != obj_param]
    for v in verbs:
        first = (phrase(obj_param, v).removeprefix("to ").removeprefix("at ") if obj is None
                 else obj) if obj_param or obj else ""
        if obj is None and obj_param is not None:
            first = "%s {%s:num}" % (said_thing, obj_param) if roles[obj_param] == "number" else first
        for params in (said, said + optional) if optional else (said,):
            t = "".join(" " + phrase(n, v, after_noun=bool(obj) and i == 0) for i, n in enumerate(params))
            out.append(" ".join(x for x in (v, first) if x) + t)
    levels = [n for n in required if set(_words(n)) & LEVEL_WORDS and skill.params[n].type == "integer"]
    if levels and len(required) == 1:  # "go down to the basement", "head up to floor 3": the ride is implied
        out += [f"{v} {phrase(levels[0], 'ride')}" for v in ("go", "head", "go up", "go down", "head up", "head down")]
    choice = [n for n in required if skill.params[n].type not in BASE_TYPES]
    if head in SETTING and thing and len(required) == 1 and choice:  # "switch to slow mode", "normal speed"
        value, kind, topic = "{%s:bare}" % choice[0], said_thing.split()[-1], said_thing.split()[0]
        out += [f"switch to {value} {kind}", f"use {value} {kind}", f"{value} {kind}, please"]
        if topic != kind:
            out += [f"switch to {value} {topic}", f"go back to {value} {topic}"]
    return _dedupe(out)


def _article(thing: str, head: str) -> str:
    if not thing or thing.split()[0] in BARE_OBJECTS or thing.split()[-1] in BARE_OBJECTS:
        return ""
    if head in INDEFINITE:
        return "an " if thing[0] in "aeiou" else "a "
    return "the "


def _questions(skill: Skill, head: str, rest: list[str], required: list[str], optional: list[str]) -> list[str]:
    thing = " ".join(rest) or skill.name.replace("_", " ")
    plain, with_param = LOOKUP_QUESTIONS[head]
    if not required:
        return _dedupe([q.format(x=thing) for q in plain])
    p = required[0]
    tail = "".join(" " + param_phrase(n, skill.params[n], False, head) for n in required[1:])
    param = skill.params[p]
    slot = "{%s:num}" % p if role(p, param) == "number" else "{%s}" % p
    return _dedupe([q.format(x=thing, p=slot).rstrip("?") + tail + ("?" if q.endswith("?") else "")
                    for q in with_param])


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(" ".join(t.split()) for t in items if t.strip()))
