"""Start the agent node, for a robot profile, and with ``sim:=true`` the simulated house robot.

    ros2 launch agent_node agent.launch.py                        # the agent, for a robot already running
    ros2 launch agent_node agent.launch.py sim:=true              # and the simulated house robot
    ros2 launch agent_node agent.launch.py robot:=/path/my_robot  # a profile agent-robot build wrote
    ros2 launch agent_node agent.launch.py agent_params:=/path/my_agent.yaml
    ros2 launch agent_node agent.launch.py agent_params:=.../config/nav2_params.yaml nav2_sim:=true  # Nav2 stand-in

Defaults: ``config/agent_params.yaml`` and ``config/sim_robot_params.yaml`` of the
installed package; ``robot`` (a profile directory or a shipped profile's name, such
as ``home_robot``) overrides the params file's ``robot`` parameter. Without
``ros2 launch`` (not installable from PyPI) the same configuration runs as::

    sim_robot_node --ros-args --params-file config/sim_robot_params.yaml
    agent_node --ros-args --params-file config/agent_params.yaml -p robot:=/path/my_robot
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = "agent_node"


def _agent(context):
    robot = LaunchConfiguration("robot").perform(context)
    overrides = [{"robot": robot}] if robot else []
    return [Node(package=PACKAGE, executable="agent_node", name="agent_node", output="screen",
                 parameters=[LaunchConfiguration("agent_params"), *overrides])]


def generate_launch_description():
    config = os.path.join(get_package_share_directory(PACKAGE), "config")
    return LaunchDescription([
        DeclareLaunchArgument("sim", default_value="false",
                              description="also start the simulated house robot (sim_robot_node)"),
        DeclareLaunchArgument("robot", default_value="",
                              description="robot profile: a directory agent-robot build wrote, or a shipped "
                                          "profile's name ('' = the params file's)"),
        DeclareLaunchArgument("agent_params", default_value=os.path.join(config, "agent_params.yaml"),
                              description="params file of the agent node"),
        DeclareLaunchArgument("robot_params", default_value=os.path.join(config, "sim_robot_params.yaml"),
                              description="params file of the simulated robot node"),
        Node(package=PACKAGE, executable="sim_robot_node", name="sim_robot", output="screen",
             parameters=[LaunchConfiguration("robot_params")], condition=IfCondition(LaunchConfiguration("sim"))),
        DeclareLaunchArgument("nav2_sim", default_value="false",
                              description="also start nav2_sim_node, a stand-in for Nav2's action servers"),
        Node(package=PACKAGE, executable="nav2_sim_node", name="nav2_sim", output="screen",
             condition=IfCondition(LaunchConfiguration("nav2_sim"))),
        OpaqueFunction(function=_agent),
    ])
