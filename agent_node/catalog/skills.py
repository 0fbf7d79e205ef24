"""The robot's skill catalog: what skills exist, their parameters and results.

A catalog is loaded from YAML (see ``config/home_robot_skills.yaml``). Enums
are declared at the top level as lists; a plural key declares the singular type
(``locations: [...]`` declares the type ``location``), which parameters and
results then use.

Two YAML pitfalls are read as the author meant them: an unquoted key ``on``
(YAML 1.1 reads it as the boolean true), and an unquoted comma inside a
``{..., description: a, b}`` flow mapping, which YAML splits into a key ``b``
with no value: such value-less keys are joined back into the description.
Any other unknown key is an error.
"""

from __future__ import annotations

import keyword
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent_node.catalog.values import value_problem
from agent_node.files.config_files import ConfigFileError, read_yaml
from agent_node.files.paths import default_catalog_path

BASE_TYPES = ("string", "number", "integer", "boolean", "array")
RESERVED_KEYS = ("skills",)


class CatalogError(ConfigFileError):
    """A catalog that cannot be used, with every reason found."""

    what = "catalog"


def _rejoin_description(data: Any) -> Any:
    """Fold value-less keys (a description split at unquoted commas) back in."""
    if not isinstance(data, dict):
        return data
    known = {"type", "description", "minimum", "maximum", "default", "items", "minItems"}
    stray = [k for k, v in data.items() if v is None and k not in known and isinstance(k, str)]
    if not stray or "description" not in data:
        return data
    data = {k: v for k, v in data.items() if k not in stray}
    data["description"] = ", ".join([str(data["description"]), *stray])
    return data


class Param(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    items: str | None = None
    minItems: int | None = None
    #: Whether the catalog gives a default (a default may itself be null).
    has_default: bool = False

    @model_validator(mode="before")
    @classmethod
    def _note_default(cls, data: Any) -> Any:
        data = _rejoin_description(data)
        if isinstance(data, dict) and "has_default" not in data:
            data = {**data, "has_default": "default" in data}
        return data

    @property
    def required(self) -> bool:
        return not self.has_default

    @property
    def value_type(self) -> str | None:
        """The type of one value: an array's item type, else the type itself."""
        return self.items if self.type == "array" else self.type


class Returns(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    items: str | None = None
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _rejoin(cls, data: Any) -> Any:
        return _rejoin_description(data)


class Skill(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    kind: Literal["service", "action"]
    description: str
    resources: list[str] = Field(default_factory=list)
    params: dict[str, Param] = Field(default_factory=dict)
    returns: Returns | None = None

    def signature(self) -> str:
        """``name(param: type, param: type = default)``: how a model sees it."""
        parts = []
        for pname, p in self.params.items():
            t = f"list[{p.items}]" if p.type == "array" else p.type
            parts.append(f"{pname}: {t}" + (f" = {p.default!r}" if p.has_default else ""))
        return f"{self.name}({', '.join(parts)})"


class Catalog(BaseModel):
    """A validated catalog. Use :func:`load_catalog` or :meth:`from_dict`."""

    model_config = ConfigDict(extra="forbid")

    enums: dict[str, list[str]] = Field(default_factory=dict)
    skills: list[Skill]

    def model_post_init(self, __context: Any) -> None:
        self._by_name = {s.name: s for s in self.skills}

    # -- lookup -----------------------------------------------------------
    def skill(self, name: str) -> Skill | None:
        return self._by_name.get(name)

    @property
    def skill_names(self) -> list[str]:
        return [s.name for s in self.skills]

    def is_enum(self, type_name: str | None) -> bool:
        return type_name in self.enums

    def subset(self, names: list[str]) -> "Catalog":
        """The same catalog restricted to the named skills (catalog order)."""
        keep = set(names)
        return Catalog(enums=self.enums, skills=[s for s in self.skills if s.name in keep])

    # -- loading ----------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, source: str = "<catalog>") -> "Catalog":
        if not isinstance(data, dict):
            raise CatalogError(source, ["top level must be a mapping with a 'skills' list"])
        data = _fix_yaml11_keys(data)
        enums: dict[str, list[str]] = {}
        problems: list[str] = []
        for key, value in data.items():
            if key in RESERVED_KEYS:
                continue
            key = enum_type_name(str(key))
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                problems.append(f"enum '{key}' must be a non-empty list of strings")
                continue
            if key in BASE_TYPES:
                problems.append(f"enum '{key}' shadows the built-in type '{key}'")
            if len(set(value)) != len(value):
                problems.append(f"enum '{key}' has duplicate values")
            enums[str(key)] = [str(v) for v in value]
        raw_skills = data.get("skills")
        if not isinstance(raw_skills, list) or not raw_skills:
            raise CatalogError(source, problems + ["'skills' must be a non-empty list"])
        skills: list[Skill] = []
        for i, raw in enumerate(raw_skills):
            label = raw.get("name", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
            try:
                skills.append(Skill.model_validate(raw))
            except ValidationError as e:
                for err in e.errors():
                    where = ".".join(str(p) for p in err["loc"])
                    problems.append(f"skill '{label}': {where}: {err['msg']}")
        seen: set[str] = set()
        for s in skills:
            if s.name in seen:
                problems.append(f"duplicate skill '{s.name}'")
            seen.add(s.name)
            problems.extend(_skill_problems(s, enums))
        if problems:
            raise CatalogError(source, problems)
        return cls(enums=enums, skills=skills)


def enum_type_name(key: str) -> str:
    """The type an enum key declares: ``locations`` -> ``location``."""
    if key.endswith("ies") and len(key) > 3:
        return key[:-3] + "y"
    if key.endswith("s") and not key.endswith("ss") and len(key) > 1:
        return key[:-1]
    return key


def _fix_yaml11_keys(data: Any) -> Any:
    """YAML 1.1 reads an unquoted key ``on`` (or ``yes``...) as a boolean.

    Parameter names are strings, so a boolean key can only be such a word; it
    is turned back into ``"on"``/``"off"`` rather than silently breaking a skill.
    """
    if isinstance(data, dict):
        fixed = {}
        for k, v in data.items():
            if k is True:
                k = "on"
            elif k is False:
                k = "off"
            fixed[k] = _fix_yaml11_keys(v)
        return fixed
    if isinstance(data, list):
        return [_fix_yaml11_keys(v) for v in data]
    return data


def _type_known(t: str | None, enums: dict[str, list[str]]) -> bool:
    return t in BASE_TYPES or t in enums


def _skill_problems(s: Skill, enums: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for pname, p in s.params.items():
        where = f"skill '{s.name}', param '{pname}'"
        if not pname.isidentifier() or keyword.iskeyword(pname):
            out.append(f"{where}: name must be an identifier and not a Python keyword"
                       " (plans are written as skill(name=value))")
        if not _type_known(p.type, enums):
            out.append(f"{where}: unknown type '{p.type}'")
            continue
        if p.type == "array":
            if p.items is None:
                out.append(f"{where}: array needs 'items'")
            elif p.items == "array" or not _type_known(p.items, enums):
                out.append(f"{where}: unknown item type '{p.items}'")
        elif p.items is not None or p.minItems is not None:
            out.append(f"{where}: 'items'/'minItems' only apply to arrays")
        if (p.minimum is not None or p.maximum is not None) and p.type not in ("number", "integer"):
            out.append(f"{where}: bounds only apply to number and integer")
        if p.minimum is not None and p.maximum is not None and p.minimum > p.maximum:
            out.append(f"{where}: minimum {p.minimum} is above maximum {p.maximum}")
        if p.has_default:
            problem = value_problem(p.default, p, enums)
            if problem:
                out.append(f"{where}: default {p.default!r} is invalid: {problem}")
    if s.returns is not None:
        r = s.returns
        if not _type_known(r.type, enums):
            out.append(f"skill '{s.name}', returns: unknown type '{r.type}'")
        elif r.type == "array" and not _type_known(r.items, enums):
            out.append(f"skill '{s.name}', returns: unknown item type '{r.items}'")
    return out


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog file; ``None`` loads the default catalog."""
    path = default_catalog_path() if path is None else path
    return Catalog.from_dict(read_yaml(path, CatalogError), source=str(path))
