"""The Content-Security-Policy every page carries, and what authors may add to it.

By default a page runs only the site's own scripts, styles, images and frames. A site
(``[csp]`` in ``site.toml``) or one article (``csp:`` in its front matter) adds sources to
directives, e.g. a video host's frames::

    [csp]
    frame-src = ["https://www.youtube-nocookie.com"]

The build warns about raw HTML the resulting policy blocks (``blocked_by_csp``, with
the table of what it looks for).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import Collector

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


# What the page's Content-Security-Policy blocks, found in an author's raw HTML:
# (pattern, what it is, directives in fallback order, the source it needs, what to do).
# A source of None: the URL the pattern found (group "url").
_SCRIPT = ("script-src-elem", "script-src", "default-src")
_CSP_BLOCKED = [
    (
        re.compile(r"<script\b(?![^>]*\bsrc\s*=)", re.I),
        "an inline <script>",
        _SCRIPT,
        "'unsafe-inline'",
        'put the code in a file under static/ and load it with <script src="/static/...">',
    ),
    (
        re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?P<url>(?:https?:)?//[^\"'\s>]+)", re.I),
        "a script from another site",
        _SCRIPT,
        None,
        "copy the script into static/, or allow its site: [csp] script-src in site.toml",
    ),
    (
        re.compile(
            r"<(?P<tag>iframe|img|video|audio|source|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?"
            r"(?P<url>(?:https?:)?//[^\"'\s>]+)",
            re.I,
        ),
        "content from another site (a frame, image, media or stylesheet)",
        (),  # by tag: see _directives
        None,
        "copy it into the article's bundle or static/, or allow its site in the policy "
        "([csp] in site.toml, or csp: in the front matter), e.g. frame-src for a video",
    ),
    (
        re.compile(r"<style\b", re.I),
        "an inline <style> element",
        ("style-src-elem", "style-src", "default-src"),
        "'unsafe-inline'",
        "put the rules in a stylesheet under static/ and link it from a template",
    ),
    (
        re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
        "a style= attribute",
        ("style-src-attr", "style-src", "default-src"),
        "'unsafe-inline'",
        "give the element a class and style it in a stylesheet under static/",
    ),
    (
        re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
        "an inline event handler (onclick= and the like)",
        ("script-src-attr", "script-src", "default-src"),
        "'unsafe-inline'",
        "attach the handler from a script file under static/",
    ),
]
_BY_TAG = {
    "iframe": ("frame-src", "child-src", "default-src"),
    "img": ("img-src", "default-src"),
    "video": ("media-src", "default-src"),
    "audio": ("media-src", "default-src"),
    "source": ("media-src", "default-src"),
    "link": ("style-src-elem", "style-src", "default-src"),
}


def blocked_by_csp(
    prose: list[tuple[int, str]], where: str, problems: Collector, csp: tuple[Any, ...] = ()
) -> None:
    """Warn, at its line, about raw HTML the page's Content-Security-Policy (with what
    site.toml and the front matter add, *csp*) will block: the reader would see an empty
    figure and the author no message. *prose*: (line, text) with code spans and math
    already taken out (they are not markup)."""
    for line_no, bare in prose:
        if "<" not in bare or bare.startswith("    "):  # no tag, or indented code
            continue
        for pattern, what, chain, source, instead in _CSP_BLOCKED:
            found = pattern.search(bare)
            if not found:
                continue
            if "tag" in pattern.groupindex:
                chain = _BY_TAG[found["tag"].lower()]
            if allows(csp, chain, source or found["url"]):
                continue
            problems.warn(
                where,
                line_no,
                f"the page's Content-Security-Policy blocks {what} in the browser",
                hint=instead,
            )
            break
