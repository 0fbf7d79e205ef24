"""A plan as a dependency graph: data edges (``$N``) and resource edges.

Two tasks that hold a common resource (``base``, ``arm``...) keep plan order:
each task gets an edge from the previous holder of each of its resources. A
task may start once all its predecessors are done, which is exactly what the
executor does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

import networkx as nx

from agent_node.catalog.skills import Catalog
from agent_node.plan.model import Plan


def build_dag(plan: Plan, catalog: Catalog) -> nx.DiGraph:
    """Nodes are task ids (attributes ``skill``, ``args``, ``resources``);
    edges carry ``data`` (bool) and ``resources`` (sorted list)."""
    g = nx.DiGraph()
    last_holder: dict[str, int] = {}
    for task in plan.tasks:
        skill = catalog.skill(task.skill)
        resources = list(skill.resources) if skill else []
        g.add_node(task.id, skill=task.skill, args=task.args, resources=resources)
        for n in sorted(task.refs()):
            if 1 <= n < task.id:
                g.add_edge(n, task.id, data=True, resources=[])
        for r in resources:
            if r in last_holder:
                prev = last_holder[r]
                if not g.has_edge(prev, task.id):
                    g.add_edge(prev, task.id, data=False, resources=[])
                g.edges[prev, task.id]["resources"] = sorted({*g.edges[prev, task.id]["resources"], r})
            last_holder[r] = task.id
    return g


def critical_path(g: nx.DiGraph, duration: Mapping[int, float] | Callable[[int], float] | None = None
                  ) -> tuple[float, list[int]]:
    """The longest chain of tasks by total duration (default 1 per task)."""
    if duration is None:
        weight = lambda n: 1.0  # noqa: E731
    elif callable(duration):
        weight = duration
    else:
        weight = duration.__getitem__
    best: dict[int, tuple[float, int | None]] = {}
    for n in nx.topological_sort(g):
        start, prev = max(((best[p][0], p) for p in g.predecessors(n)), default=(0.0, None))
        best[n] = (start + weight(n), prev)
    if not best:
        return 0.0, []
    end = max(best, key=lambda n: best[n][0])
    length, path = best[end][0], []
    node: int | None = end
    while node is not None:
        path.append(node)
        node = best[node][1]
    return length, path[::-1]


def _label(g: nx.DiGraph, n: int) -> str:
    args = ", ".join(f"{k}={v!r}" if not isinstance(v, str) else f"{k}={v}" for k, v in g.nodes[n]["args"].items())
    if len(args) > 60:
        args = args[:57] + "..."
    return f"{n}. {g.nodes[n]['skill']}\n{args}" if args else f"{n}. {g.nodes[n]['skill']}"


def _edge_label(attrs: dict) -> str:
    parts = (["data"] if attrs["data"] else []) + attrs["resources"]
    return ", ".join(parts)


def to_dot(g: nx.DiGraph, name: str = "plan") -> str:
    """Graphviz DOT: data edges solid, resource-only edges dashed and labelled."""
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = [f"digraph {q(name)} {{", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for n in g.nodes:
        color = "#ffd8a8" if g.nodes[n]["resources"] else "#a5d8ff"
        lines.append(f"  {n} [label={q(_label(g, n))}, fillcolor={q(color)}];")
    for u, v, attrs in g.edges(data=True):
        style = "solid" if attrs["data"] else "dashed"
        lines.append(f"  {u} -> {v} [style={style}, label={q(_edge_label(attrs))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_png(g: nx.DiGraph, path: str | Path, title: str = "") -> Path:
    """Draw the DAG left to right by dependency layer (matplotlib, no Graphviz needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = list(nx.topological_generations(g)) if g.nodes else []
    pos = {}
    for x, layer in enumerate(layers):
        for i, n in enumerate(sorted(layer)):
            pos[n] = (x * 3.0, -(i - (len(layer) - 1) / 2) * 1.6)
    width = max(4.0, 3.0 * len(layers) + 1)
    height = max(2.5, 1.6 * max((len(layer) for layer in layers), default=1) + 1)
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_axis_off()
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
    ax.set_ylim(min(ys) - 1.0, max(ys) + 1.0)
    boxes = {}
    for n, (x, y) in pos.items():
        color = "#ffd8a8" if g.nodes[n]["resources"] else "#a5d8ff"
        boxes[n] = ax.text(x, y, _label(g, n), ha="center", va="center", fontsize=8, parse_math=False,
                           bbox=dict(boxstyle="round,pad=0.4", fc=color, ec="#343a40"), zorder=3)
    fig.canvas.draw()  # lay the boxes out so arrows can start and end at their edges
    to_data = ax.transData.inverted()
    edges_x = {n: to_data.transform(b.get_bbox_patch().get_window_extent())[:, 0] for n, b in boxes.items()}
    for u, v, attrs in g.edges(data=True):
        span = abs(pos[v][0] - pos[u][0]) / 3.0
        ax.annotate("", xy=(edges_x[v].min(), pos[v][1]), xytext=(edges_x[u].max(), pos[u][1]), zorder=4,
                    arrowprops=dict(arrowstyle="-|>", color="#495057", shrinkA=0, shrinkB=0,
                                    linestyle="-" if attrs["data"] else "--",
                                    connectionstyle=f"arc3,rad={0.08 if span <= 1 else 0.3}"))
        if attrs["resources"]:
            mx, my = (pos[u][0] + pos[v][0]) / 2, (pos[u][1] + pos[v][1]) / 2
            ax.text(mx, my + 0.15, ", ".join(attrs["resources"]), fontsize=7, ha="center",
                    color="#495057", parse_math=False)
    ax.set_title(title or "plan: solid arrows carry results ($N), dashed ones keep the order of a shared resource;"
                 " orange tasks hold resources", fontsize=9, parse_math=False)
    path = Path(path)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
