"""Diagnostics (site_builder/errors.py)."""

from site_builder.errors import Diagnostic


def test_diagnostics_escape_what_a_terminal_would_act_on():
    text = Diagnostic("a\udcff.md", 3, 0, "got \x1b[31mred", "line\x07").format()
    assert text == "a\\xff.md:3: error: got \\x1b[31mred\n  hint: line\\x07"
