"""Jinja2 templates (autoescape, StrictUndefined), feed and sitemap."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
from pathlib import Path
from typing import Any

import jinja2

from .cache import entry_path, read_entry, write_entry
from .errors import Diagnostic


def make_environment(
    templates: Path, globals_: dict[str, Any], cache: Path | None = None
) -> jinja2.Environment:
    """Return the template environment; a missing variable is an error, never blank.

    With *cache*, compiled templates are kept there (by a hash of their source), so a
    process that renders one page does not compile every template first.
    """
    env = jinja2.Environment(
        bytecode_cache=TemplateCache(cache) if cache is not None else None,
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(globals_)
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["longdate"] = lambda d: f"{d:%B} {d.day}, {d.year}" if d else ""
    return env


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates kept as checksummed cache entries: a damaged one is recompiled."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, bucket: jinja2.bccache.Bucket) -> tuple[Path, str]:
        key = hashlib.sha256(bucket.key.encode()).hexdigest()
        return entry_path(self.folder, key, ".jinja"), key

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        path, key = self._path(bucket)
        payload = read_entry(path, key)
        if payload is not None:
            try:
                bucket.load_bytecode(io.BytesIO(payload))
            except (ValueError, EOFError, TypeError):  # another Python's marshal format
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        path, key = self._path(bucket)
        data = io.BytesIO()
        bucket.write_bytecode(data)
        write_entry(path, key, data.getvalue())


def xml_escape(text: str) -> str:
    """Escape &, < and > for XML text."""
    return html.escape(text, quote=False)


def template_diagnostic(exc: Exception, templates: Path, root: Path, name: str) -> Diagnostic:
    """Report a template problem at the template's own file:line."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = Path(exc.filename) if exc.filename else templates / (exc.name or name)
        return Diagnostic(_rel(path, root), exc.lineno or 0, 0, f"template syntax: {exc.message}")
    if isinstance(exc, jinja2.TemplateNotFound):
        return Diagnostic(_rel(templates / name, root), 0, 0, f"template not found: {exc.name}")
    line, path = 0, templates / name
    tb = exc.__traceback__
    while tb is not None:  # Jinja maps template frames onto the template's file and line
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(str(templates)):
            path, line = Path(filename), tb.tb_lineno
        tb = tb.tb_next
    message = str(exc)
    if isinstance(exc, jinja2.UndefinedError):
        message = f"undefined variable: {message}"
    return Diagnostic(_rel(path, root), line, 0, message)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def tag_slug(tag: str) -> str:
    """URL-safe form of a tag."""
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-") or "tag"


def render_feed(site: Any, articles: list[Any], url: Any) -> str:
    """An Atom feed of the dated articles, newest first; no build timestamps."""
    dated = [a for a in articles if a.meta.date]
    updated = max((a.meta.date for a in dated), default=dt.date(1970, 1, 1))
    entries = []
    for a in dated[:50]:
        link = url(a.url, absolute=True)
        authors = "".join(f"<author><name>{xml_escape(n)}</name></author>" for n in a.meta.authors)
        entries.append(
            f"<entry><title>{xml_escape(a.meta.title)}</title>"
            f'<link href="{xml_escape(link)}"/><id>{xml_escape(link)}</id>'
            f"<updated>{a.meta.date.isoformat()}T00:00:00Z</updated>{authors}"
            f"<summary>{xml_escape(a.meta.summary)}</summary></entry>"
        )
    home = url("", absolute=True)
    author = f"<author><name>{xml_escape(site.author)}</name></author>" if site.author else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{xml_escape(site.title)}</title>"
        f'<link href="{xml_escape(home)}"/>'
        f'<link rel="self" href="{xml_escape(url("feed.xml", absolute=True))}"/>'
        f"<id>{xml_escape(home)}</id><updated>{updated.isoformat()}T00:00:00Z</updated>"
        f"{author}{''.join(entries)}</feed>\n"
    )


def render_sitemap(pages: list[tuple[str, dt.date | None]], url: Any) -> str:
    """sitemap.xml for every page, with lastmod where the page has a date."""
    items = []
    for path, date in pages:
        lastmod = f"<lastmod>{date.isoformat()}</lastmod>" if date else ""
        items.append(f"<url><loc>{xml_escape(url(path, absolute=True))}</loc>{lastmod}</url>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(items)
        + "</urlset>\n"
    )
