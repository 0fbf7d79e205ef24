"""Adapters that carry out the agent's skill calls (simulator, ROS, ...)."""
