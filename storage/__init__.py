"""Persistence: the engine, units of work, table models and the repositories that hold every query."""
