"""The ROS 2 shell around the pure core: the ``agent_node`` and ``sim_robot_node``
executables. The only package of agent_node that imports rclpy."""
