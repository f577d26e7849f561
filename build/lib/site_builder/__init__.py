"""Explorable-explanation site generator: Markdown with Python, live in the browser."""

__version__ = "0.1.0"
