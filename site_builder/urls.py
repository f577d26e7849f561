"""URLs and the base path, in one place: made for templates, prefixed in Markdown, resolved
by the link checker, and shown back to the author as they wrote them.

A site published at ``https://user.github.io/repo/`` has the base path ``/repo/``: every
URL the site makes starts with it, an author's site-absolute link ``/other/`` is written
``/repo/other/`` into the page, and a link checked in the built page is resolved against
it back to a file of the site.
"""

from __future__ import annotations

import re
import unicodedata
from posixpath import dirname, join, normpath
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit


class Target(NamedTuple):
    """Where a link on a page leads inside the site."""

    file: str  # the output file, e.g. "guide/index.html"; "" when the link leaves the site
    fragment: str  # the #anchor, without '#'


OUTSIDE = Target("", "")


class Urls:
    """The URL scheme of one site, from its ``base_url``."""

    def __init__(self, base_url: str) -> None:
        path = urlsplit(base_url).path or "/"
        self.base_path = path if path.endswith("/") else path + "/"
        self.origin = base_url[: len(base_url) - len(urlsplit(base_url).path)].rstrip("/")

    def __call__(self, path: str, absolute: bool = False) -> str:
        """The URL of a file of the site: ``guide/index.html`` -> ``/repo/guide/``."""
        path = path.lstrip("/")
        if path.endswith("index.html"):
            path = path[: -len("index.html")]
        if not path.isascii():  # a tag in another script: escaped, as browsers send it
            path = quote(path, safe="/#?&=%~:+,;@!$'()*")
        return (self.origin if absolute else "") + self.base_path + path

    def prefix(self, link: str, renames: dict[str, str]) -> str:
        """An author's link as it goes into the page: site-absolute links get the base path
        and static files their content-hashed names; other links are kept."""
        if not link.startswith("/") or link.startswith("//"):
            return link
        path, sep, rest = link.lstrip("/").partition("#")
        return self.base_path + renames.get(path, path) + sep + rest

    def resolve(self, page: str, link: str) -> Target | None:
        """Where *link* on *page* leads: a file of the site, OUTSIDE when it leaves the
        site's base path, or None when it is not the site's to check (another origin)."""
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or link.startswith(("data:", "/__dev/")):
            return None
        path = unquote(parts.path)
        if not path:
            return Target(page, parts.fragment)
        if path.startswith("/"):
            if not path.startswith(self.base_path):
                return OUTSIDE
            path = path[len(self.base_path) :]
        else:
            path = join(dirname(page), path)
        path = normpath(path) if path not in ("", ".") else ""
        if path == ".":
            path = ""
        if path.startswith(".."):
            return OUTSIDE
        if path == "" or link.split("#")[0].split("?")[0].endswith("/"):
            path = (path + "/index.html").lstrip("/")
        return Target(path, parts.fragment)

    def as_written(self, link: str) -> str:
        """A link of the built page as its author wrote it in the source (without the
        base path), to find it there."""
        return "/" + link[len(self.base_path) :] if link.startswith(self.base_path) else link


# Symbols that tell tags apart (C, C++, C#, F#) are spelled out rather than dropped.
_TAG_SYMBOLS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}


def tag_slug(tag: str) -> str:
    """The folder of a tag's page: lower case, letters and digits of any script kept
    (``Нейросети`` -> ``нейросети``), symbols that tell tags apart spelled out
    (``C++`` -> ``c-plus-plus``, ``C#`` -> ``c-sharp``), the rest made hyphens."""
    text = unicodedata.normalize("NFC", tag).lower()
    text = "".join(_TAG_SYMBOLS.get(c, c) for c in text)
    return re.sub(r"[\W_]+", "-", text).strip("-") or "tag"
