"""Phrasings of a catalog's skills, for the synthetic data generator.

A phrasebook says how a person asks for each skill: templates with slots for
the parameters (``"turn {on} the lights {room:in}"``), how values are said
(enum values -> surface forms, numbers -> digits and words with units and
direction words, booleans -> on/off words), multi-call phrasings (chains and
body sequences written as plans with slots), and catalog-independent language
(connectors, politeness, fillers, out-of-domain requests).

``config/home_robot_phrases.yaml`` is the phrasebook of the reference catalog.
For any other catalog :func:`load_phrasebook` builds a generic one from each
skill's description and parameters. A loaded phrasebook is *complete* for its
catalog: every skill has templates, every parameter a :class:`ParamSpec`, every
enum value its surface forms, so lookups never need the catalog again.

Template slots: ``{param}`` says the value (with its article, unit...),
``{param:bare}`` without the article, ``{param:in}`` with its preposition
("in the kitchen", "at the front door"), ``{param:num}`` a number without its
unit, ``{param:dir}`` the direction word of a signed number ("left", "back").
Context slots (``{held}``) name something the plan does not contain but the
world must arrange (the object the robot holds).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent_node.catalog.skills import Catalog, Param, Skill, load_catalog
from agent_node.catalog.values import is_integral
from agent_node.files.config_files import ConfigFileError, read_yaml
from agent_node.files.paths import config_path
from agent_node.language.number_words import ONES, ORDINALS, TENS
from agent_node.language.skill_words import natural_templates, param_phrase, role
from agent_node.plan.checker import check_plan
from agent_node.plan.model import Plan, PlanParseError
from agent_node.plan.text import parse_plan_text

SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}")
MODIFIERS = ("bare", "in", "num", "dir")
SIGNS = ("positive", "negative")
#: String domains whose values are free text or result ids: never checked for mention.
FREE_DOMAINS = ("text", "ref")
#: Domains a world (objects, people, surfaces) adds names to.
WORLD_DOMAINS = ("object", "person", "surface")
_TOKEN = re.compile(r"-?\d+(?:\.\d+)?|[a-z]+(?:[-'][a-z]+)*")


class PhrasebookError(ConfigFileError):
    """A phrasebook that cannot be used, with every reason found."""

    what = "phrasebook"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the file format ----------------------------------------------------------------
class TemplateSpec(_Model):
    """A template; ``when`` restricts a slot's value (``{on: false}``, ``{distance_m: negative}``,
    ``{mode: slow}`` for a value of an enum: "slow down" says it with no slot)."""

    text: str = Field(min_length=1)
    when: dict[str, bool | str] = Field(default_factory=dict)

    @property
    def question(self) -> bool:
        return self.text.rstrip().endswith("?")

    def slots(self) -> list[tuple[str, str]]:
        """``(name, modifier)`` of every slot, in order ("" when no modifier)."""
        return [(m.group(1), m.group(2) or "") for m in SLOT.finditer(self.text)]

    def slot_names(self) -> list[str]:
        """Distinct slot names in order of first use."""
        return list(dict.fromkeys(name for name, _ in self.slots()))


def _templates(value: Any) -> Any:
    """Plain strings are templates without conditions."""
    if isinstance(value, list):
        return [{"text": v} if isinstance(v, str) else v for v in value]
    return value


def _bool_keys(value: Any) -> Any:
    """YAML 1.1 reads keys ``true``/``on``/``yes`` as booleans; say them as written in the docs."""
    if isinstance(value, dict):
        return {("true" if k is True else "false" if k is False else k): v for k, v in value.items()}
    return value


class ParamSpec(_Model):
    """How one parameter is filled and said.

    ``domain``: the pool of names a string parameter draws from (``object``,
    ``person``, ``surface``, ...; ``text`` is free text, ``ref`` only ever a
    ``$N``). ``values``: the numbers the generator may use, each sayable
    exactly. ``units``: (singular, plural) pairs. ``words``: direction words
    by sign (``positive``/``negative``) or on/off words (``true``/``false``);
    ``cues``: more words the meaning check accepts. ``special``: whole
    phrases for a value (60 -> "a minute"). ``named``: names of a value
    said instead of its whole slot, with the noun before it, its direction word
    and its unit ("floor -1" -> "the basement", "drawer 4" -> "the bottom {n}",
    ``{n}`` being the noun said; "-90 degrees" -> "straight down"). ``exclude``:
    enum values this parameter never gets (they mean another skill).
    """

    domain: str | None = None
    values: list[float] | None = None
    units: list[tuple[str, str]] = Field(default_factory=list)
    words: dict[str, list[str]] = Field(default_factory=dict)
    cues: dict[str, list[str]] = Field(default_factory=dict)
    special: dict[float, list[str]] = Field(default_factory=dict)
    named: dict[float, list[str]] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)

    @field_validator("words", "cues", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        return _bool_keys(value)

    @property
    def directional(self) -> bool:
        return all(self.words.get(s) for s in SIGNS)

    @property
    def unit_words(self) -> set[str]:
        """Every word of ``units``, singular and plural."""
        return {w for pair in self.units for w in pair}

    def accepted(self, key: str) -> list[str]:
        """Every phrase that says ``key`` (a sign or ``true``/``false``)."""
        return [*self.words.get(key, []), *self.cues.get(key, [])]


class SkillPhrases(_Model):
    """Templates of one skill; ``merged`` templates say two or more calls that
    differ only in the ``merge`` parameter ("lights off in the kitchen and the office")."""

    templates: list[TemplateSpec] = Field(min_length=1)
    merge: str | None = None
    merged: list[TemplateSpec] = Field(default_factory=list)
    #: False: only alone or inside composites, never joined with unrelated requests.
    combine: bool = True

    @field_validator("templates", "merged", mode="before")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        return _templates(value)


class Composite(_Model):
    """A fixed phrasing of a plan: the plan in the text form (one call per item, slots
    as ``"{name}"`` string values, results as ``$N``) and its templates. Mostly
    several calls; one call with a fixed value is a set phrase ("turn around")."""

    kind: Literal["chain", "body"]
    plan: list[str] = Field(min_length=1)
    templates: list[TemplateSpec] = Field(min_length=1)

    @field_validator("templates", mode="before")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        return _templates(value)

    def skeleton(self) -> Plan:
        """The plan with its slot placeholders (PlanParseError if unreadable)."""
        return parse_plan_text("\n".join(f"{i}. {call}" for i, call in enumerate(self.plan, start=1)))


class OutOfDomain(_Model):
    """Requests no skill serves: ``templates`` wrap a ``{request}``; ``topics``
    hold request phrasings (``keywords`` first: a topic is dropped for a catalog
    whose skills use one of them); ``fills`` the values of their other slots."""

    templates: list[str] = Field(min_length=1)
    topics: dict[str, list[str]] = Field(min_length=1)
    keywords: dict[str, list[str]] = Field(default_factory=dict)
    fills: dict[str, list[str]] = Field(default_factory=dict)


class Language(_Model):
    """Catalog-independent phrasing: joining, politeness, fillers, free text."""

    connectors: list[str] = Field(min_length=1)
    question_connectors: list[str] = Field(min_length=1)
    chain_connectors: list[str] = Field(min_length=1)
    polite: list[str] = Field(min_length=1)
    fillers: list[str] = Field(min_length=1)
    booleans: dict[str, list[str]]
    motion_verbs: list[str] = Field(min_length=1)
    ref_words: list[str] = Field(min_length=1)
    texts: list[str] = Field(min_length=1)
    out_of_domain: OutOfDomain

    @field_validator("booleans", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        return _bool_keys(value)


class Phrasebook(_Model):
    """A phrasebook; after :func:`load_phrasebook`, complete for its catalog."""

    language: Language | None = None
    enums: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    prepositions: dict[str, str] = Field(default_factory=dict)
    articles: dict[str, list[str]] = Field(default_factory=dict)
    names: dict[str, list[str]] = Field(default_factory=dict)
    context: dict[str, str] = Field(default_factory=dict)
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    skills: dict[str, SkillPhrases] = Field(default_factory=dict)
    composites: list[Composite] = Field(default_factory=list)

    # -- lookups (on a loaded phrasebook) -------------------------------------------
    @property
    def lang(self) -> Language:
        assert self.language is not None, "use load_phrasebook(): it fills the language in"
        return self.language

    def spec(self, skill: str, param: str) -> ParamSpec:
        return self.params.get(f"{skill}.{param}") or ParamSpec()

    def enum_forms(self, type_name: str, value: str) -> list[str]:
        """Ways to say an enum value, bare ("living room", "lounge")."""
        return self.enums.get(type_name, {}).get(value) or [value.replace("_", " ")]

    def preposition(self, value: str) -> str:
        return self.prepositions.get(value, "in")

    def bool_words(self, spec: ParamSpec, value: bool) -> list[str]:
        key = "true" if value else "false"
        return spec.words.get(key) or self.lang.booleans[key]

    def bool_accepted(self, spec: ParamSpec, value: bool) -> list[str]:
        key = "true" if value else "false"
        return [*self.bool_words(spec, value), *spec.cues.get(key, [])]


# -- text normalisation shared by the generator and the meaning check ----------------
def normalize_text(text: str) -> str:
    """Words and numbers of a text, space-separated and padded: ``" go to the kitchen "``.

    Punctuation goes, ``-3`` and ``1.5`` stay numbers, ``counter-clockwise``
    stays one word and a possessive ``'s`` is dropped ("Alice's" -> "alice").
    """
    tokens = _TOKEN.findall(text.lower().replace("’", "'").replace("_", " "))
    return " " + " ".join(t.removesuffix("'s") for t in tokens) + " "


def mentions(normalized: str, phrase: str) -> bool:
    """Whether a normalised text (see :func:`normalize_text`) contains ``phrase`` as words."""
    words = normalize_text(phrase)
    return words.strip() != "" and words in normalized


# -- numbers ------------------------------------------------------------------------


def digits(x: float) -> str:
    """``2``, ``1.5``, ``-0.25``: the shortest exact decimal."""
    return str(int(x)) if is_integral(x) else f"{x:.10g}"


def _integer_words(n: int) -> list[str]:
    if n < 20:
        return [ONES[n]]
    if n < 100:
        tens, ones = divmod(n, 10)
        return [TENS[tens]] if ones == 0 else [f"{TENS[tens]}-{ONES[ones]}", f"{TENS[tens]} {ONES[ones]}"]
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        heads = [f"{ONES[hundreds]} hundred"] + (["a hundred"] if hundreds == 1 else [])
        if rest == 0:
            return heads
        tails = _integer_words(rest)
        return [f"{h}{sep}{t}" for h in heads for t in tails for sep in (" and ", " ")]
    return []


def number_words(x: float) -> list[str]:
    """Ways to say a non-negative number in words: 90 -> ninety; 1.5 -> one and a
    half, one point five; 0.2 -> zero point two, point two. Empty when there is
    no exact wording (above 999 or more than two decimals)."""
    if x < 0:
        return []
    if is_integral(x):
        return _integer_words(int(x))
    whole, _, frac = digits(x).partition(".")
    if len(frac) > 2:
        return []
    point = " ".join(ONES[int(d)] for d in frac)
    heads = _integer_words(int(whole))
    out = [f"{h} point {point}" for h in heads]
    if whole == "0":
        out.append(f"point {point}")
    if frac == "5" and whole != "0":
        out = [f"{h} and a half" for h in heads] + out
    return out


def number_forms(x: float, signed: bool = True) -> list[str]:
    """Every way to say ``x`` as digits or words; negatives with "minus"/"negative"
    when ``signed`` (else the magnitude: the sign is said by direction words)."""
    magnitude = abs(x) if not signed else x
    if magnitude >= 0:
        return [digits(magnitude), *number_words(magnitude)]
    plain = [digits(-magnitude), *number_words(-magnitude)]
    return [digits(magnitude)] + [f"{sign} {p}" for sign in ("minus", "negative") for p in plain]


def sayable(x: float) -> bool:
    """Whether the generator can say ``x`` exactly in words as well as digits."""
    return bool(number_words(abs(x)))


# -- slots --------------------------------------------------------------------------
def template_slots(text: str) -> list[tuple[str, str]]:
    """``(name, modifier)`` of every slot of a template text."""
    return TemplateSpec(text=text).slots()


def skeleton_slots(plan: Plan) -> dict[str, tuple[str, str]]:
    """Slot name -> (skill, param) it first fills, for a composite's plan."""
    out: dict[str, tuple[str, str]] = {}
    for task in plan.tasks:
        for pname, value in task.args.items():
            if isinstance(value, str):
                m = SLOT.fullmatch(value)
                if m:
                    out.setdefault(m.group(1), (task.skill, pname))
    return out


# -- generic phrasings (any catalog) -----------------------------------------------------
#: Name pools for string parameters of catalogs without a phrasebook.
GENERIC_NAMES: dict[str, list[str]] = {
    "person": ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "henry",
               "james chen", "linda park", "omar haddad", "dr. kim", "dr. brown", "nurse jones", "nurse kelly",
               "mr. smith", "mrs. white", "ms. davis", "officer reed", "grandma", "uncle ben"],
    "object": ["cup", "book", "box", "bottle", "bag", "ball", "towel", "plate", "basket", "lamp",
               "blue mug", "red box", "water bottle", "tool kit", "notebook", "gloves", "spare batteries",
               "clean sheets", "first aid kit"],
    "word": ["alpha", "bravo", "north", "south", "main", "spare", "left one", "big one", "station one",
             "zone a", "zone b", "sector seven", "the blue one", "home base"],
}
#: Parameter-name hints -> domain (first hit wins); anything else is a "word".
DOMAIN_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("text", ("text", "message", "sentence", "note", "content", "body", "phrase", "speech", "caption", "prompt")),
    ("ref", ("attachment", "photo_id", "image_id", "file_id")),
    ("person", ("person", "recipient", "who", "user", "contact", "name")),
    ("object", ("object", "item", "thing", "target")),
)
#: Parameter-name suffixes -> units said after a number.
UNIT_HINTS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("_mps", ("meter per second", "meters per second")),
    ("_m", ("meter", "meters")),
    ("_deg", ("degree", "degrees")),
    ("_s", ("second", "seconds")),
    ("seconds", ("second", "seconds")),
    ("_min", ("minute", "minutes")),
    ("minutes", ("minute", "minutes")),
    ("_pct", ("percent", "percent")),
    ("percent", ("percent", "percent")),
)
#: Words of units: a description's "5 metres" names no value.
UNIT_NAMES = {w for _, pair in UNIT_HINTS for unit in pair for w in unit.split()} | {
    "metre", "metres", "m", "deg", "s", "min", "percent", "%"}
GENERIC_WITH_ARGS = (
    "{base} ({args})", "please {base}, {args}", "{base}: {args}", "{name} {args}", "{name} with {args_with}",
    "i need you to {base}, with {args_with}", "{base}, {args}", "{name}: {args}", "{base} using {args_using}",
    "go ahead and {name}, {args}", "{name} now, {args}",
)
GENERIC_NO_ARGS = (
    "{base}", "{name}", "{name} now", "please {base}", "i need you to {base}", "{base} right away",
    "go ahead and {name}", "{name} for me", "time to {name}", "{base}, thanks",
)


def infer_domain(pname: str) -> str:
    """The name pool of a string parameter, guessed from its name."""
    lowered = pname.lower()
    for domain, hints in DOMAIN_HINTS:
        if any(h in lowered for h in hints):
            return domain
    return "word"


def generic_values(p: Param) -> list[float]:
    """Numbers within a parameter's bounds that can be said exactly."""
    lo = p.minimum if p.minimum is not None else (0 if p.maximum is None or p.maximum > 0 else p.maximum - 20)
    hi = p.maximum if p.maximum is not None else lo + 20
    step = 0.5 if p.type == "number" and hi - lo <= 5 else 1
    count = int((hi - lo) / step)
    stride = max(1, count // 40)
    first = lo if step == 0.5 else int(-(-lo // 1))
    values = [first + i * step * stride for i in range(count // stride + 1)]
    values = [int(v) if is_integral(v) else v for v in values if lo <= v <= hi and sayable(v)]
    return values or [lo]


#: Opposite directions a signed number may be said with: (hints, words said) for the
#: usual positive side, then the same for the negative side.
DIRECTION_PAIRS: tuple[tuple[tuple[str, ...], list[str], tuple[str, ...], list[str]], ...] = (
    (("left", "counter-clockwise", "counterclockwise", "anticlockwise"), ["left", "counterclockwise"],
     ("right", "clockwise"), ["right", "clockwise"]),
    (("forward", "forwards", "ahead"), ["forward", "ahead"], ("backward", "backwards", "back", "reverse"),
     ["back", "backward"]),
    (("up", "climb", "climbs", "raise", "higher", "altitude", "height"), ["up"],
     ("down", "descend", "descends", "lower"), ["down"]),
    (("north", "northward"), ["north"], ("south", "southward"), ["south"]),
    (("east", "eastward"), ["east"], ("west", "westward"), ["west"]),
)
_SIGN_SAID = 3  # a direction word at most this many words after "negative"/"positive" is that sign's
#: Verbs that say a direction of a distance on their own ("climb 5 m", "descend 5 m"), by the direction word.
DIRECTION_VERBS: dict[str, list[str]] = {"up": ["climb", "ascend", "rise"], "down": ["descend", "drop", "sink"],
                                         "back": ["reverse", "back up"]}


def generic_param_spec(pname: str, p: Param, skill: Skill | None = None) -> ParamSpec:
    if p.type == "string":
        return ParamSpec(domain=infer_domain(pname))
    if p.type in ("number", "integer"):
        spec = ParamSpec(values=generic_values(p), units=_units(pname), words=direction_words(pname, p),
                         cues=direction_verbs(pname, p))
        numbers = [n for n, q in skill.params.items() if q.type in ("number", "integer")] if skill else []
        text = p.description + (f"; {skill.description}" if skill and numbers == [pname] else "")
        described = described_values(text, p)
        numbered = role(pname, p) == "number" and p.type == "integer"  # "drawer 2", "floor -1"
        named = {v: described.get(v, []) + (ordinal_names(v) if numbered else []) for v in spec.values or []}
        spec.named = {v: names for v, names in named.items() if names}
        return spec
    return ParamSpec()


#: Words for one end of a range and for the other ("1 (top) to 4": 4 is the bottom drawer).
OPPOSITE_ENDS = {"top": "bottom", "bottom": "top", "first": "last", "last": "first", "front": "back",
                 "back": "front", "upper": "lower", "lower": "upper", "highest": "lowest", "lowest": "highest"}
_NUM = r"(-?\d+(?:\.\d+)?)"
#: "1 (top) to 4", "1 (top)"
_END_SAID = re.compile(_NUM + r" \((\w+)\)(?: to " + _NUM + ")?")
#: "-1 is the basement", "0 the ground floor", "0 for any free drawer", "0 looks at the horizon"
_VALUE_SAID = re.compile(_NUM + r" (?:is |means |for |looks at |looks |points at |points )?((?:the |a |an |any )?"
                         r"[a-z][a-z' ]*)")


def described_values(text: str, p: Param) -> dict[float, list[str]]:
    """The values a description names, with their names: "floor number, -1 is the
    basement and 0 the ground floor" -> {-1: ["the basement"], 0: ["the ground floor"]};
    "1 is the top drawer" also names the other end of the bounds ("the bottom drawer");
    "1 (top) to 4" -> {1: ["the top {n}"], 4: ["the bottom {n}"]} ({n}: the noun said)."""
    out: dict[float, list[str]] = {}
    lo, hi = p.minimum, p.maximum

    def add(value: float, name: str) -> None:
        if (lo is None or value >= lo) and (hi is None or value <= hi) and 0 < len(name.split()) <= 4:
            out.setdefault(float(value), []).append(name)
        words = name.split()
        end = next((w for w in words if w in OPPOSITE_ENDS), None)
        other = hi if value == lo else lo if value == hi else None
        if end and other is not None and float(other) not in out:
            out[float(other)] = [" ".join(OPPOSITE_ENDS[w] if w == end else w for w in words)]
    for clause in re.split(r"[,;:.]|\band\b|\bor\b|\bwhile\b", text.lower()):
        clause = clause.strip()
        if m := _END_SAID.search(clause):
            add(float(m.group(1)), f"the {m.group(2)} {{n}}")
            if m.group(3) and m.group(2) in OPPOSITE_ENDS:
                out.setdefault(float(m.group(3)), [f"the {OPPOSITE_ENDS[m.group(2)]} {{n}}"])
        elif (m := _VALUE_SAID.fullmatch(clause)) and not set(m.group(2).split()) & UNIT_NAMES:
            add(float(m.group(1)), m.group(2).strip())
    return out


def ordinal_names(value: float) -> list[str]:
    """"the fourth {n}", "the 4th {n}" for a thing numbered ``value`` (1 to 12)."""
    if not (1 <= value <= len(ORDINALS)) or not float(value).is_integer():
        return []
    k = int(value)
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return [f"the {ORDINALS[k - 1]} {{n}}", f"the {k}{suffix} {{n}}"]


def _units(pname: str) -> list[tuple[str, str]]:
    return next(([u] for suffix, u in UNIT_HINTS if pname.lower().endswith(suffix)), [])


def direction_verbs(pname: str, p: Param) -> dict[str, list[str]]:
    """Verbs that say the sign of a signed distance on their own, by sign ("climb" /
    "descend" for ``delta_m``); {} for anything but a distance: nobody climbs 5 degrees."""
    if ("meter", "meters") not in _units(pname):
        return {}
    return {sign: verbs for sign, said in direction_words(pname, p).items()
            for verbs in [DIRECTION_VERBS.get(said[0], [])] if verbs}


def direction_words(pname: str, p: Param) -> dict[str, list[str]]:
    """Words for the sign of a number that may be either ("left"/"right"), read from its
    description and name; {} for a number that is not signed or says no direction.

    The description says which side is which ("negative turns right", "negative is
    south"); where it does not, the usual side is positive (left, forward, up, north,
    east). The first pair the description names wins, then the name's."""
    if p.minimum is None or p.maximum is None or not p.minimum < 0 < p.maximum:
        return {}
    desc = _TOKEN.findall(p.description.lower())
    for tokens in (desc, _TOKEN.findall(pname.replace("_", " ").lower())):
        for pos_hints, pos_words, neg_hints, neg_words in DIRECTION_PAIRS:
            if not set(tokens) & set(pos_hints + neg_hints):
                continue
            for i, tok in enumerate(tokens):
                after = set(tokens[i + 1:i + 1 + _SIGN_SAID])
                if tok in ("negative", "positive") and after & set(pos_hints + neg_hints):
                    flipped = (tok == "negative") == bool(after & set(pos_hints))
                    return {"positive": neg_words, "negative": pos_words} if flipped else \
                        {"positive": pos_words, "negative": neg_words}
            return {"positive": pos_words, "negative": neg_words}
    return {}


def _label(pname: str) -> str:
    return pname.replace("_", " ")


#: Set phrases for a choice of a setting, by the choice (each says the choice's own word).
CHOICE_SAYINGS: dict[str, list[str]] = {
    "slow": ["slow down", "slow it down", "take it slow", "go slow"], "fast": ["go fast", "fast, please"],
    "normal": ["back to normal", "go back to normal"], "quiet": ["be quiet", "keep quiet"],
    "loud": ["be loud", "loud, please"], "eco": ["go eco", "save power, eco"],
}


def generic_skill_phrases(skill: Skill, enums: dict[str, list[str]] | None = None) -> SkillPhrases:
    """Everyday phrasings from the skill's name and parameters
    (:func:`agent_node.language.skill_words.natural_templates`); a setting of one
    choice also by set phrases of its values ("slow down": :data:`CHOICE_SAYINGS`)."""
    enums = enums or {}
    directional = frozenset(n for n, p in skill.params.items()
                            if p.type in ("number", "integer") and direction_words(n, p))
    natural: list[Any] = natural_templates(skill, directional)
    required = [n for n, p in skill.params.items() if p.required]
    if natural and len(required) == 1 and required[0] in directional:  # "descend 5 m": the verb says the sign
        name = required[0]
        natural += [{"text": f"{verb} {{{name}}}", "when": {name: sign}}
                    for sign, verbs in direction_verbs(name, skill.params[name]).items() for verb in verbs]
    if natural and len(required) == 1 and enums.get(skill.params[required[0]].type):
        name = required[0]
        natural += [{"text": said, "when": {name: value}} for value in enums[skill.params[name].type]
                    for said in CHOICE_SAYINGS.get(value, [])]
    said = description_clause(skill)
    values = {v.replace("_", " ") for vs in enums.values() for v in vs}
    if natural and said and not any(mentions(f" {said} ", v) for v in values):  # "switch on the uv lamps"
        # (not "drive to the charging bay" for dock: that is also where navigate_to goes)
        natural += [said] + [f"{said} {param_phrase(n, p, False, said.split()[0])}" for n, p in skill.params.items()]
    return SkillPhrases(templates=natural or _described_templates(skill))


#: Where a description's first clause ends ("Switch on the UV lamps and disinfect the room ...").
_CLAUSE_END = re.compile(r"[.;,:()]| and | (?:from )?where | then | until | so | while | on the current ")


def description_clause(skill: Skill) -> str | None:
    """The first clause of the description as a command ("switch on the uv lamps", "drive
    to the charging bay"): people say what a skill does. Only for an action with no
    required parameter, 2 to 8 words, not opened by a direction verb ("descend
    straight down" would read as a distance to descend)."""
    if not skill.resources or any(p.required for p in skill.params.values()):
        return None
    words = _CLAUSE_END.split(skill.description.lower())[0].split()
    verbs = {w for said in DIRECTION_VERBS.values() for v in said for w in v.split()}
    if not 2 <= len(words) <= 8 or words[0] in ("a", "an", "the", "this", "it", "its") or words[0] in verbs:
        return None
    return " ".join(words)


def _described_templates(skill: Skill) -> list[str]:
    """Templates from a skill's description and parameters (required ones, then all)."""
    description = skill.description.strip().rstrip(".").replace("{", "(").replace("}", ")")
    base = description[:1].lower() + description[1:] if description else _label(skill.name)
    name = _label(skill.name)
    variants = [[p for p, spec in skill.params.items() if spec.required]]
    if len(variants[0]) < len(skill.params):
        variants.append(list(skill.params))
    templates: list[str] = []
    for params in variants:
        if not params:
            templates += [t.format(base=base, name=name) for t in GENERIC_NO_ARGS]
            continue
        fields = {
            "base": base, "name": name,
            "args": ", ".join(f"{_label(p)} {{{p}}}" for p in params),
            "args_with": " and ".join(f"{_label(p)} set to {{{p}}}" for p in params),
            "args_using": " and ".join(f"{{{p}}} as the {_label(p)}" for p in params),
        }
        templates += [t.format(**fields) for t in GENERIC_WITH_ARGS]
    return list(dict.fromkeys(templates))


def generic_phrasebook(catalog: Catalog, language: Language | None = None) -> Phrasebook:
    """A complete phrasebook for any catalog, built from descriptions and params."""
    articles = {"object": ["the", "the", "a"], **{type_name: [""] for type_name in catalog.enums}}
    pb = Phrasebook(language=language or reference_language(), names=GENERIC_NAMES, articles=articles)
    return complete(pb, catalog)


# -- loading and validation ---------------------------------------------------------------
def default_phrasebook_path() -> Path:
    return config_path("home_robot_phrases.yaml")


@functools.lru_cache(maxsize=8)
def _read(path: str) -> Phrasebook:
    data = read_yaml(path, PhrasebookError)
    if not isinstance(data, dict):
        raise PhrasebookError(path, ["top level must be a mapping (skills, enums, params, ...)"])
    try:
        return Phrasebook.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"{where}: {err['msg']}")
        raise PhrasebookError(path, problems) from None


def reference_language() -> Language:
    """The language section of the reference phrasebook (connectors, fillers, ...)."""
    language = _read(str(default_phrasebook_path())).language
    assert language is not None, "the reference phrasebook must have a language section"
    return language


@functools.lru_cache(maxsize=1)
def _reference_skill_names() -> frozenset[str]:
    return frozenset(load_catalog().skill_names)


def is_reference_catalog(catalog: Catalog) -> bool:
    """Whether ``catalog`` is the reference home robot's (the same skill names)."""
    return frozenset(catalog.skill_names) == _reference_skill_names()


def load_phrasebook(catalog: Catalog, path: str | Path | None = None) -> Phrasebook:
    """The phrasebook for ``catalog``: the file at ``path`` if given, the reference
    phrasebook for the reference catalog, else the generic fallback. A file is
    checked against the catalog (:class:`PhrasebookError` lists every problem);
    skills it does not cover get generic phrasings, a missing ``language``
    section is the reference one. Results are cached: treat them as read-only."""
    source = None if path is None and not is_reference_catalog(catalog) else str(
        default_phrasebook_path() if path is None else path)
    key = (catalog.model_dump_json(), source)
    if key not in _LOADED:
        if len(_LOADED) >= 16:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = generic_phrasebook(catalog) if source is None else _load(catalog, source)
    return _LOADED[key]


_LOADED: dict[tuple[str, str | None], Phrasebook] = {}


def _load(catalog: Catalog, source: str) -> Phrasebook:
    pb = _read(source).model_copy(deep=True)
    if pb.language is None:
        pb.language = reference_language()
    problems = phrasebook_problems(pb, catalog)
    if problems:
        raise PhrasebookError(source, problems)
    return complete(pb, catalog)


def complete(pb: Phrasebook, catalog: Catalog) -> Phrasebook:
    """Fill in what the phrasebook leaves out: generic skills, param specs, enum forms."""
    for skill in catalog.skills:
        if skill.name not in pb.skills:
            pb.skills[skill.name] = generic_skill_phrases(skill, catalog.enums)
        for pname, p in skill.params.items():
            key = f"{skill.name}.{pname}"
            inferred = generic_param_spec(pname, p, skill)
            spec = pb.params.get(key)
            if spec is None:
                pb.params[key] = inferred
            elif spec.values is None and inferred.values is not None:
                pb.params[key] = spec.model_copy(update={"values": inferred.values})
    for type_name, values in catalog.enums.items():
        forms = pb.enums.setdefault(type_name, {})
        for value in values:
            forms.setdefault(value, [value.replace("_", " ")])
    for domain, pool in GENERIC_NAMES.items():
        pb.names.setdefault(domain, pool)
    return pb


def phrasebook_problems(pb: Phrasebook, catalog: Catalog) -> list[str]:
    """Every way ``pb`` does not fit ``catalog``."""
    out: list[str] = []
    out += _enum_problems(pb, catalog)
    out += _param_problems(pb, catalog)
    for name, phrases in pb.skills.items():
        skill = catalog.skill(name)
        if skill is None:
            out.append(f"skills.{name}: no such skill in the catalog")
            continue
        out += _skill_template_problems(pb, catalog, skill, phrases)
    for i, comp in enumerate(pb.composites, start=1):
        out += _composite_problems(pb, catalog, comp, f"composites[{i}]")
    out += _language_problems(pb)
    return out


def _enum_problems(pb: Phrasebook, catalog: Catalog) -> list[str]:
    out = []
    for type_name, forms in pb.enums.items():
        if type_name not in catalog.enums:
            out.append(f"enums.{type_name}: the catalog has no enum '{type_name}'")
            continue
        for value, said in forms.items():
            if value not in catalog.enums[type_name]:
                out.append(f"enums.{type_name}.{value}: not a value of '{type_name}'")
            elif not said:
                out.append(f"enums.{type_name}.{value}: needs at least one way to say it")
    return out


def _param_problems(pb: Phrasebook, catalog: Catalog) -> list[str]:
    out = []
    known_domains = {*pb.names, *FREE_DOMAINS, *WORLD_DOMAINS, *GENERIC_NAMES}
    for key, spec in pb.params.items():
        skill_name, _, pname = key.partition(".")
        skill = catalog.skill(skill_name)
        p = skill.params.get(pname) if skill else None
        if p is None:
            out.append(f"params.{key}: no such parameter in the catalog (write skill.param)")
            continue
        if spec.domain is not None and spec.domain not in known_domains:
            out.append(f"params.{key}: unknown domain '{spec.domain}' (add it under names)")
        if spec.values == []:
            out.append(f"params.{key}: 'values' is empty (leave it out for generic values)")
        for v in spec.values or []:
            if (p.minimum is not None and v < p.minimum) or (p.maximum is not None and v > p.maximum):
                out.append(f"params.{key}: value {digits(v)} is outside the bounds of the catalog")
            elif p.type == "integer" and not is_integral(v):
                out.append(f"params.{key}: value {digits(v)} is not an integer")
            elif not sayable(v):
                out.append(f"params.{key}: value {digits(v)} cannot be said exactly in words")
        for bad in set(spec.words) - {*SIGNS, "true", "false"}:
            out.append(f"params.{key}: words key '{bad}' must be positive/negative or true/false")
        if set(spec.words) & set(SIGNS) and not spec.directional:
            out.append(f"params.{key}: direction words need both 'positive' and 'negative'")
        for value in spec.exclude:
            if value not in catalog.enums.get(p.value_type, []):
                out.append(f"params.{key}: excluded value '{value}' is not a value of '{p.type}'")
    return out


#: Slot name -> (skill, param name, Param) it fills.
Owners = dict[str, tuple[str, str, Param]]


def _slot_problems(pb: Phrasebook, catalog: Catalog, where: str, template: TemplateSpec, owners: Owners,
                   required: set[str]) -> list[str]:
    """Problems of one template whose slots may fill the parameters in ``owners``."""
    out = []
    said = {*template.slot_names(), *template.when}
    for name, mod in template.slots():
        if name in pb.context:
            continue
        if name not in owners:
            out.append(f"{where}: unknown slot '{{{name}}}' in {template.text!r}")
            continue
        skill, pname, p = owners[name]
        if mod and mod not in MODIFIERS:
            out.append(f"{where}: unknown modifier ':{mod}' in {template.text!r} (known: {', '.join(MODIFIERS)})")
        elif mod == "num" and p.type not in ("number", "integer"):
            out.append(f"{where}: ':num' on non-number slot '{name}' in {template.text!r}")
        elif mod == "in" and not catalog.is_enum(p.type):
            out.append(f"{where}: ':in' on non-enum slot '{name}' in {template.text!r}")
        elif mod == "dir" and not pb.spec(skill, pname).directional:
            out.append(f"{where}: ':dir' on '{name}', which has no direction words, in {template.text!r}")
    for name in sorted(required - said):
        out.append(f"{where}: template {template.text!r} does not say required '{{{name}}}'")
    for name, fixed in template.when.items():
        p = owners[name][2] if name in owners else None
        if p is not None and catalog.is_enum(p.type) and fixed in catalog.enums[p.type]:
            continue
        wanted = ("boolean",) if isinstance(fixed, bool) else ("number", "integer") if fixed in SIGNS else ("enum",)
        if p is None or p.type not in wanted:
            out.append(f"{where}: 'when' fixes '{name}' to {fixed!r}, which needs a {wanted[0]} parameter")
    return out


def _skill_template_problems(pb: Phrasebook, catalog: Catalog, skill: Skill, phrases: SkillPhrases) -> list[str]:
    where = f"skills.{skill.name}"
    owners = {pname: (skill.name, pname, p) for pname, p in skill.params.items()}
    required = {pname for pname, p in skill.params.items() if p.required}
    out = [problem for t in phrases.templates for problem in _slot_problems(pb, catalog, where, t, owners, required)]
    if phrases.merge is not None and phrases.merge not in skill.params:
        out.append(f"{where}.merge: '{phrases.merge}' is not a parameter of {skill.name}")
    elif phrases.merge is not None:
        out += [problem for t in phrases.merged
                for problem in _slot_problems(pb, catalog, f"{where}.merged", t, owners, required | {phrases.merge})]
    elif phrases.merged:
        out.append(f"{where}.merged: needs 'merge' (the parameter said as 'A and B')")
    return out


def _placeholder(p: Param, catalog: Catalog) -> Any:
    """A type-correct stand-in value, to check a composite's plan."""
    if catalog.is_enum(p.type):
        return catalog.enums[p.type][0]
    if p.type == "array":
        return [catalog.enums[p.items][0] if catalog.is_enum(p.items) else "x"] * max(1, p.minItems or 1)
    stand_ins = {"string": "x", "boolean": True, "integer": int(p.minimum or 1),
                 "number": p.minimum if p.minimum is not None else 1.0}
    return stand_ins[p.type]


def _fill_placeholders(plan: Plan, catalog: Catalog) -> Plan:
    """The plan with every ``"{slot}"`` value replaced by a type-correct stand-in."""
    def fill(skill_name: str, pname: str, value: Any) -> Any:
        skill = catalog.skill(skill_name)
        param = skill.params.get(pname) if skill else None
        is_slot = isinstance(value, str) and SLOT.fullmatch(value)
        return _placeholder(param, catalog) if param is not None and is_slot else value

    return Plan.of(*[(t.skill, {k: fill(t.skill, k, v) for k, v in t.args.items()}) for t in plan.tasks])


def _composite_problems(pb: Phrasebook, catalog: Catalog, comp: Composite, where: str) -> list[str]:
    try:
        plan = comp.skeleton()
    except PlanParseError as e:
        return [f"{where}.plan: {e}"]
    out = [f"{where}.plan: {p}" for p in check_plan(_fill_placeholders(plan, catalog), catalog).problems]
    if out:
        return out
    slots = skeleton_slots(plan)
    owners = {name: (skill, pname, catalog.skill(skill).params[pname])  # type: ignore[union-attr]
              for name, (skill, pname) in slots.items()}
    inline = {m.group(1) for t in plan.tasks for v in t.args.values() if isinstance(v, str) and not SLOT.fullmatch(v)
              for m in SLOT.finditer(v)}
    out += [f"{where}.plan: '{{{name}}}' inside a text is no slot of the plan" for name in sorted(inline - set(slots))]
    for t in comp.templates:
        out += _slot_problems(pb, catalog, where, t, owners, set(slots))
    return out


def _language_problems(pb: Phrasebook) -> list[str]:
    lang = pb.lang
    out = []
    for key in ("true", "false"):
        if not lang.booleans.get(key):
            out.append(f"language.booleans: needs '{key}' words")
    for group, items in (("connectors", lang.connectors), ("question_connectors", lang.question_connectors),
                         ("chain_connectors", lang.chain_connectors)):
        out += [f"language.{group}: {c!r} needs {{a}} and {{b}}" for c in items if "{a}" not in c or "{b}" not in c]
    out += [f"language.polite: {p!r} needs {{x}}" for p in lang.polite if "{x}" not in p]
    ood = lang.out_of_domain
    out += [f"language.out_of_domain.templates: {t!r} needs {{request}}" for t in ood.templates
            if "{request}" not in t]
    for topic, requests in ood.topics.items():
        for r in requests:
            for name, _ in template_slots(r):
                if name not in ood.fills:
                    out.append(f"language.out_of_domain.topics.{topic}: {r!r} uses '{{{name}}}', not under fills")
    return out
