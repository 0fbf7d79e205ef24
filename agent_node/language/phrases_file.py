"""A robot's short phrases file: at most five example commands per skill.

An engineer who wants better phrasing for a new robot than the catalog alone
gives writes a few templates per skill, as operators say them
(``examples/drone/phrases.yaml`` is one)::

    skills:
      fly_to:
        - "head over to {waypoint}"
        - "get over {waypoint} and hang there"
      hover:
        - "hover for {duration_s} seconds"

A ``{param}`` slot is the parameter's value as it is said bare: a number
without its unit (write the unit in the template: "{duration_s} seconds"), an
enum value's words ("north field"), on/off for a flag, a name or free text.
Every slot must be a parameter of its skill. Skills left out get the generic
phrasings of :mod:`agent_node.language.skill_words` only; skills listed get
both, the file's twice as often.
"""

from __future__ import annotations

from pathlib import Path

from agent_node.catalog.skills import Catalog
from agent_node.files.config_files import read_yaml
from agent_node.language.phrasebook import (
    SLOT,
    Phrasebook,
    PhrasebookError,
    SkillPhrases,
    TemplateSpec,
    generic_phrasebook,
)

MAX_PER_SKILL = 5


def read_phrases(path: str | Path, catalog: Catalog) -> dict[str, list[str]]:
    """The file's templates by skill, checked against ``catalog`` (PhrasebookError lists
    every problem: unknown skill or slot, more than five templates, a required parameter
    never said)."""
    data = read_yaml(path, PhrasebookError)
    if not isinstance(data, dict) or set(data) - {"skills"} or not isinstance(data.get("skills"), dict):
        raise PhrasebookError(path, ["top level must be 'skills:' mapping each skill to a list of templates"])
    problems: list[str] = []
    out: dict[str, list[str]] = {}
    for name, templates in data["skills"].items():
        skill = catalog.skill(str(name))
        where = f"skills.{name}"
        if skill is None:
            problems.append(f"{where}: no such skill in the catalog")
            continue
        if not isinstance(templates, list) or not all(isinstance(t, str) and t.strip() for t in templates):
            problems.append(f"{where}: needs a list of template strings")
            continue
        if len(templates) > MAX_PER_SKILL:
            problems.append(f"{where}: {len(templates)} templates, at most {MAX_PER_SKILL}")
        for t in templates:
            slots = {m.group(1) for m in SLOT.finditer(t)}
            bad = sorted(slots - set(skill.params))
            if bad:
                problems.append(f"{where}: {t!r} uses {', '.join('{' + b + '}' for b in bad)}, "
                                f"not a parameter of {name} ({', '.join(skill.params) or 'it has none'})")
            if any(m.group(2) for m in SLOT.finditer(t)):
                problems.append(f"{where}: {t!r}: write slots as {{param}}, without a modifier")
        required = {p for p, spec in skill.params.items() if spec.required}
        if required and not any(required <= {m.group(1) for m in SLOT.finditer(t)} for t in templates):
            problems.append(f"{where}: no template says every required parameter ({', '.join(sorted(required))})")
        out[str(name)] = [str(t) for t in templates]
    if problems:
        raise PhrasebookError(path, problems)
    return out


def phrasebook_with_phrases(catalog: Catalog, phrases: dict[str, list[str]]) -> Phrasebook:
    """The generic phrasebook of ``catalog`` with the file's templates added (twice each,
    so they are drawn as often as the generic ones together)."""
    pb = generic_phrasebook(catalog).model_copy(deep=True)
    for name, templates in phrases.items():
        skill = catalog.skill(name)
        assert skill is not None
        converted = [TemplateSpec(text=_bare_slots(t, catalog, name)) for t in templates]
        current = pb.skills[name]
        pb.skills[name] = SkillPhrases(templates=converted * 2 + current.templates, merge=current.merge,
                                       merged=current.merged, combine=current.combine)
    return pb


def _bare_slots(template: str, catalog: Catalog, skill_name: str) -> str:
    """``{p}`` as the phrasebook's bare form: ``{p:num}`` for a number, ``{p:bare}`` otherwise."""
    skill = catalog.skill(skill_name)
    assert skill is not None

    def bare(m) -> str:
        p = skill.params[m.group(1)]
        return "{%s:num}" % m.group(1) if p.type in ("number", "integer") else "{%s:bare}" % m.group(1)
    return SLOT.sub(bare, template)
