"""The skill catalog: skills and their parameters, values and their checks, the robot's policy."""
