import os
from glob import glob

from setuptools import find_packages, setup

package_name = "agent_node"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(include=["agent_node", "agent_node.*", "tool_adapters", "tool_adapters.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
        ("share/" + package_name + "/config", glob("config/*.yaml") + glob("config/*.xml")),
        ("share/" + package_name + "/launch", glob("launch/*.py")),
        ("share/" + package_name + "/examples", [f for f in glob("examples/*") if os.path.isfile(f)]),
        *[("share/" + package_name + "/" + d, [f for f in glob(d + "/*") if os.path.isfile(f)])
          for d in (x.rstrip("/") for x in glob("examples/*/") + glob("robots/*/"))],
        ("share/" + package_name + "/models", glob("models/*.yaml") + glob("models/*.md") + glob("models/*.py")),
        ("share/" + package_name + "/models/toolrag_home_robot", glob("models/toolrag_home_robot/*")),
        ("share/" + package_name + "/models/planner_adapter_home_robot", glob("models/planner_adapter_home_robot/*.*")),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="agent_node maintainers",
    maintainer_email="maintainers@agent-node.invalid",
    description="An offline agent for ROS 2 robots: plain-language commands to checked, parallel skill plans.",
    license="Apache-2.0",
    python_requires=">=3.10",
    entry_points={
        "console_scripts": [
            "agent-run = agent_node.cli.run:run_main",
            "agent-check = agent_node.cli.run:check_main",
            "agent-datagen = agent_node.cli.datagen:main",
            "agent-eval = agent_node.cli.evaluate:eval_main",
            "agent-plan = agent_node.cli.evaluate:plan_main",
            "agent-toolrag = agent_node.cli.toolrag:main",
            "agent-finetune = agent_node.cli.finetune:main",
            "agent-robot = agent_node.cli.robot:main",
            "agent_node = agent_node.ros.node:main",
            "sim_robot_node = agent_node.ros.sim_robot_node:main",
            "nav2_sim_node = agent_node.ros.nav2_sim_node:main",
        ],
    },
)
