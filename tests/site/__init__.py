"""Whole-site tests: projects built from Markdown, cells, widgets, packages and settings,
checked in their output, their errors and their state; faults, safety and the dev server."""
