"""The package's layout rules, read from the code's imports (ast), every import
counted: inside functions and under ``TYPE_CHECKING`` too.

- no import circle between modules;
- each layer imports only itself and the layers below it (:data:`LAYERS`, lowest first);
- the runtime never imports the offline pipeline (``datagen``, ``training``) or a CLI;
- rclpy only in ``agent_node/ros/`` and ``tool_adapters/ros/``;
- importing a subpackage loads nothing heavy (no llama_cpp, onnxruntime, torch, rclpy).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("agent_node", "tool_adapters")
#: Lowest first. ``agent_node.X`` is layer X; ``tool_adapters`` is one layer; ``agent_node.agent`` is ``agent``.
LAYERS = ["files", "catalog", "profiles", "plan", "language", "speech", "execution", "tool_adapters", "planning",
          "agent", "ros", "datagen", "training", "cli"]
RUNTIME = {"files", "catalog", "profiles", "plan", "language", "speech", "execution", "tool_adapters", "planning",
           "agent", "ros"}
OFFLINE = {"datagen", "training", "cli"}
HEAVY = ("llama_cpp", "onnxruntime", "torch", "rclpy", "transformers", "pywhispercpp")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def imports(path: Path, known: dict[str, Path]) -> dict[str, int]:
    """The project modules ``path`` imports (anywhere in it), with the line of the first import."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: dict[str, int] = {}

    def add(name: str, line: int) -> None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != me:
            out.setdefault(name, line)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base, node.lineno)
    return out


def external_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "tool_adapters":
        return "tool_adapters"
    return parts[1] if len(parts) > 1 else "agent_node"


KNOWN = modules()
GRAPH = {m: imports(p, KNOWN) for m, p in KNOWN.items()}


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_layout_is_read():
    assert {"agent_node.planning.planner", "agent_node.catalog.skills", "tool_adapters.sim.robot"} <= set(KNOWN)
    assert "agent_node.plan.model" in GRAPH["agent_node.planning.planner"]


def test_no_import_circle():
    assert circles(GRAPH) == []


def test_circles_are_found_when_there_are_some():
    assert circles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]


def test_every_module_sits_in_a_known_layer():
    stray = sorted(m for m in KNOWN if layer(m) not in LAYERS and m != "agent_node")
    assert stray == []


def test_each_layer_imports_only_layers_below_it():
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = [f"{m} ({layer(m)}) imports {d} ({layer(d)}), line {line}"
              for m, deps in GRAPH.items() if m != "agent_node"
              for d, line in deps.items() if d != "agent_node" and rank[layer(d)] > rank[layer(m)]]
    assert upward == []


def test_the_runtime_never_imports_the_offline_pipeline():
    found = [f"{m} imports {d}, line {line}" for m, deps in GRAPH.items() if layer(m) in RUNTIME
             for d, line in deps.items() if layer(d) in OFFLINE]
    assert found == []


def test_rclpy_only_in_the_ros_layers():
    ros_dirs = (REPO / "agent_node" / "ros", REPO / "tool_adapters" / "ros")
    users = [m for m, p in KNOWN.items() if "rclpy" in external_imports(p) and not p.is_relative_to(ros_dirs[0])
             and not p.is_relative_to(ros_dirs[1])]
    assert users == []


@pytest.mark.parametrize("package", sorted(m for m, p in KNOWN.items() if p.name == "__init__.py"))
def test_importing_a_subpackage_loads_nothing_heavy(package):
    code = (f"import sys, {package}\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"importing {package} loads {done.stdout.strip()}"
