"""Where the package's data files live, in a source tree or once installed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = "agent_node"


def share_dir() -> Path:
    """The package's share directory: the source tree, else ``<prefix>/share/agent_node``."""
    source = Path(__file__).resolve().parents[2]
    if (source / "package.xml").is_file() and (source / "config").is_dir():
        return source
    for prefix in [sys.prefix, *os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep)]:
        candidate = Path(prefix) / "share" / PACKAGE
        if (candidate / "config").is_dir():
            return candidate
    return source


def config_path(name: str) -> Path:
    return share_dir() / "config" / name


def default_catalog_path() -> Path:
    return config_path("home_robot_skills.yaml")
