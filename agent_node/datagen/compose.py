"""Drafting commands from a phrasebook: values drawn and said (:class:`Voice`) and
segments of every kind composed into one command (:class:`Composer`)."""


from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from agent_node.catalog.skills import Catalog, Param
from agent_node.catalog.values import INLINE_REF, renumber_refs
from agent_node.language.phrasebook import (
    FREE_DOMAINS,
    SLOT,
    Composite,
    Phrasebook,
    TemplateSpec,
    digits,
    number_words,
    skeleton_slots,
)
from agent_node.language.skill_words import MEDIA_WORDS, MOTION, UNIT_WORDS, is_lookup, makes_media, noun_forms
from agent_node.plan.checker import result_fits

if TYPE_CHECKING:
    from tool_adapters.sim.world import World
from agent_node.datagen.samples import KINDS, Call, Kind

#: Probabilities of the surface variations.
P_FILLER, P_POLITE, P_CAPITAL, P_WORDS, P_SPECIAL, P_NEGATIVE, P_WORLD_NAME, P_MERGED = (
    0.15, 0.25, 0.5, 0.4, 0.35, 0.4, 0.8, 0.35)
#: Share of commands with a reason said around them, and the reasons (naming nothing a robot knows).
P_REASON = 0.06
REASONS = ["it's getting dark", "we're in a hurry", "there are people around", "it's a bit noisy", "just in case",
           "it's getting late", "I'm busy right now", "people are sleeping", "no rush", "the boss is coming",
           "we have visitors today", "it's been a long day"]
#: Share of values that have a name said by it ("the basement", "the top drawer", "the 4th floor"), and
#: share of slots of a parameter with named values given one of those ("straight down" for a tilt of -90).
P_NAMED, P_BY_NAME = 0.4, 0.15
#: Share of chains drawn by result type said in one clause that names the look-up's answer.
P_FOLDED_CHAIN = 0.5
#: Share of chains by result type that go to a place looked up and do something there.
P_THERE_CHAIN = 0.3
#: First words of a question (not wrapped in "can you ...").
QUESTION_WORDS = frozenset("what what's how how's who when where where's which will do does did is are can know "
                           "why".split())



# -- drafts ------------------------------------------------------------------------------
@dataclass
class Segment:
    """A piece of a command with the calls it means (``$N`` local to the piece)."""

    text: str
    calls: list[Call]
    question: bool = False
    held: list[str] = field(default_factory=list)


class Infeasible(Exception):
    """A draft whose plan no arrangement of the world lets succeed."""


def join_calls(segments: list[Segment]) -> list[Call]:
    """The calls of several segments as one plan, references renumbered."""
    calls: list[Call] = []
    for seg in segments:
        calls += [(skill, renumber_refs(args, lambda n, k=len(calls): n + k)) for skill, args in seg.calls]
    return calls


# -- values: drawing and saying them ------------------------------------------------------
Binding = tuple[str, str]  # (skill, param), or ("", domain) for a context slot


class Voice:
    """Draws slot values and says them, from a phrasebook and a world's names."""

    def __init__(self, catalog: Catalog, pb: Phrasebook, rng: random.Random, world: World | None):
        self.catalog, self.pb, self.rng = catalog, pb, rng
        self.primary = _world_names(world) if world is not None else {}
        #: How a result cited in free text is said, while a chain says it ("where the box is").
        self.result_words: list[str] = []

    # -- drawing ---------------------------------------------------------------------
    def param(self, binding: Binding) -> Param:
        skill, pname = binding
        if not skill:
            return Param(type="string")
        return self.catalog.skill(skill).params[pname]  # type: ignore[union-attr]

    def domain(self, binding: Binding) -> str | None:
        skill, pname = binding
        return pname if not skill else self.pb.spec(skill, pname).domain

    def name(self, domain: str, taken: set[Any]) -> str:
        """A value of a string domain: free text, or a name, mostly the world's."""
        if domain == "text":
            pool = [t for t in self.pb.lang.texts if t not in taken]
        else:
            primary = [v for v in self.primary.get(domain, []) if v not in taken]
            extra = [v for v in self.pb.names.get(domain, []) if v not in taken and v not in primary]
            pool = primary if primary and (not extra or self.rng.random() < P_WORLD_NAME) else extra
        if not pool:
            raise Infeasible(f"no more names for '{domain}'")
        return self.rng.choice(pool)

    def number(self, binding: Binding, sign: str | None) -> float:
        """A number from the phrasebook's values; a directional one gets ``sign``
        from its direction word, any other is filtered by it."""
        spec = self.pb.spec(*binding)
        values = list(spec.values or [])
        negative = [v for v in values if v < 0]
        if spec.directional and sign == "negative" and negative:  # the bounds' own side: -90 for a tilt of -90..30
            value = self.rng.choice(negative)
        elif spec.directional:
            value = self.rng.choice([v for v in values if v >= 0])
            value = -value if sign == "negative" else value
        else:
            if sign is not None:
                values = [v for v in values if (v > 0) == (sign == "positive") and v != 0] or values
            value = self.rng.choice(values)
        return int(value) if self.param(binding).type == "integer" or float(value).is_integer() else value

    def enum_values(self, binding: Binding, type_name: str) -> list[str]:
        excluded = set(self.pb.spec(*binding).exclude)
        return [v for v in self.catalog.enums[type_name] if v not in excluded]

    def draw(self, binding: Binding, taken: set[Any], sign: str | None = None, fixed: Any = None) -> Any:
        """A value for a slot; ``taken`` values are avoided, ``sign`` restricts a number."""
        if fixed is not None:
            return fixed
        p = self.param(binding)
        if self.catalog.is_enum(p.type) and sign in self.catalog.enums[p.type]:
            return sign  # a template that says the value by itself ("slow down")
        if self.catalog.is_enum(p.type):
            free = [v for v in self.enum_values(binding, p.type) if v not in taken]
            if not free:
                raise Infeasible("no more enum values")
            return self.rng.choice(free)
        if p.type == "array":
            values = self.enum_values(binding, p.items) if self.catalog.is_enum(p.items) else []
            if not values:
                return [self.name("word", taken)]
            k = self.rng.randint(max(1, p.minItems or 1), min(4, len(values)))
            return self.rng.sample(values, k)
        if p.type in ("number", "integer"):
            return self.number(binding, sign)
        if p.type == "boolean":
            return sign if isinstance(sign, bool) else self.rng.random() < 0.5
        return self.name(self.domain(binding) or "word", taken)

    # -- saying ----------------------------------------------------------------------
    def say(self, value: Any, binding: Binding, mod: str) -> str:
        """The words for one value in a slot with modifier ``mod``."""
        if isinstance(value, str) and INLINE_REF.search(value):  # a result, said as "it", "there"...
            if mod == "in" and not self.result_words:
                return "there"
            return self.rng.choice(self.result_words or self.pb.lang.ref_words)
        if isinstance(value, list) and not self.param(binding).type == "array":
            return self.listing([self.say(v, binding, mod) for v in value])
        p = self.param(binding)
        if self.catalog.is_enum(p.type):
            return self.enum_word(p.type, value, mod)
        if p.type == "array":
            bare = "bare" if self.rng.random() < 0.3 else mod
            return self.listing([self.enum_word(p.items or "", v, bare) for v in value], sequence=True)
        if p.type in ("number", "integer"):
            return self.number_words(value, binding, mod)
        if p.type == "boolean":
            return self.rng.choice(self.pb.bool_words(self.pb.spec(*binding), value))
        return self.name_words(value, self.domain(binding) or "word", mod)

    def enum_word(self, type_name: str, value: str, mod: str) -> str:
        form = self.rng.choice(self.pb.enum_forms(type_name, value))
        if mod == "bare":
            return form
        if mod == "in":
            return f"{self.pb.preposition(value)} the {form}"
        article = self.rng.choice(self.pb.articles.get(type_name, ["the"]))
        return f"{article} {form}".strip()

    def name_words(self, value: str, domain: str, mod: str) -> str:
        if domain == "person":
            return value.title() if self.rng.random() < 0.7 else value
        if domain in FREE_DOMAINS or mod == "bare":
            return value
        article = self.rng.choice(self.pb.articles.get(domain, [""]))
        return f"{article} {value}".strip()

    def number_words(self, value: float, binding: Binding, mod: str) -> str:
        spec = self.pb.spec(*binding)
        if mod == "dir":
            return self.rng.choice(spec.words["negative" if value < 0 else "positive"])
        said = abs(value) if spec.directional else value
        special = spec.special.get(float(said))
        if mod != "num" and special and self.rng.random() < P_SPECIAL:
            return self.rng.choice(special)
        words = number_words(abs(said))
        text = self.rng.choice(words) if words and self.rng.random() < P_WORDS else digits(abs(said))
        if said < 0:
            sign = self.rng.choice(["minus ", "negative ", "-"]) if text == digits(abs(said)) else "minus "
            text = sign + text
        if mod == "num" or not spec.units:
            return text
        singular, plural = self.rng.choice(spec.units)
        return f"{text} {singular if abs(said) == 1 else plural}"

    def listing(self, items: list[str], sequence: bool = False) -> str:
        """``a and b``, ``a, b and c`` (``sequence``: also ``a, then b``)."""
        if len(items) == 1:
            return items[0]
        styles = ["and", "oxford"] + (["then"] if sequence else [])
        style = self.rng.choice(styles)
        if style == "then":
            return ", then ".join(items)
        head = ", ".join(items[:-1])
        return f"{head}{',' if style == 'oxford' and len(items) > 2 else ''} and {items[-1]}"

    # -- templates -------------------------------------------------------------------------
    def realise(self, template: TemplateSpec, bindings: dict[str, Binding],
                fixed: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Fill a template: the text and the value of every slot (and ``when`` param)."""
        fixed = dict(fixed or {})
        values: dict[str, Any] = {}
        taken: dict[str, set[Any]] = {}
        dir_slots = {name for name, mod in template.slots() if mod == "dir"}
        said_slots = {name for name, mod in template.slots() if mod not in ("dir", "bare")}
        by_name: dict[str, str] = {}
        for name in [*template.slot_names(), *[n for n in template.when if n not in template.slot_names()]]:
            binding = bindings[name]
            key = self.domain(binding) or self.param(binding).type
            sign: Any = template.when.get(name)
            spec = self.pb.spec(*binding) if binding[0] else None
            if sign is None and spec is not None and spec.directional:
                sign = "negative" if name in dir_slots and self.rng.random() < P_NEGATIVE else "positive"
            named = spec.named if spec is not None and name in said_slots - set(template.when) else {}
            if named and name not in fixed and self.rng.random() < P_BY_NAME:  # "straight down", "the basement"
                fixed[name] = self.rng.choice(list(named))
                by_name[name] = self.rng.choice(named[fixed[name]])
            values[name] = self.draw(binding, taken.setdefault(key, set()), sign, fixed.get(name))
            taken[key].add(values[name] if not isinstance(values[name], list) else tuple(values[name]))
        text = self.numbered_names(template, bindings, values, by_name)
        text = SLOT.sub(lambda m: self.say(values[m.group(1)], bindings[m.group(1)], m.group(2) or ""), text)
        return " ".join(text.split()), values

    def numbered_names(self, template: TemplateSpec, bindings: dict[str, Binding], values: dict[str, Any],
                       by_name: dict[str, str]) -> str:
        """The template's text with the values of ``by_name`` (and some others that have
        names) said by their name in the phrasebook, in place of the whole slot (the noun
        before it, a direction word, a unit after it): "drawer {drawer:num}" as "the top
        drawer", "floor {floor:num}" as "the basement" or "the fourth floor",
        "{pitch_deg:dir} {pitch_deg}" as "straight down"."""
        text = template.text
        for name in {n for n, mod in template.slots() if mod not in ("dir", "bare") and bindings[n][0]}:
            value, spec = values[name], self.pb.spec(*bindings[name])
            names = spec.named.get(float(value)) \
                if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            if name not in by_name and (not names or self.rng.random() >= P_NAMED):
                continue
            said = by_name.get(name) or self.rng.choice(names)
            nouns = noun_forms(" ".join(w for w in name.lower().split("_") if w not in UNIT_WORDS))
            units = [u for pair in spec.units for u in pair]
            slot = re.compile(r"(?:\b(?:the |a )?(%s) )?(?:\{%s:dir\} )?\{%s(?::num)?\}(?: (?:%s)\b)?" % (
                "|".join(map(re.escape, nouns)), name, name, "|".join(map(re.escape, units)) or "$^"))
            to = "to " if said.startswith("the ") and "{%s:dir}" % name in text else ""  # "tilt it to the horizon"
            text = slot.sub(lambda m: to * ("{%s:dir}" % name in m.group(0)) + said.format(n=m.group(1) or nouns[0]),
                            text, count=1)
        return text


def _goes(skill, pname: str) -> bool:
    """Whether ``skill`` moves the robot to its one required parameter ``pname`` (``fly_to(waypoint)``)."""
    required = [n for n, p in skill.params.items() if p.required]
    return bool(skill.resources) and required == [pname] and skill.returns is not None \
        and skill.returns.type == skill.params[pname].value_type


def moves(skill) -> bool:
    """Whether ``skill`` takes the robot elsewhere ("fly_to", "return_home", "ride_elevator", "dock":
    "Drive to the charging bay")."""
    said = [skill.name.split("_")[0], *skill.description.lower().split()[:1], *skill.name.split("_")[1:2]]
    return any(w.lower() in MOTION or w.lower() in ("takeoff", "dock", "home", "ride") for w in said)


def _world_names(world: World) -> dict[str, list[str]]:
    surfaces = sorted({o.surface for o in world.objects.values() if o.surface})
    return {"object": sorted(world.objects), "person": sorted(world.people), "surface": surfaces}


def _fill(value: Any, values: dict[str, Any]) -> Any:
    """A skeleton value with ``"{slot}"`` replaced by the slot's value (and ``{slot}`` inside text)."""
    if isinstance(value, str):
        m = SLOT.fullmatch(value)
        if m:
            return values[m.group(1)]
        return SLOT.sub(lambda m: str(values.get(m.group(1), m.group(0))).replace("_", " "), value)
    return value


# -- the composer --------------------------------------------------------------------------
class Composer:
    """Builds draft segments of every kind for one catalog and phrasebook."""

    def __init__(self, catalog: Catalog, pb: Phrasebook, rng: random.Random, world: World | None):
        self.catalog, self.pb, self.rng = catalog, pb, rng
        self.voice = Voice(catalog, pb, rng, world)
        self.combinable = [s.name for s in catalog.skills if pb.skills[s.name].combine]
        self.mergeable = [s for s, ph in pb.skills.items() if ph.merge and ph.merged]
        self.chains = [c for c in pb.composites if c.kind == "chain"]
        self.bodies = [c for c in pb.composites if c.kind == "body"]
        self.pairs = [] if self.chains else type_pairs(catalog, pb)
        # a look-up of a place and the skill that goes there; what is done where the robot is
        self.goers = [(p, c, n) for p, c, n in self.pairs if is_lookup(catalog.skill(p)) and _goes(catalog.skill(c), n)]
        places = {catalog.skill(c).params[n].value_type for _, c, n in self.goers}
        self.there = [s.name for s in catalog.skills if s.resources and s.name in self.combinable and not moves(s)
                      and not any(p.required and p.value_type in places for p in s.params.values())]
        self.topics = ood_topics(catalog, pb)
        self.builders: dict[Kind, Callable[[], list[Segment]]] = {
            "single": lambda: [self.single()], "parallel": self.parallel, "chain": lambda: [self.chain()],
            "body": lambda: [self.body()], "mix": self.mix, "none": lambda: [self.none()],
        }

    def available(self) -> list[Kind]:
        """The kinds this catalog and phrasebook can produce."""
        missing = {"chain": not (self.chains or self.pairs), "body": not self.bodies,
                   "parallel": len(self.combinable) < 2 and not self.mergeable}
        return [k for k in KINDS if not missing.get(k, False)]

    # -- one call ---------------------------------------------------------------------
    def single(self, skill: str | None = None, fixed: dict[str, Any] | None = None,
               template: TemplateSpec | None = None) -> Segment:
        skill = skill or self.rng.choice(self.catalog.skill_names)
        phrases = self.pb.skills[skill]
        template = template or self.rng.choice(phrases.templates)
        params = self.catalog.skill(skill).params  # type: ignore[union-attr]
        bindings = self._bindings(skill, template, params)
        text, values = self.voice.realise(template, bindings, fixed)
        args = {name: values[name] for name in params if name in values}
        held = [values[n] for n in template.slot_names() if n in self.pb.context]
        return Segment(text.rstrip("?"), [(skill, args)], template.question, held)

    def _bindings(self, skill: str, template: TemplateSpec, params: dict[str, Param]) -> dict[str, Binding]:
        out: dict[str, Binding] = {}
        for name in [*template.slot_names(), *template.when]:
            out[name] = (skill, name) if name in params else ("", self.pb.context.get(name, name))
        return out

    # -- several independent calls ----------------------------------------------------------
    def parallel(self) -> list[Segment]:
        if self.mergeable and (len(self.combinable) < 2 or self.rng.random() < P_MERGED):
            return [self.merged()]
        k = 2 if self.rng.random() < 0.7 or len(self.combinable) < 3 else 3
        return [self.single(skill) for skill in self.rng.sample(self.combinable, k)]

    def merged(self) -> Segment:
        """One phrase for a skill called with 2-3 values of its ``merge`` parameter."""
        skill = self.rng.choice(self.mergeable)
        phrases = self.pb.skills[skill]
        template = self.rng.choice(phrases.merged)
        merge = phrases.merge or ""
        params = self.catalog.skill(skill).params  # type: ignore[union-attr]
        bindings = self._bindings(skill, template, params)
        taken: set[Any] = set()
        many = []
        for _ in range(2 if self.rng.random() < 0.75 else 3):
            many.append(self.voice.draw((skill, merge), taken))
            taken.add(many[-1])
        text, values = self.voice.realise(template, bindings, {merge: many})
        calls = [(skill, {n: (v if n == merge else values[n]) for n in params if n in values}) for v in many]
        return Segment(text.rstrip("?"), calls, template.question)

    # -- composites ------------------------------------------------------------------------
    def composite(self, kind: str, comp: Composite | None = None) -> Segment:
        """A composite of ``kind`` drawn from the phrasebook's (or ``comp``), said."""
        comp = comp or self.rng.choice(self.chains if kind == "chain" else self.bodies)
        skeleton = comp.skeleton()
        bindings: dict[str, Binding] = dict(skeleton_slots(skeleton))
        template = self.rng.choice(comp.templates)
        for name in template.slot_names():
            bindings.setdefault(name, ("", self.pb.context.get(name, name)))
        text, values = self.voice.realise(template, bindings)
        calls = [(t.skill, {k: _fill(v, values) for k, v in t.args.items()}) for t in skeleton.tasks]
        held = [values[n] for n in template.slot_names() if n in self.pb.context]
        return Segment(text.rstrip("?"), calls, template.question, held)

    def chain(self) -> Segment:
        """A composite of the phrasebook, or without any a look-up feeding a skill by
        the type of its result (and sometimes an action done where it led)."""
        if self.chains:
            return self.composite("chain")
        if self.goers and self.there and self.rng.random() < P_THERE_CHAIN:
            return self.there_chain()
        return self.typed_chain()

    def there_chain(self) -> Segment:
        """A look-up of a place, going there, and an action done there: said with the going
        ("find a landing spot, fly there and land") or without it ("find somewhere to land
        and land there": the robot must still go there first); or an action said of a
        place, which is gone to first ("take a photo of the orchard")."""
        producer, goer, pname = self.rng.choice(self.goers)
        third = self.single(self.rng.choice(self.there))
        done = " ".join(w for w in third.text.split() if w not in ("here", "there"))  # "land there", not "here there"
        if self.rng.random() < 0.3:  # "take a photo of the orchard": going there is said by the place alone
            second = self.single(goer)
            value = second.calls[0][1][pname]
            type_name = self.catalog.skill(goer).params[pname].value_type
            media = makes_media(self.catalog.skill(third.calls[0][0]))
            prep = self.rng.choice(["at", self.pb.preposition(value)] + ["of", "of"] * media)
            place = self.voice.enum_word(type_name, value, "bare")
            place = f"the {place}" if self.rng.random() < 0.6 and not place.startswith("the ") else place
            return Segment(f"{done} {prep} {place}", [second.calls[0], third.calls[0]])
        first = self.single(producer)
        second = self.single(goer, {pname: "$1"})
        calls = [first.calls[0], second.calls[0], third.calls[0]]
        if self.rng.random() < 0.5:
            text = self.rng.choice(["{a} and {c} there", "{a}, then {c} there", "{a} and {c} over there"])
        else:
            text = self.rng.choice(["{a}, {b} and {c}", "{a}, then {b} and {c} there", "{a} and {b}, then {c}"])
        return Segment(text.format(a=first.text, b=second.text, c=done), calls)

    def body(self) -> Segment:
        return self.composite("body")

    def typed_chain(self) -> Segment:
        """Producer then consumer, joined by a result of a fitting type (any catalog):
        said as two steps ("where is Bob, then go there") or, for a look-up of a named
        thing or a message of a look-up's answer, folded into the consumer's words
        ("go to wherever Bob is", "text Ann your battery level")."""
        producer, consumer, pname = self.rng.choice(self.pairs)
        first = self.single(producer)
        spec = self.pb.spec(consumer, pname)
        text_slot = spec.domain == "text"
        value = "The result is $1." if text_slot else "$1"
        templates = [t for t in self.pb.skills[consumer].templates
                     if any(name == pname and mod != "bare" for name, mod in t.slots())]
        if not templates:
            raise Infeasible(f"no phrasing of {consumer} says {pname} as a result")
        answer = result_phrases(self.catalog.skill(producer), first.calls[0][1], place=not text_slot)
        fold = bool(answer) and self.rng.random() < P_FOLDED_CHAIN
        self.voice.result_words = answer if fold or text_slot else []
        if spec.domain == "ref":  # "send the video to Jake", "send it to Emma"
            media = [w for w in producer.split("_") if w in MEDIA_WORDS]
            self.voice.result_words = [f"the {n}" for n in noun_forms(" ".join(media[:1]))] * 2 + ["it"] \
                if media else []
        try:
            second = self.single(consumer, {pname: value}, self.rng.choice(templates))
        finally:
            self.voice.result_words = []
        calls = [first.calls[0], second.calls[0]]
        if fold:
            return Segment(second.text, calls, second.question)
        text = self.rng.choice(self.pb.lang.chain_connectors).format(a=first.text, b=second.text)
        return Segment(text, calls, first.question or second.question)

    # -- longer mixes ---------------------------------------------------------------------------
    def mix(self) -> list[Segment]:
        """2+ segments (singles, chains, bodies, merged) of 4-7 calls in all (the
        count drawn uniformly); singles fill up what larger pieces leave."""
        target = self.rng.randint(4, 7)
        optional = {"chain": self.chain, "body": self.body, "parallel": self.merged if self.mergeable else None}
        makers = [self._combinable_single] + [m for k, m in optional.items() if m and k in self.available()]
        parts: list[Segment] = []
        for _ in range(6):
            seg = self.rng.choice(makers)()
            room = target - sum(len(p.calls) for p in parts) - (0 if parts else 1)
            if len(seg.calls) <= room:
                parts.append(seg)
        while sum(len(p.calls) for p in parts) < target:
            parts.append(self._combinable_single())
        return parts

    def _combinable_single(self) -> Segment:
        return self.single(self.rng.choice(self.combinable))

    # -- nothing to do ----------------------------------------------------------------------------
    def none(self) -> Segment:
        """An out-of-domain request (a question is asked as is, a request may be wrapped)."""
        ood = self.pb.lang.out_of_domain
        request = self.rng.choice(ood.topics[self.rng.choice(self.topics)])
        request = SLOT.sub(lambda m: self.rng.choice(ood.fills[m.group(1)]), request)
        if request.split()[0] in QUESTION_WORDS:
            return Segment(request, [], question=True)
        text = self.rng.choice(ood.templates).format(request=request)
        return Segment(text.rstrip("?"), [], text.endswith("?"))

    # -- the whole command ----------------------------------------------------------------------------
    def command(self, segments: list[Segment]) -> str:
        """Join segments with connectors, then add politeness, fillers and punctuation."""
        lang, rng = self.pb.lang, self.rng
        text, question = segments[0].text, segments[0].question
        for seg in segments[1:]:
            pool = lang.question_connectors if question or seg.question else lang.connectors
            pool = [c for c in pool if not c.startswith("first ") or not text.startswith("first ")] or pool
            text = rng.choice(pool).format(a=text, b=seg.text)  # never "first first ..."
            question = seg.question
        polite_ok = not any(s.question for s in segments) and segments[0].calls
        if polite_ok and rng.random() < P_POLITE:
            wrapped = rng.choice(lang.polite).format(x=text)
            question = wrapped.endswith("?")
            text = wrapped.rstrip("?")
        if polite_ok and rng.random() < P_REASON:  # "it's getting dark, switch the light on": a reason changes nothing
            said = rng.choice(["{r}, {x}", "{x}, {r}", "{x}, {r}", "{x} because {r}"])
            text = said.format(r=rng.choice(REASONS), x=text)
        if rng.random() < P_FILLER:
            text = f"{rng.choice(lang.fillers)} {text}"
        elif rng.random() < P_CAPITAL:
            text = text[:1].upper() + text[1:]
        end = rng.choice(["?", "?", "?", ""]) if question else rng.choice(["", "", ".", ".", "!"])
        return text.rstrip(" ,.;") + end


def type_pairs(catalog: Catalog, pb: Phrasebook) -> list[tuple[str, str, str]]:
    """(producer, consumer, param): the producer's result can fill the param,
    by type (a ``location`` fills a ``location``), cited in free text, or attached
    (a photo's id). Free text cites only a look-up's answer ("text Bob the battery
    level"), and a number or a flag goes nowhere else: nobody turns by the battery
    level or waits as long as a drive was. A typed value comes only from a look-up
    or a skill that holds no resource."""
    out = []
    for producer in catalog.skills:
        if producer.returns is None:
            continue
        scalar = producer.returns.type in ("number", "integer", "boolean")
        for consumer in (c for c in catalog.skills if c.name != producer.name):
            for pname, p in consumer.params.items():
                free_text = p.type == "string" and pb.spec(consumer.name, pname).domain == "text"
                typed = p.type != "string" and result_fits(producer.returns, p.type, p.items, catalog.enums) is None
                told = is_lookup(producer)
                typed = typed and (told or not producer.resources)  # "go to the lab, then report at it": the lab
                attachment = p.type == "string" and pb.spec(consumer.name, pname).domain == "ref" \
                    and producer.returns.type == "string" and makes_media(producer)
                if (free_text and not told) or (scalar and not free_text):
                    continue  # only a look-up's answer is told; an action's result is not news
                if attachment:
                    typed = True
                said = any(pname in t.slot_names() for t in pb.skills[consumer.name].templates)
                if (free_text or typed) and said:
                    out.append((producer.name, consumer.name, pname))
    return out


def result_phrases(producer, args: dict[str, Any], place: bool = False) -> list[str]:
    """How a person names a look-up's answer in a message ("the battery", "where bob
    is", "your battery level"); ``place``: as the place to go or act in ("wherever bob
    is"), only for a look-up of a named thing ([] otherwise)."""
    words = producer.name.lower().split("_")
    thing = " ".join(words[1:]) or words[0]
    said = [str(v).replace("_", " ") for v in args.values()
            if isinstance(v, (str, int)) and not isinstance(v, bool) and not INLINE_REF.search(str(v))]
    if place:
        if words[0] in ("find", "locate", "where") and said:
            return [f"where {said[0]} is", f"wherever {said[0]} is", f"where {said[0]} is right now"]
        return []
    if words[0] in ("find", "locate", "where") and said:
        return [f"where {said[0]} is", f"where {said[0]} is right now", f"where you found {said[0]}",
                f"{said[0]}'s location"]
    if words[0] in ("find", "locate", "where"):
        return [f"the {thing} you found", f"where the {thing} is"]
    if words[0] in ("check", "list", "count") and said:
        name = said[0] if thing in said[0].split() else f"{thing} {said[0]}"
        if producer.returns.type == "array":  # the contents of something
            return [f"what's in {name}", f"what {name} holds", "what you found"]
        return [f"the state of {name}", f"what {name} shows", "what you found"]
    if words[0] in ("get", "read", "check", "measure"):
        return [f"the {thing}", f"the {thing} reading", f"what the {thing} is", f"your {thing}",
                f"your {thing} level", f"what your {thing} is at"]
    return ["what you found", "the answer"]


def ood_topics(catalog: Catalog, pb: Phrasebook) -> list[str]:
    """Out-of-domain topics, less those a skill of this catalog is about."""
    vocabulary = {w for s in catalog.skills for w in s.name.lower().split("_")}
    ood = pb.lang.out_of_domain
    topics = [t for t in ood.topics if not vocabulary & set(ood.keywords.get(t, []))]
    return topics or list(ood.topics)
