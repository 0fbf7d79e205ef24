"""Commands beyond the generator's templates, for any catalog: what people say
that a planner must get right or must decline.

Each variation draws commands with the generator (:mod:`agent_node.datagen.generate`)
from a *changed copy* of the catalog's phrasebook, so every kind of command
(single calls, chains, body sequences, mixes) gets the variation:

- ``correction``: an enum value said after another one the person took back
  ("go to the garage, no wait, the office"; "the office, not the kitchen"), or
  a number corrected ("wait 10 seconds, no, make it 20 seconds"). The plan is
  the corrected one; kept only if it passes the three checks (format,
  execution, meaning).
- ``unknown_place``: an enum value said as a name the catalog does not have
  ("go to the basement", "is the side door open"). The plan is empty: the robot
  must not go somewhere else instead. Kept only when the plan it would have
  been uses a value of that enum the command no longer names.
- ``out_of_bounds``: a number beyond a parameter's bounds ("wait half an hour",
  "drive back 20 metres"). The plan is empty; kept only when the checker
  refuses the plan it would have been for that bound.
- ``units``: a number said in another unit than the parameter's: seconds as
  minutes ("wait three minutes" is 180), metres as centimetres ("back up 30 cm"
  is -0.3). Kept only if it passes the three checks, the meaning check knowing
  the unit's words.
- ``sequence``: steps said one after another where the same skill comes back
  with other values ("turn left 90 degrees, drive a metre, then turn right 90
  degrees"): each call keeps its own numbers and signs; a set phrase of the
  phrasebook may take a step's place ("turn around, then turn left 90"). Kept
  only if it passes the three checks.
- ``near_miss``: an action no skill has, said of something the catalog knows
  ("lock the front door", "clean the kitchen"). The plan is empty: a small
  model bends such requests into the skill nearest the thing named. The verbs
  come from a catalog-independent list, less every verb a skill's name or a
  phrasing of a skill starts with ("open" stays out for a robot with
  ``open_drawer``).
- ``casual``: a verified command typed as people type in a hurry ("go to the
  bathroom n check whats on the sink", "pls", "u"), a letter dropped or two
  swapped in a longer word. Kept only if the changed command still passes the
  three checks. A slip may fall on a place's name ("the livng room"): the
  meaning check reads one letter dropped, added, changed or swapped in a word
  of five letters or more as that name, as the planner's place check does.

A correction may also take back a direction ("turn left... actually no, to the
right").
"""

from __future__ import annotations

import random
import re
from typing import Callable, Iterable

from agent_node.catalog.skills import Catalog
from agent_node.catalog.values import whole_ref
from agent_node.datagen.compose import Composer, Segment
from agent_node.datagen.generate import DEFAULT_MIX, draft, generate_report, kind_schedule
from agent_node.datagen.samples import Kind, Sample
from agent_node.language.meaning import TURNS, unit_seconds
from agent_node.language.phrasebook import Phrasebook, digits, mentions, normalize_text, number_words
from agent_node.plan.checker import check_plan

#: Places and doors no catalog of ours has; a name that is one of the catalog's forms is skipped.
UNKNOWN_PLACES = ["basement", "attic", "roof", "garden", "backyard", "balcony", "laundry room", "cellar",
                  "porch", "pantry", "guest room", "nursery", "gym", "patio", "driveway", "shed", "upstairs",
                  "swimming pool", "sauna", "library", "workshop", "playroom", "wine cellar", "greenhouse"]
UNKNOWN_DOORS = ["side door", "cellar door", "patio door", "shed door", "attic hatch", "kitchen window",
                 "bedroom window", "gate"]
#: How a person takes back the first value and gives the second ({g} wrong, {f} right).
CORRECTIONS = ["{g}, no wait, the {f}", "{g}, sorry, I mean the {f}", "{g}, no, make that the {f}",
               "{g}... actually no, the {f}", "{f}, not the {g}", "{g}, uh no, the {f}"]
NUMBER_CORRECTIONS = ["{w}, no, make it {v}", "{w}, sorry, {v}", "{w}... no wait, {v}"]
#: Actions to ask of a thing the catalog names; a verb a skill of the catalog serves is left out.
NEAR_MISS_VERBS = ["open", "close", "shut", "lock", "unlock", "clean", "paint", "repair", "fix", "vacuum", "dim",
                   "heat up", "cool down", "decorate", "unplug", "sweep", "disinfect", "tidy up", "warm up",
                   "air out", "knock on", "measure", "mop", "dust", "wash", "polish", "empty", "refill"]
NEAR_MISS_TEMPLATES = ["{verb} {x}", "{verb} {x}", "go and {verb} {x}", "{verb} {x} now", "{verb} {x} before bed",
                       "quickly {verb} {x}"]
#: Casual spellings of function words (a word boundary each side) and their shares of being used.
CASUAL_WORDS = {"and": ["n", "&", "nd"], "you": ["u"], "your": ["ur"], "please": ["pls", "plz"],
                "what's": ["whats"], "what is": ["whats"], "i'm": ["im"], "don't": ["dont"], "can't": ["cant"],
                "that's": ["thats"], "there's": ["theres"], "it's": ["its"], "going to": ["gonna"],
                "thanks": ["thx"], "right now": ["rn"], "because": ["cuz"], "okay": ["ok", "k"],
                "you're": ["ur", "youre"]}
DIRECTION_CORRECTIONS = ["{g}... actually no, {f}", "{g}, no wait, {f}", "{g}, sorry, I mean {f}", "{g}, uh no, {f}"]
#: Share of each generator kind in the variations (no out-of-domain requests: they hold no value).
VARIATION_MIX: dict[Kind, float] = {k: v for k, v in DEFAULT_MIX.items() if k != "none"}

Accept = Callable[[Sample], "Sample | None"]


def _all_forms(catalog: Catalog, pb: Phrasebook) -> list[str]:
    return [f for t, values in catalog.enums.items() for v in values for f in pb.enum_forms(t, v)]


def unknown_names(type_name: str, catalog: Catalog, pb: Phrasebook) -> list[str]:
    """Names for a value of ``type_name`` that none of the catalog's enum values goes by."""
    pool = UNKNOWN_DOORS if "door" in type_name else UNKNOWN_PLACES
    named = [f.replace("{n}", "") for spec in pb.params.values() for fs in spec.named.values() for f in fs]
    known = [normalize_text(f) for f in _all_forms(catalog, pb) + named]  # "the basement" may be floor -1
    return [n for n in pool if not any(mentions(normalize_text(n), k) or mentions(k, normalize_text(n))
                                       for k in known)]


def _draw(catalog: Catalog, pb: Phrasebook, world, n: int, seed: int, prefix: str, accept: Accept,
          seen: set[str], max_attempts: int | None = None,
          build: Callable[[Composer], list[Segment]] | None = None) -> list[Sample]:
    """Up to ``n`` drafts from ``pb`` that ``accept`` keeps (it returns the sample to keep);
    ``build`` makes every draft's segments instead of the generator's kinds."""
    rng = random.Random(seed)
    composer = Composer(catalog, pb, rng, world)
    kinds: list[Kind] = [k for k in composer.available() if k != "none"]
    if build is not None:
        composer.builders["mix"] = lambda: build(composer)
        kinds = ["mix"]
    out: list[Sample] = []
    attempts, limit = 0, max_attempts or 30 * n + 100
    for kind in kind_schedule(limit, kinds, VARIATION_MIX, rng):
        if len(out) >= n or attempts >= limit:
            break
        attempts += 1
        sample, why = draft(composer, kind, f"{prefix}-{seed}-{len(out) + 1:05d}", world, seen)
        kept = accept(sample) if sample is not None and not why else None
        if kept is not None:
            seen.add(kept.command.lower())
            out.append(kept)
    return out


def _literal_values(sample: Sample, catalog: Catalog, type_name: str) -> list[str]:
    """The values of enum ``type_name`` the plan holds as literals (not ``$N``)."""
    found = []
    for call in sample.plan:
        params = catalog.skill(call.skill).params
        for name, value in call.args.items():
            p = params[name]
            values = value if isinstance(value, list) else [value]
            if p.type == type_name or (p.type == "array" and p.items == type_name):
                found += [v for v in values if isinstance(v, str) and whole_ref(v) is None]
    return found


def unknown_place(catalog: Catalog, pb: Phrasebook, world, n: int, seed: int, seen: set[str]) -> list[Sample]:
    """Commands that name a place (or door) the catalog does not have, with empty plans."""
    out: list[Sample] = []
    types = list(catalog.enums)
    for i, type_name in enumerate(types):
        names = unknown_names(type_name, catalog, pb)
        if not names:
            continue
        changed = pb.model_copy(deep=True)
        changed.enums[type_name] = {v: names for v in catalog.enums[type_name]}
        # Only the changed enum is unknown; "the basement" must be the only place said.

        def accept(sample: Sample, type_name: str = type_name, names: list[str] = names) -> Sample | None:
            text = normalize_text(sample.command)
            if not _literal_values(sample, catalog, type_name) or not any(mentions(text, x) for x in names):
                return None
            return sample.model_copy(update={"plan": [], "kind": "none", "setup": sample.setup.__class__()})
        share = n // len(types) + (1 if i < n % len(types) else 0)
        out += _draw(catalog, changed, world, share, seed + i, "unknown", accept, seen)
    return out


def _out_of_bounds_values(minimum: float | None, maximum: float | None, integer: bool) -> list[float]:
    values: list[float] = []
    if maximum is not None:
        top = abs(maximum) if maximum else 10
        values += [maximum + top, maximum * 2 + top, maximum * 3 + top, maximum * 6]
    if minimum is not None and minimum < 0:
        values += [v for v in (minimum * 2, minimum * 4) if v < minimum]
    values = sorted({float(round(v)) if integer or abs(v) >= 10 else round(v, 1) for v in values
                     if (maximum is None or v > maximum) or (minimum is not None and v < minimum)})
    return values


def _minutes(seconds: float) -> list[str]:
    """A number of seconds said in minutes or hours, where it is whole."""
    hours = {3600: ["an hour", "one hour"], 5400: ["an hour and a half", "one and a half hours"],
             7200: ["two hours", "2 hours"], 1800: ["half an hour", "thirty minutes"]}
    if seconds in hours:
        return hours[seconds]
    if seconds % 3600 == 0 and seconds > 7200:
        k = int(seconds // 3600)
        return [f"{w} hours" for w in number_words(k)[:1]] + [f"{k} hours"]
    if seconds % 60 == 0 and seconds >= 120:
        k = int(seconds // 60)
        return [f"{w} minutes" for w in number_words(k)[:1]] + [f"{k} minutes"]
    return []


def out_of_bounds(catalog: Catalog, pb: Phrasebook, world, n: int, seed: int, seen: set[str]) -> list[Sample]:
    """Commands that ask for a number beyond its parameter's bounds, with empty plans."""
    changed = pb.model_copy(deep=True)
    bounded = []
    for skill in catalog.skills:
        for name, p in skill.params.items():
            if p.type not in ("number", "integer") or (p.minimum is None and p.maximum is None):
                continue
            spec = changed.params.get(f"{skill.name}.{name}")
            if spec is None or not spec.values:
                continue
            values = _out_of_bounds_values(p.minimum, p.maximum, p.type == "integer")
            if spec.directional:
                values = sorted({abs(v) for v in values if abs(v) > min(abs(p.minimum or 0), abs(p.maximum or 0))})
            per = unit_seconds(spec)
            spec.values = values
            spec.special = {v: _minutes(v * per) for v in values if per and _minutes(v * per)}
            bounded.append(skill.name)
    if not bounded:
        return []

    def accept(sample: Sample) -> Sample | None:
        problems = check_plan(sample.to_plan(), catalog).problems
        if not problems or not all(p.breaks_a_bound for p in problems):
            return None
        return sample.model_copy(update={"plan": [], "kind": "none", "setup": sample.setup.__class__()})
    return _draw(catalog, changed, world, n, seed, "bounds", accept, seen)


def correction(catalog: Catalog, pb: Phrasebook, world, n: int, seed: int, seen: set[str],
               verify: Callable[[Sample], bool]) -> list[Sample]:
    """Commands where the person corrects a place or a number they said; ``verify`` runs the three checks."""
    rng = random.Random(seed)
    changed = pb.model_copy(deep=True)
    taken_back: dict[str, tuple[str, str]] = {}  # a correction's words -> the enum value it takes back
    for type_name, values in catalog.enums.items():
        if len(values) < 2:
            continue
        forms = {}
        for v in values:
            plain = pb.enum_forms(type_name, v)
            forms[v] = list(plain)
            for _ in plain:
                g = rng.choice([o for o in values if o != v])
                form = rng.choice(CORRECTIONS).format(g=rng.choice(pb.enum_forms(type_name, g)), f=rng.choice(plain))
                forms[v].append(form)
                taken_back[form.lower()] = (type_name, g)
        changed.enums[type_name] = forms
    for key, spec in changed.params.items():
        if not spec.values or len(spec.values) < 2 or spec.directional:
            continue
        unit = spec.units[0][1] if spec.units else ""
        spec.special = {}
        for v in spec.values:
            w = rng.choice([x for x in spec.values if x != v])
            said = {x: f"{digits(x)} {unit}".strip() for x in (v, w)}
            spec.special[v] = [rng.choice(NUMBER_CORRECTIONS).format(w=said[w], v=said[v])]
    for spec in changed.params.values():
        if spec.directional:
            spec.words = {sign: [rng.choice(DIRECTION_CORRECTIONS).format(g=rng.choice(spec.words[other]), f=f)
                                 for f in spec.words[sign]]
                          for sign, other in (("positive", "negative"), ("negative", "positive"))}
    markers = ("no wait", "i mean", "make that", "actually no", ", not the", "uh no", "make it", "sorry,")

    def accept(sample: Sample) -> Sample | None:
        text = sample.command.lower()
        if sum(text.count(m) for m in markers) != 1:
            return None
        if any(form in text and g in _literal_values(sample, catalog, type_name)
               for form, (type_name, g) in taken_back.items()):
            return None  # "the office, ..., the hallway, not the office": the value taken back is also asked for
        return sample if verify(sample) else None
    return _draw(catalog, changed, world, n, seed, "correction", accept, seen)


def _unit_forms(unit_words: set[str], value: float, turns: bool = False) -> list[str]:
    """``value`` (in the parameter's unit) said in a larger or smaller unit, or [];
    ``turns``: an angle to turn by may be said as part of a turn."""
    if unit_words & {"second", "seconds", "sec", "secs"} and value % 60 == 0 and value >= 60:
        return ["a minute", "one minute"] if value == 60 else _minutes(value) + [f"{int(value // 60)} min"]
    if unit_words & {"minute", "minutes"} and value % 30 == 0 and value >= 30:
        return _minutes(value * 60)[:1] if value >= 60 else ["half an hour"]
    if turns and unit_words & {"degree", "degrees"} and value in TURNS:
        return TURNS[value]
    if unit_words & {"meter", "meters", "metre", "metres"} and 0 < value < 1:
        cm = round(value * 100)
        words = (number_words(cm) or [str(cm)])[0]
        return [f"{cm} centimeters", f"{words} centimetres", f"{cm} cm"]
    return []


def units(catalog: Catalog, pb: Phrasebook, world, n: int, seed: int, seen: set[str],
          verifier_for: Callable[[Phrasebook], Callable[[Sample], bool]]) -> list[Sample]:
    """Commands with a number said in minutes or centimetres; ``verifier_for(pb)`` gives
    the three checks under a phrasebook (the changed one knows the units' words)."""
    changed = pb.model_copy(deep=True)
    markers = []
    for skill in catalog.skills:
        for name, p in skill.params.items():
            spec = changed.params.get(f"{skill.name}.{name}")
            if spec is None or p.type not in ("number", "integer") or not spec.units:
                continue
            unit_words = {w for w in spec.unit_words if "per" not in w}
            if unit_words != spec.unit_words:
                continue
            top = p.maximum if p.maximum is not None else 600
            candidates = [60.0 * k for k in (*range(1, 11), 15, 20, 30, 45, 60)] + [
                0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9]
            candidates += list(TURNS)
            forms = {v: f for v in sorted(set(candidates)) if v <= top and (p.minimum is None or v >= max(p.minimum, 0))
                     and (f := _unit_forms(unit_words, v, spec.directional))}
            if forms:
                spec.values, spec.special = list(forms), forms
                markers += [f if f in TURNS.get(v, ()) else f.split()[-1] for v, fs in forms.items() for f in fs]
    if not markers:
        return []
    verify = verifier_for(changed)
    said = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, set(markers)))) + r")\b")

    def accept(sample: Sample) -> Sample | None:
        return sample if said.search(sample.command.lower()) and verify(sample) else None
    return _draw(catalog, changed, world, n, seed, "units", accept, seen)


def sequence(catalog: Catalog, pb: Phrasebook, world, n: int, seed: int, seen: set[str],
             verify: Callable[[Sample], bool]) -> list[Sample]:
    """Steps said one after another, a skill with numbers coming back with other values."""
    numeric = [s.name for s in catalog.skills if pb.skills[s.name].combine
               and any(p.type in ("number", "integer") for p in s.params.values())]
    numeric += [s for s in numeric if any(pb.spec(s, name).directional for name in catalog.skill(s).params)]
    if not numeric:
        return []

    # set phrases of one call ("turn around": rotate 180) among the numbers said ("turn around, then left 90")
    set_phrases = [c for c in pb.composites if c.kind == "body" and len(c.plan) == 1]

    def build(composer: Composer) -> list[Segment]:
        rng = composer.rng
        skills = [rng.choice(numeric) for _ in range(rng.choice((2, 3, 3, 4)))]
        if len(set(skills)) == len(skills):
            skills[-1] = skills[0]
        segments = [composer.single(skill) for skill in skills]
        phrase = rng.choice(set_phrases) if set_phrases and rng.random() < P_SET_PHRASE else None
        at = [i for i, skill in enumerate(skills) if phrase and phrase.skeleton().tasks[0].skill == skill]
        if at:
            segments[rng.choice(at)] = composer.composite("body", phrase)
        return segments
    return _draw(catalog, pb, world, n, seed, "sequence", lambda s: s if verify(s) else None, seen, build=build)


def near_miss_requests(catalog: Catalog, pb: Phrasebook) -> list[str]:
    """Requests of an action no skill serves on a thing the catalog names, for any catalog."""
    served = {w for s in catalog.skills for w in s.name.split("_")}
    for phrases in pb.skills.values():
        served |= {t.text.split()[0].lower() for t in phrases.templates if t.text.split()}
    served |= {t.text.split()[0].lower() for c in pb.composites for t in c.templates if t.text.split()}
    verbs = [v for v in NEAR_MISS_VERBS if not set(v.split()) & served]
    things = []
    for type_name, values in catalog.enums.items():
        articles = [a for a in pb.articles.get(type_name, ["the"]) if a] or [""]
        for value in values:
            things += [f"{articles[0]} {form}".strip() for form in pb.enum_forms(type_name, value)]
    return sorted({t.format(verb=v, x=x) for v in verbs for x in things for t in NEAR_MISS_TEMPLATES[:1]})


def near_miss(catalog: Catalog, pb: Phrasebook, world, n: int, seed: int, seen: set[str]) -> list[Sample]:
    """Actions no skill has, asked of places and things the catalog knows, with empty plans."""
    requests = near_miss_requests(catalog, pb)
    if not requests:
        return []
    rng = random.Random(seed)
    changed = pb.model_copy(deep=True)
    ood = changed.lang.out_of_domain
    phrased = sorted({rng.choice(NEAR_MISS_TEMPLATES).format(verb=r.split(" ", 1)[0], x=r.split(" ", 1)[1])
                      if " " in r and r.split()[0] in NEAR_MISS_VERBS else r for r in requests})
    ood.topics, ood.keywords, ood.fills = {"near_miss": phrased}, {}, {}
    report = generate_report(catalog, n, seed, changed, world, mix={"none": 1.0})
    out = []
    for i, s in enumerate(report.samples, start=1):
        if s.command.lower() not in seen:
            seen.add(s.command.lower())
            out.append(s.model_copy(update={"id": f"nearmiss-{seed}-{i:05d}"}))
    return out


#: Share of casual commands whose slip may fall on the name of a place (an enum value).
VALUE_SLIPS = 0.4
#: Share of sequences where a set phrase of one call takes the place of a step of its skill.
P_SET_PHRASE = 0.3
_TYPO_WORD = re.compile(r"\b[a-z]{5,}\b")


def casual_spelling(text: str, rng: random.Random, protected: set[str], only: set[str] | None = None) -> str:
    """``text`` as typed in a hurry: casual spellings, no capitals or final stop, maybe a
    typo in one word of five letters or more that is not in ``protected`` (and is in ``only``)."""
    out = text.lower() if rng.random() < 0.7 else text
    for word, casual in CASUAL_WORDS.items():
        pattern = re.compile(r"(?<![\w'])" + re.escape(word) + r"(?![\w'])", re.IGNORECASE)
        out = pattern.sub(lambda m: rng.choice(casual) if rng.random() < 0.6 else m.group(0), out)
    if rng.random() < 0.5:
        out = out.rstrip(".!")
    words = [m for m in _TYPO_WORD.finditer(out) if m.group(0).lower() not in protected
             and (only is None or m.group(0).lower() in only)]
    if words and rng.random() < 0.5:
        m = rng.choice(words)
        w, i = m.group(0), rng.randrange(1, len(m.group(0)) - 1)
        typo = w[:i] + w[i + 1:] if rng.random() < 0.5 else w[:i] + w[i + 1] + w[i] + w[i + 2:]
        out = out[:m.start()] + typo + out[m.end():]
    return out


def casual(catalog: Catalog, pb: Phrasebook, world, n: int, seed: int, seen: set[str],
           verify: Callable[[Sample], bool]) -> list[Sample]:
    """Verified commands typed casually; kept only if the changed command passes the three checks."""
    rng = random.Random(seed)
    places = {w for f in _all_forms(catalog, pb) for w in normalize_text(f).split()}
    protected = {w for names in pb.names.values() for n_ in names for w in normalize_text(n_).split()}
    protected |= {w for spec in pb.params.values() for forms in spec.words.values() for f in forms
                  for w in normalize_text(f).split()}

    def accept(sample: Sample) -> Sample | None:
        # a slip in a place's name is read as that place ("the livng room"): meaning.typed_with_a_slip
        slip = rng.random() < VALUE_SLIPS
        if slip:
            changed = casual_spelling(sample.command, rng, protected, only=places)
        else:
            changed = casual_spelling(sample.command, rng, protected | places)
        if changed == sample.command or changed.lower() in seen:
            return None
        kept = sample.model_copy(update={"command": changed})
        return kept if verify(kept) else None
    return _draw(catalog, pb, world, n, seed, "casual", accept, seen)


def variations(catalog: Catalog, pb: Phrasebook, world, counts: dict[str, int], seed: int,
               seen: set[str], verify: Callable[[Sample], bool],
               verifier_for: Callable[[Phrasebook], Callable[[Sample], bool]]) -> Iterable[Sample]:
    """The variations named in ``counts`` (``correction``, ``unknown_place``, ``out_of_bounds``,
    ``units``, ``sequence``, ``near_miss``, ``casual``); ``verify`` runs the three checks,
    ``verifier_for(pb)`` under another phrasebook."""
    makers = {
        "units": lambda k: units(catalog, pb, world, k, seed + 300, seen, verifier_for),
        "correction": lambda k: correction(catalog, pb, world, k, seed, seen, verify),
        "unknown_place": lambda k: unknown_place(catalog, pb, world, k, seed + 100, seen),
        "out_of_bounds": lambda k: out_of_bounds(catalog, pb, world, k, seed + 200, seen),
        "sequence": lambda k: sequence(catalog, pb, world, k, seed + 400, seen, verify),
        "near_miss": lambda k: near_miss(catalog, pb, world, k, seed + 500, seen),
        "casual": lambda k: casual(catalog, pb, world, k, seed + 600, seen, verify),
    }
    for name, k in counts.items():
        if k:
            yield from makers[name](k)
