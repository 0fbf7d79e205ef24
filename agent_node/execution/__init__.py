"""Running a checked plan: the executor, its events, the skill-runner interface, the answer and the audit log."""
