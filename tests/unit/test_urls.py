"""URLs: made, prefixed with the base path, resolved as a browser would (site_builder/urls.py)."""

import pytest

from site_builder.urls import OUTSIDE, Target, Urls

URLS = Urls("https://me.github.io/repo/")


@pytest.mark.parametrize(
    ("page", "link", "target"),
    [
        ("a/index.html", "/repo/b/", Target("b/index.html", "")),
        ("a/index.html", "/repo/b/#x", Target("b/index.html", "x")),
        ("a/index.html", "../c/data.csv", Target("c/data.csv", "")),
        ("a/index.html", "#top", Target("a/index.html", "top")),
        ("a/index.html", "img%20one.png", Target("a/img one.png", "")),
        ("a/index.html", "/repo/", Target("index.html", "")),
        ("a/index.html", "/elsewhere/", OUTSIDE),
        ("a/index.html", "../../../etc/passwd", OUTSIDE),
        ("a/index.html", "https://example.org/", None),
        ("a/index.html", "data:image/png;base64,AA", None),
    ],
)
def test_urls_resolve_links_as_a_browser_would(page, link, target):
    assert URLS.resolve(page, link) == target


def test_urls_are_made_prefixed_and_shown_as_written():
    assert URLS("guide/index.html") == "/repo/guide/"
    assert URLS("feed.xml", absolute=True) == "https://me.github.io/repo/feed.xml"
    renames = {"static/a.css": "static/a.123.css"}
    assert URLS.prefix("/static/a.css", renames) == "/repo/static/a.123.css"
    assert URLS.prefix("/b/#x", renames) == "/repo/b/#x"
    assert URLS.prefix("relative.png", renames) == "relative.png"
    assert URLS.prefix("//cdn.example/x.js", renames) == "//cdn.example/x.js"
    assert URLS.as_written("/repo/b/") == "/b/"
