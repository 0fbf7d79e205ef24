"""Carrying skills out on a ROS 2 robot: bindings from catalog skills to services,
actions and topics, and the rclpy plumbing (the only code here that imports rclpy:
``bridge``, ``runner`` and ``server``)."""
