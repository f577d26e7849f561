"""Find article sources, split front matter, and normalise it into typed values."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
import stat
import unicodedata
from dataclasses import fields
from pathlib import Path
from typing import Any

from .errors import Collector, rel
from .model import FrontMatter, Source
from .paths import escaped, linked_inside

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$")
# Adding a key to FrontMatter adds it here (but for those `precompute:` sets).
KNOWN_KEYS = {f.name for f in fields(FrontMatter)} - {"precompute_bytes", "precompute_seconds"}
# Keys other site generators (Jekyll, Hugo) write, understood as what they mean here:
# published: false is draft: true, permalink is the slug, author is authors, categories
# are tags, excerpt or description is the summary.
ALIASES = {
    *("published", "permalink", "author", "categories", "category", "excerpt", "description"),
    "redirect_from",
}
# Keys of Jekyll themes that say how the old site showed a post, and mean nothing here:
# not worth a warning per post.
THEME_KEYS = {"layout", "comments", "mathjax", "toc", "share"}


# An old address: site-absolute, plain path segments, a folder or an .html file.
ALIAS_RE = re.compile(r"/(?:[\w.~!$&'()*+,;=:@-]+/)*(?:[\w.~!$&'()*+,;=:@-]+\.html?)?")
DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")


def url_slug(path: str) -> str:
    """The slug of a file name as Jekyll authors name posts: a date prefix
    (``2019-03-04-``) dropped, capitals lowered, accents taken off, spaces and other
    characters turned into ``-``. A name that is a slug already stays as it is."""
    if SLUG_RE.match(path) and not DATED_NAME.match(path.rsplit("/", 1)[-1]):
        return path
    parts = []
    for part in path.split("/"):
        dated = DATED_NAME.match(part)
        part = dated[4] if dated else part
        plain = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        parts.append(re.sub(r"[^a-z0-9_]+", "-", plain.lower()).strip("-"))
    slug = "/".join(parts)
    return slug if SLUG_RE.match(slug) else path


# A date as Jekyll posts write it, quoted or with what YAML does not read as a timestamp:
# "2018-12-13", "2018-12-13 09:00:00 -0700", "2018-12-13T09:00Z", "2018-1-5 10:00 PST".
WRITTEN_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"(?:\s*(?:Z|[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}))?"
)


def written_date(text: str) -> dt.date | None:
    """The calendar date *text* starts with, as its author wrote it (a time and a zone
    after it are allowed, and do not move it to another day); None if it is not one."""
    found = WRITTEN_DATE.fullmatch(text.strip())
    if found:
        with contextlib.suppress(ValueError):
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
    return None


def date_in_name(path: str) -> dt.date | None:
    """The date a Jekyll post's file (or bundle folder) name starts with, if any."""
    dated = DATED_NAME.match(path.rsplit("/", 1)[-1])
    if dated:
        with contextlib.suppress(ValueError):
            return dt.date(int(dated[1]), int(dated[2]), int(dated[3]))
    return None


def find_sources(root: Path, content_dir: Path, problems: Collector) -> list[Source]:
    """Return every article under *content_dir*, refusing links that leave the project.

    ``content/<slug>.md`` is an article; a folder with an ``index.md`` is a bundle whose
    other files (Markdown included) belong to it. Written with os.scandir and plain strings:
    this runs on every build, incremental ones included.
    """
    sources: list[Source] = []
    if not content_dir.is_dir():
        problems.error(rel(content_dir, root), 0, "content folder not found")
        return sources
    prefix = rel(content_dir, root)
    # (absolute folder, path inside content/, inside a bundle?)
    stack: list[tuple[str, str, bool]] = [(str(content_dir), "", False)]
    while stack:
        folder, inside, in_bundle = stack.pop()
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        names = {e.name for e in entries}
        bundle = bool(inside) and "index.md" in names
        for entry in entries:
            relative = f"{inside}/{entry.name}" if inside else entry.name
            if entry.name.startswith(".") and not entry.name.startswith(".#"):
                continue  # hidden (.notes.md, .DS_Store): never an article, never published
            if skipped := _skipped(entry):
                problems.warn(f"{prefix}/{relative}", 0, f"{skipped}; skipped")
                continue
            if entry.is_symlink() and not linked_inside(Path(entry.path), content_dir, root):
                problems.error(
                    f"{prefix}/{relative}",
                    0,
                    f"symlink points outside the content folder, or into .git (to "
                    f"{escaped(os.readlink(entry.path))}); refused",
                    hint="copy the file into the content folder instead",
                )
                continue
            if entry.is_dir():
                stack.append((entry.path, relative, in_bundle or bundle))
            elif entry.name.endswith(".md") and not (
                in_bundle or (bundle and entry.name != "index.md")
            ):
                if bundle:
                    slug = url_slug(inside)
                    sources.append(Source(entry.path, f"{prefix}/{relative}", slug, folder))
                else:
                    slug = url_slug(relative[: -len(".md")])
                    sources.append(Source(entry.path, f"{prefix}/{relative}", slug, None))
    return sorted(sources, key=lambda s: s.slug)


# Editors' lock (.#x, #x#), backup (x~), swap (.x.swp/.swo/.swx) and test (4913) files.
_EDITOR_FILE = re.compile(r"^\.#|^#.*#$|~$|\.sw[pox]$|^4913$")


def is_editor_file(name: str) -> bool:
    """Editors' lock, swap and backup files: never an article, never published."""
    return _EDITOR_FILE.search(name) is not None


def _skipped(entry: os.DirEntry[str]) -> str | None:
    """Why *entry* of the content folder is left out, or None to use it. (Runs for every
    entry on every build: the directory listing's file types spare a stat call, except
    for symlinks, which are followed to find loops and dangling ones.)"""
    name = entry.name
    # The common case, decided from the listing alone (no editor file ends in .md).
    md = name.endswith(".md") and name.isascii() and not name.startswith(".#")
    if md and entry.is_file(follow_symlinks=False):
        return None
    if not entry.name.isascii():
        try:
            entry.name.encode("utf-8")
        except UnicodeEncodeError:
            return "this file name is not valid UTF-8"
    if is_editor_file(entry.name):
        return "an editor's lock, swap or backup file"
    if not entry.is_symlink():
        if entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False):
            return None
        return "not a regular file (a FIFO, socket or device)"
    try:
        mode = os.stat(entry.path).st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror}: a broken symlink or a symlink loop?)"
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "not a regular file (a FIFO, socket or device)"
    return None


def read_text(path: Path, where: str, problems: Collector) -> str | None:
    """Read a UTF-8 text file, reporting binary or wrongly encoded input at its line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(where, 0, f"cannot read this file: {exc.strerror}")
        return None
    if b"\x00" in data[:8192]:
        problems.error(where, 1, "this is a binary file, not a Markdown article")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.error(
            where,
            line,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            col,
            hint="save the file as UTF-8",
        )
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")  # old Mac too


def split_front_matter(
    text: str, where: str, problems: Collector
) -> tuple[dict[str, Any], dict[str, int], str, int] | None:
    """Split ``---`` YAML front matter from the body; return (data, key lines, body, body line)."""
    if not text.strip():
        problems.error(
            where, 1, "empty file", hint="start with front matter:\n---\ntitle: ...\n---"
        )
        return None
    lines = text.split("\n")
    if lines[0].strip() != "---":
        problems.error(
            where, 1, "missing front matter", hint="start the file with:\n---\ntitle: ...\n---"
        )
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        problems.error(where, 1, "front matter opened here is never closed with '---'")
        return None
    yaml_text = "\n".join(lines[1:end])
    import yaml

    from .yamlsafe import FAST_COMPOSER, FastLoader, Loader, structure_problem, yaml_too_large

    if too_large := yaml_too_large(yaml_text, None):
        problems.error(where, 2, f"front matter {too_large}")
        return None
    loader: Any
    try:
        try:  # libyaml when available; on an error, the Python parser's message is clearer
            node, loader = yaml.compose(yaml_text, Loader=FAST_COMPOSER), FastLoader
        except yaml.YAMLError:
            node, loader = yaml.compose(yaml_text, Loader=yaml.SafeLoader), Loader
        if too_large := yaml_too_large(yaml_text, node):
            problems.error(where, 2, f"front matter {too_large}")
            return None
        if found := structure_problem(node):
            problems.error(where, found[0] + 2, f"front matter {found[1]}")
            return None
        data = yaml.load(yaml_text, Loader=loader)  # safe loaders only
    except RecursionError:
        problems.error(where, 2, "front matter is nested too deeply to read")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark else 1
        col = mark.column + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc)
        problems.error(where, line, f"invalid YAML in front matter: {problem}", col)
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.error(where, 2, "front matter must be a mapping of keys to values")
        return None
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    body = "\n".join(lines[end + 1 :])
    return data, key_lines, body, end + 2


MAX_TIMEOUT = 86_400  # a day: a time limit must be finite to be one


def is_time_limit(value: Any) -> bool:
    """A number of seconds a build can wait for: finite, positive, at most MAX_TIMEOUT."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_TIMEOUT
    )


def _visible(text: str) -> bool:
    """Whether *text* shows anything: not only spaces and invisible format characters
    (a zero-width space, a joiner, a direction mark)."""
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in text)


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _aliased(data: dict[str, Any]) -> dict[str, Any]:
    """*data* with the other generators' names of known keys filled in (the key's own name
    wins): author → authors, categories/category → tags, excerpt/description → summary."""
    data = dict(data)
    for alias, key in (
        ("author", "authors"),
        ("excerpt", "summary"),
        ("description", "summary"),
        ("redirect_from", "aliases"),
    ):
        if alias in data and key not in data:
            data[key] = data[alias]
    found: list[Any] = []
    for alias in ("categories", "category", "tags"):
        value = data.get(alias)
        # Jekyll: "categories" as a string is space-separated; one "category" is one.
        found += value.split() if isinstance(value, str) and alias == "categories" else [value]
    if "tags" not in data and any(v is not None for v in found):
        flat = [x for v in found if v is not None for x in (v if isinstance(v, list) else [v])]
        data["tags"] = flat
    return data


def _precompute(value: Any) -> dict[str, Any] | None:
    """Front matter ``precompute:`` as FrontMatter's fields, or None when it is wrong:
    false, a number of combinations, or {combinations, bytes, seconds}."""

    def whole(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10_000_000_000

    if value is False:
        return {"precompute": 0}
    if whole(value):
        return {"precompute": value}
    if (
        not isinstance(value, dict)
        or not value
        or set(value) - {"combinations", "bytes", "seconds"}
    ):
        return None
    found: dict[str, Any] = {}
    for key, name in (("combinations", "precompute"), ("bytes", "precompute_bytes")):
        if key in value:
            if not whole(value[key]):
                return None
            found[name] = value[key]
    if "seconds" in value:
        if not is_time_limit(value["seconds"]):
            return None
        found["precompute_seconds"] = float(value["seconds"])
    return found


def normalize_front_matter(
    data: dict[str, Any], key_lines: dict[str, int], where: str, problems: Collector
) -> FrontMatter | None:
    """Turn raw front matter into a FrontMatter, naming the key and the bad value on error.
    (One check per key, in FrontMatter's order: long, but each part stands alone.)"""
    before = len(problems.errors)

    def bad(key: str, expected: str) -> None:
        problems.error(
            where,
            key_lines.get(key, 1),
            f"front matter '{key}': expected {expected}, got {data[key]!r}",
        )

    data = _aliased(data)
    for key in data:
        if key not in KNOWN_KEYS and key not in ALIASES and key not in THEME_KEYS:
            problems.warn(
                where,
                key_lines.get(str(key), 1),
                f"unknown front matter key '{key}' (ignored)",
                hint="known keys: " + ", ".join(sorted(KNOWN_KEYS)),
            )
    title = data.get("title")
    if "title" not in data:
        problems.error(
            where, 1, "front matter has no 'title'", hint="add a line: title: My article"
        )
    elif not isinstance(title, str) or not _visible(title):
        bad("title", "a non-empty string")
    values: dict[str, Any] = {}
    if "date" in data:
        date = data["date"]
        if isinstance(date, dt.datetime):
            values["date"] = date.date()
        elif isinstance(date, dt.date):
            values["date"] = date
        elif isinstance(date, str) and (written := written_date(date)):
            values["date"] = written
        else:
            bad("date", "a date as YYYY-MM-DD (a time and zone after it are allowed)")
    for key in ("summary", "template"):
        if key in data:
            if isinstance(data[key], str):
                values[key] = data[key]
            else:
                bad(key, "a string")
    for key in ("authors", "tags", "packages", "styles", "scripts"):
        if key in data:
            items = _strings(data[key])
            if items is None:
                bad(key, "a string or a list of strings")
            else:
                values[key] = items
    for key in ("draft", "listed"):
        if key in data:
            if isinstance(data[key], bool):
                values[key] = data[key]
            else:
                bad(key, "true or false")
    if "published" in data and "draft" not in data:  # Jekyll's word for it
        if isinstance(data["published"], bool):
            values["draft"] = not data["published"]
        else:
            bad("published", "true or false")
    if "permalink" in data and "slug" not in data:  # /2019/03/post/ -> 2019/03/post
        link = data["permalink"]
        slug = (
            link.strip("/").removesuffix(".html").removesuffix("/index")
            if isinstance(link, str)
            else None
        )
        if not slug or not SLUG_RE.match(slug):
            bad("permalink", "a path of lowercase words, e.g. /2019/03/my-post/ (no :placeholders)")
        else:
            values["slug"] = slug
    if "slug" in data:
        slug = data["slug"]
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            bad("slug", "lowercase words separated by '-' or '/', with no '..' (e.g. my-article)")
        else:
            values["slug"] = slug
    for key in ("timeout", "browser_time_limit"):
        if key in data:
            if not is_time_limit(data[key]):
                bad(key, f"a number of seconds above 0, at most {MAX_TIMEOUT:,}")
            else:
                values[key] = float(data[key])
    if "aliases" in data:
        found = _strings(data["aliases"])
        if found is None or not all(
            ALIAS_RE.fullmatch(a) and not {".", ".."} & set(a.split("/")) for a in found
        ):
            bad("aliases", "old addresses of this article, e.g. [/2016/05/31/rl/, /old.html]")
        else:
            values["aliases"] = found
    if "precompute" in data:
        limits = _precompute(data["precompute"])
        if limits is None:
            bad(
                "precompute",
                "false, the most combinations of inputs to answer ahead, or a mapping of "
                "combinations, bytes and seconds",
            )
        else:
            values.update(limits)
    if "runtime" in data:
        if data["runtime"] == "none":
            values["runtime"] = "none"
        else:
            bad("runtime", "none (a page answered only from its precomputed tables)")
    if "csp" in data:
        from .csp import check_extension

        extension, wrong = check_extension(data["csp"])
        if extension is None:
            bad("csp", wrong)
        else:
            values["csp"] = extension
    if len(problems.errors) > before:
        return None
    return FrontMatter(title=str(title).strip(), **values)
