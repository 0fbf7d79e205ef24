"""Robot profiles: everything the agent needs for one robot, in one directory."""
