"""The site-wide pages: feed, sitemap, tag slugs (site_builder/site_pages.py, urls.tag_slug)."""

import datetime as dt

from site_builder.model import Article, FrontMatter, Source
from site_builder.site_pages import render_feed, render_sitemap
from site_builder.urls import Urls, tag_slug

URLS = Urls("https://me.github.io/repo/")


def test_feed_sitemap_and_tag_slugs():
    meta = FrontMatter(title="A <b>", date=dt.date(2024, 1, 2), summary="s & t")
    article = Article(source=Source("/p/a.md", "content/a.md", "a", None), meta=meta)

    class Site:
        title, author = "Site", "Me"

    feed = render_feed(Site(), [article], URLS)
    assert "<title>A &lt;b&gt;</title>" in feed and "<summary>s &amp; t</summary>" in feed
    sitemap = render_sitemap([("a/", meta.date)], URLS)
    assert "<loc>https://me.github.io/repo/a/</loc><lastmod>2024-01-02</lastmod>" in sitemap
    assert tag_slug("Neural Networks!") == "neural-networks"
    assert tag_slug("C++") == "c-plus-plus" and tag_slug("C#") == "c-sharp" and tag_slug("C") == "c"
    assert tag_slug("Нейросети") == "нейросети" and tag_slug("機械学習") == "機械学習"
    assert tag_slug("R&D") == "r-and-d" and tag_slug("!!!") == "tag"
    assert (
        URLS("tags/нейросети/index.html")
        == "/repo/tags/%D0%BD%D0%B5%D0%B9%D1%80%D0%BE%D1%81%D0%B5%D1%82%D0%B8/"
    )


def test_the_feed_is_valid_xml_whatever_the_titles_hold():
    from xml.etree import ElementTree

    from site_builder.errors import Collector

    meta = FrontMatter(title="Bell\x07 and \x1b[31mescape\ufffe", date=dt.date(2024, 1, 2),
                       summary="fine", authors=("Nul\x00l",))  # fmt: skip
    article = Article(source=Source("/p/a.md", "content/a.md", "a", None), meta=meta)

    class Site:
        title, author = "Site\x0b", ""

    problems = Collector()
    feed = render_feed(Site(), [article], URLS, problems)
    root = ElementTree.fromstring(feed.encode())  # parses: every character is allowed
    ns = "{http://www.w3.org/2005/Atom}"
    assert root.find(f"{ns}entry/{ns}title").text == "Bell and [31mescape"
    assert [w.format() for w in problems.warnings] == [
        "content/a.md: warning: an author holds characters XML forbids (U+0000); they are "
        "left out of the feed",
        "content/a.md: warning: the title holds characters XML forbids (U+0007, U+001B, "
        "U+FFFE); they are left out of the feed",
        "site.toml: warning: the site title holds characters XML forbids (U+000B); they are "
        "left out of the feed",
    ]
