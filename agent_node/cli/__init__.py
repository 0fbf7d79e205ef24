"""Every console script and every ``python -m`` verb the Makefile runs."""
