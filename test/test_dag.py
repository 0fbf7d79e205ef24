"""DAG: data and resource edges, critical path, DOT and PNG export."""

from __future__ import annotations

from agent_node.catalog.skills import load_catalog
from agent_node.plan.dag import build_dag, critical_path, to_dot, to_png
from agent_node.plan.model import Plan
from agent_node.plan.reading import read_plan

CATALOG = load_catalog()
ERRAND = read_plan(
    '1. find_person(person="bob")\n2. get_battery()\n3. navigate_to(location=$1)\n'
    '4. pick(object="cup")\n5. say(text="battery $2")\n6. send_message(recipient="bob", text="at $1")\n'
    '7. take_photo()')


def test_data_edges_follow_citations_and_resource_edges_chain_the_body():
    g = build_dag(ERRAND, CATALOG)
    data = {(u, v) for u, v, a in g.edges(data=True) if a["data"]}
    resource = {(u, v): a["resources"] for u, v, a in g.edges(data=True) if a["resources"]}
    assert data == {(1, 3), (1, 6), (2, 5)}
    assert resource == {(3, 4): ["base"], (4, 5): ["base"], (5, 7): ["base"]}
    assert g.nodes[6]["resources"] == [] and g.nodes[4]["resources"] == ["base", "arm"]


def test_an_edge_can_be_data_and_resource_at_once():
    g = build_dag(read_plan('1. get_location()\n2. navigate_to(location=$1)'), CATALOG)
    assert g.edges[1, 2] == {"data": True, "resources": ["base"]}


def test_critical_path_by_count_and_by_duration():
    g = build_dag(ERRAND, CATALOG)
    assert critical_path(g) == (5.0, [1, 3, 4, 5, 7])
    durations = {1: 0.2, 2: 30.0, 3: 20.0, 4: 4.0, 5: 2.0, 6: 0.1, 7: 0.5}
    assert critical_path(g, durations) == (32.5, [2, 5, 7])
    assert critical_path(build_dag(Plan(), CATALOG)) == (0.0, [])


def test_dot_names_every_task_and_styles_edges():
    dot = to_dot(build_dag(ERRAND, CATALOG))
    assert dot.startswith('digraph "plan" {')
    for n in range(1, 8):
        assert f"  {n} [label=" in dot
    assert '1 -> 3 [style=solid, label="data"]' in dot
    assert '3 -> 4 [style=dashed, label="base"]' in dot
    assert 'person=bob' in dot


def test_png_is_written(tmp_path):
    path = to_png(build_dag(ERRAND, CATALOG), tmp_path / "plan.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    empty = to_png(build_dag(Plan(), CATALOG), tmp_path / "empty.png")
    assert empty.read_bytes()[:4] == b"\x89PNG"
