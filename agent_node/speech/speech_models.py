"""The speech models of ``models/speech.yaml``: where they are, checked by sha256, and
preparing the Whisper one.

:func:`prepare` converts the CTranslate2 copy of a Whisper model (from a PyPI
package, installed ``--no-deps``) into whisper.cpp's ggml file under ``models/``
with ``models/whisper_ct2_to_ggml.py`` and checks its sha256; it does nothing when
the file is already there and right (``python -m agent_node.cli.models prepare``).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel, ConfigDict

from agent_node.files.model_files import (
    ModelFile,
    ModelFileError,
    RegisteredModel,
    check_magic,
    is_verified,
    pick_spec,
    registry_section,
    verify_file,
)
from agent_node.files.paths import share_dir

GGML_MAGIC = b"lmgg"  # 0x67676d6c, little-endian
CONVERTER = "whisper_ct2_to_ggml.py"


class WhisperSpec(RegisteredModel):
    """A Whisper model: its ggml ``file`` and the CTranslate2 files it is made from."""

    convert_from: list[ModelFile] = []


class VadSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    default: bool = False
    model: ModelFile


def speech_registry_path() -> Path:
    return share_dir() / "models" / "speech.yaml"


def whisper_specs() -> dict[str, WhisperSpec]:
    return registry_section(speech_registry_path(), "whisper", WhisperSpec)


def whisper_spec(name: str | None = None) -> WhisperSpec:
    return pick_spec(whisper_specs(), name, "whisper", "models/speech.yaml")


def vad_spec(name: str | None = None) -> VadSpec:
    return pick_spec(registry_section(speech_registry_path(), "vad", VadSpec), name, "VAD", "models/speech.yaml")


def check_ggml(path: Path) -> None:
    """ModelFileError unless ``path`` is a readable file that starts like a whisper.cpp ggml model."""
    check_magic(path, GGML_MAGIC, "whisper.cpp ggml model")


def whisper_model_path(model: str | Path | None = None) -> Path:
    """The checked ggml file of ``model``: a registry name (sha256 checked; None is the
    default) or a path to a ``.bin`` file (only its header is checked)."""
    if model is not None and (Path(model).suffix == ".bin" or Path(model).exists()):
        path = Path(model)
        check_ggml(path)
        return path
    spec = whisper_spec(str(model) if model is not None else None)
    try:
        verify_file(spec.path, spec.sha256, spec.bytes)
    except ModelFileError as e:
        raise ModelFileError(f"{e}; run `make setup` (or `python -m agent_node.cli.models prepare`) "
                             "to convert it again") from None
    return spec.path


@lru_cache(maxsize=1)
def converter() -> ModuleType:
    """``models/whisper_ct2_to_ggml.py``, loaded as a module."""
    path = share_dir() / "models" / CONVERTER
    spec = importlib.util.spec_from_file_location("whisper_ct2_to_ggml", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ModelFileError(f"the converter {path} is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(name: str | None = None) -> Path:
    """Convert the Whisper model ``name`` to ggml unless it is already there with its
    sha256; ModelFileError when a source is missing or the result is not the registered file."""
    spec = whisper_spec(name)
    target = spec.path
    if is_verified(target, spec.sha256, spec.bytes):
        return target
    if not spec.convert_from:
        raise ModelFileError(f"{target} is missing and models/speech.yaml names nothing to convert it from")
    sources = [f.verified_path() for f in spec.convert_from]
    conv = converter()
    try:
        conv.convert(sources[0].parent, target)
    except conv.ConversionError as e:
        raise ModelFileError(f"cannot convert {sources[0].parent}: {e}") from None
    try:
        verify_file(target, spec.sha256, spec.bytes)
    except ModelFileError:
        target.unlink(missing_ok=True)
        raise ModelFileError(f"the converted {target.name} does not have the registered size and sha256; "
                             "the converter or its source changed") from None
    return target
