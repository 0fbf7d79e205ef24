"""A robot profile: one directory with everything the agent needs for one robot.

``agent-robot build CATALOG.yaml --out DIR`` writes it; ``--robot DIR`` (or the
node's ``robot`` parameter) reads it. ``DIR/robot.yaml`` names the parts,
relative to ``DIR``, each file with its sha256::

    name: drone
    catalog: {file: skills.yaml, sha256: 3f1c...}
    phrases: {file: phrases.yaml, sha256: 9a0b...}      # optional: the phrases file used
    model: qwen2.5-coder-0.5b                            # optional: the base planner (registry name)
    adapter: {file: adapter.gguf, sha256: 77de...}      # optional: the planner's LoRA adapter
    toolrag: toolrag                                     # optional: ToolRAG model directory
    bank: bank                                           # optional: example bank directory
    policy: {file: policy.yaml, sha256: ...}             # optional: safety policy
    bindings: {file: bindings.yaml, sha256: ...}         # optional: ROS bindings

A profile whose catalog or adapter no longer matches its hash, or that names a
part that is not there, is refused with :class:`ProfileError`, naming the
file: a planner trained for one catalog must never plan for an edited one.
A name instead of a directory (``home_robot``) is a profile shipped with the
package under ``robots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agent_node.files.config_files import ConfigFileError, read_yaml
from agent_node.files.model_files import sha256_of
from agent_node.files.paths import share_dir

MANIFEST = "robot.yaml"


class ProfileError(ConfigFileError):
    """A robot profile that cannot be used, with every reason found."""

    what = "robot profile"


class Part(BaseModel):
    """A file of the profile and its sha256."""

    model_config = ConfigDict(extra="forbid")
    file: str
    sha256: str


class Manifest(BaseModel):
    """``robot.yaml``: the profile's parts, paths relative to its directory."""

    model_config = ConfigDict(extra="forbid")
    name: str
    catalog: Part
    phrases: Part | None = None
    model: str | None = None
    adapter: Part | None = None
    toolrag: str | None = None
    bank: str | None = None
    policy: Part | None = None
    bindings: Part | None = None
    #: What the build measured (stage times, held-out figures); informative only.
    report: dict[str, Any] = {}


class RobotProfile(BaseModel):
    """A checked profile: absolute paths of its parts."""

    model_config = ConfigDict(frozen=True)
    name: str
    directory: Path
    catalog: Path
    phrases: Path | None = None
    model: str | None = None
    adapter: Path | None = None
    toolrag: Path | None = None
    bank: Path | None = None
    policy: Path | None = None
    bindings: Path | None = None

    def parts(self) -> dict[str, str]:
        """Its parts as option values: paths, the model's name, "none" for an absent adapter
        (a profile without one never gets another catalog's), "" for any other absent part."""
        def said(path: Path | None) -> str:
            return str(path) if path else ""
        return {"catalog": said(self.catalog), "phrases": said(self.phrases), "model": self.model or "",
                "adapter": said(self.adapter) or "none", "toolrag": said(self.toolrag), "bank": said(self.bank),
                "policy": said(self.policy), "bindings": said(self.bindings)}

    def fill(self, values: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
        """``values`` (options or parameters) with each unset one (None or "") of ``names``
        (option -> part) taken from the profile: what is set explicitly overrides the profile."""
        parts = self.parts()
        return {**values, **{option: parts[part] for option, part in names.items()
                             if values.get(option) in (None, "") and parts[part]}}

    def planner_changes(self) -> dict[str, Any]:
        """The planner settings the profile fixes (see ``PlannerSettings``): its adapter, or
        none (a profile without one never gets another catalog's), its ToolRAG model."""
        changes: dict[str, Any] = {"adapter": str(self.adapter) if self.adapter else "none"}
        if self.model:
            changes["model"] = self.model
        if self.toolrag:
            changes["toolrag_dir"] = str(self.toolrag)
        if self.bank:
            changes["bank_dir"] = str(self.bank)
        return changes


def profile_dir(robot: str | Path) -> Path:
    """The directory of ``robot``: a path, or the name of a profile shipped in ``robots/``."""
    path = Path(robot).expanduser()
    if path.is_dir() or path.is_absolute() or len(path.parts) > 1:
        return path
    shipped = share_dir() / "robots" / str(robot)
    return shipped if shipped.is_dir() else path


def load_profile(robot: str | Path) -> RobotProfile:
    """Read and check the profile ``robot`` (a directory or a shipped profile's name)."""
    directory = profile_dir(robot)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ProfileError(str(directory), [f"no {MANIFEST} here: not a robot profile "
                                            "(make one with agent-robot build)"])
    data = read_yaml(manifest_path, ProfileError)
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as e:
        raise ProfileError(str(manifest_path), [f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
                                           for err in e.errors()]) from None
    problems: list[str] = []

    def part(key: str, value: Part | None) -> Path | None:
        if value is None:
            return None
        path = (directory / value.file).resolve()
        if not path.is_file():
            problems.append(f"{key}: {value.file} is missing")
        elif sha256_of(path) != value.sha256:
            problems.append(f"{key}: {value.file} does not match its sha256 in {MANIFEST} (changed since the "
                            f"profile was built: build it again with agent-robot build)")
        return path

    def folder(key: str, value: str | None) -> Path | None:
        if value is None:
            return None
        path = (directory / value).resolve()
        if not path.is_dir():
            problems.append(f"{key}: directory {value} is missing")
        return path

    profile = RobotProfile(
        name=manifest.name, directory=directory.resolve(), catalog=part("catalog", manifest.catalog),
        phrases=part("phrases", manifest.phrases), model=manifest.model, adapter=part("adapter", manifest.adapter),
        toolrag=folder("toolrag", manifest.toolrag), bank=folder("bank", manifest.bank),
        policy=part("policy", manifest.policy), bindings=part("bindings", manifest.bindings))
    if problems:
        raise ProfileError(str(manifest_path), problems)
    return profile


def part_of(directory: Path, path: Path) -> dict[str, str]:
    """A manifest entry for ``path`` inside (or beside) ``directory``."""
    import os

    return {"file": os.path.relpath(path.resolve(), directory.resolve()), "sha256": sha256_of(path)}
