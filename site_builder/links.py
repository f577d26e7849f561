"""Links: every internal link, anchor and asset of the built site must resolve."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Set
from typing import Any, NamedTuple

from .errors import Diagnostic
from .urls import Urls

# The tokens of HTML that matter here, as a browser's tokenizer reads them: comments, and
# start tags whose attribute values may hold anything but their own quote (">" included).
TOKEN_RE = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(?P<tag>[a-zA-Z][\w:.-]*)"
    r"(?P<attrs>(?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?|\s*/(?!>))*)"
    r"\s*/?>",
    re.S,
)
ATTR_RE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
# Whether a tag's attributes may name one of those read below (names follow white space;
# a match inside a quoted value only costs the full read).
WANTED_RE = re.compile(
    r"\s(?:href|src|srcset|poster|action|formaction|xlink:href|id|name|data)\s*=", re.I
)
# Elements whose content is text, never tags: a link written inside is not a link.
RAW_TEXT = ("script", "style", "textarea", "title")
# Attributes whose value a browser follows or fetches.
URL_ATTRS = ("href", "src", "poster", "action", "formaction", "xlink:href")


def _browser_url(value: str) -> str:
    """A URL attribute as a browser uses it: leading and trailing spaces and controls
    stripped, tabs and newlines inside removed (the URL standard's first steps)."""
    value = value.strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
    )
    return value.replace("\t", "").replace("\n", "").replace("\r", "")


class _Links:
    """The links and ids of one page: its start tags, read as a browser's tokenizer
    would (comments and the text of script, style, textarea and title skipped)."""

    def __init__(self, text: str) -> None:
        self.links: list[str] = []
        self.ids: set[str] = set()
        pos, lower = 0, None
        while (token := TOKEN_RE.search(text, pos)) is not None:
            pos = token.end()
            name = token["tag"]
            if name is None:
                continue  # a comment
            name = name.lower()
            if name in RAW_TEXT:
                lower = lower if lower is not None else text.lower()
                close = lower.find(f"</{name}", pos)
                pos = close if close >= 0 else len(text)
            attrs = token["attrs"]
            if not attrs or not WANTED_RE.search(attrs):
                continue
            values: dict[str, str] = {}
            for m in ATTR_RE.finditer(attrs):
                key = m[1].lower()
                if key not in values:  # a repeated attribute: the first one counts
                    raw = m[2] if m[2] is not None else m[3] if m[3] is not None else m[4]
                    values[key] = html.unescape(raw or "")
            if "id" in values:
                self.ids.add(values["id"])
            if name == "a" and "name" in values:
                self.ids.add(values["name"])
            if name == "link" and values.get("rel") in ("preconnect", "dns-prefetch"):
                continue
            self.links.extend(_browser_url(values[k]) for k in URL_ATTRS if k in values)
            if name == "object" and "data" in values:
                self.links.append(_browser_url(values["data"]))
            if "srcset" in values:
                self.links.extend(
                    _browser_url(p).split()[0] for p in values["srcset"].split(",") if p.strip()
                )


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
    renames: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """Return a diagnostic per broken internal link or anchor, with a 'did you mean'.

    Every link of *pages* is checked; of *referrers*, only the links into *touched* files
    (an incremental build: the rest was checked before and cannot have changed). *files*
    maps every file of the site to the source that wrote it; *renames* maps static files
    as authors name them to their content-hashed names (suggestions use the former).
    """
    problems = []
    ids_of: dict[str, set[str] | None] = {}  # target page -> its ids (None: not a page)
    suggest = _Suggestions(files, renames or {}, urls)

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
                message = f"broken link {link!r}: no file {path!r} in the site"
                if close := suggest(path):
                    message += f" (did you mean {close}?)"
            elif fragment and (found := ids(path)) is not None and fragment not in found:
                near = close_match(fragment, sorted(found))
                message = f"broken anchor {link!r}: {path} has no id {fragment!r}"
                if near:
                    message += f" (did you mean #{near[0]}?)"
            if message:
                owner = files.get(page, page)
                line = _line_of(source_text(owner), link, urls)
                problems.append(Diagnostic(owner, line, 0, message))
    return problems


class _Suggestions:
    """'Did you mean' for a missing file, as the author would write it: a page by its URL
    and source file, a static file by its own name (not its hashed one). Candidates are
    files of the same kind, nearest folder first; each missing path is looked up once."""

    def __init__(self, files: Mapping[str, str], renames: Mapping[str, str], urls: Urls):
        self.files, self.urls = files, urls
        self.written = {hashed: name for name, hashed in renames.items()}
        self.by_kind: dict[str, list[str]] | None = None
        self.memo: dict[str, str] = {}
        self.tables: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _kind(path: str) -> str:
        return "page" if path.endswith("index.html") else path.rsplit(".", 1)[-1].lower()

    def __call__(self, path: str) -> str:
        if path not in self.memo:
            self.memo[path] = self._find(path)
        return self.memo[path]

    def _tables(self, kind: str) -> dict[str, Any]:
        """Per kind of file, built once: names as compared (pages by their folder, other
        files by their path) → file, and the names by folder, by file name and by pair of
        characters."""
        if self.by_kind is None:
            self.by_kind = {}
            for out in self.files:
                name = self.written.get(out, out)
                if name != "index.html":  # the home page is no one's typo
                    self.by_kind.setdefault(self._kind(name), []).append(name)
        if kind not in self.tables:
            strip = len("/index.html") if kind == "page" else 0
            names = {(c[:-strip] if strip else c): c for c in self.by_kind.get(kind, [])}
            folders: dict[str, list[str]] = {}
            bases: dict[str, list[str]] = {}
            grams: dict[str, list[str]] = {}
            for name in names:
                folder, _, base = name.rpartition("/")
                folders.setdefault(folder, []).append(name)
                bases.setdefault(base, []).append(name)
                for gram in {name[i : i + 2] for i in range(len(name) - 1)}:
                    grams.setdefault(gram, []).append(name)
            self.tables[kind] = {"names": names, "folders": folders, "bases": bases, "grams": grams}
        return self.tables[kind]

    def _find(self, path: str) -> str:
        from collections import Counter

        want = path if "." in path.rsplit("/", 1)[-1] else path + "/index.html"
        kind = self._kind(want)
        tables = self._tables(kind)
        key = want.removesuffix("/index.html") if kind == "page" else want
        folder, _, base = key.rpartition("/")
        # The same file name in another folder (the commonest slip), then near names in
        # the same folder, then the names sharing most character pairs with it anywhere.
        near = [] if kind == "page" else tables["bases"].get(base, [])[:1]
        beside = tables["folders"].get(folder, [])
        if not near and len(beside) <= 200:
            near = close_match(key, beside)
        if not near:
            counts: Counter[str] = Counter()
            common = max(50, len(tables["names"]) // 4)  # pairs most names share say little
            for gram in {key[i : i + 2] for i in range(len(key) - 1)}:
                holders = tables["grams"].get(gram, ())
                if len(holders) <= common:
                    counts.update(holders)
            near = close_match(key, [name for name, _ in counts.most_common(10)])
        if not near:
            return ""
        found = tables["names"][near[0]]
        url = self.urls.as_written(self.urls(found))
        source = self.files.get(found, "")  # pages keep their names
        if kind == "page" and source:
            return f"'{url}' ({source})"
        return f"'{url}'"


def close_match(word: str, candidates: list[str]) -> list[str]:
    """The nearest candidate for a did-you-mean (difflib is imported only when needed)."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=1)


_BEFORE_TARGET = ("](", "](<", "]:", "]: <", "=", '="', "='", "<", ",")
_AFTER_TARGET = frozenset(")>\"', \t")


def _line_of(text: str, link: str, urls: Urls) -> int:
    """The source line that holds *link* as the author wrote it: as a whole link target
    (Markdown or HTML) first, so that a short link is not found inside other words."""
    written = urls.as_written(link)
    forms = [link] if written == link else [link, written]
    lines = text.split("\n")
    for form in forms:
        for number, line in enumerate(lines, 1):
            at = line.find(form)
            while at >= 0:
                end = at + len(form)
                before = line[:at].rstrip(" \t")
                if before.endswith(_BEFORE_TARGET) and (
                    end == len(line) or line[end] in _AFTER_TARGET
                ):
                    return number
                at = line.find(form, at + 1)
    for number, line in enumerate(lines, 1):
        if any(form in line for form in forms):
            return number
    return 0
