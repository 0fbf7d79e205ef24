"""Start the agent node, and with ``robot:=true`` the simulated house robot, from params files.

    ros2 launch agent_node agent.launch.py                   # the agent, for a robot already running
    ros2 launch agent_node agent.launch.py robot:=true       # and the simulated house robot
    ros2 launch agent_node agent.launch.py agent_params:=/path/my_agent.yaml

Defaults: ``config/agent_params.yaml`` and ``config/sim_robot_params.yaml`` of the
installed package. Without ``ros2 launch`` (not installable from PyPI) the same
configuration runs as::

    sim_robot_node --ros-args --params-file config/sim_robot_params.yaml
    agent_node --ros-args --params-file config/agent_params.yaml
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = "agent_node"


def generate_launch_description():
    config = os.path.join(get_package_share_directory(PACKAGE), "config")
    return LaunchDescription([
        DeclareLaunchArgument("robot", default_value="false",
                              description="also start the simulated house robot (sim_robot_node)"),
        DeclareLaunchArgument("agent_params", default_value=os.path.join(config, "agent_params.yaml"),
                              description="params file of the agent node"),
        DeclareLaunchArgument("robot_params", default_value=os.path.join(config, "sim_robot_params.yaml"),
                              description="params file of the simulated robot node"),
        Node(package=PACKAGE, executable="sim_robot_node", name="sim_robot", output="screen",
             parameters=[LaunchConfiguration("robot_params")], condition=IfCondition(LaunchConfiguration("robot"))),
        Node(package=PACKAGE, executable="agent_node", name="agent_node", output="screen",
             parameters=[LaunchConfiguration("agent_params")]),
    ])
