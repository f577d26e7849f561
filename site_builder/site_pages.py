"""The site-wide pages: the index, one page per tag, 404, the Atom feed, sitemap.xml,
robots.txt and .nojekyll, rendered after the articles when what they list changed."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from .errors import Collector
from .model import Article
from .output import FileConflict
from .render import RenderContext, render_page
from .urls import tag_slug


def xml_escape(text: str) -> str:
    """Escape &, < and > for XML text."""
    return html.escape(text, quote=False)


# Characters XML 1.0 does not allow anywhere in a document (most C0 controls, lone
# surrogates, U+FFFE and U+FFFF): a feed holding one is rejected by every reader.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str, where: str, what: str, problems: Collector | None) -> str:
    """*text* escaped for XML, without the characters XML forbids (with a warning)."""
    if _NOT_XML.search(text):
        found = sorted({f"U+{ord(c):04X}" for c in _NOT_XML.findall(text)})
        if problems is not None:
            problems.warn(
                where,
                0,
                f"{what} holds characters XML forbids ({', '.join(found)}); "
                "they are left out of the feed",
            )
        text = _NOT_XML.sub("", text)
    return xml_escape(text)


def render_feed(site: Any, articles: list[Any], url: Any, problems: Collector | None = None) -> str:
    """An Atom feed of the dated articles, newest first; no build timestamps. Text that XML
    cannot hold is dropped with a warning naming its source."""
    dated = [a for a in articles if a.meta.date]
    updated = max((a.meta.date for a in dated), default=dt.date(1970, 1, 1))
    entries = []
    for a in dated[:50]:
        where = a.source.rel
        link = url(a.url, absolute=True)
        authors = "".join(
            f"<author><name>{xml_text(n, where, 'an author', problems)}</name></author>"
            for n in a.meta.authors
        )
        entries.append(
            f"<entry><title>{xml_text(a.meta.title, where, 'the title', problems)}</title>"
            f'<link href="{xml_escape(link)}"/><id>{xml_escape(link)}</id>'
            f"<updated>{a.meta.date.isoformat()}T00:00:00Z</updated>{authors}"
            f"<summary>{xml_text(a.meta.summary, where, 'the summary', problems)}</summary>"
            "</entry>"
        )
    home = url("", absolute=True)
    name = xml_text(site.author, "site.toml", "'author'", problems)
    author = f"<author><name>{name}</name></author>" if site.author else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{xml_text(site.title, 'site.toml', 'the site title', problems)}</title>"
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


def render_site_pages(ctx: RenderContext, articles: list[Article], problems: Collector) -> None:
    """Write the index, tag pages, 404, feed, sitemap, robots.txt and .nojekyll. Articles
    with ``listed: false`` are in the sitemap only."""
    urls, files = ctx.urls, ctx.files
    everything, articles = articles, [a for a in articles if a.meta.listed]
    tags: dict[str, list[Article]] = {}
    for article in articles:
        for tag in article.meta.tags:
            tags.setdefault(tag, []).append(article)
    by_slug: dict[str, list[str]] = {}
    for tag in sorted(tags):
        by_slug.setdefault(tag_slug(tag), []).append(tag)
    for slug, same in by_slug.items():
        if len(same) > 1:  # one page would silently replace the other
            where = sorted({a.source.rel for t in same for a in tags[t]})
            problems.error(
                where[0],
                0,
                f"tags {' and '.join(map(repr, same))} would share the page tags/{slug}/ "
                f"(used in {', '.join(where)})",
                hint="spell them alike, or so that their letters and digits differ",
            )
    index = "templates/index.html"
    render_page(ctx, problems, "index.html", "index.html", index, articles=articles, tags=tags)
    for tag, tagged in sorted(tags.items()):
        path = f"tags/{tag_slug(tag)}/index.html"
        render_page(ctx, problems, "tag.html", path, "templates/tag.html", tag=tag, articles=tagged)
    render_page(ctx, problems, "404.html", "404.html", "templates/404.html")
    pages = [("", max((a.meta.date for a in articles if a.meta.date), default=None))]
    pages += [(a.url, a.meta.date) for a in everything]
    pages += [(f"tags/{tag_slug(t)}/", None) for t in sorted(tags)]
    robots = f"User-agent: *\nAllow: /\nSitemap: {urls('sitemap.xml', True)}\n"
    made: list[tuple[str, str | bytes, str]] = [
        ("feed.xml", render_feed(ctx.config, articles, urls, problems), "feed"),
        ("sitemap.xml", render_sitemap(pages, urls), "sitemap"),
        ("robots.txt", robots, "robots"),
        (".nojekyll", b"", "github-pages"),
    ]
    for path, data, owner in made:
        try:
            files.write(path, data, owner)
        except FileConflict as exc:  # a passthrough file of the same name
            problems.error(
                exc.first,
                0,
                f"{path} is published from {exc.first} and also made by the build ({owner})",
                hint=f"remove {exc.first} from passthrough in site.toml",
            )
