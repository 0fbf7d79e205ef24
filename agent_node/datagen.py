"""Verified synthetic commands and plans (APIGen-style), for ToolRAG and planners.

:func:`generate` draws commands from a phrasebook (see
:mod:`agent_node.phrasebook`) with the plan each one means, arranges the world
each plan needs (:class:`Setup`), and keeps only samples that pass the three
checks of :mod:`agent_node.verify` (format, execution, meaning). Kinds:

- ``single``: one call; ``parallel``: 2-3 independent calls joined by
  connectors, or one phrase for a skill called with several values;
- ``chain``: results flow through ``$N`` (from the phrasebook's chain
  composites, or for any catalog, producer/consumer pairs by type);
- ``body``: the robot carries things (go, pick, go, place / hand over);
- ``mix``: 4-7 calls combining the above; ``none``: out-of-domain requests,
  whose plan is empty.

Deterministic for a seed. ``agent-datagen`` (:func:`main`) writes JSONL: one
``{"id", "command", "plan": [{"skill", "args"}], "kind", "setup"}`` per line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from agent_node.catalog import Catalog, CatalogError, Param, load_catalog
from agent_node.checker import result_fits
from agent_node.phrasebook import (
    FREE_DOMAINS, SLOT, Phrasebook, PhrasebookError, TemplateSpec, digits, is_reference_catalog,
    load_phrasebook, number_words, skeleton_slots,
)
from agent_node.plan import Plan
from agent_node.values import INLINE_REF, renumber_refs, whole_ref

if TYPE_CHECKING:
    from tool_adapters.sim.world import World

Kind = Literal["single", "parallel", "chain", "body", "mix", "none"]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: The default share of each kind.
DEFAULT_MIX: dict[Kind, float] = {"single": 0.30, "parallel": 0.16, "chain": 0.20, "body": 0.14, "mix": 0.12,
                                  "none": 0.08}
#: Probabilities of the surface variations.
P_FILLER, P_POLITE, P_CAPITAL, P_WORDS, P_SPECIAL, P_NEGATIVE, P_WORLD_NAME, P_MERGED = (
    0.15, 0.25, 0.5, 0.4, 0.35, 0.4, 0.8, 0.35)
Call = tuple[str, dict[str, Any]]
#: First words of a question (not wrapped in "can you ...").
QUESTION_WORDS = frozenset("what what's how how's who when where where's which will do does did is are can know "
                           "why".split())


# -- samples -----------------------------------------------------------------------
class PlanCall(BaseModel):
    """One task of a gold plan; task N is the Nth call."""

    model_config = ConfigDict(extra="forbid")

    skill: str
    args: dict[str, Any] = Field(default_factory=dict)


class Setup(BaseModel):
    """What the execution check arranges in the world before running a plan:
    object and person locations (added to the world if unknown), the object
    the robot holds, and where the robot starts."""

    model_config = ConfigDict(extra="forbid")

    objects: dict[str, str] = Field(default_factory=dict)
    people: dict[str, str] = Field(default_factory=dict)
    held: str | None = None
    robot_at: str | None = None


class Sample(BaseModel):
    """A command, the plan it means, its kind and the world it needs."""

    model_config = ConfigDict(extra="forbid")

    id: str
    command: str
    plan: list[PlanCall]
    kind: Kind
    setup: Setup = Field(default_factory=Setup)

    def to_plan(self) -> Plan:
        return Plan.of(*[(c.skill, c.args) for c in self.plan])

    def to_json(self) -> str:
        """One JSONL line, like the development set's plus ``kind`` and ``setup``."""
        data = self.model_dump()
        data["setup"] = self.setup.model_dump(exclude_defaults=True)
        return json.dumps(data, ensure_ascii=False)


@dataclass
class GenerationReport:
    """The verified samples and what it took: kinds, attempts, rejections by
    (check, reason); the "compose" check counts drafts dropped before
    verification (a duplicate command, a plan the world cannot allow)."""

    samples: list[Sample]
    attempts: int = 0
    rejections: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def kinds(self) -> Counter:
        return Counter(s.kind for s in self.samples)


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
        if spec.directional:
            values = [v for v in values if v >= 0]
        elif sign is not None:
            values = [v for v in values if (v > 0) == (sign == "positive") and v != 0] or values
        value = self.rng.choice(values)
        value = -value if spec.directional and sign == "negative" else value
        return int(value) if self.param(binding).type == "integer" or float(value).is_integer() else value

    def enum_values(self, binding: Binding, type_name: str) -> list[str]:
        excluded = set(self.pb.spec(*binding).exclude)
        return [v for v in self.catalog.enums[type_name] if v not in excluded]

    def draw(self, binding: Binding, taken: set[Any], sign: str | None = None, fixed: Any = None) -> Any:
        """A value for a slot; ``taken`` values are avoided, ``sign`` restricts a number."""
        if fixed is not None:
            return fixed
        p = self.param(binding)
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
            return "there" if mod == "in" else self.rng.choice(self.pb.lang.ref_words)
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
        for name in [*template.slot_names(), *[n for n in template.when if n not in template.slot_names()]]:
            binding = bindings[name]
            key = self.domain(binding) or self.param(binding).type
            sign: Any = template.when.get(name)
            spec = self.pb.spec(*binding) if binding[0] else None
            if sign is None and spec is not None and spec.directional:
                sign = "negative" if name in dir_slots and self.rng.random() < P_NEGATIVE else "positive"
            values[name] = self.draw(binding, taken.setdefault(key, set()), sign, fixed.get(name))
            taken[key].add(values[name] if not isinstance(values[name], list) else tuple(values[name]))
        text = SLOT.sub(lambda m: self.say(values[m.group(1)], bindings[m.group(1)], m.group(2) or ""),
                        template.text)
        return " ".join(text.split()), values


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
    def composite(self, kind: str) -> Segment:
        comp = self.rng.choice(self.chains if kind == "chain" else self.bodies)
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
        return self.composite("chain") if self.chains else self.typed_chain()

    def body(self) -> Segment:
        return self.composite("body")

    def typed_chain(self) -> Segment:
        """Producer then consumer, joined by a result of a fitting type (any catalog)."""
        producer, consumer, pname = self.rng.choice(self.pairs)
        first = self.single(producer)
        spec = self.pb.spec(consumer, pname)
        value = "$1" if spec.domain != "text" else "The result is $1."
        templates = [t for t in self.pb.skills[consumer].templates if pname in t.slot_names()]
        second = self.single(consumer, {pname: value}, self.rng.choice(templates))
        text = self.rng.choice(self.pb.lang.chain_connectors).format(a=first.text, b=second.text)
        return Segment(text, [first.calls[0], second.calls[0]], second.question)

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
            text = rng.choice(pool).format(a=text, b=seg.text)
            question = seg.question
        polite_ok = not any(s.question for s in segments) and segments[0].calls
        if polite_ok and rng.random() < P_POLITE:
            wrapped = rng.choice(lang.polite).format(x=text)
            question = wrapped.endswith("?")
            text = wrapped.rstrip("?")
        if rng.random() < P_FILLER:
            text = f"{rng.choice(lang.fillers)} {text}"
        elif rng.random() < P_CAPITAL:
            text = text[:1].upper() + text[1:]
        end = rng.choice(["?", "?", "?", ""]) if question else rng.choice(["", "", ".", ".", "!"])
        return text.rstrip(" ,.;") + end


def type_pairs(catalog: Catalog, pb: Phrasebook) -> list[tuple[str, str, str]]:
    """(producer, consumer, param): the producer's result can fill the param,
    by type (a ``location`` fills a ``location``) or cited in free text."""
    out = []
    for producer in catalog.skills:
        if producer.returns is None:
            continue
        for consumer in (c for c in catalog.skills if c.name != producer.name):
            for pname, p in consumer.params.items():
                free_text = p.type == "string" and pb.spec(consumer.name, pname).domain == "text"
                typed = p.type != "string" and result_fits(producer.returns, p.type, p.items, catalog.enums) is None
                said = any(pname in t.slot_names() for t in pb.skills[consumer.name].templates)
                if (free_text or typed) and said:
                    out.append((producer.name, consumer.name, pname))
    return out


def ood_topics(catalog: Catalog, pb: Phrasebook) -> list[str]:
    """Out-of-domain topics, less those a skill of this catalog is about."""
    vocabulary = {w for s in catalog.skills for w in s.name.lower().split("_")}
    ood = pb.lang.out_of_domain
    topics = [t for t in ood.topics if not vocabulary & set(ood.keywords.get(t, []))]
    return topics or list(ood.topics)


# -- the world a plan needs (reference robot) -------------------------------------------------
class Arrangement:
    """Plays a plan of the reference robot symbolically and arranges the start so
    that every step can succeed: an object to pick is where the robot is, a
    person to hand to stands by the robot, something is held before a place.
    Prefers moving the robot's start, then unfixed objects and people; raises
    :class:`Infeasible` when nothing can. :meth:`play` returns the :class:`Setup`."""

    def __init__(self, world: World, rng: random.Random, held_hints: Iterable[str] = ()):
        self.world, self.rng = world, rng
        self.robot: str | None = world.robot.location
        self.robot_free = True      # the start may still be chosen
        self.held: str | None = world.robot.held
        self.held_free = self.held is None
        self.where: dict[str, str | None] = {}  # "object:x" / "person:y" -> current location; "robot" = held
        self.fixed: set[str] = set()
        self.moved: set[str] = set()
        self.given: set[str] = set()  # objects handed to someone: out of reach
        self.setup = Setup()
        self.results: dict[int, str | None] = {}
        self.hints = list(held_hints)

    def play(self, calls: list[Call]) -> Setup:
        for i, (skill, args) in enumerate(calls, start=1):
            step = getattr(self, f"_{skill}", None)
            self.results[i] = step(args) if step else None
        return self.setup

    # -- names -----------------------------------------------------------------------------
    def _thing(self, kind: str, name: str) -> str:
        """The key of an object/person, added to the world (at a random room) if unknown."""
        key = f"{kind}:{name}"
        if key not in self.where:
            known = self.world.objects if kind == "object" else self.world.people
            if name in known:
                self.where[key] = known[name].location
            else:
                self.where[key] = self.rng.choice(sorted(self.world.rooms))
                self._record(kind, name, self.where[key])
        return key

    def _record(self, kind: str, name: str, location: str | None) -> None:
        if location is not None:
            (self.setup.objects if kind == "object" else self.setup.people)[name] = location

    def _locate(self, key: str) -> str | None:
        loc = self.where[key]
        return self.robot if loc == "robot" else loc

    def _bring_together(self, key: str) -> None:
        """Make the thing ``key`` and the robot share a location (or Infeasible)."""
        kind, name = key.split(":", 1)
        loc = self.where[key]
        if self.robot is None or loc is None:
            raise Infeasible(f"{kind} or robot at an unknown place")
        if self.robot_free:  # the robot has not moved yet: start it there
            self.robot, self.setup.robot_at = loc, loc
        elif loc != self.robot:
            if key not in self.fixed:
                self.where[key] = loc = self.robot
            else:
                raise Infeasible(f"{kind} fixed away from the robot")
        if key not in self.moved:
            self._record(kind, name, loc)
        self.fixed.add(key)
        self.robot_free = False

    def _need_held(self) -> str:
        if self.held is not None:
            return self.held
        if not self.held_free:
            raise Infeasible("hand empty")
        taken = {k.split(":", 1)[1] for k in self.where}
        name = next((h for h in self.hints if h not in taken), None)
        name = name or self.rng.choice(sorted(set(self.world.objects) - taken))
        key = f"object:{name}"
        self.where[key], self.held, self.setup.held = "robot", name, name
        self.fixed.add(key)
        self.moved.add(key)
        self.held_free = False
        return name

    def _go(self, location: str | None) -> None:
        self.robot, self.robot_free = location, False

    def _loc(self, value: Any) -> str | None:
        n = whole_ref(value)
        return self.results.get(n) if n is not None else value

    # -- skills (names match the reference catalog) ----------------------------------------
    def _navigate_to(self, args: dict[str, Any]) -> str | None:
        self._go(self._loc(args["location"]))
        return self.robot

    def _dock(self, args: dict[str, Any]) -> None:
        self._go("charging_dock")

    def _patrol(self, args: dict[str, Any]) -> None:
        self._go(args["route"][-1])

    def _go_to_pose(self, args: dict[str, Any]) -> None:
        self._go(self.world.nearest_room(args["x"], args["y"]))

    def _drive(self, args: dict[str, Any]) -> None:
        self._go(None)

    def _get_location(self, args: dict[str, Any]) -> str | None:
        self.robot_free = False
        return self.robot

    def _find_object(self, args: dict[str, Any]) -> str | None:
        key = self._thing("object", args["object"])
        self.fixed.add(key)
        return self._locate(key)

    def _find_person(self, args: dict[str, Any]) -> str | None:
        key = self._thing("person", args["person"])
        self.fixed.add(key)
        return self._locate(key)

    def _send_message(self, args: dict[str, Any]) -> None:
        self._thing("person", args["recipient"])

    def _pick(self, args: dict[str, Any]) -> None:
        if self.held is not None:
            raise Infeasible("hand already full")
        key = self._thing("object", args["object"])
        if key in self.given:
            raise Infeasible("object already handed over")
        self._bring_together(key)
        self.where[key], self.held, self.held_free = "robot", args["object"], False
        self.moved.add(key)

    def _place(self, args: dict[str, Any]) -> None:
        name = self._need_held()
        self.where[f"object:{name}"], self.held = self.robot, None
        self.robot_free = False

    def _hand_over(self, args: dict[str, Any]) -> None:
        name = self._need_held()
        self._bring_together(self._thing("person", args["person"]))
        self.where[f"object:{name}"], self.held = None, None
        self.given.add(f"object:{name}")


# -- generation -------------------------------------------------------------------------------
def kind_schedule(n: int, kinds: list[Kind], mix: dict[Kind, float], rng: random.Random) -> list[Kind]:
    """``n`` kinds in the proportions of ``mix`` (renormalised over ``kinds``), shuffled."""
    weights = {k: mix.get(k, 0.0) for k in kinds}
    total = sum(weights.values()) or 1.0
    counts = {k: int(n * w / total) for k, w in weights.items()}
    by_remainder = sorted(kinds, key=lambda k: -(n * weights[k] / total - counts[k]))
    for k in by_remainder[: n - sum(counts.values())]:
        counts[k] += 1
    schedule = [k for k in kinds for _ in range(counts[k])]
    rng.shuffle(schedule)
    return schedule


def default_world(catalog: Catalog) -> World | None:
    """The simulated house for the reference catalog (None for any other: no execution world)."""
    if not is_reference_catalog(catalog):
        return None
    from tool_adapters.sim.world import load_world

    return load_world()


def generate_report(catalog: Catalog, n: int, seed: int = 0, phrasebook: Phrasebook | None = None,
                    world: World | None = None, mix: dict[Kind, float] | None = None,
                    max_attempts: int | None = None) -> GenerationReport:
    """Generate until ``n`` samples pass verification (or ``max_attempts`` drafts,
    default ``5n + 200``); returns them with the counts."""
    from agent_node.verify import Verifier

    started = time.perf_counter()
    rng = random.Random(seed)
    pb = phrasebook or load_phrasebook(catalog)
    world = world if world is not None else default_world(catalog)
    composer = Composer(catalog, pb, rng, world)
    report = GenerationReport(samples=[])
    seen: set[str] = set()
    schedule = kind_schedule(n, composer.available(), mix or DEFAULT_MIX, rng)
    limit = max_attempts if max_attempts is not None else 5 * n + 200
    with Verifier(catalog, pb, world) as verifier:
        for kind in schedule:
            while report.attempts < limit:
                report.attempts += 1
                sample, why = draft(composer, kind, f"syn-{seed}-{len(report.samples) + 1:05d}", world, seen)
                rejections = verifier.verify(sample) if sample is not None else []
                if why or rejections:
                    report.rejections[("compose", why) if why else rejections[0].key] += 1
                    continue
                seen.add(sample.command.lower())  # type: ignore[union-attr]
                report.samples.append(sample)  # type: ignore[arg-type]
                break
    report.seconds = time.perf_counter() - started
    return report


def draft(composer: Composer, kind: Kind, sample_id: str, world: World | None,
           seen: set[str]) -> tuple[Sample | None, str]:
    """One unverified sample of ``kind``, or None and why none could be made."""
    try:
        segments = composer.builders[kind]()
        calls = join_calls(segments)
        hints = [h for s in segments for h in s.held]
        setup = Arrangement(world, composer.rng, hints).play(calls) if world is not None else Setup()
    except Infeasible as e:
        return None, f"infeasible: {e}"
    command = composer.command(segments)
    if command.lower() in seen:
        return None, "duplicate command"
    plan = [PlanCall(skill=s, args=a) for s, a in calls]
    return Sample(id=sample_id, command=command, plan=plan, kind=kind, setup=setup), ""


def generate(catalog: Catalog, n: int, seed: int = 0, phrasebook: Phrasebook | None = None,
             world: World | None = None) -> list[Sample]:
    """``n`` verified samples (fewer only if the attempt cap is hit); see :func:`generate_report`."""
    return generate_report(catalog, n, seed, phrasebook, world).samples


def write_jsonl(samples: Iterable[Sample], path: str | Path) -> None:
    Path(path).write_text("".join(s.to_json() + "\n" for s in samples), encoding="utf-8")


def read_jsonl(path: str | Path) -> list[Sample]:
    return [Sample.model_validate_json(line) for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip()]


# -- CLI -------------------------------------------------------------------------------------------
def format_report(report: GenerationReport, n: int) -> str:
    """Counts per kind and rejections by check and reason, as printed by the CLI."""
    lines = [f"{len(report.samples)}/{n} samples from {report.attempts} drafts in {report.seconds:.1f} s"]
    lines.append("kinds: " + ", ".join(f"{k} {report.kinds.get(k, 0)}" for k in KINDS))
    rejected = sum(report.rejections.values())
    lines.append(f"rejected: {rejected}" + ("" if rejected else " (none)"))
    for (check, reason), count in sorted(report.rejections.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:6d}  {check:<9}  {reason}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``agent-datagen --out DATA.jsonl -n N``: write verified synthetic samples."""
    ap = argparse.ArgumentParser(prog="agent-datagen", description="Generate verified synthetic commands and plans.")
    ap.add_argument("--catalog", metavar="FILE", help="skill catalog YAML (default: the reference home robot)")
    ap.add_argument("--out", required=True, metavar="FILE", help="JSONL file to write")
    ap.add_argument("-n", type=int, default=1000, help="number of samples (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--phrasebook", metavar="FILE", help="phrasebook YAML (default: the reference one for "
                    "the reference catalog, else generic phrasings)")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("-n must be at least 1")
    try:
        catalog = load_catalog(args.catalog)
        pb = load_phrasebook(catalog, args.phrasebook)
    except (CatalogError, PhrasebookError) as e:
        print(f"agent-datagen: {e}", file=sys.stderr)
        return 2
    report = generate_report(catalog, args.n, args.seed, pb)
    write_jsonl(report.samples, args.out)
    print(format_report(report, args.n))
    print(f"wrote {args.out}")
    return 0 if len(report.samples) == args.n else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
