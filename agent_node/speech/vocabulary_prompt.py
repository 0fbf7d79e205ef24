"""The initial prompt that biases Whisper toward the robot's words.

Whisper reads its initial prompt as text said just before the audio, so words in
it become likelier in the transcript. The prompt names the catalog's skills (as
words: ``hand_over`` is "hand over"), its enum values (places, doors) and the
known names handed in (people, objects of the robot's world), in plain sentences:
tiny.en copies comma-separated word lists into its output and loops on them
("take photo, location"), which sentences avoid. It stays short: whisper.cpp
keeps at most about 220 prompt tokens and every token costs decoding time.
"""

from __future__ import annotations

from typing import Iterable

from agent_node.catalog.skills import Catalog

MAX_PROMPT_CHARS = 700


def words(identifier: str) -> str:
    """``living_room`` -> ``living room``."""
    return " ".join(identifier.replace("_", " ").split())


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        w = words(str(item)).strip()
        if w and w.lower() not in seen:
            seen[w.lower()] = w
    return list(seen.values())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


def catalog_prompt(catalog: Catalog, names: Iterable[str] = (), max_chars: int = MAX_PROMPT_CHARS) -> str:
    """Sentences with the skill words, the enum values and ``names`` (as they should be
    written: "Alice", "the red cup"), at most ``max_chars`` long (names are dropped from
    the end to fit)."""
    parts = [f"The robot can {_and(_unique(catalog.skill_names))}."]
    for enum, values in catalog.enums.items():
        parts.append(f"The {_plural(words(enum))} are {_and(['the ' + v for v in _unique(values)])}.")
    prompt = " ".join(parts)[:max_chars]
    kept: list[str] = []
    for name in _unique(names):
        if len(f"{prompt} {_and(kept + [name])} are here.") > max_chars:
            break
        kept.append(name)
    return f"{prompt} {_and(kept)} are here." if kept else prompt
