"""Unit tests of the modules whole builds exercise only indirectly: urls, links, plan,
state, output, render, cache, lock."""

import datetime as dt
import os
import time

import pytest

from site_builder import cache
from site_builder.errors import Diagnostic
from site_builder.links import Link, Scan, check_links, pack, scan_page, unpack
from site_builder.lock import Busy, build_lock
from site_builder.model import Article, FrontMatter, Source
from site_builder.output import FileConflict, SiteFiles, guard_output
from site_builder.plan import Listing
from site_builder.site_pages import render_feed, render_sitemap
from site_builder.state import Changes, Kept, State, Summary, create
from site_builder.urls import OUTSIDE, Target, Urls, tag_slug

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


def test_scans_pack_and_check():
    page = '<h2 id="one">x</h2><a href="/repo/b/#two">b</a><img src="/repo/nope.png">'
    scan = scan_page("a/index.html", page, URLS)
    assert scan == Scan(
        [Link("/repo/b/#two", "b/index.html", "two"), Link("/repo/nope.png", "nope.png", "")],
        {"one"},
    )
    assert unpack(pack(scan)) == scan
    scans = {"a/index.html": pack(scan), "b/index.html": Scan([], {"tow"})}
    files = {"a/index.html": "content/a.md", "b/index.html": "content/b.md"}
    source = {"content/a.md": "---\ntitle: A\n---\n[b](/b/#two)\n![](/nope.png)\n"}
    found = check_links(scans, files, URLS, source.__getitem__, ["a/index.html"])
    assert [d.format() for d in found] == [
        "content/a.md:4: error: broken anchor '/repo/b/#two': b/index.html has no id 'two' "
        "(did you mean #tow?)",
        "content/a.md:5: error: broken link '/repo/nope.png': no file 'nope.png' in the site",
    ]


def test_links_are_read_as_a_browser_reads_the_page():
    page = (
        '<ul><li><a href="/repo/in-list/">a</a></li></ul>\n'
        '<a title="a > b" href="/repo/after-gt/">b</a>\n'  # ">" inside an attribute value
        "<a href=' /repo/spaced/ '>c</a>\n"  # browsers strip the spaces
        '<a href="/repo/bro\nken/">d</a>\n'  # and newlines inside
        "<!-- <a href='/repo/commented/'>x</a> -->\n"
        "<script>let s = '<a href=\"/repo/in-script/\">';</script>\n"
        "<script src=/repo/app.js></script>\n"  # an unquoted value
        '<img srcset="/repo/a.png 1x, /repo/b.png 2x"><video poster="/repo/p.jpg"></video>\n'
        '<form action="/repo/search/"></form><object data="/repo/o.svg"></object>\n'
        '<a href="/repo/first/" href="/repo/second/">e</a><p id="here" ID="there">\n'
    )
    scan = scan_page("x/index.html", page, URLS)
    assert sorted(link.link for link in scan.links) == sorted(
        [
            "/repo/in-list/",
            "/repo/after-gt/",
            "/repo/spaced/",
            "/repo/broken/",
            "/repo/app.js",
            "/repo/a.png",
            "/repo/b.png",
            "/repo/p.jpg",
            "/repo/search/",
            "/repo/o.svg",
            "/repo/first/",
        ]
    )
    assert scan.ids == {"here"}


def test_broken_links_name_the_right_line_and_suggest_what_authors_write():
    files = {
        "index.html": "site",
        "guide/index.html": "content/guide.md",
        "static/css/site.1a2b3c4d5e.css": "static/css/site.css",
        "notes/index.html": "content/notes.md",
        "notes/figure.png": "content/notes/figure.png",
    }
    renames = {"static/css/site.css": "static/css/site.1a2b3c4d5e.css"}
    page = (
        '<a href="/repo/a">1</a> <a href="/repo/guid/">2</a>'
        '<link href="/repo/static/css/sit.css"><img src="/repo/figure.png">'
    )
    scans = {"index.html": scan_page("index.html", page, URLS)}
    source = (
        "---\ntitle: T\n---\nA line about a cat and a dog.\n"  # "a" appears, not as a link
        "[guide](/guid/)\n"
        '<link href="/static/css/sit.css">\n'
        "![](/figure.png)\n"
        "Short: [a](/a)\n"
    )
    files["index.html"] = "content/i.md"
    found = check_links(scans, files, URLS, lambda _: source, ["index.html"], renames=renames)
    assert sorted(d.format() for d in found) == [
        "content/i.md:5: error: broken link '/repo/guid/': no file 'guid/index.html' in the "
        "site (did you mean '/guide/' (content/guide.md)?)",
        "content/i.md:6: error: broken link '/repo/static/css/sit.css': no file "
        "'static/css/sit.css' in the site (did you mean '/static/css/site.css'?)",
        "content/i.md:7: error: broken link '/repo/figure.png': no file 'figure.png' in the "
        "site (did you mean '/notes/figure.png'?)",
        "content/i.md:8: error: broken link '/repo/a': no file 'a' in the site",
    ]


def test_a_listing_keeps_what_site_pages_need():
    meta = FrontMatter(title="T", date=dt.date(2024, 5, 6), tags=("x",), slug="custom")
    article = Article(source=Source("/p/a.md", "content/a.md", "custom", None), meta=meta,
                      slug_line=4, template_line=2)  # fmt: skip
    listing = Listing.of(article)
    again = Listing.unpack(listing.pack())
    assert again == listing
    rebuilt = again.article(Source("/p/a.md", "content/a.md", "a", None))
    assert rebuilt.url == "custom/" and rebuilt.meta == meta and rebuilt.slug_line == 4


def test_site_files_refuse_two_writers_and_hash_names(tmp_path):
    files = SiteFiles()
    files.write("a/index.html", "x", "content/a.md")
    with pytest.raises(FileConflict, match="a/index.html is written by both"):
        files.write("a/index.html", "y", "content/b.md")
    name = files.hashed("static/app.js", b"code", "static/app.js")
    assert name.startswith("static/app.") and name.endswith(".js") and files.read(name) == b"code"
    files.commit(tmp_path / "site")
    assert (tmp_path / "site" / "a" / "index.html").read_text() == "x"
    more = SiteFiles()
    more.write("b.txt", "b", "content/b.md")
    more.commit_changes(tmp_path / "site", removed={"a/index.html"})
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["b.txt", "static"]


def test_the_guard_names_why(tmp_path):
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    assert guard_output(root, root / "_site", {"content": root / "content"}) is None
    assert "overlaps content" in guard_output(
        root, root / "content" / "x", {"content": root / "content"}
    )
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "f").write_text("x")
    assert "did not make" in guard_output(root, tmp_path / "theirs", {})
    assert guard_output(root, tmp_path / "theirs", {}, foreign=False) is None


def test_state_round_trip_and_damaged_outputs(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text("a")
    st = os.stat(site / "a.html")
    summary = Summary("key", {"content/a.md": (1, 2)}, {}, 1, 1, [])
    changes = Changes(
        summary,
        sources={"content/a.md": Kept(("packed",), "a", ["a.html"])},
        files={"a.html": ("content/a.md", st.st_mtime_ns, st.st_size)},
        scans={"a.html": Scan([Link("/b/", "b/index.html", "")], {"top"})},
    )
    create(tmp_path / "cache", changes)
    state = State.open(tmp_path / "cache", "key")
    assert state is not None and state.summary == summary
    assert State.open(tmp_path / "cache", "another key") is None
    assert state.kept(["content/a.md"])["content/a.md"].outputs == ["a.html"]
    assert state.referrers({"b/index.html"}) == {"a.html"}
    assert state.damaged_outputs(site) == {}
    (site / "a.html").write_text("edited by hand")
    assert state.damaged_outputs(site) == {"a.html": "content/a.md"}
    state.close()


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


def test_cache_entries_detect_damage_and_are_pruned(tmp_path):
    path = cache.entry_path(tmp_path, "ab" * 32, ".txt")
    cache.write_entry(path, "ab" * 32, b"payload")
    assert cache.read_entry(path, "ab" * 32) == b"payload"
    assert cache.read_entry(path, "cd" * 32) is None  # another key: foreign, removed
    cache.write_entry(path, "ab" * 32, b"payload")
    path.write_bytes(path.read_bytes().replace(b"payload", b"paylOad"))
    assert cache.read_entry(path, "ab" * 32) is None and not path.exists()
    old = cache.entry_path(tmp_path, "ef" * 32, ".txt")
    cache.write_entry(old, "ef" * 32, b"old")
    os.utime(old, (time.time() - 100, time.time() - 100))
    cache.write_entry(path, "ab" * 32, b"new")
    since = cache.now(tmp_path) - 10
    assert cache.prune(tmp_path, since) == 1 and path.exists() and not old.exists()


def test_the_lock_is_exclusive(tmp_path):
    with build_lock(tmp_path):
        with pytest.raises(Busy) as info, build_lock(tmp_path, wait=False):
            pass
        assert str(info.value) == str(os.getpid())
    with build_lock(tmp_path, wait=False):  # released
        pass


def test_diagnostics_escape_what_a_terminal_would_act_on():
    text = Diagnostic("a\udcff.md", 3, 0, "got \x1b[31mred", "line\x07").format()
    assert text == "a\\xff.md:3: error: got \\x1b[31mred\n  hint: line\\x07"


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
