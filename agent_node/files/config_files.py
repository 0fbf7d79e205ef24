"""Reading the YAML files the package is configured with (catalog, world, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ConfigFileError(ValueError):
    """A configuration file that cannot be used, with every reason found."""

    what = "file"

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"invalid {self.what} {source}:\n  - " + "\n  - ".join(problems))


def read_yaml(path: str | Path, error: type[ConfigFileError]) -> Any:
    """The parsed contents of a YAML file, or ``error`` naming the file and why."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise error(str(path), [f"cannot read file: {getattr(e, 'strerror', None) or e}"]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise error(str(path), [f"not valid YAML: {e}"]) from None
