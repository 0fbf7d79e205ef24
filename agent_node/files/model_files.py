"""Model weights: where the registry says they are, checked by sha256 before use.

Weights come from PyPI packages (installed ``--no-deps``, never imported) or
from files under ``models/``; nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from agent_node.files.config_files import ConfigFileError, read_yaml
from agent_node.files.paths import share_dir


class ModelFileError(RuntimeError):
    """A model file that is missing, truncated or not the file it should be."""


class RegistryError(ConfigFileError):
    what = "model registry"


class PackageFile(BaseModel):
    """Where a file is: inside an installed package (``module``), or a path."""

    model_config = ConfigDict(extra="forbid")

    package: str = ""
    module: str = ""
    file: str

    def locate(self) -> Path:
        """The file's path (not yet checked)."""
        if not self.module:
            path = Path(self.file)
            return path if path.is_absolute() else share_dir() / path
        spec = importlib.util.find_spec(self.module)  # finds the package without importing it
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError(f"the package {self.package or self.module} is not installed; "
                                 "run `make setup` (it installs requirements-models.txt with --no-deps)")
        return Path(list(spec.submodule_search_locations)[0]) / self.file


class ModelFile(PackageFile):
    """A model file with the size and sha256 it must have."""

    bytes: int | None = None
    sha256: str

    def verified_path(self) -> Path:
        """The file's path after checking that it exists, its size and sha256."""
        path = self.locate()
        verify_file(path, self.sha256, self.bytes)
        return path


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=64)
def _verified(path: str, size: int, mtime_ns: int, sha256: str) -> bool:
    return sha256_of(Path(path)) == sha256


def verify_file(path: Path, sha256: str, size: int | None = None) -> None:
    """ModelFileError unless ``path`` is a file of ``size`` bytes with ``sha256``."""
    try:
        st = path.stat()
    except OSError:
        raise ModelFileError(f"model file {path} is missing") from None
    if not path.is_file():
        raise ModelFileError(f"model file {path} is not a file")
    if size is not None and st.st_size != size:
        raise ModelFileError(f"model file {path} has {st.st_size} bytes, expected {size}: "
                             "truncated or the wrong file")
    if not _verified(str(path), st.st_size, st.st_mtime_ns, sha256.lower()):
        raise ModelFileError(f"model file {path} is corrupt: its sha256 is not {sha256}")


def is_verified(path: Path, sha256: str, size: int | None = None) -> bool:
    """Whether ``path`` is already the registered file (see :func:`verify_file`)."""
    try:
        verify_file(path, sha256, size)
    except ModelFileError:
        return False
    return True


def registry_path() -> Path:
    return share_dir() / "models" / "registry.yaml"


def load_registry(path: Path | None = None) -> dict[str, Any]:
    path = path or registry_path()
    data = read_yaml(path, RegistryError)
    if not isinstance(data, dict):
        raise RegistryError(str(path), ["top level must be a mapping"])
    return data


class RegisteredModel(BaseModel):
    """A model file a registry names: where it lives (relative to the package's
    share directory unless absolute), its size and sha256, and whether it is the default."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    default: bool = False
    file: str
    bytes: int
    sha256: str

    @property
    def path(self) -> Path:
        p = Path(self.file)
        return p if p.is_absolute() else share_dir() / p


Spec = TypeVar("Spec", bound=BaseModel)


def registry_section(path: Path, key: str, model: type[Spec]) -> dict[str, Spec]:
    """The entries under ``key`` of the registry file ``path``, validated as ``model``."""
    raw = load_registry(path).get(key) or {}
    try:
        return {name: model.model_validate(spec) for name, spec in raw.items()}
    except Exception as e:
        raise RegistryError(f"models/{path.name}", [f"{key}: {e}"]) from None


def default_name(specs: dict[str, Any]) -> str:
    """The entry marked ``default``, else the first ("" when there is none)."""
    return next((n for n, s in specs.items() if s.default), next(iter(specs), ""))


def pick_spec(specs: dict[str, Spec], name: str | None, what: str, source: str) -> Spec:
    """``specs[name]`` (the default when ``name`` is None); ModelFileError naming the known ones."""
    if not specs:
        raise ModelFileError(f"{source} registers no {what} model")
    name = name or default_name(specs)
    if name not in specs:
        raise ModelFileError(f"no {what} model '{name}' in {source}; known: {sorted(specs)}")
    return specs[name]


def check_magic(path: Path, magic: bytes, kind: str) -> None:
    """ModelFileError unless ``path`` is a readable file that starts with ``magic``."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(magic))
    except FileNotFoundError:
        raise ModelFileError(f"{kind} file {path} is missing") from None
    except OSError as e:
        raise ModelFileError(f"cannot read {kind} file {path}: {e.strerror or e}") from None
    if head != magic:
        raise ModelFileError(f"{path} is not a {kind} file")


def onnx_session(path, threads: int, what: str):
    """An onnxruntime CPU session on ``threads`` threads; ModelFileError naming ``what``."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ModelFileError(f"cannot load {what} {path}: {e}") from None
