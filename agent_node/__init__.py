"""agent_node: an offline agent for ROS 2 robots (pure core; never imports rclpy)."""

__version__ = "0.1.0"
