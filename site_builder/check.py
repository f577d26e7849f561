"""Prove every internal link, anchor and asset of the built site resolves."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Set
from posixpath import dirname, join, normpath
from urllib.parse import unquote, urlsplit

from .errors import Diagnostic

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


def _target(page: str, link: str, base_path: str) -> tuple[str, str] | None:
    """Map a link on *page* to (output file, fragment), or None when it leaves the site."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("data:", "/__dev/")):
        return None
    path = unquote(parts.path)
    if not path:
        return page, parts.fragment
    if path.startswith("/"):
        if not path.startswith(base_path):
            return "\0outside:" + path, ""
        path = path[len(base_path) :]
    else:
        path = join(dirname(page), path)
    path = normpath(path) if path not in ("", ".") else ""
    if path in (".", ""):
        path = ""
    if path.startswith(".."):
        return "\0outside:" + link, ""
    if path == "" or link.split("#")[0].split("?")[0].endswith("/"):
        path = (path + "/index.html").lstrip("/")
    return path, parts.fragment


Scan = tuple[list[tuple[str, str, str]], set[str]]  # [(link, target file, fragment)], ids


def scan_page(page: str, text: str, base_path: str) -> Scan:
    """Resolve the internal links of one page and collect its ids (kept between builds)."""
    found = _Links(text)
    resolved = []
    for link in sorted(set(found.links)):
        target = _target(page, link, base_path)
        if target is not None:
            resolved.append((link, target[0], target[1]))
    return resolved, found.ids


# Between builds a scan is kept packed in one string; a page is unpacked only when checked.
SEP, REC = "\x1f", "\x1e"


def pack(scan: Scan) -> str:
    """One string for a scan: ids, then (link, target, fragment) records."""
    resolved, ids = scan
    records = [SEP.join(r) for r in resolved]
    return REC.join([SEP.join(sorted(ids)), *records])


def unpack(value: Scan | str) -> Scan:
    if not isinstance(value, str):
        return value
    ids, *records = value.split(REC)
    resolved = [tuple(r.split(SEP)) for r in records]
    return resolved, set(ids.split(SEP)) if ids else set()  # type: ignore[return-value]


def check_links(
    scans: Mapping[str, Scan | str],
    files: Mapping[str, str],
    base_path: str,
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
            ids_of[path] = None if value is None else unpack(value)[1]
        return ids_of[path]

    jobs = [(page, True) for page in pages] + [(page, False) for page in referrers]
    for page, full in jobs:
        for link, path, fragment in unpack(scans[page])[0]:
            if not full and path not in touched:
                continue
            message = ""
            if path.startswith("\0outside:"):
                message = f"link {link!r} points outside the site (base path {base_path})"
            elif path not in files and path + "/index.html" not in files:
                known = known or sorted(files)
                close = _close(path, known)
                message = f"broken link {link!r}: no file {path!r} in the site"
                if close:
                    message += (
                        f" (did you mean '{base_path}{close[0].removesuffix('index.html')}'?)"
                    )
            elif fragment and (found := ids(path)) is not None and fragment not in found:
                close = _close(fragment, sorted(found))
                message = f"broken anchor {link!r}: {path} has no id {fragment!r}"
                if close:
                    message += f" (did you mean #{close[0]}?)"
            if message:
                owner = files.get(page, page)
                line = _line_of(source_text(owner), link, base_path)
                problems.append(Diagnostic(owner, line, 0, message))
    return problems


def _close(word: str, candidates: list[str]) -> list[str]:
    """The nearest candidate for a did-you-mean (difflib is imported only when needed)."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=1)


def _line_of(text: str, link: str, base_path: str) -> int:
    """The first source line that contains *link* as the author wrote it."""
    written = "/" + link[len(base_path) :] if link.startswith(base_path) else link
    for number, line in enumerate(text.split("\n"), 1):
        if link in line or written in line:
            return number
    return 0
