"""Make every colour of the code theme (static/css/pygments.css) readable: WCAG AA contrast.

`python scripts/code_theme.py` rewrites the file in place. Each token colour that has less
than 4.5:1 contrast with the background it is shown on (the theme's code background, the
token's own background, or the highlighted-line background) is darkened (light scheme) or
lightened (dark scheme) in small steps, keeping its hue and saturation, until it has
CONTRAST_GOAL. tests/site/test_theme.py checks the result the same way.
"""

from __future__ import annotations

import colorsys
import re
import sys
from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "pygments.css"
CODE_BACKGROUND = {"light": "#f4f2ee", "dark": "#202126"}  # --code-bg in site.css
CONTRAST_GOAL = 4.6  # a little above WCAG AA's 4.5, so rounding never takes it under
RULE_RE = re.compile(r"^(\s*)(\.highlight[^{]*)\{([^}]*)\}(.*)$")


def hex_rgb(value: str) -> tuple[float, float, float]:
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(hex_rgb(a)), luminance(hex_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def declarations(body: str) -> dict[str, str]:
    found = {}
    for part in body.split(";"):
        name, _, value = part.partition(":")
        if value.strip():
            found[name.strip()] = value.strip()
    return found


def rules(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """(scheme, selector, declarations) of every rule, the scheme from @media."""
    scheme, found = "light", []
    for line in text.splitlines():
        if "prefers-color-scheme: dark" in line:
            scheme = "dark"
        match = RULE_RE.match(line)
        if match:
            found.append((scheme, match[2].strip(), declarations(match[3])))
    return found


def backgrounds(text: str) -> dict[str, list[str]]:
    """Per scheme, every background a token can be shown on."""
    found = {scheme: [bg] for scheme, bg in CODE_BACKGROUND.items()}
    for scheme, selector, decl in rules(text):
        if selector == ".highlight .hll" and "background-color" in decl:
            found[scheme].append(decl["background-color"])
    return found


def readable(color: str, behind: list[str], scheme: str) -> str:
    """*color*, darkened or lightened until it reaches CONTRAST_GOAL on every background."""
    h, lightness, s = colorsys.rgb_to_hls(*hex_rgb(color))
    step = -0.01 if scheme == "light" else 0.01
    while min(contrast(color, bg) for bg in behind) < CONTRAST_GOAL:
        lightness = min(1.0, max(0.0, lightness + step))
        r, g, b = colorsys.hls_to_rgb(h, lightness, s)
        color = "#{:02X}{:02X}{:02X}".format(*(round(c * 255) for c in (r, g, b)))
        if lightness in (0.0, 1.0):
            break
    return color


def main() -> int:
    text = CSS.read_text()
    behind = backgrounds(text)
    scheme, out = "light", []
    for line in text.splitlines():
        if "prefers-color-scheme: dark" in line:
            scheme = "dark"
        match = RULE_RE.match(line)
        if match and ".hll" not in match[2]:
            decl = declarations(match[3])
            if "color" in decl and decl["color"].startswith("#"):
                own = (
                    [decl["background-color"]]
                    if decl.get("background-color", "").startswith("#")
                    else []
                )
                fixed = readable(decl["color"], behind[scheme] + own, scheme)
                line = line.replace(f"color: {decl['color']}", f"color: {fixed}", 1)
        out.append(line)
    CSS.write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
