"""The development set of ../shared/spec (never copied into the repo) for tests that read it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DEV_PLANS = Path(os.environ.get("AGENT_SHARED_DIR", REPO.parent / "shared")) / "spec" / "dev_plans.jsonl"


def dev_records() -> list[dict[str, Any]]:
    """Every dev record, or [] when the dev set is not there."""
    if not DEV_PLANS.is_file():
        return []
    return [json.loads(line) for line in DEV_PLANS.read_text(encoding="utf-8").splitlines() if line.strip()]


def dev_cases() -> list[Any]:
    """One pytest param per dev record (id = record id), or a single skipped param."""
    records = dev_records()
    if not records:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"dev set not found at {DEV_PLANS}"))]
    return [pytest.param(r, id=r["id"]) for r in records]


def concrete(value: Any, option: int = 0) -> Any:
    """A gold value with its placeholders made concrete: ``{"$any": [...]}`` takes
    option ``option``; ``"<text $1 $2>"`` becomes a sentence citing exactly $1 and $2."""
    if isinstance(value, dict) and set(value) == {"$any"}:
        options = value["$any"]
        return concrete(options[min(option, len(options) - 1)], option)
    if isinstance(value, dict):
        return {k: concrete(v, option) for k, v in value.items()}
    if isinstance(value, list):
        return [concrete(v, option) for v in value]
    if isinstance(value, str) and value.startswith("<text") and value.endswith(">"):
        refs = re.findall(r"\$[0-9]+", value)
        return "Here is what I found: " + " and ".join(refs) if refs else "Lunch is served"
    return value
