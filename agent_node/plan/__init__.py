"""A plan: its model, its text and JSON forms, reading them, the checker and the DAG."""
