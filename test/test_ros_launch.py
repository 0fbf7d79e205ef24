"""launch/agent.launch.py, checked statically (launch and launch_ros are not on PyPI),
and the params files it passes, checked against the parameters the nodes declare.
test_ros_nodes.py runs the same params files through the console scripts."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import types
from pathlib import Path

import pytest
import yaml

from agent_node.ros import node as agent_node_module
from agent_node.ros import sim_robot_node as sim_node_module
from agent_node.ros.params import _check

REPO = Path(__file__).resolve().parents[1]
LAUNCH = REPO / "launch" / "agent.launch.py"


class Recorder:
    """Stands in for a launch class: remembers its arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class LaunchConfiguration(Recorder):
    def perform(self, context: dict) -> str:
        return context.get(self.args[0], "")


class IfCondition(Recorder):
    pass


def stub_modules(monkeypatch) -> None:
    modules = {
        "launch": {"LaunchDescription": Recorder},
        "launch.actions": {"DeclareLaunchArgument": Recorder, "OpaqueFunction": Recorder},
        "launch.conditions": {"IfCondition": IfCondition},
        "launch.substitutions": {"LaunchConfiguration": LaunchConfiguration},
        "launch_ros": {},
        "launch_ros.actions": {"Node": Recorder},
        "ament_index_python": {},
        "ament_index_python.packages": {"get_package_share_directory":
                                        lambda pkg: str(REPO) if pkg == "agent_node" else pytest.fail(pkg)},
    }
    for name, attrs in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, module)


@pytest.fixture
def description(monkeypatch):
    stub_modules(monkeypatch)
    spec = importlib.util.spec_from_file_location("agent_launch", LAUNCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_launch_description()


def console_scripts() -> set[str]:
    return set(re.findall(r'"([A-Za-z0-9_-]+) = agent_node\.', (REPO / "setup.py").read_text()))


def test_the_launch_file_parses_and_imports_only_launch_packages():
    tree = ast.parse(LAUNCH.read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"os", "launch", "launch.actions", "launch.conditions", "launch.substitutions",
                        "launch_ros.actions", "ament_index_python.packages"}


def _entities(description, context: dict) -> list:
    """The launch entities, the agent node's made by its function for ``context`` (argument values)."""
    out = []
    for e in description.args[0]:
        out += e.kwargs["function"](context) if "function" in e.kwargs else [e]
    return out


def test_the_launch_file_starts_both_console_scripts_with_the_config_params_files(description):
    entities = _entities(description, {})
    arguments = {e.args[0]: e.kwargs for e in entities if "default_value" in e.kwargs}
    nodes = {e.kwargs["executable"]: e.kwargs for e in entities if "executable" in e.kwargs}
    assert set(nodes) == {"agent_node", "sim_robot_node", "nav2_sim_node"} <= console_scripts()
    assert all(n["package"] == "agent_node" for n in nodes.values())
    assert arguments["sim"]["default_value"] == "false" and arguments["robot"]["default_value"] == ""
    robot_condition = nodes["sim_robot_node"]["condition"]
    assert isinstance(robot_condition, IfCondition) and robot_condition.args[0].args == ("sim",)
    assert "condition" not in nodes["agent_node"]
    nav2_condition = nodes["nav2_sim_node"]["condition"]
    assert nav2_condition.args[0].args == ("nav2_sim",) and arguments["nav2_sim"]["default_value"] == "false"
    for executable, argument, params_file in (("agent_node", "agent_params", "agent_params.yaml"),
                                              ("sim_robot_node", "robot_params", "sim_robot_params.yaml")):
        assert Path(arguments[argument]["default_value"]) == REPO / "config" / params_file
        (param,) = nodes[executable]["parameters"]
        assert isinstance(param, LaunchConfiguration) and param.args == (argument,)
        # the node name the launch file gives is the key of its params file, or nothing would apply
        data = yaml.safe_load((REPO / "config" / params_file).read_text())
        assert list(data) == [nodes[executable]["name"]]


def test_robot_picks_the_agent_nodes_profile(description):
    (agent,) = [e for e in _entities(description, {"robot": "home_robot"}) if e.kwargs.get("executable") == "agent_node"]
    params_file, override = agent.kwargs["parameters"]
    assert params_file.args == ("agent_params",) and override == {"robot": "home_robot"}


@pytest.mark.parametrize("params_file, module", [("agent_params.yaml", agent_node_module),
                                                 ("sim_robot_params.yaml", sim_node_module)])
def test_the_params_files_set_exactly_the_declared_parameters_with_valid_values(params_file, module):
    data = yaml.safe_load((REPO / "config" / params_file).read_text())
    (node_name,) = data
    assert node_name == module.NODE_NAME
    values = data[node_name]["ros__parameters"]
    specs = {s.name: s for s in module.PARAMETERS}
    assert set(values) == set(specs)
    for name, value in values.items():
        _check(specs[name], value)  # raises ParameterError on a bad value
        if not isinstance(specs[name].default, list):
            assert type(value) is type(specs[name].default) or value == specs[name].default, name


def test_the_nav2_params_file_sets_declared_parameters_and_its_bindings_load_by_name(monkeypatch, tmp_path):
    from agent_node.catalog.skills import load_catalog
    from tool_adapters.ros.bindings import load_bindings

    data = yaml.safe_load((REPO / "config" / "nav2_params.yaml").read_text())
    values = data[agent_node_module.NODE_NAME]["ros__parameters"]
    specs = {s.name: s for s in agent_node_module.PARAMETERS}
    assert set(values) <= set(specs)
    for name, value in values.items():
        _check(specs[name], value)
    monkeypatch.chdir(tmp_path)  # a node started anywhere finds the package's file by its name
    bindings = load_bindings(values["bindings"], load_catalog())
    assert Path(bindings.source) == REPO / "config" / "nav2_bindings.yaml"
