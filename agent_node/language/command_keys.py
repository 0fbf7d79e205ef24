"""A command as the example bank compares it: its names and places said one way.

The sentence encoder puts "bring the apple from the kitchen to Bob" next to
"go find bob, then grab the apple right here ..." (the same names) rather than
"fetch the mug from the office for Alice" (the same plan). So the bank is
embedded, and searched, by keys in which every place, door, object, person and
surface it knows is replaced by one stand-in of its kind ("kitchen", "front
door", the first name of its pool): commands then meet by what they ask, the
plan's shape. Known are the catalog's enum values in every form the phrasebook
gives, the phrasebook's name pools and the names the bank's plans use. A form
of two kinds ("front door": a place and a door) stays as it is, and so does a
one-word name the phrasebook's templates use as a word ("watch", "stand").
"""

from __future__ import annotations

import re
from typing import Iterable

from agent_node.catalog.skills import Catalog
from agent_node.language.phrasebook import SLOT, WORLD_DOMAINS, Phrasebook, normalize_text

#: Names shorter than this are left alone (they are too often other words).
MIN_NAME_CHARS = 3


class CommandKeys:
    def __init__(self, catalog: Catalog, pb: Phrasebook, plans: Iterable[str] = ()):
        kinds: dict[str, set[str]] = {}  # phrase -> the kinds it names
        stand_in: dict[str, str] = {}  # kind -> the phrase said for all of its kind
        for type_name, values in catalog.enums.items():
            for value in values:
                for form in pb.enum_forms(type_name, value):
                    kinds.setdefault(_words(form), set()).add(type_name)
            if values:
                stand_in[type_name] = _words(pb.enum_forms(type_name, values[0])[0])
        names = {domain: list(pb.names.get(domain, [])) for domain in WORLD_DOMAINS}
        for skill, param, value in _string_args(plans):
            domain = pb.spec(skill, param).domain
            if domain in names:
                names[domain].append(value)
        said = _template_words(pb)
        for domain, pool in names.items():
            for name in map(_words, pool):
                if len(name) >= MIN_NAME_CHARS and name not in said:
                    kinds.setdefault(name, set()).add(domain)
            stand_in[domain] = _words(pool[0]) if pool else domain
        self.phrases = {phrase: stand_in[next(iter(k))] for phrase, k in kinds.items() if len(k) == 1 and phrase}
        alternatives = "|".join(re.escape(p) for p in sorted(self.phrases, key=lambda p: (-len(p), p)))
        self._pattern = re.compile(f"(?<= )(?:{alternatives})(?= )") if alternatives else None

    def __call__(self, command: str) -> str:
        """The command's key: its words (see :func:`normalize_text`), each known name said as its stand-in."""
        text = normalize_text(command)
        if self._pattern is not None:
            text = self._pattern.sub(lambda m: self.phrases[m.group(0)], text)
        return text.strip()


def _words(phrase: str) -> str:
    return normalize_text(phrase).strip()


def _template_words(pb: Phrasebook) -> set[str]:
    """The words the phrasebook's templates say outside their slots."""
    texts = [t.text for s in pb.skills.values() for t in [*s.templates, *s.merged]]
    texts += [t.text for c in pb.composites for t in c.templates]
    return set(normalize_text(" ".join(SLOT.sub(" ", t) for t in texts)).split())


def _string_args(plans: Iterable[str]) -> Iterable[tuple[str, str, str]]:
    """``(skill, param, value)`` of every quoted argument of the plans' calls (read by
    pattern: parsing the bank's 3000 plans would add over a second to the planner's load)."""
    for plan in plans:
        for skill, args in re.findall(r"^\d+\. (\w+)\((.*)\)$", plan, flags=re.M):
            for param, value in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', args):
                yield skill, param, value
