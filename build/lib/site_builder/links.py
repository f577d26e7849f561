"""Links: every internal link, anchor and asset of the built site must resolve."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Set
from typing import NamedTuple

from .errors import Diagnostic
from .urls import Urls

TAG_RE = re.compile(r"<([a-zA-Z][\w:-]*)(\s[^<>]*?)?/?>")
ATTR_RE = re.compile(r"""\s([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")


class _Links:
    """The links and ids of one page (a regex scan: the build's own markup is regular)."""

    def __init__(self, text: str) -> None:
        self.links: list[str] = []
        self.ids: set[str] = set()
        for tag in TAG_RE.finditer(text):
            attrs = tag[2]
            if not attrs or "=" not in attrs:
                continue
            values = {
                m[1].lower(): html.unescape(
                    m[2] if m[2] is not None else m[3] if m[3] is not None else m[4]
                )
                for m in ATTR_RE.finditer(attrs)
            }
            if "id" in values:
                self.ids.add(values["id"])
            if tag[1].lower() == "a" and "name" in values:
                self.ids.add(values["name"])
            if tag[1].lower() == "link" and values.get("rel") == "preconnect":
                continue
            self.links.extend(values[k] for k in ("href", "src") if k in values)
            if "srcset" in values:
                self.links.extend(p.split()[0] for p in values["srcset"].split(",") if p.strip())


class Link(NamedTuple):
    """One internal link of a page, resolved (Urls.resolve)."""

    link: str  # as written in the built page
    file: str  # the file of the site it leads to; "" when it leaves the site
    fragment: str


class Scan(NamedTuple):
    """A page's internal links and ids: what checking links to and from it needs."""

    links: list[Link]
    ids: set[str]


def scan_page(page: str, text: str, urls: Urls) -> Scan:
    """Resolve the internal links of one page and collect its ids (kept between builds)."""
    found = _Links(text)
    resolved = []
    for link in sorted(set(found.links)):
        target = urls.resolve(page, link)
        if target is not None:
            resolved.append(Link(link, *target))
    return Scan(resolved, found.ids)


# Between builds a scan is kept packed in one string; a page is unpacked only when checked.
SEP, REC = "\x1f", "\x1e"


def pack(scan: Scan) -> str:
    """One string for a scan: ids, then (link, file, fragment) records."""
    records = [SEP.join(r) for r in scan.links]
    return REC.join([SEP.join(sorted(scan.ids)), *records])


def unpack(value: Scan | str) -> Scan:
    if not isinstance(value, str):
        return value
    ids, *records = value.split(REC)
    links = [Link(*r.split(SEP)) for r in records]
    return Scan(links, set(ids.split(SEP)) if ids else set())


def check_links(
    scans: Mapping[str, Scan | str],
    files: Mapping[str, str],
    urls: Urls,
    source_text: Callable[[str], str],
    pages: Iterable[str],
    referrers: Iterable[str] = (),
    touched: Set[str] = frozenset(),
) -> list[Diagnostic]:
    """Return a diagnostic per broken internal link or anchor, with a 'did you mean'.

    Every link of *pages* is checked; of *referrers*, only the links into *touched* files
    (an incremental build: the rest was checked before and cannot have changed). *files*
    maps every file of the site to the source that wrote it.
    """
    problems = []
    known: list[str] = []
    ids_of: dict[str, set[str] | None] = {}  # target page -> its ids (None: not a page)

    def ids(path: str) -> set[str] | None:
        if path not in ids_of:  # one lookup (a database read when incremental) per page
            value = scans.get(path)
            ids_of[path] = None if value is None else unpack(value).ids
        return ids_of[path]

    jobs = [(page, True) for page in pages] + [(page, False) for page in referrers]
    for page, full in jobs:
        for link, path, fragment in unpack(scans[page]).links:
            if not full and path not in touched:
                continue
            message = ""
            if not path:
                message = f"link {link!r} points outside the site (base path {urls.base_path})"
            elif path not in files and path + "/index.html" not in files:
                known = known or sorted(files)
                close = _close(path, known)
                message = f"broken link {link!r}: no file {path!r} in the site"
                if close:
                    message += f" (did you mean '{urls(close[0])}'?)"
            elif fragment and (found := ids(path)) is not None and fragment not in found:
                close = _close(fragment, sorted(found))
                message = f"broken anchor {link!r}: {path} has no id {fragment!r}"
                if close:
                    message += f" (did you mean #{close[0]}?)"
            if message:
                owner = files.get(page, page)
                line = _line_of(source_text(owner), link, urls)
                problems.append(Diagnostic(owner, line, 0, message))
    return problems


def _close(word: str, candidates: list[str]) -> list[str]:
    """The nearest candidate for a did-you-mean (difflib is imported only when needed)."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=1)


def _line_of(text: str, link: str, urls: Urls) -> int:
    """The first source line that contains *link* as the author wrote it."""
    written = urls.as_written(link)
    for number, line in enumerate(text.split("\n"), 1):
        if link in line or written in line:
            return number
    return 0
