"""The Content-Security-Policy every page carries, and what authors may add to it.

By default a page runs only the site's own scripts, styles, images and frames. A site
(``[csp]`` in ``site.toml``) or one article (``csp:`` in its front matter) adds sources to
directives, e.g. a video host's frames::

    [csp]
    frame-src = ["https://www.youtube-nocookie.com"]

The build warns about raw HTML the resulting policy blocks (markdown.blocked_by_csp).
"""

from __future__ import annotations

import re
from typing import Any

BASE: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'", "'wasm-unsafe-eval'"),
    "connect-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "style-src": ("'self'",),
    "worker-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
}
# Directives an author may extend (fetch directives; the rest of the policy is the site's).
DIRECTIVES = (
    "default-src",
    "script-src",
    "script-src-elem",
    "style-src",
    "style-src-elem",
    "style-src-attr",
    "img-src",
    "media-src",
    "font-src",
    "frame-src",
    "connect-src",
    "worker-src",
    "manifest-src",
)
_SOURCE = re.compile(r"^[^\s;,'\"]+$|^'[a-z0-9+/=-]+'$", re.I)

Extension = tuple[tuple[str, tuple[str, ...]], ...]  # ((directive, sources), ...), sorted


def check_extension(value: Any) -> tuple[Extension | None, str]:
    """(*value* as an Extension, "") or (None, what is wrong with it)."""
    if not isinstance(value, dict):
        return None, 'a table of directives, e.g. frame-src = ["https://www.youtube.com"]'
    found = []
    for directive, sources in value.items():
        if directive not in DIRECTIVES:
            return None, f"unknown directive '{directive}' (known: {', '.join(DIRECTIVES)})"
        if isinstance(sources, str):
            sources = sources.split()
        if not (isinstance(sources, list) and all(isinstance(s, str) for s in sources)):
            return None, f"'{directive}': a list of sources such as \"https://example.org\""
        bad = [s for s in sources if not _SOURCE.match(s)]
        if bad:
            return None, f"'{directive}': {bad[0]!r} is not a CSP source"
        found.append((directive, tuple(sources)))
    return tuple(sorted(found)), ""


def _merged(extensions: tuple[Extension, ...]) -> dict[str, list[str]]:
    directives = {name: list(sources) for name, sources in BASE.items()}
    for extension in extensions:
        for name, sources in extension:
            directives.setdefault(name, list(directives["default-src"]))
            directives[name] += [s for s in sources if s not in directives[name]]
    return directives


def policy(
    *extensions: Extension, origin: str = "", style_hashes: tuple[str, ...] | list[str] = ()
) -> str:
    """The page's policy: the base, the runtime's *origin* (CDN mode) allowed to run and be
    fetched, the hashes of the generated ``style`` attributes (math), then *extensions*."""
    directives = _merged(extensions)
    for name in ("script-src", "connect-src"):
        directives[name] += origin.split()
    style = directives["style-src"]
    # With a hash listed, browsers ignore 'unsafe-inline': add hashes only without it.
    if style_hashes and "'unsafe-inline'" not in style:
        style += ["'unsafe-hashes'", *style_hashes]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def allows(extensions: tuple[Extension, ...], chain: tuple[str, ...], source: str) -> bool:
    """Whether the policy with *extensions* allows *source* (a URL, or a keyword such as
    'unsafe-inline') for the first directive of *chain* it sets (the fallback order, e.g.
    ``("script-src-elem", "script-src", "default-src")``)."""
    if not extensions:
        return False  # the base policy allows only the site itself
    directives = _merged(extensions)
    name = next((d for d in chain if d in directives), "default-src")
    return any(
        a == source or (not a.startswith("'") and _matches(a, source)) for a in directives[name]
    )


def _matches(allowed: str, url: str) -> bool:
    """CSP host-source matching, simplified: scheme, host (``*.`` wildcards) and path prefix."""
    from urllib.parse import urlsplit

    if allowed in ("*", "https:", "http:"):
        return allowed == "*" or url.startswith(allowed)
    want = urlsplit(allowed if "//" in allowed else "https://" + allowed)
    got = urlsplit(url if not url.startswith("//") else "https:" + url)
    if want.scheme and got.scheme and want.scheme != got.scheme:
        return False
    host, wanted = (got.hostname or ""), (want.hostname or "")
    if wanted.startswith("*."):
        if not host.endswith(wanted[1:]):
            return False
    elif host != wanted:
        return False
    return got.path.startswith(want.path.rstrip("/")) if want.path not in ("", "/") else True
