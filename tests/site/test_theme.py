"""The code theme is readable: every token colour has WCAG AA contrast (4.5:1) with every
background it can be shown on, in the light and the dark colour scheme."""

import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from code_theme import CODE_BACKGROUND, CSS, contrast, rules  # noqa: E402


def effective(scheme: str) -> dict[str, dict[str, str]]:
    """Each selector's declarations as the browser applies them in *scheme*: the dark
    scheme's rules come after the light ones and override what they set."""
    found: dict[str, dict[str, str]] = {}
    for rule_scheme, selector, decl in rules(CSS.read_text()):
        if rule_scheme == "light" or scheme == "dark":
            found.setdefault(selector, {}).update(decl)
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_token_colour_is_readable(scheme):
    styles = effective(scheme)
    highlighted = styles[".highlight .hll"]["background-color"]
    checked = 0
    for selector, decl in styles.items():
        color = decl.get("color", "")
        if selector == ".highlight" or not color.startswith("#"):
            continue
        own = decl.get("background-color", "transparent")
        behind = [own] if own.startswith("#") else [CODE_BACKGROUND[scheme], highlighted]
        for background in behind:
            ratio = contrast(color, background)
            assert ratio >= 4.5, f"{scheme} {selector}: {color} on {background} is {ratio:.2f}:1"
        checked += 1
    assert checked > 60  # every token class of the theme, not a handful


def test_the_code_background_is_the_theme_one():
    site = (ROOT / "static" / "css" / "site.css").read_text()
    light, _, dark = site.partition("prefers-color-scheme: dark")
    assert f"--code-bg: {CODE_BACKGROUND['light']}" in light
    assert f"--code-bg: {CODE_BACKGROUND['dark']}" in dark
    assert ".highlight { background: var(--code-bg) !important;" in site
